#!/usr/bin/env bash
# Submits a run stage by stage: one Slurm job per stage (`deeper run --only STAGE`), each starting only
# after the previous one succeeded (--dependency=afterok). Stages then get resources of their own:
# context building needs no GPU, DPO needs all of them.
#
#   launch/slurm/submit_stages.sh --config FILE --run-dir DIR [options] [-- more deeper run args]
#
#   --from STAGE          submit STAGE and the stages after it (default: every stage)
#   --template FILE       batch script of every job (default: launch/slurm/single_node.sbatch)
#   --sbatch-args ARGS    sbatch options of every job, e.g. "--partition=gpu --time=4:00:00"
#   --stage-args STAGE=ARGS  sbatch options of one stage only (repeatable), e.g.
#                         "context_building=--gpus-per-node=0 --ntasks-per-node=4"
#   --after JOBID         make the first job wait for this job too
#   --dry-run             print the sbatch commands instead of submitting (job ids shown as <STAGE>)
#
# Prints "STAGE JOBID" per submitted job. Environment: DEEPER_BIN (used to list the stages and passed
# on to the jobs).
set -euo pipefail

# The help text is the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }

config="" run_dir="" from="" after="" dry_run=0 sbatch_args=""
repo_root=$(cd "$(dirname "$0")/../.." && pwd)
template=$repo_root/launch/slurm/single_node.sbatch
declare -A stage_args=()
while (($#)); do
  case "$1" in
    --config) config=$2; shift 2 ;;
    --run-dir) run_dir=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --template) template=$2; shift 2 ;;
    --sbatch-args) sbatch_args=$2; shift 2 ;;
    --stage-args) stage_args[${2%%=*}]=${2#*=}; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage 0 ;;
    --) shift; break ;;
    *) echo "submit_stages.sh: unknown option '$1'" >&2; usage 2 ;;
  esac
done
[[ -n "$config" && -n "$run_dir" ]] || { echo "submit_stages.sh: --config and --run-dir are required" >&2; exit 2; }
[[ -f "$template" ]] || { echo "submit_stages.sh: template '$template' does not exist" >&2; exit 2; }

bin=${DEEPER_BIN:-$repo_root/build/bin/deeper}
[[ -x "$bin" ]] || bin=$(command -v deeper) || { echo "submit_stages.sh: no deeper binary (set DEEPER_BIN)" >&2; exit 2; }
export DEEPER_BIN=$bin

# `deeper stages` prints the stages in run order, one per line, the name first.
mapfile -t stages < <("$bin" stages --config "$config" | awk '{print $1}')
((${#stages[@]})) || { echo "submit_stages.sh: '$bin stages' listed no stages" >&2; exit 1; }
if [[ -n "$from" ]]; then
  found=0 selected=()
  for stage in "${stages[@]}"; do
    [[ "$stage" == "$from" ]] && found=1
    ((found)) && selected+=("$stage")
  done
  ((found)) || { echo "submit_stages.sh: no stage '$from'; stages: ${stages[*]}" >&2; exit 2; }
  stages=("${selected[@]}")
fi

previous=$after
for stage in "${stages[@]}"; do
  # shellcheck disable=SC2206  # option strings are split on spaces on purpose.
  command=(sbatch --parsable --job-name="deeper-$stage" ${sbatch_args} ${stage_args[$stage]:-})
  [[ -n "$previous" ]] && command+=(--dependency="afterok:$previous" --kill-on-invalid-dep=yes)
  command+=("$template" --config "$config" --run-dir "$run_dir" --only "$stage" "$@")
  if ((dry_run)); then
    printf '%q ' "${command[@]}"
    echo
    job="<$stage>"
  else
    job=$("${command[@]}")
    job=${job%%;*}  # --parsable prints "jobid[;cluster]".
    echo "$stage $job"
  fi
  previous=$job
done
