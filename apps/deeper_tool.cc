// deeper-tool: small programs around the pipeline (tokenize, logits, generate, contexts, ...).
// Usage: deeper-tool COMMAND [--flags]
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstring>
#include <iostream>

#include "apps/command_registry.h"
#include "common/error.h"

namespace {

void PrintUsage() {
  std::cerr << "usage: deeper-tool COMMAND [--flags]\n\ncommands:\n";
  for (const auto& [name, command] : deeper::ToolCommands()) {
    std::cerr << "  " << name << std::string(name.size() < 14 ? 14 - name.size() : 1, ' ') << command.summary
              << "\n";
  }
  std::cerr << "\n`deeper-tool COMMAND --help` lists the flags.\n";
}

}  // namespace

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0) {
    PrintUsage();
    return argc < 2 ? 2 : 0;
  }
  const auto& commands = deeper::ToolCommands();
  auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::cerr << "deeper-tool: unknown command '" << argv[1] << "'\n\n";
    PrintUsage();
    return 2;
  }
  // The command name takes the place of argv[0] so gflags sees only the flags.
  int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  gflags::SetUsageMessage("deeper-tool " + it->second.name + ": " + it->second.summary);
  for (int i = 1; i < sub_argc; ++i) {
    // gflags' own --help would also list libtorch's internal flags: only the tool's own here.
    if (!std::strcmp(sub_argv[i], "--help") || !std::strcmp(sub_argv[i], "-help") || !std::strcmp(sub_argv[i], "-h")) {
      gflags::ShowUsageWithFlagsRestrict(argv[0], "apps/tool_");
      return 0;
    }
  }
  gflags::ParseCommandLineFlags(&sub_argc, &sub_argv, /*remove_flags=*/true);
  try {
    return it->second.run(sub_argc, sub_argv);
  } catch (const deeper::Error& e) {
    std::cerr << "deeper-tool " << it->second.name << ": error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "deeper-tool " << it->second.name << ": internal error: " << e.what() << "\n";
    return 1;
  }
}
