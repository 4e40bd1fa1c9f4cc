// dpo_iter<k>: DPO training of the refiner on pair_mining_<k>'s pairs (train/trainer.h), on every rank
// (data parallel over MPI on CPU, NCCL on GPUs). Not sharded: the stage overrides Stage::Run.
//
// Stage directory:
//   pairs.h5        every pair of pair_mining_<k>'s shards, in shard order (a train/pairs.h pair shard)
//   training/       the trainer's output_dir: metrics.jsonl, checkpoint-<step>/ (resume state),
//                   reference_logps.h5 (full fine-tuning: the pairs with their reference log-probs)
//   adapter/        LoRA: the trained PEFT adapter (adapter_config.json + adapter_model.safetensors)
//   model/          full: the trained HF checkpoint (config.json + safetensors + tokenizer files)
// adapter/ or model/ is what later stages load (stages/persona/model_spec.h TrainedRefinerSpec). A
// killed stage resumes from training/'s last checkpoint (save_steps).
#pragma once
