#!/usr/bin/env bash
# Runs `deeper run` as MPI ranks with Open MPI's mpirun.
#
#   launch/mpirun.sh [-n RANKS] [--hostfile FILE] [--bind core|socket|none] [--dry-run] -- DEEPER_RUN_ARGS...
#
#   -n RANKS         ranks in total (default: the GPUs of this node when nvidia-smi sees any, else 1)
#   --hostfile FILE  Open MPI hostfile for several nodes ("host slots=N" lines); default: this node
#   --bind POLICY    process binding (default: core when every rank has a core of its own, else none)
#   --cores-per-rank N  cores bound to each rank (default: this node's cores / ranks; 1 with a hostfile)
#   --dry-run        print the mpirun command instead of running it
#   --               everything after it goes to `deeper run` (--config, --run-dir, --set, ...)
#
# Environment: DEEPER_BIN (default: build/bin/deeper of this checkout, else `deeper` on PATH),
# MPIRUN (default: mpirun), MPIRUN_ARGS (extra mpirun arguments, split on spaces).
# The exit status is mpirun's: non-zero when any rank failed.
set -euo pipefail

# The help text is the comment block at the top of this file.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit "${1:-0}"; }

ranks="" hostfile="" bind="" cores_per_rank="" dry_run=0
while (($#)); do
  case "$1" in
    -n|--ranks) ranks=$2; shift 2 ;;
    --hostfile) hostfile=$2; shift 2 ;;
    --bind) bind=$2; shift 2 ;;
    --cores-per-rank) cores_per_rank=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage 0 ;;
    --) shift; break ;;
    *) break ;;  # The first unknown argument starts the `deeper run` arguments.
  esac
done

repo_root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${DEEPER_BIN:-}" ]]; then
  DEEPER_BIN=$repo_root/build/bin/deeper
  [[ -x "$DEEPER_BIN" ]] || DEEPER_BIN=$(command -v deeper || true)
fi
[[ -n "$DEEPER_BIN" && -x "$DEEPER_BIN" ]] || { echo "mpirun.sh: no deeper binary (set DEEPER_BIN)" >&2; exit 2; }

# One rank per GPU is the intended layout; without GPUs one rank uses every core through libtorch threads.
if [[ -z "$ranks" ]]; then
  gpus=0
  if command -v nvidia-smi > /dev/null 2>&1; then gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true); fi
  ranks=$((gpus > 0 ? gpus : 1))
fi
[[ "$ranks" =~ ^[1-9][0-9]*$ ]] || { echo "mpirun.sh: -n needs a positive number, got '$ranks'" >&2; exit 2; }

cores=$(nproc)
args=(-np "$ranks")
if [[ -n "$hostfile" ]]; then
  [[ -f "$hostfile" ]] || { echo "mpirun.sh: hostfile '$hostfile' does not exist" >&2; exit 2; }
  args+=(--hostfile "$hostfile")
elif ((ranks > cores)); then
  args+=(--oversubscribe)  # Open MPI refuses more ranks than cores on one node otherwise.
fi

# Binding keeps a rank's libtorch threads on its own cores. On one node each rank gets an equal
# share of the cores (PE = cores per rank); with a hostfile the share is --cores-per-rank (default 1).
if [[ -z "$bind" ]]; then
  if [[ -z "$hostfile" ]] && ((ranks > cores)); then bind=none; else bind=core; fi
fi
if [[ -z "$cores_per_rank" ]]; then
  if [[ -z "$hostfile" ]]; then cores_per_rank=$((cores / ranks > 0 ? cores / ranks : 1)); else cores_per_rank=1; fi
fi
case "$bind" in
  none) args+=(--bind-to none) ;;
  core) args+=(--map-by "slot:PE=$cores_per_rank" --bind-to core) ;;
  socket) args+=(--map-by socket --bind-to socket) ;;
  *) echo "mpirun.sh: --bind must be core, socket or none" >&2; exit 2 ;;
esac

# Remote ranks see only the environment mpirun forwards to them.
for name in PATH LD_LIBRARY_PATH OMP_NUM_THREADS CUDA_VISIBLE_DEVICES; do
  [[ -n "${!name:-}" ]] && args+=(-x "$name")
done
while read -r name; do args+=(-x "$name"); done < <(compgen -e | grep -E '^(NCCL_|DEEPER_|GLOG_)' || true)

# Open MPI refuses to run as root unless told twice.
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# shellcheck disable=SC2206  # MPIRUN_ARGS is split on spaces on purpose.
extra=(${MPIRUN_ARGS:-})
command=("${MPIRUN:-mpirun}" "${args[@]}" "${extra[@]}" "$DEEPER_BIN" run "$@")
if ((dry_run)); then
  printf '%q ' "${command[@]}"
  echo
  exit 0
fi
exec "${command[@]}"
