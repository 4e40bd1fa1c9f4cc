#include "stages/evaluation/report_format.h"

#include <cmath>
#include <cstdio>

namespace deeper {

std::string FormatMae(double mae) {
  if (!std::isfinite(mae)) return "n/a";
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", mae);
  return text;
}

std::string FormatPercent(double fraction) {
  if (!std::isfinite(fraction)) return "n/a";
  double percent = 100.0 * fraction;
  if (std::fabs(percent) < 0.05) percent = 0.0;  // no "-0.0%"
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f%%", percent);
  return text;
}

}  // namespace deeper
