// Options shared by every context reader.
#pragma once

#include "stages/context_building/user_context.h"

namespace deeper {

struct ContextReadOptions {
  // Items per window; every window read must have exactly this many items and ratings.
  int window_length = kDefaultWindowLength;
  // Item names from scraped sources carry HTML entities (`&amp;`, `&#39;`); the release's round files
  // already have them decoded, so by default names are unescaped once on reading.
  bool unescape_html = true;
};

}  // namespace deeper
