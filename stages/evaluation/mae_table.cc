#include "stages/evaluation/mae_table.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "common/error.h"

namespace deeper {
namespace {

// Per method, domain and round: the sum of user MAEs and the number of users.
struct Accumulator {
  std::vector<double> sums;
  int64_t users = 0;
};

std::vector<std::string> OrderedMethods(const std::vector<UserErrors>& users, const std::vector<std::string>& order) {
  std::set<std::string> present;
  for (const auto& user : users) present.insert(user.method);
  std::vector<std::string> methods;
  for (const auto& method : order) {
    if (present.erase(method)) methods.push_back(method);
  }
  methods.insert(methods.end(), present.begin(), present.end());
  return methods;
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

}  // namespace

std::vector<MaeRow> AggregateMae(const std::vector<UserErrors>& users, const std::vector<std::string>& method_order) {
  std::map<std::string, std::map<std::string, Accumulator>> by_method;
  std::map<std::string, size_t> rounds_of;
  for (const auto& user : users) {
    DEEPER_REQUIRE(!user.mae.empty(), "evaluation: user ", user.dataset_name, "/", user.id, " has no rounds for method ",
                   user.method);
    auto [it, fresh] = rounds_of.emplace(user.method, user.mae.size());
    DEEPER_REQUIRE(fresh || it->second == user.mae.size(), "evaluation: method ", user.method, " has users with ",
                   it->second, " and with ", user.mae.size(), " rounds");
    Accumulator& acc = by_method[user.method][user.dataset_name];
    acc.sums.resize(user.mae.size(), 0.0);
    for (size_t k = 0; k < user.mae.size(); ++k) acc.sums[k] += user.mae[k];
    ++acc.users;
  }
  std::vector<MaeRow> rows;
  for (const auto& method : OrderedMethods(users, method_order)) {
    const auto& domains = by_method[method];
    const size_t rounds = rounds_of[method];
    std::vector<double> all_sums(rounds, 0.0);
    int64_t all_users = 0;
    for (const auto& [domain, acc] : domains) {  // std::map: domains in name order
      for (size_t k = 0; k < rounds; ++k) {
        const double mean = acc.sums[k] / static_cast<double>(acc.users);
        rows.push_back({method, domain, static_cast<int>(k), mean, acc.users});
        all_sums[k] += mean;
      }
      all_users += acc.users;
    }
    for (size_t k = 0; k < rounds; ++k) {
      rows.push_back({method, kAllDomains, static_cast<int>(k), all_sums[k] / static_cast<double>(domains.size()),
                      all_users});
    }
  }
  return rows;
}

std::string MaeCsv(const std::vector<MaeRow>& rows) {
  std::string text = "method,domain,round,mae,users\n";
  char mae[64];
  for (const auto& row : rows) {
    std::snprintf(mae, sizeof(mae), "%.6f", row.mae);
    text += row.method + "," + row.domain + "," + std::to_string(row.round) + "," + mae + "," +
            std::to_string(row.users) + "\n";
  }
  return text;
}

std::vector<MaeRow> ParseMaeCsv(const std::string& text, const std::string& source) {
  std::stringstream in(text);
  std::string line;
  DEEPER_REQUIRE(std::getline(in, line), source, ": empty file, expected the header method,domain,round,mae,users");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const auto header = SplitCsvLine(line);
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* name : {"method", "domain", "round", "mae", "users"}) {
    DEEPER_REQUIRE(column.count(name), source, ":1: no column '", name, "' in the header");
  }
  std::vector<MaeRow> rows;
  for (int line_number = 2; std::getline(in, line); ++line_number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = SplitCsvLine(line);
    DEEPER_REQUIRE(fields.size() == header.size(), source, ":", line_number, ": ", fields.size(), " fields, expected ",
                   header.size());
    MaeRow row;
    row.method = fields[column["method"]];
    row.domain = fields[column["domain"]];
    try {
      row.round = std::stoi(fields[column["round"]]);
      row.mae = std::stod(fields[column["mae"]]);
      row.users = std::stoll(fields[column["users"]]);
    } catch (const std::exception&) {
      Fail(source, ":", line_number, ": round, mae and users must be numbers: '", line, "'");
    }
    rows.push_back(row);
  }
  return rows;
}

std::vector<std::string> MethodsOf(const std::vector<MaeRow>& rows) {
  std::vector<std::string> methods;
  for (const auto& row : rows) {
    if (std::find(methods.begin(), methods.end(), row.method) == methods.end()) methods.push_back(row.method);
  }
  return methods;
}

std::vector<std::string> DomainsOf(const std::vector<MaeRow>& rows) {
  std::vector<std::string> domains;
  for (const auto& row : rows) {
    if (row.domain != kAllDomains && std::find(domains.begin(), domains.end(), row.domain) == domains.end()) {
      domains.push_back(row.domain);
    }
  }
  return domains;
}

int LastRound(const std::vector<MaeRow>& rows) {
  int last = 0;
  for (const auto& row : rows) last = std::max(last, row.round);
  return last;
}

double MaeOf(const std::vector<MaeRow>& rows, const std::string& method, const std::string& domain, int round) {
  for (const auto& row : rows) {
    if (row.method == method && row.domain == domain && row.round == round) return row.mae;
  }
  return std::nan("");
}

}  // namespace deeper
