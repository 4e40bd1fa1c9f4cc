// deeper-tool tokenize: encodes JSONL texts with a tokenizer.json, as HF tokenizers would.
//   deeper-tool tokenize --tokenizer DIR --jsonl IN.jsonl --out OUT.jsonl
// IN lines are {"text": "..."} (blank lines are skipped); OUT has one line per input line, in order:
// {"ids": [...], "ids_with_special": [...], "decoded": "..."} where decoded is Decode(ids).
// OUT is written atomically: nothing is left behind when any line fails.
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "common/files.h"
#include "model/tokenizer/tokenizer.h"

namespace deeper {
namespace {

using json = nlohmann::json;

bool IsBlank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

std::string TokenizeLine(const Tokenizer& tokenizer, std::string_view line, const std::string& where) {
  json record;
  try {
    record = json::parse(line);
  } catch (const json::exception& e) {
    Fail(where, ": not valid JSON (", e.what(), ")");
  }
  DEEPER_REQUIRE(record.is_object(), where, ": expected an object {\"text\": ...}");
  auto text = record.find("text");
  DEEPER_REQUIRE(text != record.end(), where, ": the field \"text\" is missing");
  DEEPER_REQUIRE(text->is_string(), where, ": the field \"text\" must be a string");
  try {
    const std::string& s = text->get_ref<const std::string&>();
    std::vector<int32_t> ids = tokenizer.Encode(s, /*add_special_tokens=*/false);
    json out;
    out["ids"] = ids;
    out["ids_with_special"] = tokenizer.Encode(s, /*add_special_tokens=*/true);
    out["decoded"] = tokenizer.Decode(ids, /*skip_special_tokens=*/false);
    return out.dump() + "\n";
  } catch (const Error& e) {
    Fail(where, ": ", e.what());
  }
}

int RunTokenize(int argc, char** argv) {
  DEEPER_REQUIRE(argc <= 1, "unexpected argument '", argc > 1 ? argv[1] : "", "' (all inputs are flags)");
  DEEPER_REQUIRE(!FLAGS_tokenizer.empty(), "--tokenizer DIR is required (a directory with tokenizer.json)");
  DEEPER_REQUIRE(!FLAGS_jsonl.empty(), "--jsonl IN is required (lines {\"text\": ...})");
  DEEPER_REQUIRE(!FLAGS_out.empty(), "--out OUT is required");
  const Tokenizer tokenizer = Tokenizer::FromDirectory(FLAGS_tokenizer);
  const std::string input = ReadFile(FLAGS_jsonl);

  std::string output;
  size_t records = 0;
  size_t line_number = 0;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t end = input.find('\n', pos);
    if (end == std::string::npos) end = input.size();
    std::string_view line(input.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (IsBlank(line)) continue;
    output += TokenizeLine(tokenizer, line, FLAGS_jsonl + ":" + std::to_string(line_number));
    ++records;
  }
  WriteFileAtomic(FLAGS_out, output);
  std::cerr << "tokenize: " << records << " texts from " << FLAGS_jsonl << " -> " << FLAGS_out << "\n";
  return 0;
}

DEEPER_TOOL_COMMAND("tokenize", "encode JSONL {\"text\"} lines with tokenizer.json (ids, ids_with_special, decoded)",
                    RunTokenize);

}  // namespace
}  // namespace deeper
