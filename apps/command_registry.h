// Subcommands of `deeper-tool`: each command file registers itself, the dispatcher finds it by name.
#pragma once

#include <map>
#include <string>

namespace deeper {

// A command gets the arguments that follow its name, after gflags has consumed the flags it knows.
using ToolCommandFn = int (*)(int argc, char** argv);

struct ToolCommand {
  std::string name;
  std::string summary;  // One line for `deeper-tool --help`.
  ToolCommandFn run;
};

std::map<std::string, ToolCommand>& ToolCommands();
bool RegisterToolCommand(const ToolCommand& command);

}  // namespace deeper

#define DEEPER_TOOL_CONCAT_INNER(a, b) a##b
#define DEEPER_TOOL_CONCAT(a, b) DEEPER_TOOL_CONCAT_INNER(a, b)

// Registers `fn` as `deeper-tool NAME`. Use once per command, at namespace scope in its .cc file;
// `fn` may be a qualified name.
#define DEEPER_TOOL_COMMAND(name, summary, fn)                                      \
  static const bool DEEPER_TOOL_CONCAT(deeper_tool_registered_, __COUNTER__) = \
      ::deeper::RegisterToolCommand({name, summary, fn})
