#include "train/pair_batch.h"

#include <ATen/ATen.h>

#include <algorithm>

#include "common/error.h"
#include "model/transformer.h"

namespace deeper {

PairBatch BuildPairBatch(const std::vector<const PreferencePair*>& pairs, int64_t pad_id, c10::Device device) {
  DEEPER_REQUIRE(!pairs.empty(), "BuildPairBatch: no pairs");
  const int64_t b = static_cast<int64_t>(pairs.size());
  int64_t s = 0;
  for (const PreferencePair* pair : pairs) {
    s = std::max<int64_t>(s, static_cast<int64_t>(pair->prompt_ids.size() + pair->chosen_ids.size()));
    s = std::max<int64_t>(s, static_cast<int64_t>(pair->prompt_ids.size() + pair->rejected_ids.size()));
  }
  at::Tensor ids = at::full({2 * b, s}, pad_id, at::kLong);
  at::Tensor mask = at::zeros({2 * b, s}, at::kLong);
  at::Tensor completion = at::zeros({2 * b, s}, at::kBool);
  at::Tensor tokens = at::zeros({2 * b}, at::kFloat);
  auto ids_a = ids.accessor<int64_t, 2>();
  auto mask_a = mask.accessor<int64_t, 2>();
  auto completion_a = completion.accessor<bool, 2>();
  auto tokens_a = tokens.accessor<float, 1>();
  bool all_ref = true;
  for (int64_t i = 0; i < b; ++i) {
    const PreferencePair& pair = *pairs[static_cast<size_t>(i)];
    all_ref = all_ref && pair.has_ref();
    for (int side = 0; side < 2; ++side) {
      const std::vector<int64_t>& answer = side == 0 ? pair.chosen_ids : pair.rejected_ids;
      const int64_t row = side * b + i;
      int64_t t = 0;
      for (int64_t id : pair.prompt_ids) {
        ids_a[row][t] = id;
        mask_a[row][t++] = 1;
      }
      for (int64_t id : answer) {
        ids_a[row][t] = id;
        mask_a[row][t] = 1;
        completion_a[row][t++] = true;
      }
      tokens_a[row] = static_cast<float>(answer.size());
    }
  }
  PairBatch batch;
  batch.pairs = b;
  batch.input_ids = ids.to(device);
  batch.attention_mask = mask.to(device);
  batch.completion_mask = completion.to(device);
  batch.tokens = tokens.to(device);
  if (all_ref) {
    at::Tensor ref = at::empty({2 * b}, at::kFloat);
    auto ref_a = ref.accessor<float, 1>();
    for (int64_t i = 0; i < b; ++i) {
      ref_a[i] = static_cast<float>(*pairs[static_cast<size_t>(i)]->ref_chosen_logp);
      ref_a[b + i] = static_cast<float>(*pairs[static_cast<size_t>(i)]->ref_rejected_logp);
    }
    batch.ref_logps = ref.to(device);
  }
  return batch;
}

at::Tensor BatchLogps(const Transformer& model, const PairBatch& batch) {
  const at::Tensor hidden = model.ForwardHidden(batch.input_ids, batch.attention_mask);  // [R,S,H]
  const int64_t rows = hidden.size(0);
  const int64_t s = hidden.size(1);
  // Position t predicts token t + 1: keep the positions whose next token is a completion token.
  const at::Tensor predicts = batch.completion_mask.slice(1, 1, s);  // [R,S-1]
  const at::Tensor where = predicts.nonzero();                      // [N,2]: row, position
  const at::Tensor row = where.select(1, 0);
  const at::Tensor position = where.select(1, 1);
  const at::Tensor flat = row * s + position;
  const at::Tensor selected = hidden.reshape({rows * s, hidden.size(2)}).index_select(0, flat);
  const at::Tensor targets = batch.input_ids.reshape({rows * s}).index_select(0, flat + 1);
  const at::Tensor logp = at::log_softmax(model.Logits(selected), -1).gather(1, targets.unsqueeze(1)).squeeze(1);
  return at::zeros({rows}, logp.options()).index_add(0, row, logp);
}

}  // namespace deeper
