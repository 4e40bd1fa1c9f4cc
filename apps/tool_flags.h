// Flags of `deeper-tool`, shared by its subcommands (gflags allows one definition per name).
// Add a flag here and in tool_flags.cc; document it in the help text.
#pragma once

#include <gflags/gflags.h>

DECLARE_string(model);
DECLARE_string(adapter);
DECLARE_string(tokenizer);
DECLARE_string(ids);
DECLARE_string(out);
DECLARE_string(jsonl);
DECLARE_int32(max_new_tokens);
DECLARE_bool(greedy);
DECLARE_double(temperature);
DECLARE_double(top_p);
DECLARE_int32(top_k);
DECLARE_uint64(seed);
DECLARE_string(like);
DECLARE_string(set);
DECLARE_string(dtype);
DECLARE_string(policy);
DECLARE_string(ref);
DECLARE_string(pairs);
DECLARE_double(beta);
DECLARE_string(deeper_csv);
DECLARE_string(deeper_jsonl);
DECLARE_string(ratings);
DECLARE_string(items);
DECLARE_int32(round);
DECLARE_int32(threads);
DECLARE_string(train_config);
DECLARE_bool(resume);
