// The stage runner: runs a graph of stages in a run directory, skipping stages whose config sections
// and inputs are unchanged, resuming a stage from the shards already on disk, and never mixing
// outputs of different configurations in one stage directory.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline/config.h"
#include "pipeline/stage.h"

namespace deeper {

struct RunOptions {
  std::string run_dir;
  std::string from_stage;  // rerun this stage and everything that depends on it
  std::string only_stage;  // run just this stage (its inputs must be complete and current)
  bool force = false;      // rerun the selected stages even if up to date
  bool dry_run = false;    // print the plan, run nothing
};

// What the runner decided for one stage.
struct StagePlan {
  std::string stage;
  std::string action;  // "run", "resume", "up to date", "skipped (--only)"
  std::string reason;
};

class Runner {
 public:
  // Keeps a copy of `config`; Run sets its run directory (Config::SetRunDir) before any stage sees it.
  Runner(const Config& config, std::vector<std::unique_ptr<Stage>> stages);

  // Runs the graph; every rank calls it. Returns the plan that was carried out.
  std::vector<StagePlan> Run(const RunOptions& options);

  // Stages in run order (inputs before the stages that read them).
  const std::vector<std::unique_ptr<Stage>>& stages() const { return stages_; }

 private:
  const Stage& Find(const std::string& name) const;
  std::vector<std::string> Descendants(const std::string& name) const;

  Config config_;
  std::vector<std::unique_ptr<Stage>> stages_;
};

// The stages whose outputs `stage` reads: Stage::Inputs(), then every stage its config sections refer
// to as `{run_dir}/STAGE/...` (Config::RunDirReferences; e.g. context_building reading
// {run_dir}/world/..., or a model stage whose models.refiner.path is {run_dir}/warm_start/refiner).
// The runner orders, hashes, skips and reruns with these, so a reference is a dependency like any other.
std::vector<std::string> StageInputs(const Stage& stage, const Config& config);

// The plan hash of a stage: its name, its config sections (with `{run_dir}` unexpanded), its inputs'
// output digests and the contents of its external input files. An external file inside an input
// stage's directory (run_dir/INPUT/...) is covered by that input's digest and not read (it may not
// exist yet when a dry run plans the graph).
std::string PlanHash(const Stage& stage, const Config& config, const std::map<std::string, std::string>& inputs);

}  // namespace deeper
