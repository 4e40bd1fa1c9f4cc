// Number formatting shared by the Markdown and HTML reports. Torch-free.
#pragma once

#include <string>

namespace deeper {

// "0.734"; "n/a" for NaN.
std::string FormatMae(double mae);
// "32.2%" (one decimal, sign kept: "-4.0%"); "n/a" for NaN.
std::string FormatPercent(double fraction);

}  // namespace deeper
