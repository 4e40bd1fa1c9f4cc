#include "world/deeper_csv_writer.h"

#include <cstdio>

#include "common/error.h"
#include "stages/context_building/json_text.h"

namespace deeper::world {
namespace {

// A CSV field, quoted only when it must be (csv.QUOTE_MINIMAL).
void AppendCsvField(std::string_view field, std::string* out) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string WindowRepr(const Window& window) {
  std::string repr = "{'items': [";
  for (size_t i = 0; i < window.items.size(); ++i) {
    if (i > 0) repr += ", ";
    AppendPythonString(window.items[i], &repr);
  }
  repr += "], 'ratings': [";
  for (size_t i = 0; i < window.ratings.size(); ++i) {
    if (i > 0) repr += ", ";
    AppendJsonNumber(window.ratings[i], window.integer_ratings, &repr);
  }
  repr += "]}";
  return repr;
}

}  // namespace

void AppendPythonString(std::string_view text, std::string* out) {
  const char quote = text.find('\'') != std::string_view::npos && text.find('"') == std::string_view::npos ? '"' : '\'';
  out->push_back(quote);
  for (unsigned char c : text) {
    if (c == quote || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == 0x7F) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02x", c);
      out->append(escape);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back(quote);
}

std::string FormatDeeperCsv(const std::vector<UserContext>& users) {
  const size_t windows = users.empty() ? 1 : users.front().windows.size();
  std::string out = "id,item_type,split,dataset_name,source_url";
  for (size_t k = 0; k < windows; ++k) out += ",windows_" + std::to_string(k);
  out += "\n";
  for (const UserContext& user : users) {
    DEEPER_REQUIRE(user.windows.size() == windows && windows > 0, "DEEPER CSV: user '", user.id, "' has ",
                   user.windows.size(), " windows; every user of one file needs ", windows);
    for (const std::string* field : {&user.id, &user.item_type, &user.split, &user.dataset_name, &user.source_url}) {
      if (field != &user.id) out.push_back(',');
      AppendCsvField(*field, &out);
    }
    for (const Window& window : user.windows) {
      DEEPER_REQUIRE(!window.empty() && window.items.size() == window.ratings.size(), "DEEPER CSV: user '", user.id,
                     "' has an empty or misaligned window");
      out.push_back(',');
      AppendCsvField(WindowRepr(window), &out);
    }
    out += "\n";
  }
  return out;
}

}  // namespace deeper::world
