#include "stages/evaluation/world_report.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "stages/evaluation/report_format.h"
#include "stages/evaluation/svg_chart.h"

namespace deeper {
namespace {

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string Intro(const WorldReport& w) {
  std::ostringstream out;
  out << "The data are simulated, so every persona can be checked against the truth. " << w.train_users
      << " train users and " << w.eval_users << " eval users rate windows of " << w.window_length
      << " items whose names are made of genre words (" << w.genres << " genres). Each user has a rater bias "
      << "(harsh, fair, generous) and " << w.min_tastes << "-" << w.max_tastes
      << " tastes (hates, dislikes, likes, loves a genre); a rating is "
      << "clip(round(3 + bias + the item's genre affinities + noise), 1, 5) with noise of standard deviation "
      << Fixed(w.noise, 2) << ". A share of " << Fixed(w.drift_fraction, 2)
      << " of the users change one taste at some window, so a persona must be refined to stay right. Personas "
      << "are written in the world's persona language (" << w.persona_style << " style)";
  if (!w.example_persona.empty()) out << ", e.g. \"" << w.example_persona << "\"";
  out << ". The predictor and the refiner are tiny models trained from scratch on the world's tasks by stage "
      << "warm_start (the refiner in the run, or earlier when warm_start.refiner.checkpoint names one).";
  return out.str();
}

std::string GateText(const WorldReport& w) {
  std::ostringstream out;
  out << "The predictor gate (" << w.gate_users << " eval users, " << w.gate_items
      << " items; the evaluation's predictor given each user's TRUE persona of each window): DPO rewards only "
      << "measure persona quality when the predictor reads the persona faithfully. It passes when rule agreement >= "
      << Fixed(w.min_rule_agreement, 2) << " and true-persona MAE <= noise floor + " << Fixed(w.max_mae_above_noise_floor, 2)
      << ". Here it " << (w.gate_passed ? "passes." : "FAILS: the DPO results below do not mean much.");
  return out.str();
}

struct GateLine {
  const char* name;
  double value;
  const char* meaning;
};

std::vector<GateLine> GateLines(const WorldReport& w) {
  return {{"true_persona_mae", w.true_persona_mae, "the predictor given the true persona"},
          {"noise_floor_mae", w.noise_floor_mae, "the world's own rule given the true persona (the best possible)"},
          {"empty_persona_mae", w.empty_persona_mae, "the predictor given an empty persona"},
          {"rule_agreement", w.rule_agreement, "share of items where the rounded prediction equals the rule's rating"}};
}

const char kQualityText[] =
    "Persona quality against the truth (round k: S_k against the user's true tastes of window k). A statement "
    "is the rater bias or one taste, correct when it names the true level: taste_recall = correct / (true tastes "
    "+ 1), taste_precision = correct / (stated tastes + 1); malformed personas (not in the persona language) "
    "count 0. A method that lowers MAE by writing shorter personas, rather than truer ones, shows here.";

const char kStatementsText[] =
    "tastes per persona, bias aside: stated at the true level (exact), at another level of the true sign, with "
    "the wrong sign, on a genre the user has no taste for, and true tastes not stated";

std::vector<std::string> Methods(const std::vector<PersonaQualityRow>& rows) {
  std::vector<std::string> methods;
  std::set<std::string> seen;
  for (const auto& row : rows) {
    if (seen.insert(row.method).second) methods.push_back(row.method);
  }
  return methods;
}

int MaxRound(const std::vector<PersonaQualityRow>& rows) {
  int rounds = 0;
  for (const auto& row : rows) rounds = std::max(rounds, row.round);
  return rounds;
}

const PersonaQualityRow* Find(const std::vector<PersonaQualityRow>& rows, const std::string& method, int round) {
  for (const auto& row : rows) {
    if (row.method == method && row.round == round) return &row;
  }
  return nullptr;
}

// One table per figure (recall, precision, malformed, tokens) would be long; a table of method x round
// cells "recall / precision" and a last-round table with every figure keep it readable.
std::string QualityMarkdown(const std::vector<PersonaQualityRow>& rows) {
  std::ostringstream out;
  const int rounds = MaxRound(rows);
  out << "| method |";
  for (int k = 0; k <= rounds; ++k) out << " round " << k << " |";
  out << "\n|---|";
  for (int k = 0; k <= rounds; ++k) out << "---:|";
  out << "\n";
  for (const auto& method : Methods(rows)) {
    out << "| " << method << " |";
    for (int k = 0; k <= rounds; ++k) {
      const auto* row = Find(rows, method, k);
      out << " " << (row ? Fixed(row->taste_recall, 3) + " / " + Fixed(row->taste_precision, 3) : "n/a") << " |";
    }
    out << "\n";
  }
  out << "\nRound " << rounds << " in full (" << kStatementsText << "):\n\n"
      << "| method | taste_recall | taste_precision | malformed_rate | mean_tokens | personas | exact | other level "
      << "| wrong sign | no such taste | not stated |\n"
      << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& method : Methods(rows)) {
    const auto* row = Find(rows, method, rounds);
    if (!row) continue;
    out << "| " << method << " | " << Fixed(row->taste_recall, 3) << " | " << Fixed(row->taste_precision, 3) << " | "
        << Fixed(row->malformed_rate, 3) << " | " << Fixed(row->mean_tokens, 1) << " | " << row->personas << " | "
        << Fixed(row->exact, 2) << " | " << Fixed(row->other_level, 2) << " | " << Fixed(row->wrong_sign, 2) << " | "
        << Fixed(row->spurious, 2) << " | " << Fixed(row->not_stated, 2) << " |\n";
  }
  return out.str();
}

std::string Td(const std::string& text) { return "<td class=\"n\">" + EscapeXml(text) + "</td>"; }

const char kRewardRanksText[] =
    "Does the reward pick truer personas? The training candidates of each DPO iteration (train users, N per "
    "context), ranked by their tri-objective reward within their context (rank 0 = highest), against the "
    "truth of the context's window. DPO learns from the top ranks (chosen) against the bottom ones "
    "(rejected). predictor error and rule error: the mean MAE over the context's three windows that the frozen "
    "predictor (behind the reward) and the world's own rating rule give the candidate persona; close when the "
    "predictor reads these personas faithfully. stated = tastes stated per persona, exact and no such taste "
    "likewise.";

// The figures of one rank row, as table cells.
std::vector<std::string> RankCells(const RewardRankRow& row) {
  return {std::to_string(row.iteration), std::to_string(row.rank), std::to_string(row.candidates),
          Fixed(row.mean_reward, 3), Fixed(row.predictor_error, 3), Fixed(row.rule_error, 3),
          Fixed(row.taste_recall, 3), Fixed(row.taste_precision, 3), Fixed(row.bias_accuracy, 2),
          Fixed(row.stated, 2), Fixed(row.exact, 2), Fixed(row.spurious, 2), Fixed(row.malformed_rate, 3)};
}

const std::vector<std::string>& RankHeader() {
  static const std::vector<std::string> header = {
      "iteration",       "rank",       "candidates", "mean reward", "predictor error", "rule error", "taste_recall",
      "taste_precision", "bias right", "stated",     "exact",       "no such taste",   "malformed"};
  return header;
}

std::string RewardRanksMarkdown(const std::vector<RewardRankRow>& rows) {
  std::ostringstream out;
  out << "|";
  for (const auto& name : RankHeader()) out << " " << name << " |";
  out << "\n|";
  for (size_t i = 0; i < RankHeader().size(); ++i) out << "---:|";
  out << "\n";
  for (const auto& row : rows) {
    out << "|";
    for (const auto& cell : RankCells(row)) out << " " << cell << " |";
    out << "\n";
  }
  return out.str();
}

}  // namespace

std::string RewardRanksCsv(const std::vector<RewardRankRow>& rows) {
  std::string text =
      "iteration,rank,candidates,mean_reward,predictor_error,rule_error,taste_recall,taste_precision,bias_accuracy,"
      "stated,exact,spurious,malformed_rate\n";
  for (const auto& row : rows) {
    text += std::to_string(row.iteration) + "," + std::to_string(row.rank) + "," + std::to_string(row.candidates) +
            "," + Fixed(row.mean_reward, 4) + "," + Fixed(row.predictor_error, 4) + "," + Fixed(row.rule_error, 4) +
            "," + Fixed(row.taste_recall, 4) + "," + Fixed(row.taste_precision, 4) +
            "," + Fixed(row.bias_accuracy, 4) + "," + Fixed(row.stated, 4) + "," + Fixed(row.exact, 4) + "," +
            Fixed(row.spurious, 4) + "," + Fixed(row.malformed_rate, 4) + "\n";
  }
  return text;
}

std::string PersonaQualityCsv(const std::vector<PersonaQualityRow>& rows) {
  std::string text = "method,round,taste_recall,taste_precision,malformed_rate,mean_tokens\n";
  for (const auto& row : rows) {
    text += row.method + "," + std::to_string(row.round) + "," + Fixed(row.taste_recall, 4) + "," +
            Fixed(row.taste_precision, 4) + "," + Fixed(row.malformed_rate, 4) + "," + Fixed(row.mean_tokens, 4) + "\n";
  }
  return text;
}

std::string PersonaStatementsCsv(const std::vector<PersonaQualityRow>& rows) {
  std::string text = "method,round,exact,other_level,wrong_sign,spurious,not_stated\n";
  for (const auto& row : rows) {
    text += row.method + "," + std::to_string(row.round) + "," + Fixed(row.exact, 4) + "," + Fixed(row.other_level, 4) +
            "," + Fixed(row.wrong_sign, 4) + "," + Fixed(row.spurious, 4) + "," + Fixed(row.not_stated, 4) + "\n";
  }
  return text;
}

std::string WorldReportMarkdown(const WorldReport& w) {
  std::ostringstream out;
  out << "## The simulated world\n\n" << Intro(w) << "\n\n### Predictor gate\n\n" << GateText(w) << "\n\n"
      << "| figure | value | meaning |\n|---|---:|---|\n";
  for (const auto& line : GateLines(w)) out << "| " << line.name << " | " << Fixed(line.value, 3) << " | " << line.meaning << " |\n";
  out << "\n### Persona quality (taste recall / precision)\n\n" << kQualityText << "\n\n";
  if (w.quality.empty()) {
    out << "No persona method was evaluated.\n\n";
  } else {
    out << QualityMarkdown(w.quality) << "\n";
  }
  if (!w.reward_ranks.empty()) {
    out << "### Candidates by reward rank\n\n"
        << kRewardRanksText << "\n\n"
        << RewardRanksMarkdown(w.reward_ranks) << "\n";
  }
  return out.str();
}

std::string WorldReportHtml(const WorldReport& w) {
  std::ostringstream out;
  out << "<h2>The simulated world</h2>\n<p class=\"note\">" << EscapeXml(Intro(w)) << "</p>\n"
      << "<h3>Predictor gate</h3>\n<p class=\"note\">" << EscapeXml(GateText(w)) << "</p>\n"
      << "<table><tr><th>figure</th><th>value</th><th>meaning</th></tr>\n";
  for (const auto& line : GateLines(w)) {
    out << "<tr><td>" << line.name << "</td>" << Td(Fixed(line.value, 3)) << "<td>" << EscapeXml(line.meaning)
        << "</td></tr>\n";
  }
  out << "</table>\n<h3>Persona quality</h3>\n<p class=\"note\">" << EscapeXml(kQualityText) << "</p>\n";
  if (w.quality.empty()) return out.str() + "<p>No persona method was evaluated.</p>\n";
  out << "<p class=\"note\">Tastes per persona: " << EscapeXml(kStatementsText) << ".</p>\n"
      << "<table><tr><th>method</th><th>round</th><th>taste_recall</th><th>taste_precision</th>"
      << "<th>malformed_rate</th><th>mean_tokens</th><th>personas</th><th>exact</th><th>other level</th>"
      << "<th>wrong sign</th><th>no such taste</th><th>not stated</th></tr>\n";
  for (const auto& row : w.quality) {
    out << "<tr><td>" << EscapeXml(row.method) << "</td>" << Td(std::to_string(row.round))
        << Td(Fixed(row.taste_recall, 3)) << Td(Fixed(row.taste_precision, 3)) << Td(Fixed(row.malformed_rate, 3))
        << Td(Fixed(row.mean_tokens, 1)) << Td(std::to_string(row.personas)) << Td(Fixed(row.exact, 2))
        << Td(Fixed(row.other_level, 2)) << Td(Fixed(row.wrong_sign, 2)) << Td(Fixed(row.spurious, 2))
        << Td(Fixed(row.not_stated, 2)) << "</tr>\n";
  }
  out << "</table>\n";
  if (w.reward_ranks.empty()) return out.str();
  out << "<h3>Candidates by reward rank</h3>\n<p class=\"note\">" << EscapeXml(kRewardRanksText) << "</p>\n<table><tr>";
  for (const auto& name : RankHeader()) out << "<th>" << EscapeXml(name) << "</th>";
  out << "</tr>\n";
  for (const auto& row : w.reward_ranks) {
    out << "<tr>";
    for (const auto& cell : RankCells(row)) out << Td(cell);
    out << "</tr>\n";
  }
  out << "</table>\n";
  return out.str();
}

}  // namespace deeper
