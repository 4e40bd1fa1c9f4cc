// LLaMA-Factory's pairwise (ranking) datasets as text: the `dataset_info.json` entry that describes a
// file, and the records of the file (a JSON array, or JSON lines).
//
// Two layouts (LLaMA-Factory "formatting"):
//   alpaca:   {"instruction": ..., "input": ..., "system": ..., "history": [[q, a], ...],
//              "chosen": "text", "rejected": "text"}
//             (the column names come from dataset_info's "columns": prompt, query, system, history,
//              chosen, rejected; the prompt is instruction + "\n" + input when input is non-empty)
//   sharegpt: {"conversations": [{"from": "human", "value": ...}, ...], "system": ...,
//              "chosen": {"from": "gpt", "value": ...}, "rejected": {"from": "gpt", "value": ...}}
//             (columns: messages, system, chosen, rejected; "tags" rename role_tag, content_tag,
//              user_tag, assistant_tag, system_tag; OpenAI-style role/content/user/assistant work too)
// The prompt conversation must end with a user turn. Torch-free; tokenization is in
// train/pairs_tokenize.h.
#pragma once

#include <string>
#include <vector>

namespace deeper {

struct ChatTurn {
  std::string role;  // "system", "user" or "assistant".
  std::string content;
};

struct TextPreferencePair {
  std::vector<ChatTurn> prompt;  // Optional system turn, then alternating user/assistant, ending with user.
  std::string chosen;
  std::string rejected;
};

// One dataset of dataset_info.json, with LLaMA-Factory's defaults filled in.
struct PairDatasetFormat {
  std::string file_name;
  std::string formatting = "alpaca";  // "alpaca" or "sharegpt".
  // alpaca columns
  std::string prompt_column = "instruction";
  std::string query_column = "input";
  std::string history_column;  // empty = none
  // sharegpt columns
  std::string messages_column = "conversations";
  // both
  std::string system_column;  // empty = none
  std::string chosen_column = "chosen";
  std::string rejected_column = "rejected";
  // sharegpt tags
  std::string role_tag = "from";
  std::string content_tag = "value";
  std::string user_tag = "human";
  std::string assistant_tag = "gpt";
  std::string system_tag = "system";
};

// The entry `name` of dataset_info.json text; refuses entries without "ranking": true and formats
// other than alpaca/sharegpt. `source` names the file in errors.
PairDatasetFormat ParseDatasetInfo(const std::string& json_text, const std::string& name, const std::string& source);
// The default sharegpt/alpaca description of a file (what `dataset_info.json` would say with no columns).
PairDatasetFormat DefaultPairFormat(const std::string& formatting);

// Parses the records of a dataset file (JSON array or JSON lines). Errors name `source` and the record.
std::vector<TextPreferencePair> ParseLlamaFactoryPairs(const std::string& text, const PairDatasetFormat& format,
                                                       const std::string& source);
// Reads a dataset: `path` is either a data file (format guessed from its first record: "conversations"
// or "messages" -> sharegpt, else alpaca) or a directory holding dataset_info.json, with `dataset`
// naming the entry (the only one when empty).
std::vector<TextPreferencePair> ReadLlamaFactoryPairs(const std::string& path, const std::string& dataset = "");

// Writes pairs as a sharegpt JSON array to `json_path` and a dataset_info.json describing it (as entry
// `dataset`) next to it. Both atomically.
void WriteLlamaFactoryPairs(const std::string& json_path, const std::vector<TextPreferencePair>& pairs,
                            const std::string& dataset);

}  // namespace deeper
