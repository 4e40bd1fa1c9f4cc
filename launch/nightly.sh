#!/usr/bin/env bash
# Nightly retraining: new behaviour data -> contexts -> training continued from the promoted model ->
# evaluation -> promotion of the new model only if it did not get worse.
#
#   launch/nightly.sh run --config FILE --root DIR [--ranks N] [--set key=value ...]
#   launch/nightly.sh promote --root DIR --run-dir RUN [--stamp STAMP]
#
# run: appends nothing itself: the config's context_building sources are the behaviour logs that
#   something else appends to. `deeper run` notices their new contents and rebuilds the contexts, so
#   users with new windows get new training contexts; the training stages continue from the promoted
#   model (once one was promoted: its LoRA adapter as models.refiner.adapter, or its fully fine-tuned
#   weights as models.refiner.path); the evaluation stage scores the result; then `promote` decides.
#   Unchanged stages are skipped, because the run directory (ROOT/work) is kept from night to night.
# promote: compares the candidate's evaluation MAE (method NIGHTLY_METHOD, domain ALL, last round)
#   with the promoted model's.
#   - Not worse (<=): the candidate's model (adapter/ or model/ of the model stage, with its manifest)
#     and evaluation files are copied to ROOT/models/STAMP, and ROOT/latest is moved to it atomically
#     (ln -s + mv -T).
#   - Worse: the promoted model stays.
#   - The very model already promoted (equal manifest digests): nothing is copied.
#   Either way ROOT/history/STAMP keeps the candidate's evaluation files and a line is appended to
#   ROOT/history.tsv (stamp, method, candidate MAE, promoted MAE, decision, model).
#
# Layout of ROOT: work/ (the run directory), models/STAMP/ (model/{adapter or model, manifest.json},
# mae.csv, report.md, report.html, config.yaml), latest -> models/STAMP, history/STAMP/, history.tsv,
# nightly.lock.
#
# Environment: NIGHTLY_METHOD (deeper_iter2), NIGHTLY_MODEL_STAGE (the stage whose output is the model:
# dpo_iter2), NIGHTLY_CONTINUE (1: continue from the promoted model, the default; 0: start from the
# config's refiner every night), NIGHTLY_LAUNCH (mpirun: launch/mpirun.sh, the default; direct: one
# process), DEEPER_BIN.
set -euo pipefail

# The help text is the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }

METHOD=${NIGHTLY_METHOD:-deeper_iter2}
MODEL_STAGE=${NIGHTLY_MODEL_STAGE:-dpo_iter2}
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "nightly $(date -u +%FT%TZ): $*" >&2; }
die() { log "error: $*"; exit 1; }

# The MAE of METHOD on domain ALL in the last round of an evaluation/mae.csv; empty when absent.
last_round_mae() {
  local csv=$1
  [[ -f "$csv" ]] || return 0
  awk -F, -v method="$METHOD" '
    NR == 1 { for (i = 1; i <= NF; ++i) col[$i] = i; next }
    $col["method"] == method && $col["domain"] == "ALL" && (!found || $col["round"] + 0 > best) {
      best = $col["round"] + 0; mae = $col["mae"]; found = 1
    }
    END { if (found) print mae }' "$csv"
}

# 0 (true) when the candidate is not worse than the promoted MAE (or nothing was promoted yet).
not_worse() {
  local candidate=$1 promoted=$2
  [[ -z "$promoted" ]] && return 0
  awk -v a="$candidate" -v b="$promoted" 'BEGIN { exit !(a + 0 <= b + 0) }'
}

# True when two model stage directories hold the same outputs (their manifests' outputs_digest).
same_model() {
  local a=$1/manifest.json b=$2/manifest.json
  [[ -f "$a" && -f "$b" ]] || return 1
  local da db
  da=$(grep -o '"outputs_digest": *"[0-9a-f]*"' "$a" || true)
  db=$(grep -o '"outputs_digest": *"[0-9a-f]*"' "$b" || true)
  [[ -n "$da" && "$da" == "$db" ]]
}

# The --set assignments that make the refiner start from a promoted dpo stage directory: its LoRA
# adapter (training continues it) or its fully fine-tuned checkpoint. Nothing before a first promotion.
continue_from() {
  local model=$1
  if [[ -f "$model/adapter/adapter_config.json" ]]; then
    echo "models.refiner.adapter=$model/adapter"
  elif [[ -f "$model/model/config.json" ]]; then
    echo "models.refiner.path=$model/model"
    echo "models.refiner.tokenizer=$model/model"
  fi
}

# Points ROOT/latest at models/STAMP in one rename, so readers see the old or the new model, never none.
move_latest() {
  local root=$1 stamp=$2
  local tmp="$root/.latest.$$"
  ln -s "models/$stamp" "$tmp"
  mv -T "$tmp" "$root/latest"
}

copy_evaluation_files() {
  local eval_dir=$1 dest=$2
  mkdir -p "$dest"
  local f
  for f in mae.csv report.md report.html; do
    [[ -f "$eval_dir/$f" ]] && cp "$eval_dir/$f" "$dest/"
  done
  return 0
}

promote() {
  local root="" run_dir="" stamp
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  while (($#)); do
    case "$1" in
      --root) root=$2; shift 2 ;;
      --run-dir) run_dir=$2; shift 2 ;;
      --stamp) stamp=$2; shift 2 ;;
      *) die "promote: unknown option '$1'" ;;
    esac
  done
  [[ -n "$root" && -n "$run_dir" ]] || die "promote needs --root and --run-dir"
  local candidate_csv="$run_dir/evaluation/mae.csv"
  local candidate promoted=""
  candidate=$(last_round_mae "$candidate_csv")
  [[ -n "$candidate" ]] || die "$candidate_csv has no ALL row for method $METHOD"
  [[ -e "$root/latest" ]] && promoted=$(last_round_mae "$root/latest/mae.csv")
  [[ -e "$root/history/$stamp" ]] && die "history/$stamp exists already"

  mkdir -p "$root/models" "$root/history"
  copy_evaluation_files "$run_dir/evaluation" "$root/history/$stamp"
  local decision model="-"
  if [[ -n "$promoted" ]] && same_model "$run_dir/$MODEL_STAGE" "$root/latest/model"; then
    decision=unchanged  # Nothing new was trained (no new data): nothing to copy.
    model=$(readlink "$root/latest")
  elif not_worse "$candidate" "$promoted"; then
    local model_dir="$run_dir/$MODEL_STAGE"
    [[ -d "$model_dir/adapter" || -d "$model_dir/model" ]] \
      || die "no adapter/ or model/ in $model_dir (NIGHTLY_MODEL_STAGE)"
    # Copied under a temporary name first: models/STAMP is complete whenever it exists. Only the
    # result and its manifest: pairs and training checkpoints stay in the run directory.
    local staging="$root/models/.$stamp.tmp" part
    rm -rf "$staging"
    mkdir -p "$staging/model"
    for part in adapter model manifest.json; do
      [[ -e "$model_dir/$part" ]] && cp -a "$model_dir/$part" "$staging/model/"
    done
    copy_evaluation_files "$run_dir/evaluation" "$staging"
    [[ -f "$run_dir/config.yaml" ]] && cp "$run_dir/config.yaml" "$staging/"
    mv -T "$staging" "$root/models/$stamp"
    move_latest "$root" "$stamp"
    decision=promoted
    model="models/$stamp"
  else
    decision=kept
    model=$(readlink "$root/latest")
  fi
  echo "$decision" > "$root/history/$stamp/decision"
  [[ -f "$root/history.tsv" ]] || printf 'stamp\tmethod\tcandidate_mae\tpromoted_mae\tdecision\tmodel\n' > "$root/history.tsv"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$stamp" "$METHOD" "$candidate" "${promoted:--}" "$decision" "$model" \
    >> "$root/history.tsv"
  log "$METHOD MAE $candidate (promoted: ${promoted:-none}): $decision"
}

run() {
  local config="" root="" ranks=""
  local sets=()
  while (($#)); do
    case "$1" in
      --config) config=$2; shift 2 ;;
      --root) root=$2; shift 2 ;;
      --ranks) ranks=$2; shift 2 ;;
      --set) sets+=(--set "$2"); shift 2 ;;
      *) die "run: unknown option '$1'" ;;
    esac
  done
  [[ -n "$config" && -n "$root" ]] || die "run needs --config and --root"
  mkdir -p "$root"
  root=$(cd "$root" && pwd)

  # One night at a time: a run that overruns into the next start makes the next one skip.
  exec 9> "$root/nightly.lock"
  flock -n 9 || { log "another nightly run holds $root/nightly.lock; skipping"; return 0; }

  if [[ "${NIGHTLY_CONTINUE:-1}" == 1 ]]; then
    # The resolved path (models/STAMP/...), not latest/...: a new promotion then changes the config,
    # so `deeper run` knows the training stages must run again.
    local promoted_model
    promoted_model=$(readlink -f "$root/latest/model" 2>/dev/null || true)
    if [[ -n "$promoted_model" ]]; then
      while read -r assignment; do sets+=(--set "$assignment"); done < <(continue_from "$promoted_model")
    fi
  fi
  local args=(--config "$config" --run-dir "$root/work" "${sets[@]}")
  log "deeper run ${args[*]}"
  case "${NIGHTLY_LAUNCH:-mpirun}" in
    mpirun) "$REPO_ROOT/launch/mpirun.sh" ${ranks:+-n "$ranks"} -- "${args[@]}" ;;
    direct) "${DEEPER_BIN:-$REPO_ROOT/build/bin/deeper}" run "${args[@]}" ;;
    *) die "NIGHTLY_LAUNCH must be mpirun or direct" ;;
  esac
  promote --root "$root" --run-dir "$root/work"
}

case "${1:-}" in
  run) shift; run "$@" ;;
  promote) shift; promote "$@" ;;
  -h|--help) usage 0 ;;
  *) usage 2 ;;
esac
