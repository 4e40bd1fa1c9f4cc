#include "pipeline/config.h"

#include <set>
#include <sstream>

#include "common/error.h"
#include "common/files.h"

namespace deeper {
namespace {

std::vector<std::string> SplitPath(const std::string& dotted) {
  std::vector<std::string> parts;
  std::stringstream in(dotted);
  std::string part;
  while (std::getline(in, part, '.')) {
    DEEPER_REQUIRE(!part.empty(), "config key '", dotted, "' has an empty component");
    parts.push_back(part);
  }
  DEEPER_REQUIRE(!parts.empty(), "empty config key");
  return parts;
}

YAML::Node ParseYaml(const std::string& text, const std::string& source) {
  try {
    YAML::Node node = YAML::Load(text);
    if (node.IsNull()) node = YAML::Node(YAML::NodeType::Map);
    DEEPER_REQUIRE(node.IsMap(), source, ": a config must be a YAML map at the top level");
    return node;
  } catch (const YAML::Exception& e) {
    Fail(source, ":", e.mark.line + 1, ": invalid YAML: ", e.msg);
  }
}

// A default that is an empty map accepts keys of the user's choosing (e.g. a table of prompts).
bool IsOpenMap(const YAML::Node& node) { return node.IsMap() && node.size() == 0; }

// Overlays `user` onto `base` in place. Maps merge key by key; anything else replaces.
void Overlay(YAML::Node base, const YAML::Node& user, const std::string& prefix, const std::string& source) {
  const bool open = IsOpenMap(base);
  const YAML::Node& lookup = base;  // const: yaml-cpp's non-const operator[] would insert keys
  for (const auto& entry : user) {
    const std::string key = entry.first.as<std::string>();
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    DEEPER_REQUIRE(open || lookup[key], source, ": unknown config key '", path,
                   "' (configs/defaults.yaml lists every key)");
    if (!open && lookup[key].IsMap() && entry.second.IsMap() && !IsOpenMap(lookup[key])) {
      Overlay(base[key], entry.second, path, source);
    } else {
      base[key] = YAML::Clone(entry.second);
    }
  }
}

// The node at `dotted` below `root` (walked through a const view: yaml-cpp's non-const operator[]
// inserts); false when absent.
bool Lookup(const YAML::Node& root, const std::string& dotted, YAML::Node* out) {
  std::vector<YAML::Node> chain{root};
  for (const auto& part : SplitPath(dotted)) {
    const YAML::Node& current = chain.back();
    if (!current.IsMap() || !current[part]) return false;
    chain.push_back(current[part]);
  }
  *out = chain.back();
  return true;
}

// A copy of `node` with `from` replaced by `to` in every string scalar.
YAML::Node Substitute(const YAML::Node& node, const std::string& from, const std::string& to) {
  if (node.IsScalar()) {
    std::string text = node.Scalar();
    if (text.find(from) == std::string::npos) return YAML::Clone(node);
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
    return YAML::Node(text);
  }
  if (node.IsSequence()) {
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& element : node) out.push_back(Substitute(element, from, to));
    return out;
  }
  if (node.IsMap()) {
    YAML::Node out(YAML::NodeType::Map);
    for (const auto& entry : node) out[entry.first.as<std::string>()] = Substitute(entry.second, from, to);
    return out;
  }
  return YAML::Clone(node);
}

// Adds STAGE of every "{run_dir}/STAGE" in the string scalars below `node`.
void CollectRunDirReferences(const YAML::Node& node, std::set<std::string>* stages) {
  if (node.IsScalar()) {
    const std::string& text = node.Scalar();
    const std::string prefix = std::string(kRunDirPlaceholder) + "/";
    for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
      const size_t begin = at + prefix.size();
      size_t end = begin;
      while (end < text.size() && text[end] != '/' && text[end] != '\\' && text[end] != '"' && text[end] != ' ') ++end;
      if (end > begin) stages->insert(text.substr(begin, end - begin));
    }
  } else if (node.IsSequence() || node.IsMap()) {
    for (const auto& entry : node) CollectRunDirReferences(node.IsMap() ? entry.second : entry, stages);
  }
}

}  // namespace

Config Config::FromText(const std::string& yaml_text, const std::string& source,
                        const std::vector<std::string>& overrides) {
  YAML::Node root = ParseYaml(EmbeddedDefaultsYaml(), "configs/defaults.yaml");
  Overlay(root, ParseYaml(yaml_text, source), "", source);
  Config config(root, source);
  for (const auto& assignment : overrides) config.Override(assignment);
  return config;
}

Config Config::Resolve(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return FromText(EmbeddedQuickstartYaml(), "embedded configs/quickstart.yaml", overrides);
  return FromText(ReadFile(path), path, overrides);
}

void Config::Override(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  DEEPER_REQUIRE(eq != std::string::npos && eq > 0, "--set '", assignment, "': expected key=value");
  const std::string dotted = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    Fail("--set '", assignment, "': the value is not valid YAML (", e.msg, ")");
  }
  // Build {a: {b: value}} and overlay it, so the same unknown-key rules apply as for files.
  const auto parts = SplitPath(dotted);
  YAML::Node patch = value;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    YAML::Node wrapper(YAML::NodeType::Map);
    wrapper[*it] = patch;
    patch = wrapper;
  }
  Overlay(root_, patch, "", "--set " + dotted);
  if (!run_dir_.empty()) expanded_ = Substitute(root_, kRunDirPlaceholder, run_dir_);
}

void Config::SetRunDir(const std::string& run_dir) {
  run_dir_ = run_dir;
  expanded_ = run_dir.empty() ? YAML::Node() : Substitute(root_, kRunDirPlaceholder, run_dir);
}

std::vector<std::string> Config::RunDirReferences(const std::vector<std::string>& dotted_paths) const {
  std::set<std::string> stages;
  for (const auto& dotted : dotted_paths) {
    YAML::Node node;
    if (Lookup(root_, dotted, &node)) CollectRunDirReferences(node, &stages);
  }
  return {stages.begin(), stages.end()};
}

bool Config::Has(const std::string& dotted_path) const {
  const YAML::Node root = View();
  std::vector<YAML::Node> chain{root};
  for (const auto& part : SplitPath(dotted_path)) {
    const YAML::Node& current = chain.back();
    if (!current.IsMap() || !current[part]) return false;
    chain.push_back(current[part]);
  }
  return true;
}

YAML::Node Config::At(const std::string& dotted_path) const {
  // yaml-cpp's operator[] on a non-const node inserts; walk a const view instead.
  const YAML::Node root = View();
  std::vector<YAML::Node> chain{root};
  for (const auto& part : SplitPath(dotted_path)) {
    const YAML::Node& current = chain.back();
    DEEPER_REQUIRE(current.IsMap() && current[part], source_, ": missing config key '", dotted_path, "'");
    chain.push_back(current[part]);
  }
  return chain.back();
}

std::string Config::Dump() const {
  YAML::Emitter out;
  out << root_;
  return std::string(out.c_str()) + "\n";
}

std::string Config::CanonicalText(const std::vector<std::string>& dotted_paths) const {
  std::string text;
  for (const auto& path : dotted_paths) {
    YAML::Emitter out;
    out.SetMapFormat(YAML::Flow);
    out.SetSeqFormat(YAML::Flow);
    YAML::Node node;
    DEEPER_REQUIRE(Lookup(root_, path, &node), source_, ": missing config key '", path, "'");
    out << node;
    text += path + "=" + out.c_str() + "\n";
  }
  return text;
}

}  // namespace deeper
