// The trivial baselines on the bundled sample of the release (data/sample/), against an independent
// computation straight from the CSV text: prev_window_mean predicts the previous window's mean rating
// for every item, all_max the domain's highest rating; round k scores window k+1.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>

#include "common/error.h"
#include "common/files.h"
#include "stages/context_building/deeper_csv_reader.h"
#include "stages/evaluation/mae_table.h"
#include "stages/evaluation/method_runner.h"
#include "stages/evaluation/methods.h"
#include "stages/evaluation/trivial_baselines.h"

namespace deeper {
namespace {

std::string SamplePath(const std::string& name) { return std::string(DEEPER_SOURCE_DIR) + "/data/sample/" + name; }

// Every user's windows' ratings, read with a regex over the Python reprs: `'ratings': [4, 5.0, ...]`
// appears once per window cell, windows_0..windows_4 in order.
std::vector<std::vector<std::vector<double>>> RatingsFromCsvText(const std::string& path) {
  const std::string text = ReadFile(path);
  std::regex ratings("'ratings': \\[([^\\]]*)\\]");
  std::vector<std::vector<double>> windows;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ratings); it != std::sregex_iterator(); ++it) {
    std::vector<double> values;
    std::string list = (*it)[1].str();
    for (size_t pos = 0; pos < list.size();) {
      size_t end = list.find(',', pos);
      if (end == std::string::npos) end = list.size();
      values.push_back(std::stod(list.substr(pos, end - pos)));
      pos = end + 1;
    }
    windows.push_back(values);
  }
  EXPECT_EQ(windows.size() % 5, 0u) << path;
  std::vector<std::vector<std::vector<double>>> users;
  for (size_t i = 0; i + 5 <= windows.size(); i += 5) users.emplace_back(windows.begin() + i, windows.begin() + i + 5);
  return users;
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

// Mean over users of the per-user MAE of round k, for a constant prediction per user.
double IndependentMae(const std::vector<std::vector<std::vector<double>>>& users, int round, bool all_max, double max) {
  double sum = 0;
  for (const auto& windows : users) {
    const double prediction = all_max ? max : Mean(windows[static_cast<size_t>(round)]);
    double error = 0;
    for (double r : windows[static_cast<size_t>(round) + 1]) error += std::fabs(prediction - r);
    sum += error / static_cast<double>(windows[static_cast<size_t>(round) + 1].size());
  }
  return sum / static_cast<double>(users.size());
}

std::vector<MaeRow> TrivialRows(const std::vector<UserContext>& users, int rounds) {
  PredictionOptions prediction;  // default scale 1..5; food_com 0..5 keeps the same maximum
  std::vector<EvalUser> eval;
  for (const auto& user : users) eval.push_back({&user, "", 0, {}});
  std::vector<UserErrors> errors;
  for (const char* name : {"prev_window_mean", "all_max"}) {
    for (auto& r : RunTrivialMethod(MethodByName(name), eval, rounds, prediction)) {
      errors.push_back({r.method, r.dataset_name, r.id, r.mae});
    }
  }
  return AggregateMae(errors, {"prev_window_mean", "all_max"});
}

TEST(TrivialBaselines, MatchAnIndependentComputationOnTheSample) {
  const int rounds = 3;  // the split CSVs hold W0..W4: rounds 0..3 score W1..W4
  std::vector<UserContext> users;
  for (const char* file : {"food_com_test.csv", "movielens_20m_test.csv", "amazon_movies_and_TV_test.csv"}) {
    for (auto& user : ReadDeeperCsv(SamplePath(file))) users.push_back(std::move(user));
  }
  const auto rows = TrivialRows(users, rounds);
  const std::map<std::string, std::string> files = {{"food_com", "food_com_test.csv"},
                                                    {"movielens_20m", "movielens_20m_test.csv"},
                                                    {"amazon_movies_and_TV", "amazon_movies_and_TV_test.csv"}};
  for (const auto& [domain, file] : files) {
    const auto independent = RatingsFromCsvText(SamplePath(file));
    ASSERT_EQ(independent.size(), 40u) << file;
    for (int k = 0; k <= rounds; ++k) {
      EXPECT_NEAR(MaeOf(rows, "prev_window_mean", domain, k), IndependentMae(independent, k, false, 5.0), 1e-9)
          << domain << " round " << k;
      EXPECT_NEAR(MaeOf(rows, "all_max", domain, k), IndependentMae(independent, k, true, 5.0), 1e-9)
          << domain << " round " << k;
    }
  }
  for (int k = 0; k <= rounds; ++k) {
    double sum = 0;
    for (const auto& [domain, file] : files) sum += MaeOf(rows, "prev_window_mean", domain, k);
    EXPECT_NEAR(MaeOf(rows, "prev_window_mean", kAllDomains, k), sum / 3.0, 1e-9);
  }
  // Plausibility against the release-wide figures (REFERENCE: MovieLens ~.75, Movies & TV ~.73,
  // Food.com ~.55 for prev_window_mean): 40 users land in the same neighbourhood.
  EXPECT_GT(MaeOf(rows, "prev_window_mean", "movielens_20m", 1), 0.4);
  EXPECT_LT(MaeOf(rows, "prev_window_mean", "movielens_20m", 1), 1.1);
  EXPECT_GT(MaeOf(rows, "prev_window_mean", "food_com", 1), 0.2);
  EXPECT_LT(MaeOf(rows, "prev_window_mean", "food_com", 1), 0.9);
}

TEST(TrivialBaselines, PredictionsOfOneUser) {
  UserContext user;
  user.id = "u";
  user.dataset_name = "d";
  user.windows = {{{"a", "b"}, {1, 4}, true}, {{"c", "d", "e"}, {5, 5, 2}, true}, {{"f"}, {3}, true}};
  EXPECT_EQ(TrivialPredictions(MethodByName("prev_window_mean"), user, 0, 5.0), (std::vector<double>{2.5, 2.5, 2.5}));
  EXPECT_EQ(TrivialPredictions(MethodByName("prev_window_mean"), user, 1, 5.0), (std::vector<double>{4.0}));
  EXPECT_EQ(TrivialPredictions(MethodByName("all_max"), user, 0, 5.0), (std::vector<double>{5.0, 5.0, 5.0}));
  EXPECT_THROW(TrivialPredictions(MethodByName("all_max"), user, 2, 5.0), Error);
}

}  // namespace
}  // namespace deeper
