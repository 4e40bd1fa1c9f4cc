#include "apps/command_registry.h"

namespace deeper {

std::map<std::string, ToolCommand>& ToolCommands() {
  static std::map<std::string, ToolCommand> commands;
  return commands;
}

bool RegisterToolCommand(const ToolCommand& command) {
  ToolCommands()[command.name] = command;
  return true;
}

}  // namespace deeper
