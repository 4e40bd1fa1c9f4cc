// The context_building stage: reads the configured behaviour sources (DEEPER split CSVs, DEEPER round
// files, raw ratings logs) and writes one row per user with all of the user's windows.
//
// Shard columns: id, item_type, split, dataset_name, source_url (strings); num_windows (int64);
// items (ragged strings: window 0's items, then window 1's, ...); ratings (ragged float64, aligned
// with items). Attribute window_length. A user goes to shard FNV-1a(dataset_name/id) mod num_shards,
// keeping input order within a shard.
#pragma once

#include <memory>
#include <vector>

#include "pipeline/config.h"
#include "pipeline/shard.h"
#include "pipeline/stage.h"
#include "stages/context_building/user_context.h"

namespace deeper {

std::unique_ptr<Stage> MakeContextBuildingStage();

// Reads every source of the `context_building` config section, in order. Duplicate users (same
// dataset_name and id) are an error naming both sources.
std::vector<UserContext> ReadConfiguredSources(const Config& config);

// The shard a user belongs to.
int ShardOfUser(const UserContext& user, int num_shards);

// Converts users to shard columns and back (the latter is what later stages use).
ShardWriter UsersToShard(const std::vector<UserContext>& users, int window_length);
std::vector<UserContext> UsersFromShard(const ShardReader& shard);

}  // namespace deeper
