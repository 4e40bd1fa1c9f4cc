// report.html: self-contained (no scripts, no external resources), with one chart for all domains
// and one per domain; rendered by headless Chromium (when installed) it is not blank.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>
#include <sstream>

#include "common/files.h"
#include "stages/evaluation/mae_table.h"
#include "stages/evaluation/report_html.h"
#include "stages/evaluation/svg_chart.h"

namespace deeper {
namespace {
namespace fs = std::filesystem;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr char kPython[] = "/usr/bin/python3";

// Nine methods over two domains and four rounds, each with its own slope.
std::vector<MaeRow> SyntheticRows() {
  const std::vector<std::string> methods = {"deeper_base", "deeper_iter1", "deeper_iter2",     "full_regen", "slide_regen",
                                            "inc_update",  "hier_merge",   "prev_window_mean", "all_max"};
  std::vector<UserErrors> users;
  for (size_t m = 0; m < methods.size(); ++m) {
    for (const char* domain : {"food_com", "movielens_20m"}) {
      for (int u = 0; u < 3; ++u) {
        std::vector<double> mae;
        for (int k = 0; k <= 4; ++k) mae.push_back(0.9 - 0.02 * static_cast<double>(m) * k + 0.05 * u);
        users.push_back({methods[m], domain, "u" + std::to_string(u), mae});
      }
    }
  }
  return AggregateMae(users, methods);
}

std::string TempDir() {
  const fs::path dir = fs::temp_directory_path() / ("deeper-report-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  return dir.string();
}

std::string RunCommand(const std::string& command, int* status) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  *status = pclose(pipe);
  return output;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

TEST(ReportHtml, IsSelfContainedWithAChartPerDomain) {
  const std::string html = RenderReportHtml(SyntheticRows(), SummaryOptions{});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(Count(html, "<svg "), 3u);  // ALL + two domains
  EXPECT_EQ(Count(html, "<polyline"), 27u);  // 9 methods x 3 charts
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("@font-face"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  // The only URL is the SVG namespace, which browsers never fetch.
  std::regex url("(https?:)?//[a-zA-Z0-9.-]+");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), url); it != std::sregex_iterator(); ++it) {
    EXPECT_EQ(it->str(), "http://www.w3.org") << "external reference " << it->str();
  }
}

TEST(SvgChart, NiceTicksAndEscaping) {
  const auto ticks = NiceTicks(0.42, 0.91, 5);
  const std::vector<double> expected = {0.5, 0.6, 0.7, 0.8, 0.9};
  ASSERT_EQ(ticks.size(), expected.size());
  for (size_t i = 0; i < ticks.size(); ++i) EXPECT_NEAR(ticks[i], expected[i], 1e-12);
  EXPECT_EQ(NiceTicks(0.0, 10.0, 5), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(EscapeXml("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
  LineChart chart;
  chart.title = "<t>";
  chart.x_ticks = {"0", "1", "2"};
  chart.series.push_back({"gap", "#000", false, {1.0, std::nan(""), 2.0}});
  const std::string svg = RenderLineChartSvg(chart);
  EXPECT_EQ(Count(svg, "<polyline"), 2u);  // NaN splits the line
  EXPECT_NE(svg.find("&lt;t&gt;"), std::string::npos);
}

// Headless Chromium renders the page to a PNG; the screenshot must show the charts, not a blank page.
TEST(ReportHtml, HeadlessChromiumScreenshotIsNotBlank) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " is not installed (Debian package chromium)";
  if (!fs::exists(kPython)) GTEST_SKIP() << kPython << " is not installed";
  const std::string dir = TempDir();
  const std::string html = dir + "/report.html";
  const std::string png = dir + "/report.png";
  WriteFileAtomic(html, RenderReportHtml(SyntheticRows(), SummaryOptions{}));
  // A profile of its own: chromium refuses to share one, and must not touch the user's.
  const std::string command = std::string(kChromium) +
                              " --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars"
                              " --user-data-dir=" + dir + "/profile --screenshot=" + png +
                              " --window-size=1280,1600 file://" + html + " 2>&1";
  int status = 0;
  const std::string log = RunCommand(command, &status);
  ASSERT_TRUE(fs::exists(png)) << "no screenshot; chromium said:\n" << log;
  const std::string stats =
      RunCommand(std::string(kPython) + " " + DEEPER_EVAL_TEST_DIR "/png_stats.py " + png, &status);
  ASSERT_EQ(status, 0) << stats;
  std::istringstream in(stats);
  long width = 0, height = 0, nonwhite = 0, colors = 0;
  in >> width >> height >> nonwhite >> colors;
  EXPECT_EQ(width, 1280);
  EXPECT_EQ(height, 1600);
  // Text, grid lines and nine coloured series: well above a blank page, far below a filled one.
  EXPECT_GT(nonwhite, width * height / 200) << stats;
  EXPECT_LT(nonwhite, width * height / 2) << stats;
  EXPECT_GE(colors, 10) << stats;
  if (const char* keep = std::getenv("DEEPER_KEEP_SCREENSHOT")) fs::copy_file(png, keep, fs::copy_options::overwrite_existing);
  deeper::TryRemoveTree(dir);
}

}  // namespace
}  // namespace deeper
