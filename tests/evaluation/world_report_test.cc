// The world's part of the evaluation: persona_quality.csv's layout and the reports' world section.
#include "stages/evaluation/world_report.h"

#include <gtest/gtest.h>

#include "stages/evaluation/report_html.h"
#include "stages/evaluation/report_markdown.h"

namespace deeper {
namespace {

WorldReport Example() {
  WorldReport w;
  w.train_users = 300;
  w.eval_users = 150;
  w.genres = 10;
  w.window_length = 10;
  w.min_tastes = 2;
  w.max_tastes = 4;
  w.noise = 0.5;
  w.drift_fraction = 0.5;
  w.persona_style = "sparse";
  w.example_persona = "generous rater . loves comedy .";
  w.gate_users = 150;
  w.gate_items = 9000;
  w.true_persona_mae = 0.31;
  w.noise_floor_mae = 0.27;
  w.empty_persona_mae = 1.07;
  w.rule_agreement = 0.93;
  w.min_rule_agreement = 0.9;
  w.max_mae_above_noise_floor = 0.1;
  w.gate_passed = true;
  w.quality = {{"deeper_base", 0, 150, 0.5, 0.6, 0.1, 12.0, 1.0, 0.5, 0.0, 0.2, 1.5},
               {"deeper_base", 1, 150, 0.55, 0.62, 0.05, 12.5, 1.1, 0.4, 0.0, 0.3, 1.5},
               {"deeper_iter2", 0, 150, 0.5, 0.6, 0.1, 12.0, 1.0, 0.5, 0.0, 0.2, 1.5},
               {"deeper_iter2", 1, 150, 0.7, 0.65, 0.0, 13.0, 1.6, 0.5, 0.1, 0.45, 0.8}};
  return w;
}

TEST(WorldReport, PersonaQualityCsvHasTheIssuesColumns) {
  const std::string csv = PersonaQualityCsv(Example().quality);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "method,round,taste_recall,taste_precision,malformed_rate,mean_tokens");
  EXPECT_NE(csv.find("\ndeeper_iter2,1,0.7000,0.6500,0.0000,13.0000\n"), std::string::npos) << csv;
}

TEST(WorldReport, PersonaStatementsCsvSaysWhereTheTastesGo) {
  const std::string csv = PersonaStatementsCsv(Example().quality);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "method,round,exact,other_level,wrong_sign,spurious,not_stated");
  EXPECT_NE(csv.find("\ndeeper_iter2,1,1.6000,0.5000,0.1000,0.4500,0.8000\n"), std::string::npos) << csv;
}

TEST(WorldReport, MarkdownExplainsTheWorldTheGateAndQuality) {
  const WorldReport w = Example();
  const std::string md = WorldReportMarkdown(w);
  EXPECT_NE(md.find("## The simulated world"), std::string::npos);
  EXPECT_NE(md.find("150 eval users"), std::string::npos);
  EXPECT_NE(md.find("generous rater . loves comedy ."), std::string::npos);
  EXPECT_NE(md.find("| rule_agreement | 0.930 |"), std::string::npos) << md;
  EXPECT_NE(md.find("Here it passes."), std::string::npos);
  EXPECT_NE(md.find("2-4 tastes"), std::string::npos);
  EXPECT_NE(md.find("| deeper_iter2 | 0.500 / 0.600 | 0.700 / 0.650 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| deeper_iter2 | 0.700 | 0.650 | 0.000 | 13.0 | 150 | 1.60 | 0.50 | 0.10 | 0.45 | 0.80 |"),
            std::string::npos) << md;
  // The whole report carries the section only when given the world.
  const std::vector<MaeRow> rows;
  EXPECT_EQ(RenderReportMarkdown(rows, SummaryOptions{}).find("The simulated world"), std::string::npos);
  EXPECT_NE(RenderReportMarkdown(rows, SummaryOptions{}, &w).find("The simulated world"), std::string::npos);
  const std::string html = RenderReportHtml(rows, SummaryOptions{}, &w);
  EXPECT_NE(html.find("<h2>The simulated world</h2>"), std::string::npos);
  EXPECT_NE(html.find("<td>rule_agreement</td>"), std::string::npos);
}

TEST(WorldReport, RewardRanksAreWrittenAndShownWhenThereAreCandidates) {
  WorldReport w = Example();
  EXPECT_EQ(WorldReportMarkdown(w).find("Candidates by reward rank"), std::string::npos);
  w.reward_ranks = {{1, 0, 300, 0.22, 0.71, 0.7, 0.305, 0.51, 0.58, 1.17, 0.51, 0.17, 0.0},
                    {1, 1, 299, 0.18, 0.74, 0.73, 0.25, 0.508, 0.56, 0.94, 0.4, 0.14, 0.01}};
  const std::string csv = RewardRanksCsv(w.reward_ranks);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "iteration,rank,candidates,mean_reward,predictor_error,rule_error,taste_recall,taste_precision,bias_accuracy,"
            "stated,exact,spurious,malformed_rate");
  EXPECT_NE(csv.find("\n1,1,299,0.1800,0.7400,0.7300,0.2500,0.5080,0.5600,0.9400,0.4000,0.1400,0.0100\n"),
            std::string::npos)
      << csv;
  const std::string md = WorldReportMarkdown(w);
  EXPECT_NE(md.find("### Candidates by reward rank"), std::string::npos) << md;
  EXPECT_NE(md.find("| 1 | 0 | 300 | 0.220 | 0.710 | 0.700 | 0.305 | 0.510 | 0.58 | 1.17 | 0.51 | 0.17 | 0.000 |"),
            std::string::npos)
      << md;
  EXPECT_NE(WorldReportHtml(w).find("<h3>Candidates by reward rank</h3>"), std::string::npos);
}

TEST(WorldReport, FailingGateSaysSo) {
  WorldReport w = Example();
  w.gate_passed = false;
  EXPECT_NE(WorldReportMarkdown(w).find("Here it FAILS"), std::string::npos);
}

}  // namespace
}  // namespace deeper
