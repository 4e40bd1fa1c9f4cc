// The run configuration: one YAML document. Every key has a documented default in
// configs/defaults.yaml (embedded in the binary); a user config overlays it, `--set a.b=c` overrides
// single keys, and unknown keys are refused so a typo never passes silently.
//
// `{run_dir}` in any string value stands for the run directory, so a config can read what earlier
// stages wrote (`{run_dir}/world/truth.jsonl`, `{run_dir}/warm_start/refiner`). It is expanded here and
// only here: once the runner calls SetRunDir, At/Get/Has see expanded values, while CanonicalText
// (plan hashes) and Dump keep the placeholder, so a run directory can be moved or copied without
// invalidating its stages. A reference `{run_dir}/STAGE/...` in a stage's config sections makes STAGE an
// input of that stage (pipeline/runner.h, StageInputs).
#pragma once

#include <yaml-cpp/yaml.h>

#include "common/error.h"

#include <string>
#include <vector>

namespace deeper {

class Config {
 public:
  // defaults.yaml, overlaid with the file at `path` (the embedded quickstart config when empty), then
  // with each "a.b=value" override in order.
  static Config Resolve(const std::string& path, const std::vector<std::string>& overrides);
  // Same, from YAML text (tests and embedded configs); `source` names it in error messages.
  static Config FromText(const std::string& yaml_text, const std::string& source,
                         const std::vector<std::string>& overrides = {});

  // The node at a dotted path ("dpo.beta"); throws naming the key when absent.
  YAML::Node At(const std::string& dotted_path) const;
  bool Has(const std::string& dotted_path) const;
  template <typename T>
  T Get(const std::string& dotted_path) const;

  // The resolved configuration as YAML, in the order of defaults.yaml.
  std::string Dump() const;
  // A stable text of the given sections, hashed to decide whether a stage's outputs are current.
  std::string CanonicalText(const std::vector<std::string>& dotted_paths) const;

  const std::string& source() const { return source_; }

  // Expands `{run_dir}` to `run_dir` in every string value from now on (including later overrides).
  void SetRunDir(const std::string& run_dir);
  // The run directory given to SetRunDir ("" before).
  const std::string& run_dir() const { return run_dir_; }
  // The stage names STAGE of every `{run_dir}/STAGE` reference in the given sections (unexpanded
  // values), sorted and unique. Missing sections are skipped.
  std::vector<std::string> RunDirReferences(const std::vector<std::string>& dotted_paths) const;

  // Applies one "a.b=value" override; the value is parsed as YAML (scalars, [lists], {maps}).
  void Override(const std::string& assignment);

 private:
  Config(YAML::Node root, std::string source) : root_(std::move(root)), source_(std::move(source)) {}
  // What At/Has read: expanded_ once a run directory is set, else root_.
  const YAML::Node& View() const { return run_dir_.empty() ? root_ : expanded_; }
  YAML::Node root_;      // as written: `{run_dir}` unexpanded
  YAML::Node expanded_;  // root_ with `{run_dir}` expanded (when run_dir_ is set)
  std::string source_;
  std::string run_dir_;
};

// The placeholder SetRunDir expands.
inline constexpr char kRunDirPlaceholder[] = "{run_dir}";

// The embedded YAML texts (generated at build time from configs/).
const std::string& EmbeddedDefaultsYaml();
const std::string& EmbeddedQuickstartYaml();

template <typename T>
T Config::Get(const std::string& dotted_path) const {
  YAML::Node node = At(dotted_path);
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    throw Error(source_ + ": key '" + dotted_path + "' has a value of the wrong type");
  }
}

}  // namespace deeper
