#include "train/pairs_json.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/files.h"

namespace deeper {
namespace {

using nlohmann::json;

std::string StringField(const json& record, const std::string& key, const std::string& where, bool required) {
  auto it = record.find(key);
  if (it == record.end() || it->is_null()) {
    DEEPER_REQUIRE(!required, where, ": field '", key, "' is missing");
    return "";
  }
  DEEPER_REQUIRE(it->is_string(), where, ": field '", key, "' must be a string");
  return it->get<std::string>();
}

// A chosen/rejected answer: a plain string, or a sharegpt message {"from": "gpt", "value": ...}.
std::string AnswerField(const json& record, const std::string& key, const PairDatasetFormat& format,
                        const std::string& where) {
  auto it = record.find(key);
  DEEPER_REQUIRE(it != record.end(), where, ": field '", key, "' is missing");
  if (it->is_string()) return it->get<std::string>();
  DEEPER_REQUIRE(it->is_object() && it->contains(format.content_tag) && (*it)[format.content_tag].is_string(), where,
                 ": field '", key, "' must be a string or an object with a string '", format.content_tag, "'");
  if (it->contains(format.role_tag)) {
    const json& role = (*it)[format.role_tag];
    DEEPER_REQUIRE(role.is_string() && role.get<std::string>() == format.assistant_tag, where, ": field '", key,
                   "' must be an assistant ('", format.assistant_tag, "') message");
  }
  return (*it)[format.content_tag].get<std::string>();
}

std::string RoleOf(const std::string& tag, const PairDatasetFormat& format, const std::string& where) {
  if (tag == format.user_tag || tag == "user") return "user";
  if (tag == format.assistant_tag || tag == "assistant") return "assistant";
  if (tag == format.system_tag) return "system";
  Fail(where, ": message role '", tag, "' is not supported (expected '", format.user_tag, "', '",
       format.assistant_tag, "' or '", format.system_tag, "'; tool turns are not supported)");
}

void CheckPromptShape(const std::vector<ChatTurn>& prompt, const std::string& where) {
  size_t first = (!prompt.empty() && prompt[0].role == "system") ? 1 : 0;
  DEEPER_REQUIRE(prompt.size() > first, where, ": the prompt has no user turn");
  for (size_t i = first; i < prompt.size(); ++i) {
    const char* expected = ((i - first) % 2 == 0) ? "user" : "assistant";
    DEEPER_REQUIRE(prompt[i].role == expected, where, ": turn ", i, " is '", prompt[i].role, "', expected '",
                   expected, "' (turns alternate user/assistant and the prompt ends with a user turn)");
  }
  DEEPER_REQUIRE(prompt.back().role == "user", where, ": the prompt must end with a user turn");
}

TextPreferencePair ParseAlpaca(const json& record, const PairDatasetFormat& format, const std::string& where) {
  TextPreferencePair pair;
  if (!format.system_column.empty()) {
    std::string system = StringField(record, format.system_column, where, false);
    if (!system.empty()) pair.prompt.push_back({"system", system});
  }
  if (!format.history_column.empty() && record.contains(format.history_column)) {
    const json& history = record[format.history_column];
    DEEPER_REQUIRE(history.is_array(), where, ": field '", format.history_column, "' must be a list of [q, a]");
    for (const json& turn : history) {
      DEEPER_REQUIRE(turn.is_array() && turn.size() == 2 && turn[0].is_string() && turn[1].is_string(), where,
                     ": every history entry must be [question, answer]");
      pair.prompt.push_back({"user", turn[0].get<std::string>()});
      pair.prompt.push_back({"assistant", turn[1].get<std::string>()});
    }
  }
  std::string prompt = StringField(record, format.prompt_column, where, true);
  std::string query = format.query_column.empty() ? "" : StringField(record, format.query_column, where, false);
  // LLaMA-Factory joins instruction and input with a newline.
  if (!query.empty()) prompt += "\n" + query;
  pair.prompt.push_back({"user", prompt});
  pair.chosen = AnswerField(record, format.chosen_column, format, where);
  pair.rejected = AnswerField(record, format.rejected_column, format, where);
  return pair;
}

TextPreferencePair ParseShareGpt(const json& record, const PairDatasetFormat& format, const std::string& where) {
  TextPreferencePair pair;
  if (!format.system_column.empty()) {
    std::string system = StringField(record, format.system_column, where, false);
    if (!system.empty()) pair.prompt.push_back({"system", system});
  }
  auto it = record.find(format.messages_column);
  DEEPER_REQUIRE(it != record.end() && it->is_array(), where, ": field '", format.messages_column,
                 "' must be a list of messages");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& message = (*it)[i];
    const std::string at = where + ": message " + std::to_string(i);
    // OpenAI-style messages use role/content whatever the tags say.
    const std::string role_tag = message.contains(format.role_tag) ? format.role_tag : "role";
    const std::string content_tag = message.contains(format.content_tag) ? format.content_tag : "content";
    DEEPER_REQUIRE(message.is_object() && message.contains(role_tag) && message[role_tag].is_string() &&
                       message.contains(content_tag) && message[content_tag].is_string(),
                   at, ": expected {\"", format.role_tag, "\": ..., \"", format.content_tag, "\": ...}");
    pair.prompt.push_back({RoleOf(message[role_tag].get<std::string>(), format, at),
                           message[content_tag].get<std::string>()});
  }
  pair.chosen = AnswerField(record, format.chosen_column, format, where);
  pair.rejected = AnswerField(record, format.rejected_column, format, where);
  return pair;
}

json ParseRecords(const std::string& text, const std::string& source) {
  size_t start = text.find_first_not_of(" \t\r\n");
  DEEPER_REQUIRE(start != std::string::npos, source, ": the file is empty");
  try {
    if (text[start] == '[') return json::parse(text);
    // JSON lines.
    json records = json::array();
    size_t line_start = 0;
    int line_number = 0;
    while (line_start < text.size()) {
      size_t end = text.find('\n', line_start);
      if (end == std::string::npos) end = text.size();
      ++line_number;
      std::string line = text.substr(line_start, end - line_start);
      line_start = end + 1;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        records.push_back(json::parse(line));
      } catch (const json::exception& e) {
        Fail(source, ": line ", line_number, ": invalid JSON: ", e.what());
      }
    }
    return records;
  } catch (const json::exception& e) {
    Fail(source, ": invalid JSON: ", e.what());
  }
}

std::string GetString(const json& object, const char* key, const std::string& fallback, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  DEEPER_REQUIRE(it->is_string(), where, ": '", key, "' must be a string");
  return it->get<std::string>();
}

}  // namespace

PairDatasetFormat DefaultPairFormat(const std::string& formatting) {
  PairDatasetFormat format;
  DEEPER_REQUIRE(formatting == "alpaca" || formatting == "sharegpt", "dataset formatting '", formatting,
                 "' is not supported (alpaca or sharegpt)");
  format.formatting = formatting;
  if (formatting == "alpaca") {
    format.system_column = "system";
    format.history_column = "history";
  } else {
    format.system_column = "system";
  }
  return format;
}

PairDatasetFormat ParseDatasetInfo(const std::string& json_text, const std::string& name, const std::string& source) {
  json info;
  try {
    info = json::parse(json_text);
  } catch (const json::exception& e) {
    Fail(source, ": invalid JSON: ", e.what());
  }
  DEEPER_REQUIRE(info.is_object(), source, ": expected an object of datasets");
  std::string key = name;
  if (key.empty()) {
    DEEPER_REQUIRE(info.size() == 1, source, ": holds ", info.size(), " datasets; name the one to use");
    key = info.begin().key();
  }
  auto entry_it = info.find(key);
  DEEPER_REQUIRE(entry_it != info.end() && entry_it->is_object(), source, ": no dataset '", key, "'");
  const json& entry = *entry_it;
  const std::string where = source + ": dataset '" + key + "'";
  DEEPER_REQUIRE(entry.value("ranking", false), where, ": is not a pairwise dataset (\"ranking\": true is missing)");
  PairDatasetFormat format = DefaultPairFormat(GetString(entry, "formatting", "alpaca", where));
  format.file_name = GetString(entry, "file_name", "", where);
  DEEPER_REQUIRE(!format.file_name.empty(), where, ": 'file_name' is missing (hub datasets are not supported)");
  if (entry.contains("columns")) {
    const json& columns = entry["columns"];
    DEEPER_REQUIRE(columns.is_object(), where, ": 'columns' must be an object");
    format.prompt_column = GetString(columns, "prompt", format.prompt_column, where);
    format.query_column = GetString(columns, "query", format.query_column, where);
    format.history_column = GetString(columns, "history", format.history_column, where);
    format.messages_column = GetString(columns, "messages", format.messages_column, where);
    format.system_column = GetString(columns, "system", format.system_column, where);
    format.chosen_column = GetString(columns, "chosen", format.chosen_column, where);
    format.rejected_column = GetString(columns, "rejected", format.rejected_column, where);
  }
  if (entry.contains("tags")) {
    const json& tags = entry["tags"];
    DEEPER_REQUIRE(tags.is_object(), where, ": 'tags' must be an object");
    format.role_tag = GetString(tags, "role_tag", format.role_tag, where);
    format.content_tag = GetString(tags, "content_tag", format.content_tag, where);
    format.user_tag = GetString(tags, "user_tag", format.user_tag, where);
    format.assistant_tag = GetString(tags, "assistant_tag", format.assistant_tag, where);
    format.system_tag = GetString(tags, "system_tag", format.system_tag, where);
  }
  return format;
}

std::vector<TextPreferencePair> ParseLlamaFactoryPairs(const std::string& text, const PairDatasetFormat& format,
                                                       const std::string& source) {
  json records = ParseRecords(text, source);
  DEEPER_REQUIRE(records.is_array(), source, ": expected a JSON array of records");
  std::vector<TextPreferencePair> pairs;
  pairs.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string where = source + ": record " + std::to_string(i);
    DEEPER_REQUIRE(records[i].is_object(), where, ": expected an object");
    TextPreferencePair pair = format.formatting == "sharegpt" ? ParseShareGpt(records[i], format, where)
                                                              : ParseAlpaca(records[i], format, where);
    CheckPromptShape(pair.prompt, where);
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

std::vector<TextPreferencePair> ReadLlamaFactoryPairs(const std::string& path, const std::string& dataset) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    const std::string info_path = (fs::path(path) / "dataset_info.json").string();
    PairDatasetFormat format = ParseDatasetInfo(ReadFile(info_path), dataset, info_path);
    const std::string data_path = (fs::path(path) / format.file_name).string();
    return ParseLlamaFactoryPairs(ReadFile(data_path), format, data_path);
  }
  const std::string text = ReadFile(path);
  json records = ParseRecords(text, path);
  std::string formatting = "alpaca";
  if (records.is_array() && !records.empty() && records[0].is_object() &&
      (records[0].contains("conversations") || records[0].contains("messages"))) {
    formatting = "sharegpt";
  }
  PairDatasetFormat format = DefaultPairFormat(formatting);
  if (formatting == "sharegpt" && records[0].contains("messages")) format.messages_column = "messages";
  return ParseLlamaFactoryPairs(text, format, path);
}

void WriteLlamaFactoryPairs(const std::string& json_path, const std::vector<TextPreferencePair>& pairs,
                            const std::string& dataset) {
  namespace fs = std::filesystem;
  json records = json::array();
  for (const TextPreferencePair& pair : pairs) {
    json record;
    json conversations = json::array();
    for (const ChatTurn& turn : pair.prompt) {
      if (turn.role == "system") {
        record["system"] = turn.content;
        continue;
      }
      conversations.push_back({{"from", turn.role == "user" ? "human" : "gpt"}, {"value", turn.content}});
    }
    record["conversations"] = std::move(conversations);
    record["chosen"] = {{"from", "gpt"}, {"value", pair.chosen}};
    record["rejected"] = {{"from", "gpt"}, {"value", pair.rejected}};
    records.push_back(std::move(record));
  }
  const fs::path file(json_path);
  json info = {{dataset,
                {{"file_name", file.filename().string()},
                 {"formatting", "sharegpt"},
                 {"ranking", true},
                 {"columns",
                  {{"messages", "conversations"}, {"system", "system"}, {"chosen", "chosen"}, {"rejected", "rejected"}}}}}};
  WriteFileAtomic(json_path, records.dump(2) + "\n");
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  WriteFileAtomic((dir / "dataset_info.json").string(), info.dump(2) + "\n");
}

}  // namespace deeper
