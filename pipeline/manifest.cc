#include "pipeline/manifest.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"
#include "pipeline/shard.h"

namespace deeper {
namespace fs = std::filesystem;

namespace {
constexpr char kManifestName[] = "manifest.json";

bool IsBookkeeping(const std::string& name) {
  return name == kManifestName || name == ".plan.json" || name.find(".tmp.") != std::string::npos;
}
}  // namespace

const char* CodeVersion() { return DEEPER_CODE_VERSION; }

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::vector<ManifestFile> ScanOutputs(const std::string& stage_dir) {
  std::vector<ManifestFile> files;
  for (const auto& entry : fs::recursive_directory_iterator(stage_dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), stage_dir).string();
    if (IsBookkeeping(entry.path().filename().string())) continue;
    ManifestFile file;
    file.file = relative;
    file.sha256 = Sha256File(entry.path().string());
    file.bytes = static_cast<int64_t>(entry.file_size());
    if (entry.path().extension() == ".h5") file.records = ShardReader(entry.path().string()).rows();
    files.push_back(file);
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.file < b.file; });
  return files;
}

std::string DigestOf(const std::vector<ManifestFile>& files) {
  std::string text;
  for (const auto& f : files) text += f.file + " " + f.sha256 + "\n";
  return Sha256Hex(text);
}

bool ReadManifest(const std::string& stage_dir, Manifest* m) {
  const std::string path = (fs::path(stage_dir) / kManifestName).string();
  if (!FileExists(path)) return false;
  try {
    auto j = nlohmann::json::parse(ReadFile(path));
    m->stage = j.at("stage");
    m->plan_hash = j.at("plan_hash");
    m->config_hash = j.at("config_hash");
    m->inputs = j.at("inputs").get<std::map<std::string, std::string>>();
    m->files.clear();
    for (const auto& f : j.at("files")) {
      m->files.push_back({f.at("file"), f.at("sha256"), f.at("records"), f.at("bytes")});
    }
    m->outputs_digest = j.at("outputs_digest");
    m->records = j.at("records");
    m->num_shards = j.at("num_shards");
    m->world_size = j.at("world_size");
    m->code_version = j.at("code_version");
    m->started_at = j.at("started_at");
    m->finished_at = j.at("finished_at");
    m->seconds = j.at("seconds");
  } catch (const nlohmann::json::exception& e) {
    Fail(path, ": corrupt manifest (", e.what(), "); delete the stage directory or rerun with --force");
  }
  return true;
}

void WriteManifest(const std::string& stage_dir, const Manifest& m) {
  nlohmann::ordered_json j;
  j["stage"] = m.stage;
  j["plan_hash"] = m.plan_hash;
  j["config_hash"] = m.config_hash;
  j["inputs"] = m.inputs;
  j["records"] = m.records;
  j["num_shards"] = m.num_shards;
  j["outputs_digest"] = m.outputs_digest;
  j["files"] = nlohmann::ordered_json::array();
  for (const auto& f : m.files) {
    j["files"].push_back({{"file", f.file}, {"sha256", f.sha256}, {"records", f.records}, {"bytes", f.bytes}});
  }
  j["world_size"] = m.world_size;
  j["code_version"] = m.code_version;
  j["started_at"] = m.started_at;
  j["finished_at"] = m.finished_at;
  j["seconds"] = m.seconds;
  WriteFileAtomic((fs::path(stage_dir) / kManifestName).string(), j.dump(2) + "\n");
}

}  // namespace deeper
