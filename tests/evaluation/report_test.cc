// report.md's figures for a synthetic mae.csv whose reductions are known by construction.
#include <gtest/gtest.h>

#include <cmath>

#include "stages/evaluation/mae_table.h"
#include "stages/evaluation/report_markdown.h"
#include "stages/evaluation/report_summary.h"

namespace deeper {
namespace {

// Two domains, rounds 0..2. deeper_iter2 improves 10% then 30% on food (mean 20%) and 20% then 40%
// on movies (mean 30%); deeper_base stays at round 0; full_regen is the better of two baselines.
const char kCsv[] =
    "method,domain,round,mae,users\n"
    "deeper_base,food,0,1.0,10\ndeeper_base,food,1,1.0,10\ndeeper_base,food,2,1.0,10\n"
    "deeper_base,movies,0,2.0,5\ndeeper_base,movies,1,2.0,5\ndeeper_base,movies,2,2.0,5\n"
    "deeper_base,ALL,0,1.5,15\ndeeper_base,ALL,1,1.5,15\ndeeper_base,ALL,2,1.5,15\n"
    "deeper_iter2,food,0,1.0,10\ndeeper_iter2,food,1,0.9,10\ndeeper_iter2,food,2,0.7,10\n"
    "deeper_iter2,movies,0,2.0,5\ndeeper_iter2,movies,1,1.6,5\ndeeper_iter2,movies,2,1.2,5\n"
    "deeper_iter2,ALL,0,1.5,15\ndeeper_iter2,ALL,1,1.25,15\ndeeper_iter2,ALL,2,0.95,15\n"
    "full_regen,food,0,1.0,10\nfull_regen,food,1,0.8,10\nfull_regen,food,2,0.8,10\n"
    "full_regen,movies,0,2.0,5\nfull_regen,movies,1,2.0,5\nfull_regen,movies,2,2.0,5\n"
    "full_regen,ALL,0,1.5,15\nfull_regen,ALL,1,1.4,15\nfull_regen,ALL,2,1.4,15\n"
    "inc_update,food,0,1.0,10\ninc_update,food,1,1.2,10\ninc_update,food,2,1.2,10\n"
    "inc_update,movies,0,2.0,5\ninc_update,movies,1,2.0,5\ninc_update,movies,2,2.0,5\n"
    "inc_update,ALL,0,1.5,15\ninc_update,ALL,1,1.6,15\ninc_update,ALL,2,1.6,15\n"
    "all_max,food,0,1.0,10\nall_max,food,1,1.0,10\nall_max,food,2,1.0,10\n"
    "all_max,movies,0,1.0,5\nall_max,movies,1,1.0,5\nall_max,movies,2,1.0,5\n"
    "all_max,ALL,0,1.0,15\nall_max,ALL,1,1.0,15\nall_max,ALL,2,1.0,15\n";

SummaryOptions Options() {
  SummaryOptions options;
  options.seen_domains = {"food"};
  return options;
}

const MethodSummary& Of(const EvaluationSummary& summary, const std::string& method) {
  for (const auto& m : summary.methods) {
    if (m.method == method) return m;
  }
  throw std::runtime_error("no method " + method);
}

TEST(ReportSummary, ReductionsAreMeansOverRoundsThenDomains) {
  const auto summary = Summarize(ParseMaeCsv(kCsv, "test"), Options());
  EXPECT_EQ(summary.rounds, 2);
  EXPECT_EQ(summary.seen_domains, std::vector<std::string>{"food"});
  EXPECT_EQ(summary.unseen_domains, std::vector<std::string>{"movies"});
  EXPECT_EQ(summary.best_baseline, "full_regen");  // mean ALL 1.4 < inc_update's 1.6
  const auto& iter2 = Of(summary, "deeper_iter2");
  EXPECT_NEAR(iter2.mean_mae, 1.1, 1e-12);
  EXPECT_NEAR(iter2.vs_round0.value, 0.25, 1e-12);  // (20% + 30%) / 2
  EXPECT_EQ(iter2.vs_round0.domains, 2);
  EXPECT_NEAR(iter2.vs_round0_seen.value, 0.20, 1e-12);
  EXPECT_NEAR(iter2.vs_round0_unseen.value, 0.30, 1e-12);
  EXPECT_NEAR(iter2.vs_base.value, 0.25, 1e-12);  // the base stays at round 0's MAE
  // food: ((0.8-0.9)/0.8 + (0.8-0.7)/0.8) / 2 = 0; movies: (0.2 + 0.4) / 2 = 0.3; mean 0.15.
  EXPECT_NEAR(iter2.vs_best_baseline.value, 0.15, 1e-12);
  EXPECT_NEAR(Of(summary, "deeper_base").vs_round0.value, 0.0, 1e-12);
  EXPECT_NEAR(Of(summary, "inc_update").vs_round0_seen.value, -0.2, 1e-12);
}

TEST(ReportSummary, EveryDomainIsSeenWhenNoneAreListed) {
  const auto summary = Summarize(ParseMaeCsv(kCsv, "test"), SummaryOptions{});
  EXPECT_EQ(summary.seen_domains.size(), 2u);
  EXPECT_TRUE(summary.unseen_domains.empty());
  EXPECT_TRUE(std::isnan(Of(summary, "deeper_iter2").vs_round0_unseen.value));
}

TEST(ReportMarkdown, ShowsTheFiguresAndTheSanityCheck) {
  const std::string md = RenderReportMarkdown(ParseMaeCsv(kCsv, "test"), Options());
  EXPECT_NE(md.find("# DEEPER evaluation"), std::string::npos);
  EXPECT_NE(md.find("| method | round 0 | round 1 | round 2 | mean 1..2 |\n|---|---:|---:|---:|---:|\n"),
            std::string::npos) << md;
  EXPECT_NE(md.find("| deeper_iter2 | 1.500 | 1.250 | 0.950 | 1.100 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| deeper_iter2 | 25.0% | 20.0% | 30.0% | 25.0% | 15.0% |"), std::string::npos) << md;
  EXPECT_NE(md.find("against full_regen"), std::string::npos) << md;
  EXPECT_NE(md.find("### movies (5 users, unseen)"), std::string::npos) << md;
  // all_max (mean 1.0) beats every persona method here: the report must say so.
  EXPECT_NE(md.find("`all_max` (mean MAE 1.000): worse than it: deeper_base, deeper_iter2, full_regen, inc_update"),
            std::string::npos)
      << md;
}

}  // namespace
}  // namespace deeper
