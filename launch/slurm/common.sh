# shellcheck shell=bash
# Helpers of the Slurm batch scripts (sourced, not run).
#
# deeper_launch ARGS...  runs `deeper run ARGS...` as one rank per Slurm task and returns its status.
# When the batch shell gets SIGTERM (the time limit is near: `#SBATCH --signal=B:TERM@120`, or the job
# is cancelled or preempted) the ranks are stopped and, unless DEEPER_REQUEUE_ON_TERM=0, the job is
# requeued: the same command then resumes the run from what is on disk.

deeper_bin() {
  if [[ -n "${DEEPER_BIN:-}" ]]; then
    echo "$DEEPER_BIN"
  elif [[ -x "${SLURM_SUBMIT_DIR:-.}/build/bin/deeper" ]]; then
    echo "${SLURM_SUBMIT_DIR:-.}/build/bin/deeper"
  else
    command -v deeper || { echo "deeper: no deeper binary (set DEEPER_BIN)" >&2; return 1; }
  fi
}

# A resumable run needs a fixed run directory: one made up per job would start over on requeue.
deeper_require_run_dir() {
  local arg
  for arg in "$@"; do
    [[ "$arg" == --run-dir || "$arg" == --run-dir=* || "$arg" == -run_dir* || "$arg" == --run_dir* ]] && return 0
  done
  echo "deeper: pass --run-dir DIR (the same on every submission, so a requeued job resumes)" >&2
  exit 2
}

# srun --mpi=pmix when this Slurm has the pmix plugin; mpirun inside the allocation otherwise.
deeper_launcher() {
  local launcher=${DEEPER_LAUNCHER:-}
  if [[ -z "$launcher" ]]; then
    if srun --mpi=list 2>&1 | grep -q pmix; then launcher=srun; else launcher=mpirun; fi
  fi
  case "$launcher" in
    srun) echo "srun --mpi=pmix --kill-on-bad-exit=1" ;;
    mpirun)
      # Open MPI reads the allocation from Slurm; it refuses root unless told twice.
      if [[ $(id -u) -eq 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
      echo "mpirun --bind-to none" ;;
    *) echo "deeper: DEEPER_LAUNCHER must be srun or mpirun, not '$launcher'" >&2; return 1 ;;
  esac
}

deeper_launch() {
  local bin launcher
  bin=$(deeper_bin)
  launcher=$(deeper_launcher)
  echo "deeper: $launcher $bin run $*"
  # In the background, so the TERM trap runs at once instead of after the ranks end.
  # shellcheck disable=SC2086  # $launcher is a command with its options.
  $launcher "$bin" run "$@" &
  local pid=$! status=0
  trap 'deeper_on_term '"$pid" TERM
  wait "$pid" || status=$?
  # `wait` returns early when the trap fires; wait again for the ranks to be gone.
  while kill -0 "$pid" 2>/dev/null; do wait "$pid" || status=$?; done
  trap - TERM
  return "$status"
}

deeper_on_term() {
  local pid=$1
  echo "deeper: SIGTERM: stopping the ranks; the run resumes from its outputs on the next start"
  kill -TERM "$pid" 2>/dev/null || true
  if [[ "${DEEPER_REQUEUE_ON_TERM:-1}" == 1 && -n "${SLURM_JOB_ID:-}" ]]; then
    scontrol requeue "$SLURM_JOB_ID" || echo "deeper: scontrol requeue failed; resubmit the same command to resume"
  fi
}
