// The release's split files ({train,test}_dataset.csv): one user per record, columns
// id,item_type,split,dataset_name,source_url,windows_0..windows_N, each window cell a Python literal
// {'items': [...], 'ratings': [...]}.
#pragma once

#include <string>
#include <vector>

#include "stages/context_building/read_options.h"
#include "stages/context_building/source_text.h"
#include "stages/context_building/user_context.h"

namespace deeper {

// Reads every user of the file, in file order. Any bad record (wrong number of fields, broken
// window literal, non-numeric rating, wrong window length, invalid UTF-8, unknown or missing column,
// repeated user id) throws deeper::Error "FILE:LINE: reason"; nothing is returned partially.
std::vector<UserContext> ReadDeeperCsv(const std::string& path, const ContextReadOptions& options = {});

// Same, for text already loaded (`text` is decoded in place).
std::vector<UserContext> ParseDeeperCsv(SourceText* text, const ContextReadOptions& options = {});

}  // namespace deeper
