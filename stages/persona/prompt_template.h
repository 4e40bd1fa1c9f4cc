// {placeholder} substitution for the project's prompt texts. Templates live in the config (section
// `prompts`), so users can reword them; a typo in a placeholder must fail loudly instead of reaching
// the model verbatim. Torch-free.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace deeper {

// Replaces every {name} in `text` by values.at(name). "{{" and "}}" stand for literal braces.
// A placeholder without a value, an unclosed brace or a stray "}" is a deeper::Error naming `where`
// (the config key of the template) and the placeholder.
std::string RenderTemplate(const std::string& text, const std::map<std::string, std::string>& values,
                           const std::string& where);

// The placeholder names used by `text`, in order of first use (for validating templates up front).
std::vector<std::string> TemplatePlaceholders(const std::string& text, const std::string& where);

// Throws unless every placeholder of `text` is in `allowed` (the names a stage will provide).
void RequirePlaceholders(const std::string& text, const std::vector<std::string>& allowed, const std::string& where);

}  // namespace deeper
