#include "pipeline/runner.h"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/files.h"
#include "pipeline/manifest.h"
#include "pipeline/progress.h"

namespace deeper {
namespace fs = std::filesystem;

namespace {

constexpr char kPlanFile[] = ".plan.json";

std::string StageDir(const std::string& run_dir, const std::string& stage) {
  return (fs::path(run_dir) / stage).string();
}

// The plan a stage directory was started with; shards on disk belong to that plan.
std::string ReadPlanHash(const std::string& stage_dir) {
  const std::string path = (fs::path(stage_dir) / kPlanFile).string();
  if (!FileExists(path)) return "";
  try {
    return nlohmann::json::parse(ReadFile(path)).at("plan_hash").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return "";  // A damaged plan file only costs a rerun of the stage.
  }
}

// Empties a stage directory and records the plan it now belongs to. The manifest goes first, so a
// crash in between can never leave a manifest next to shards of another plan.
void StartFresh(const std::string& stage_dir, const std::string& plan_hash) {
  MakeDirs(stage_dir);
  fs::remove(fs::path(stage_dir) / "manifest.json");
  for (const auto& entry : fs::directory_iterator(stage_dir)) RemoveTree(entry.path());
  nlohmann::json plan{{"plan_hash", plan_hash}};
  WriteFileAtomic((fs::path(stage_dir) / kPlanFile).string(), plan.dump() + "\n");
}

// SHA-256 of a file, or of the sorted names and checksums of every file below a directory.
std::string ContentDigest(const std::string& path) {
  DEEPER_REQUIRE(fs::exists(path), path, ": input does not exist");
  if (!fs::is_directory(path)) return Sha256File(path);
  std::vector<std::string> lines;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) {
      lines.push_back(fs::relative(entry.path(), path).string() + " " + Sha256File(entry.path().string()));
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return Sha256Hex(text);
}

// Whether `path` lies inside directory `dir` (lexically, after making both absolute).
bool IsInside(const std::string& path, const std::string& dir) {
  const fs::path p = fs::absolute(path).lexically_normal();
  const fs::path d = fs::absolute(dir).lexically_normal();
  const fs::path rel = p.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

std::vector<std::string> StageInputs(const Stage& stage, const Config& config) {
  std::vector<std::string> inputs = stage.Inputs();
  for (const auto& referenced : config.RunDirReferences(stage.ConfigKeys())) {
    if (referenced == stage.Name()) continue;  // its own directory: not an input
    if (std::find(inputs.begin(), inputs.end(), referenced) == inputs.end()) inputs.push_back(referenced);
  }
  return inputs;
}

std::string PlanHash(const Stage& stage, const Config& config, const std::map<std::string, std::string>& inputs) {
  std::string text = "stage=" + stage.Name() + "\n" + config.CanonicalText(stage.ConfigKeys());
  for (const auto& [name, digest] : inputs) text += "input " + name + "=" + digest + "\n";
  for (const auto& path : stage.ExternalInputs(config)) {
    const bool from_input = !config.run_dir().empty() &&
                            std::any_of(inputs.begin(), inputs.end(), [&](const auto& input) {
                              return IsInside(path, StageDir(config.run_dir(), input.first));
                            });
    if (!from_input) text += "file " + path + "=" + ContentDigest(path) + "\n";
  }
  const std::string builtin = stage.BuiltinInputsDigest(config);
  if (!builtin.empty()) text += "builtin=" + builtin + "\n";
  return Sha256Hex(text);
}

Runner::Runner(const Config& config, std::vector<std::unique_ptr<Stage>> stages)
    : config_(config), stages_(std::move(stages)) {
  std::set<std::string> seen;
  for (const auto& stage : stages_) {
    const auto declared = stage->Inputs();
    for (const auto& input : StageInputs(*stage, config_)) {
      const bool by_reference = std::find(declared.begin(), declared.end(), input) == declared.end();
      DEEPER_REQUIRE(seen.count(input), "stage '", stage->Name(), "' reads '", input, "'",
                     by_reference ? std::string(" (its config refers to ") + kRunDirPlaceholder + "/" + input + ")" : "",
                     ", which does not run before it", by_reference ? " or is not in this config's graph" : "");
    }
    DEEPER_REQUIRE(seen.insert(stage->Name()).second, "stage '", stage->Name(), "' defined twice");
  }
}

const Stage& Runner::Find(const std::string& name) const {
  for (const auto& stage : stages_) {
    if (stage->Name() == name) return *stage;
  }
  std::string names;
  for (const auto& stage : stages_) names += " " + stage->Name();
  Fail("unknown stage '", name, "'; stages are:", names);
}

std::vector<std::string> Runner::Descendants(const std::string& name) const {
  std::set<std::string> affected{name};
  std::vector<std::string> order;
  for (const auto& stage : stages_) {
    bool hit = stage->Name() == name;
    for (const auto& input : StageInputs(*stage, config_)) hit = hit || affected.count(input);
    if (hit) {
      affected.insert(stage->Name());
      order.push_back(stage->Name());
    }
  }
  return order;
}

std::vector<StagePlan> Runner::Run(const RunOptions& options) {
  const World& world = World::Get();
  DEEPER_REQUIRE(!options.run_dir.empty(), "no run directory given (--run-dir)");
  DEEPER_REQUIRE(options.from_stage.empty() || options.only_stage.empty(), "--from and --only exclude each other");
  if (!options.from_stage.empty()) Find(options.from_stage);
  if (!options.only_stage.empty()) Find(options.only_stage);
  config_.SetRunDir(options.run_dir);
  if (world.is_root()) MakeDirs(options.run_dir);

  std::set<std::string> forced;
  if (!options.from_stage.empty()) {
    for (const auto& name : Descendants(options.from_stage)) forced.insert(name);
  } else if (options.force) {
    for (const auto& stage : stages_) {
      if (options.only_stage.empty() || stage->Name() == options.only_stage) forced.insert(stage->Name());
    }
  }

  std::vector<StagePlan> plans;
  std::map<std::string, std::string> digests;  // stage -> outputs digest, as runs complete
  std::map<std::string, bool> current;         // stage -> its outputs match this config
  for (const auto& stage_ptr : stages_) {
    Stage& stage = *stage_ptr;
    const std::string name = stage.Name();
    const std::string dir = StageDir(options.run_dir, name);

    std::map<std::string, std::string> inputs;
    bool inputs_ready = true;
    const std::vector<std::string> stage_inputs = StageInputs(stage, config_);
    for (const auto& input : stage_inputs) {
      inputs_ready = inputs_ready && current[input];
      inputs[input] = digests[input];
    }
    const std::string plan_hash = PlanHash(stage, config_, inputs);
    Manifest manifest;
    const bool has_manifest = ReadManifest(dir, &manifest);
    const bool up_to_date = has_manifest && manifest.plan_hash == plan_hash;
    const bool selected = options.only_stage.empty() || options.only_stage == name;

    StagePlan plan{name, "", ""};
    if (!selected) {
      plan.action = up_to_date ? "up to date" : "skipped (--only)";
      current[name] = up_to_date;
      if (up_to_date) digests[name] = manifest.outputs_digest;
      plans.push_back(plan);
      continue;
    }
    if (!inputs_ready) {
      std::string missing;
      for (const auto& input : stage_inputs) {
        if (!current[input]) missing += " " + input;
      }
      Fail("stage '", name, "' cannot run: its inputs are missing or stale for this config:", missing,
           " (run without --only, or with --from", missing, ")");
    }
    if (up_to_date && !forced.count(name)) {
      plan.action = "up to date";
      current[name] = true;
      digests[name] = manifest.outputs_digest;
      plans.push_back(plan);
      if (world.is_root()) LOG(INFO) << name << ": up to date, skipped";
      continue;
    }
    const bool resumable = !forced.count(name) && ReadPlanHash(dir) == plan_hash;
    plan.action = resumable ? "resume" : "run";
    plan.reason = forced.count(name) ? "forced"
                  : has_manifest     ? "config or inputs changed"
                  : resumable        ? "interrupted earlier"
                                     : "not run yet";
    plans.push_back(plan);
    if (options.dry_run) {
      current[name] = true;  // Later stages would run after it; show them as they would be.
      digests[name] = "(dry run)";
      if (world.is_root()) LOG(INFO) << name << ": would " << plan.action << " (" << plan.reason << ")";
      continue;
    }

    if (world.is_root()) {
      LOG(INFO) << name << ": " << plan.action << " (" << plan.reason << ")";
      if (!resumable) StartFresh(dir, plan_hash);
    }
    world.Barrier();
    const auto started = std::chrono::steady_clock::now();
    const std::string started_at = NowUtc();
    StageContext context{config_, world, options.run_dir, dir, stage.NumShards(config_), {}};
    for (const auto& input : stage_inputs) context.input_dirs[input] = StageDir(options.run_dir, input);
    stage.Run(context);
    world.Barrier();

    std::string digest;
    if (world.is_root()) {
      Manifest done;
      done.stage = name;
      done.plan_hash = plan_hash;
      done.config_hash = Sha256Hex(config_.CanonicalText(stage.ConfigKeys()));
      done.inputs = inputs;
      done.files = ScanOutputs(dir);
      done.outputs_digest = DigestOf(done.files);
      for (const auto& f : done.files) done.records += f.records;
      done.num_shards = context.num_shards;
      done.world_size = world.size();
      done.code_version = CodeVersion();
      done.started_at = started_at;
      done.finished_at = NowUtc();
      done.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      WriteManifest(dir, done);
      digest = done.outputs_digest;
      LOG(INFO) << name << ": done, " << done.records << " records in " << done.files.size() << " files, "
                << FormatDuration(done.seconds);
    }
    // Every rank needs the digest the root computed, for the plan hashes of later stages.
    digests[name] = world.BroadcastString(digest);
    current[name] = true;
  }
  return plans;
}

}  // namespace deeper
