// mae.csv aggregation: hand-made per-user errors -> rows per method, domain and round; a domain's
// MAE is the mean over its users, ALL the unweighted mean over domains.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "stages/evaluation/mae_table.h"

namespace deeper {
namespace {

// Two domains of different sizes, so a user-weighted mean would differ from the domain mean.
std::vector<UserErrors> HandMadeErrors() {
  return {
      {"deeper_iter2", "food_com", "u1", {1.0, 0.5}},
      {"deeper_iter2", "food_com", "u2", {0.6, 0.3}},
      {"deeper_iter2", "food_com", "u3", {0.8, 0.4}},
      {"deeper_iter2", "movielens_20m", "m1", {1.2, 1.0}},
      {"all_max", "food_com", "u1", {2.0, 2.0}},
      {"all_max", "movielens_20m", "m1", {1.0, 3.0}},
  };
}

const MaeRow& Find(const std::vector<MaeRow>& rows, const std::string& method, const std::string& domain, int round) {
  for (const auto& row : rows) {
    if (row.method == method && row.domain == domain && row.round == round) return row;
  }
  throw Error("no row " + method + "/" + domain + "/" + std::to_string(round));
}

TEST(MaeTable, DomainsAreMeansOverUsersAndAllIsTheUnweightedMeanOverDomains) {
  const auto rows = AggregateMae(HandMadeErrors(), {"deeper_iter2", "all_max"});
  ASSERT_EQ(rows.size(), 2u * 3u * 2u);  // methods x (2 domains + ALL) x rounds
  EXPECT_NEAR(Find(rows, "deeper_iter2", "food_com", 0).mae, 0.8, 1e-12);
  EXPECT_NEAR(Find(rows, "deeper_iter2", "food_com", 1).mae, 0.4, 1e-12);
  EXPECT_EQ(Find(rows, "deeper_iter2", "food_com", 1).users, 3);
  EXPECT_NEAR(Find(rows, "deeper_iter2", "movielens_20m", 1).mae, 1.0, 1e-12);
  // (0.8 + 1.2) / 2, not (1.0 + 0.6 + 0.8 + 1.2) / 4.
  EXPECT_NEAR(Find(rows, "deeper_iter2", kAllDomains, 0).mae, 1.0, 1e-12);
  EXPECT_NEAR(Find(rows, "deeper_iter2", kAllDomains, 1).mae, 0.7, 1e-12);
  EXPECT_EQ(Find(rows, "deeper_iter2", kAllDomains, 1).users, 4);
  EXPECT_NEAR(Find(rows, "all_max", kAllDomains, 1).mae, 2.5, 1e-12);
}

TEST(MaeTable, RowsFollowTheMethodOrderThenDomainsByNameThenAll) {
  const auto rows = AggregateMae(HandMadeErrors(), {"all_max", "deeper_iter2"});
  EXPECT_EQ(MethodsOf(rows), (std::vector<std::string>{"all_max", "deeper_iter2"}));
  EXPECT_EQ(DomainsOf(rows), (std::vector<std::string>{"food_com", "movielens_20m"}));
  EXPECT_EQ(rows[0].domain, "food_com");
  EXPECT_EQ(rows[4].domain, kAllDomains);
  EXPECT_EQ(LastRound(rows), 1);
}

TEST(MaeTable, CsvRoundTrips) {
  const auto rows = AggregateMae(HandMadeErrors(), {"deeper_iter2", "all_max"});
  const std::string csv = MaeCsv(rows);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "method,domain,round,mae,users");
  EXPECT_NE(csv.find("\ndeeper_iter2,ALL,1,0.700000,4\n"), std::string::npos) << csv;
  const auto parsed = ParseMaeCsv(csv, "mae.csv");
  ASSERT_EQ(parsed.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(parsed[i].method, rows[i].method);
    EXPECT_EQ(parsed[i].domain, rows[i].domain);
    EXPECT_EQ(parsed[i].round, rows[i].round);
    EXPECT_NEAR(parsed[i].mae, rows[i].mae, 1e-6);
    EXPECT_EQ(parsed[i].users, rows[i].users);
  }
  EXPECT_TRUE(std::isnan(MaeOf(parsed, "deeper_iter2", "food_com", 7)));
}

TEST(MaeTable, BadInputIsRefusedWithItsPlace) {
  EXPECT_THROW(AggregateMae({{"m", "d", "u", {1.0}}, {"m", "d", "v", {1.0, 2.0}}}, {}), Error);
  try {
    ParseMaeCsv("method,domain,round,mae,users\nm,d,x,0.5,3\n", "mae.csv");
    FAIL() << "a bad round was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mae.csv:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ParseMaeCsv("method,domain,mae\n", "mae.csv"), Error);
}

}  // namespace
}  // namespace deeper
