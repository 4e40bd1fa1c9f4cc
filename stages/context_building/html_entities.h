// HTML character references in item names scraped from web pages (`&amp;`, `&#39;`, `&eacute;`).
#pragma once

#include <string>
#include <string_view>

namespace deeper {

// Decodes, in one pass, numeric references (`&#39;`, `&#x27;`) and the HTML 4 named references plus
// `&apos;`, each terminated by ';'. Anything else, such as `AT&T` or `&Trade;`, is kept as written.
// A decoded `&amp;lt;` gives `&lt;`, not `<`, as Python's html.unescape does.
std::string UnescapeHtml(std::string_view text);

// Same, replacing *text; no copy when it has no '&'.
void UnescapeHtmlInPlace(std::string* text);

}  // namespace deeper
