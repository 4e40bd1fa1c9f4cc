// The evaluation's result table (evaluation/mae.csv): MAE per method x domain x round, from per-user
// errors. A user's error in a round is the MAE over the items of the window it is scored on; a domain's
// is the mean over its users (items first, then users, as the paper averages), and the `ALL` row of a
// method and round is the unweighted mean over domains, so a large domain does not drown a small one.
// Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deeper {

// The domain name of the mean over domains.
inline constexpr char kAllDomains[] = "ALL";

// One user's errors under one method: mae[k] is round k's MAE (round 0 = the initial persona).
struct UserErrors {
  std::string method;
  std::string dataset_name;
  std::string id;
  std::vector<double> mae;
};

// One line of mae.csv.
struct MaeRow {
  std::string method;
  std::string domain;  // A dataset_name, or kAllDomains.
  int round = 0;
  double mae = 0.0;
  int64_t users = 0;   // Users averaged (for ALL: the users of every domain).
};

// Rows for every method (in `method_order`; methods not listed follow in name order), domain (in
// name order, then ALL) and round. Every user of a method must have the same number of rounds.
std::vector<MaeRow> AggregateMae(const std::vector<UserErrors>& users, const std::vector<std::string>& method_order);

// mae.csv: header `method,domain,round,mae,users`, MAE with 6 decimals.
std::string MaeCsv(const std::vector<MaeRow>& rows);
// Parses mae.csv text (any column order; extra columns ignored). Errors name `source` and the line.
std::vector<MaeRow> ParseMaeCsv(const std::string& text, const std::string& source);

// Lookups over rows.
std::vector<std::string> MethodsOf(const std::vector<MaeRow>& rows);  // in row order
std::vector<std::string> DomainsOf(const std::vector<MaeRow>& rows);  // in row order, without ALL
int LastRound(const std::vector<MaeRow>& rows);
// The row's MAE, or NaN when there is none.
double MaeOf(const std::vector<MaeRow>& rows, const std::string& method, const std::string& domain, int round);

}  // namespace deeper
