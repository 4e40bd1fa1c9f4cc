#include "stages/evaluation/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace deeper {
namespace {

// Plot area margins, in pixels.
constexpr double kLeft = 56, kTop = 34, kBottom = 46, kLegendWidth = 172, kRight = 16;

std::string Num(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", value);
  return text;
}

std::string TickLabel(double value, double step) {
  char text[32];
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

// The finite range of every series, padded so lines do not touch the frame.
void ValueRange(const LineChart& chart, double* low, double* high) {
  *low = INFINITY;
  *high = -INFINITY;
  for (const auto& s : chart.series) {
    for (double v : s.values) {
      if (!std::isfinite(v)) continue;
      *low = std::min(*low, v);
      *high = std::max(*high, v);
    }
  }
  if (!std::isfinite(*low)) *low = 0, *high = 1;
  if (*high - *low < 1e-9) *low -= 0.5, *high += 0.5;
  const double pad = 0.05 * (*high - *low);
  *low -= pad;
  *high += pad;
}

}  // namespace

std::string EscapeXml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> NiceTicks(double low, double high, int target) {
  const double raw = (high - low) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= raw) break;
  }
  // Multiples of the step by index, not by repeated addition, so rounding errors do not pile up.
  std::vector<double> ticks;
  for (double i = std::ceil(low / step - 1e-9); i * step <= high + 1e-9 * step; i += 1.0) {
    ticks.push_back(i == 0.0 ? 0.0 : i * step);
  }
  return ticks;
}

std::string RenderLineChartSvg(const LineChart& chart) {
  const double width = chart.width, height = chart.height;
  const double right = chart.legend ? kLegendWidth : kRight;
  const double plot_w = width - kLeft - right, plot_h = height - kTop - kBottom;
  double low, high;
  ValueRange(chart, &low, &high);
  const auto ticks = NiceTicks(low, high, 5);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1.0;
  const size_t n = std::max<size_t>(chart.x_ticks.size(), 1);
  auto x_of = [&](size_t i) { return kLeft + (n == 1 ? plot_w / 2 : plot_w * static_cast<double>(i) / (n - 1)); };
  auto y_of = [&](double v) { return kTop + plot_h * (high - v) / (high - low); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << chart.width << "\" height=\"" << chart.height
      << "\" viewBox=\"0 0 " << chart.width << " " << chart.height << "\" role=\"img\" aria-label=\""
      << EscapeXml(chart.title) << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  svg << "<text x=\"" << Num(kLeft) << "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" << EscapeXml(chart.title)
      << "</text>\n";
  for (double t : ticks) {  // Horizontal grid lines with their labels.
    const double y = y_of(t);
    svg << "<line x1=\"" << Num(kLeft) << "\" y1=\"" << Num(y) << "\" x2=\"" << Num(kLeft + plot_w) << "\" y2=\""
        << Num(y) << "\" stroke=\"#e0e0e0\"/>\n<text x=\"" << Num(kLeft - 6) << "\" y=\"" << Num(y + 4)
        << "\" text-anchor=\"end\" fill=\"#444\">" << TickLabel(t, step) << "</text>\n";
  }
  for (size_t i = 0; i < chart.x_ticks.size(); ++i) {
    svg << "<text x=\"" << Num(x_of(i)) << "\" y=\"" << Num(kTop + plot_h + 16) << "\" text-anchor=\"middle\" fill=\"#444\">"
        << EscapeXml(chart.x_ticks[i]) << "</text>\n";
  }
  svg << "<rect x=\"" << Num(kLeft) << "\" y=\"" << Num(kTop) << "\" width=\"" << Num(plot_w) << "\" height=\""
      << Num(plot_h) << "\" fill=\"none\" stroke=\"#888\"/>\n";
  svg << "<text x=\"" << Num(kLeft + plot_w / 2) << "\" y=\"" << Num(height - 8) << "\" text-anchor=\"middle\">"
      << EscapeXml(chart.x_label) << "</text>\n";
  svg << "<text transform=\"translate(14 " << Num(kTop + plot_h / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
      << EscapeXml(chart.y_label) << "</text>\n";

  for (size_t s = 0; s < chart.series.size(); ++s) {
    const ChartSeries& series = chart.series[s];
    const std::string dash = series.dashed ? " stroke-dasharray=\"6 4\"" : "";
    std::string points;  // A polyline per run of finite values: NaN breaks the line.
    auto flush = [&] {
      if (!points.empty()) {
        svg << "<polyline fill=\"none\" stroke=\"" << series.color << "\" stroke-width=\"2\"" << dash << " points=\""
            << points << "\"/>\n";
      }
      points.clear();
    };
    for (size_t i = 0; i < series.values.size() && i < n; ++i) {
      const double v = series.values[i];
      if (!std::isfinite(v)) {
        flush();
        continue;
      }
      points += (points.empty() ? "" : " ") + Num(x_of(i)) + "," + Num(y_of(v));
      svg << "<circle cx=\"" << Num(x_of(i)) << "\" cy=\"" << Num(y_of(v)) << "\" r=\"3\" fill=\"" << series.color
          << "\"><title>" << EscapeXml(series.name) << ", " << EscapeXml(i < chart.x_ticks.size() ? chart.x_ticks[i] : "")
          << ": " << v << "</title></circle>\n";
    }
    flush();
    if (chart.legend) {
      const double y = kTop + 8 + 18.0 * static_cast<double>(s);
      const double x = width - kLegendWidth + 12;
      svg << "<line x1=\"" << Num(x) << "\" y1=\"" << Num(y) << "\" x2=\"" << Num(x + 22) << "\" y2=\"" << Num(y)
          << "\" stroke=\"" << series.color << "\" stroke-width=\"2\"" << dash << "/>\n<text x=\"" << Num(x + 28)
          << "\" y=\"" << Num(y + 4) << "\">" << EscapeXml(series.name) << "</text>\n";
    }
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace deeper
