// `deeper-tool tokenize`: JSONL in, JSONL out in input order matching the goldens, written
// atomically; a bad line is an error naming file:line and leaves no output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "common/files.h"
#include "tests/tokenizer/tiny_tokenizer.h"

namespace deeper {
namespace {

using json = nlohmann::json;
using deeper::testing::TempDir;

const std::string kDataDir = std::string(DEEPER_TEST_DATA_DIR) + "/tokenizer";

int RunTokenize(const std::string& tokenizer, const std::string& in, const std::string& out) {
  FLAGS_tokenizer = tokenizer;
  FLAGS_jsonl = in;
  FLAGS_out = out;
  char name[] = "tokenize";
  char* argv[] = {name, nullptr};
  return ToolCommands().at("tokenize").run(1, argv);
}

TEST(tokenizer_tokenize_command, WritesGoldenIdsInInputOrder) {
  const json golden = json::parse(ReadFile(kDataDir + "/tokenizer_golden.json"));
  for (const char* name : {"llama3", "qwen3"}) {
    const json& cases = golden["tokenizers"][name]["cases"];
    TempDir dir;
    std::string in;
    for (size_t i = 0; i < 40; ++i) {
      in += json{{"text", cases[i]["text"]}}.dump() + "\n";
      if (i == 5) in += "\n";  // blank lines are skipped
    }
    const std::string in_path = dir.Write("in.jsonl", in);
    const std::string out_path = dir.path() + "/out.jsonl";
    ASSERT_EQ(RunTokenize(kDataDir + "/" + name, in_path, out_path), 0);
    std::stringstream out(ReadFile(out_path));
    size_t i = 0;
    for (std::string line; std::getline(out, line); ++i) {
      json record = json::parse(line);
      EXPECT_EQ(record["ids"], cases[i]["ids"]) << name << " line " << i;
      EXPECT_EQ(record["ids_with_special"], cases[i]["ids_with_special"]) << name << " line " << i;
      EXPECT_EQ(record["decoded"], cases[i]["decoded"]) << name << " line " << i;
    }
    EXPECT_EQ(i, 40u);
  }
}

TEST(tokenizer_tokenize_command, BadLineNamesFileAndLineAndWritesNothing) {
  TempDir dir;
  const std::string in_path = dir.Write("in.jsonl", "{\"text\": \"fine\"}\n\n{\"txt\": \"oops\"}\n");
  const std::string out_path = dir.path() + "/out.jsonl";
  try {
    RunTokenize(kDataDir + "/llama3", in_path, out_path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(in_path + ":3"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(FileExists(out_path));

  const std::string not_json = dir.Write("bad.jsonl", "{\"text\": \"a\"}\n{\"text\": \n");
  try {
    RunTokenize(kDataDir + "/llama3", not_json, out_path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(not_json + ":2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(FileExists(out_path));
}

}  // namespace
}  // namespace deeper
