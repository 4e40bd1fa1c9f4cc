// manifest.json: written last and atomically when a stage completes; its presence with a matching
// plan hash is what makes a stage "done". It records what went in (config hash, input digests), what
// came out (every file with its SHA-256 and record count), how long it took and which code made it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace deeper {

struct ManifestFile {
  std::string file;  // relative to the stage directory
  std::string sha256;
  int64_t records = 0;  // rows of a shard; 0 for other files
  int64_t bytes = 0;
};

struct Manifest {
  std::string stage;
  std::string plan_hash;   // hash of (stage, config sections, input digests)
  std::string config_hash; // hash of the config sections alone
  std::map<std::string, std::string> inputs;  // input stage -> its outputs_digest
  std::vector<ManifestFile> files;
  std::string outputs_digest;  // hash over all files' names and checksums
  int64_t records = 0;
  int num_shards = 0;
  int world_size = 1;
  std::string code_version;
  std::string started_at;
  std::string finished_at;
  double seconds = 0;
};

// Reads stage_dir/manifest.json; returns false when there is none. A corrupt manifest is an error.
bool ReadManifest(const std::string& stage_dir, Manifest* manifest);
void WriteManifest(const std::string& stage_dir, const Manifest& manifest);

// Lists and checksums every output file of a stage directory (not the manifest or temporaries).
std::vector<ManifestFile> ScanOutputs(const std::string& stage_dir);
std::string DigestOf(const std::vector<ManifestFile>& files);

// The version of the code that produced an output (git describe at build time).
const char* CodeVersion();
// UTC time as 2026-01-31T12:00:00Z.
std::string NowUtc();

}  // namespace deeper
