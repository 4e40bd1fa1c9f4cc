// deeper-tool dpo-logps: the DPO numbers of one pair under a policy and a reference model.
//   deeper-tool dpo-logps --policy DIR --ref DIR --pairs IN.safetensors [--beta 0.1] [--threads N]
// IN holds 1-D I64 tensors dpo_prompt, dpo_chosen, dpo_rejected. Prints one JSON line with
// policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps (sums over completion
// tokens, fp32 logits), loss (sigmoid), loss_ipo (on those sums), loss_hinge, and loss_ipo_token_avg.
#include <ATen/ATen.h>

#include <iostream>
#include <map>

#include "apps/command_registry.h"
#include "apps/tool_flags.h"
#include "common/error.h"
#include "model/checkpoint.h"
#include "model/runtime.h"
#include "model/transformer.h"
#include "train/dpo_scores.h"

namespace deeper {
namespace {

std::vector<int64_t> IdsOf(const std::map<std::string, at::Tensor>& tensors, const std::string& name) {
  auto it = tensors.find(name);
  DEEPER_REQUIRE(it != tensors.end(), FLAGS_pairs, ": tensor '", name, "' not found");
  const at::Tensor& t = it->second;
  DEEPER_REQUIRE(t.scalar_type() == at::kLong && t.dim() == 1, FLAGS_pairs, ": tensor '", name,
                 "' must be 1-D I64, got ", c10::toString(t.scalar_type()), " ", t.sizes());
  const at::Tensor c = t.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

int RunDpoLogps(int argc, char** argv) {
  DEEPER_REQUIRE(argc <= 1, "unexpected argument '", argc > 1 ? argv[1] : "", "' (all inputs are flags)");
  DEEPER_REQUIRE(!FLAGS_policy.empty() && !FLAGS_ref.empty() && !FLAGS_pairs.empty(),
                 "usage: deeper-tool dpo-logps --policy DIR --ref DIR --pairs IN.safetensors [--beta B]");
  SetTorchThreads(FLAGS_threads);
  const auto tensors = LoadSafetensors(FLAGS_pairs);
  PreferencePair pair;
  pair.prompt_ids = IdsOf(tensors, "dpo_prompt");
  pair.chosen_ids = IdsOf(tensors, "dpo_chosen");
  pair.rejected_ids = IdsOf(tensors, "dpo_rejected");
  const auto policy = Transformer::Load(FLAGS_policy);
  const auto reference = Transformer::Load(FLAGS_ref);
  ValidatePair(pair, policy->config().vocab_size, FLAGS_pairs);
  std::cout << DpoPairScoresJson(ScoreDpoPair(*policy, *reference, pair, FLAGS_beta), FLAGS_beta) << "\n";
  return 0;
}

}  // namespace
}  // namespace deeper

DEEPER_TOOL_COMMAND("dpo-logps", "DPO log-probs and losses of one pair (--policy, --ref, --pairs, --beta)",
                    deeper::RunDpoLogps);
