// deeper: the DEEPER persona-refinement pipeline.
//
//   deeper run [--config FILE] --run-dir DIR [--from STAGE | --only STAGE] [--force] [--dry-run]
//              [--set key=value ...] [--dump-config]
//   deeper stages [--config FILE]       list the stages in run order, with the stages each one reads
//   deeper inspect FILE.h5 [--rows N]   columns and the first rows of a shard
//   deeper verify --run-dir DIR         re-check every output against its stage manifest
//
// With no --config the embedded quickstart config runs (configs/quickstart.yaml): the whole pipeline on
// a simulated behaviour world with tiny models trained from scratch. Under mpirun every rank
// runs the same command; rank r works on shards r, r + W, ... of each stage.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "apps/inspect.h"
#include "common/error.h"
#include "common/files.h"
#include "distributed/world.h"
#include "pipeline/config.h"
#include "pipeline/manifest.h"
#include "pipeline/progress.h"
#include "pipeline/runner.h"
#include "stages/graph/graph.h"

DEFINE_string(config, "", "YAML config file (default: the embedded configs/quickstart.yaml)");
DEFINE_string(run_dir, "", "run directory: one sub-directory per stage");
DEFINE_string(from, "", "rerun this stage and every stage that depends on it");
DEFINE_string(only, "", "run only this stage (its inputs must be complete)");
DEFINE_bool(force, false, "rerun the selected stages even when their outputs are up to date");
DEFINE_bool(dry_run, false, "validate the config and print what would run, without running it");
DEFINE_bool(dump_config, false, "print the resolved config (defaults + file + --set) and exit");
DEFINE_string(set, "", "override one config key: --set a.b=value (repeatable)");
DEFINE_int32(rows, 5, "deeper inspect: rows to print");

namespace {

constexpr char kUsage[] =
    "deeper COMMAND [flags]\n\n"
    "commands:\n"
    "  run      run the pipeline (or part of it) in --run-dir\n"
    "  stages   list the stages in run order\n"
    "  inspect  print a shard's columns and first rows: deeper inspect FILE.h5\n"
    "  verify   re-check every output file of --run-dir against its stage manifest\n\n"
    "`deeper COMMAND --help` lists the flags; README.md documents every config key.";

// True when the arguments ask for help. gflags' own --help would also list libtorch's internal flags.
bool AsksForHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-help") || !std::strcmp(argv[i], "-h")) return true;
  }
  return false;
}

// gflags keeps only the last --set; collect every one of them before gflags sees argv.
std::vector<std::string> TakeSetFlags(int* argc, char** argv) {
  std::vector<std::string> values;
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--set" || arg == "-set") {
      DEEPER_REQUIRE(i + 1 < *argc, "--set needs a value: --set key=value");
      values.push_back(argv[++i]);
    } else if (arg.rfind("--set=", 0) == 0 || arg.rfind("-set=", 0) == 0) {
      values.push_back(arg.substr(arg.find('=') + 1));
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  return values;
}

int CommandRun(const deeper::Config& config) {
  if (FLAGS_dump_config) {
    if (deeper::World::Get().is_root()) std::cout << config.Dump();
    return 0;
  }
  deeper::Progress::SetLineInterval(config.Get<double>("run.progress_interval_seconds"));
  deeper::Runner runner(config, deeper::BuildPipeline(config));
  deeper::RunOptions options{FLAGS_run_dir, FLAGS_from, FLAGS_only, FLAGS_force, FLAGS_dry_run};
  if (deeper::World::Get().is_root() && !FLAGS_dry_run && !FLAGS_run_dir.empty()) {
    deeper::MakeDirs(FLAGS_run_dir);
    deeper::WriteFileAtomic((std::filesystem::path(FLAGS_run_dir) / "config.yaml").string(), config.Dump());
  }
  auto plans = runner.Run(options);
  if (deeper::World::Get().is_root()) {
    std::cout << (FLAGS_dry_run ? "plan" : "done") << " (" << config.source() << "):\n";
    for (const auto& plan : plans) {
      std::cout << "  " << plan.stage << ": " << plan.action << (plan.reason.empty() ? "" : " (" + plan.reason + ")")
                << "\n";
    }
  }
  return 0;
}

int CommandStages(const deeper::Config& config) {
  for (const auto& stage : deeper::BuildPipeline(config)) {
    std::cout << stage->Name() << "  " << stage->Description();
    const auto inputs = deeper::StageInputs(*stage, config);
    if (!inputs.empty()) {
      std::cout << "  (reads:";
      for (const auto& input : inputs) std::cout << " " << input;
      std::cout << ")";
    }
    std::cout << "\n";
  }
  return 0;
}

int CommandVerify() {
  DEEPER_REQUIRE(!FLAGS_run_dir.empty(), "verify needs --run-dir");
  int problems = 0;
  for (const auto& entry : std::filesystem::directory_iterator(FLAGS_run_dir)) {
    if (!entry.is_directory()) continue;
    deeper::Manifest manifest;
    if (!deeper::ReadManifest(entry.path().string(), &manifest)) {
      std::cout << entry.path().filename().string() << ": incomplete (no manifest)\n";
      continue;
    }
    auto files = deeper::ScanOutputs(entry.path().string());
    bool ok = deeper::DigestOf(files) == manifest.outputs_digest;
    std::cout << manifest.stage << ": " << (ok ? "ok" : "MODIFIED since the manifest was written") << ", "
              << files.size() << " files, " << manifest.records << " records\n";
    problems += ok ? 0 : 1;
  }
  return problems == 0 ? 0 : 1;
}

int Dispatch(const std::string& command, int argc, char** argv, const std::vector<std::string>& sets) {
  if (command == "inspect") {
    DEEPER_REQUIRE(argc >= 2, "usage: deeper inspect FILE.h5 [--rows N]");
    return deeper::InspectShard(argv[1], FLAGS_rows, std::cout);
  }
  if (command == "verify") return CommandVerify();
  const auto config = deeper::Config::Resolve(FLAGS_config, sets);
  if (command == "run") return CommandRun(config);
  if (command == "stages") return CommandStages(config);
  deeper::Fail("unknown command '", command, "'\n\n", kUsage);
}

}  // namespace

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  auto& world = deeper::World::Init(&argc, &argv);
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cerr << kUsage << "\n";
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  int code = 0;
  try {
    // The command word stands in for argv[0] so gflags sees only flags and positional arguments.
    int sub_argc = argc - 1;
    char** sub_argv = argv + 1;
    gflags::SetUsageMessage(kUsage);
    if (AsksForHelp(sub_argc, sub_argv)) {
      gflags::ShowUsageWithFlagsRestrict(argv[0], "apps/deeper.cc");  // This program's flags only.
      return 0;
    }
    auto sets = TakeSetFlags(&sub_argc, sub_argv);
    gflags::ParseCommandLineFlags(&sub_argc, &sub_argv, /*remove_flags=*/true);
    if (!FLAGS_set.empty()) sets.push_back(FLAGS_set);
    code = Dispatch(command, sub_argc, sub_argv, sets);
  } catch (const std::exception& e) {
    std::cerr << "deeper " << command << ": error";
    if (world.size() > 1) std::cerr << " on rank " << world.rank() << " of " << world.size();
    std::cerr << ": " << e.what() << "\n";
    // One failing rank must end the whole job, not leave the others waiting at a barrier.
    if (world.size() > 1) world.Abort(1);
    return 1;
  }
  world.Finalize();
  return code;
}
