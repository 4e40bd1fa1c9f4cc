// The `warm_start` stage: supervised fine-tuning of two tiny Llama-architecture models, made from
// scratch for the simulated world (input stage `world`), so that the DEEPER pipeline has a faithful
// frozen predictor and a refiner whose samples vary in quality.
//
// Outputs in the stage directory:
//   predictor/            HF checkpoint (config.json, model.safetensors, tokenizer.json, tokenizer_config.json)
//   refiner/              the same, for the refiner (init, refine and the four baselines' prompts)
//   predictor_gate.json   the gate (predictor_gate.h) on eval users' true personas; the stage FAILS
//                         (nothing after it runs) when warm_start.gate.enabled and the gate fails
//   refiner_quality.json  the refiner's sampled refinements scored by the world's rule (world_checks.h)
//   sft_predictor.jsonl, sft_refiner.jsonl   training curves (step, loss, accuracy, learning rate)
//   warm_start.json       example counts and final losses
// The training data is rendered with the pipeline's prompts (section `prompts`) in each model's chat
// format (models.<name>.chat_format), so a config's prompts are part of what the models learn.
// Rank 0 trains; the other ranks wait at the runner's barrier.
#pragma once

#include <memory>

#include "pipeline/stage.h"

namespace deeper {

inline constexpr char kWarmStartStage[] = "warm_start";

std::unique_ptr<Stage> MakeWarmStartStage();

}  // namespace deeper
