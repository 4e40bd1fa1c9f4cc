// A stage is a pure function of (its config sections, its input stages' outputs) -> output files in
// its own directory. It never reads another stage's internals, only its shards, and it knows nothing
// of MPI beyond the shard list the runner gives each rank.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "distributed/world.h"
#include "pipeline/config.h"

namespace deeper {

struct StageContext {
  const Config& config;
  const World& world;
  std::string run_dir;
  std::string stage_dir;
  int num_shards = 1;
  // Output directory of each input stage, by stage name.
  std::map<std::string, std::string> input_dirs;

  // The path of output shard `shard`: stage_dir/shard-00003-of-00008.h5.
  std::string ShardPath(int shard) const;
  // The shard files of an input stage, in shard order (read from its manifest).
  std::vector<std::string> InputShards(const std::string& stage) const;
};

// "shard-00003-of-00008.h5"
std::string ShardFileName(int shard, int num_shards);

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string Name() const = 0;
  // One line for `deeper stages`.
  virtual std::string Description() const = 0;
  // Stages whose outputs this stage reads.
  virtual std::vector<std::string> Inputs() const { return {}; }
  // Config sections that decide this stage's output; a change in any of them reruns it.
  virtual std::vector<std::string> ConfigKeys() const { return {Name(), "run.seed"}; }
  // Files outside the run directory that this stage reads (data sources). Their contents are part of
  // the plan hash, so new behaviour data reruns the stage. A directory stands for every file in it.
  virtual std::vector<std::string> ExternalInputs(const Config& config) const { return {}; }
  // A digest of what else decides the output and is neither config, stage nor file: data compiled into
  // the binary (a built-in checkpoint). Part of the plan hash; "" = nothing.
  virtual std::string BuiltinInputsDigest(const Config& config) const { return ""; }
  // Number of output shards: fixed by config, never by the number of ranks.
  virtual int NumShards(const Config& config) const;

  // Runs this rank's part of the stage. The default runs Prepare once, then RunShard for every shard
  // of this rank (r, r + W, ...) that is not already on disk, so a killed run resumes where it stopped.
  virtual void Run(StageContext& context);

 protected:
  virtual void Prepare(StageContext& context) {}
  // Writes context.ShardPath(shard) atomically (ShardWriter::Commit does).
  virtual void RunShard(StageContext& context, int shard) {}
};

}  // namespace deeper
