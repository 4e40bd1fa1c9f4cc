// A training job for the process-level tests: runs TrainDpo with a config file (YAML or JSON), as one
// rank or under mpirun. Writes OUTPUT_DIR/pid.<rank> first so a test can kill one rank.
//   train_worker CONFIG [--hang-after STEP]
// --hang-after STEP: after optimizer step STEP (and its checkpoint, if any) the job sleeps until killed,
// so a test can kill it at a known point.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <thread>

#include "common/error.h"
#include "common/files.h"
#include "distributed/collectives/communicator.h"
#include "distributed/collectives/job_guard.h"
#include "distributed/world.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  deeper::World& world = deeper::World::Init(&argc, &argv);
  const int code = deeper::RunOrAbortJob([&] {
    if (argc < 2) deeper::Fail("usage: train_worker CONFIG [--hang-after STEP]");
    int64_t hang_after = -1;
    if (argc >= 4 && std::strcmp(argv[2], "--hang-after") == 0) hang_after = std::atoll(argv[3]);
    deeper::TrainConfig config = deeper::ParseTrainConfig(deeper::ReadFile(argv[1]), argv[1]);
    auto comm = deeper::MakeCommunicator(deeper::ResolveTrainDevice(config.device));
    deeper::MakeDirs(config.output_dir);
    std::ofstream(config.output_dir + "/pid." + std::to_string(comm->rank())) << ::getpid() << "\n";
    deeper::TrainHooks hooks;
    hooks.print = false;
    hooks.on_step = [&](int64_t step, const deeper::Metrics&) {
      if (step != hang_after) return;
      std::ofstream(config.output_dir + "/hanging." + std::to_string(comm->rank())) << step << "\n";
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
    };
    deeper::TrainDpo(config, *comm, hooks);
    return 0;
  });
  world.Finalize();
  return code;
}
