// Line charts as inline SVG: self-contained (no scripts, no external fonts), so a report opens
// anywhere, offline, and survives being mailed around. Torch-free.
#pragma once

#include <string>
#include <vector>

namespace deeper {

struct ChartSeries {
  std::string name;
  std::string color;           // Any SVG colour, e.g. "#1f77b4".
  bool dashed = false;
  std::vector<double> values;  // One per x tick; NaN leaves a gap.
};

struct LineChart {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<std::string> x_ticks;
  std::vector<ChartSeries> series;
  int width = 640;
  int height = 360;
  bool legend = true;  // A legend column on the right.
};

std::string RenderLineChartSvg(const LineChart& chart);

// Escapes &, <, >, " and ' for XML/HTML text and attribute values.
std::string EscapeXml(const std::string& text);

// Round tick values covering [low, high]: about `target` ticks at a step of 1, 2 or 5 x 10^n.
std::vector<double> NiceTicks(double low, double high, int target);

}  // namespace deeper
