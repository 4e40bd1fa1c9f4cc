// Runs the world and warm_start stages through the Runner, for measuring the warm start of a config
// without the rest of the pipeline:
//   warm_start_run CONFIG RUN_DIR [key=value ...]
#include <glog/logging.h>

#include <chrono>
#include <iostream>

#include "common/error.h"
#include "pipeline/runner.h"
#include "stages/warm_start/stage.h"
#include "stages/world_stage/world_stage.h"

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  if (argc < 3) {
    std::cerr << "usage: warm_start_run CONFIG RUN_DIR [key=value ...]\n";
    return 2;
  }
  try {
    std::vector<std::string> overrides(argv + 3, argv + argc);
    const deeper::Config config = deeper::Config::Resolve(argv[1], overrides);
    std::vector<std::unique_ptr<deeper::Stage>> stages;
    stages.push_back(deeper::MakeWorldStage());
    stages.push_back(deeper::MakeWarmStartStage());
    deeper::Runner runner(config, std::move(stages));
    deeper::RunOptions options;
    options.run_dir = argv[2];
    const auto started = std::chrono::steady_clock::now();
    runner.Run(options);
    std::cerr << "warm_start_run: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
              << " s\n";
  } catch (const deeper::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
