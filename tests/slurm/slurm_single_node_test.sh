#!/usr/bin/env bash
# A real single-node Slurm cluster in a temporary directory (slurmctld + slurmd, no munge: auth/none,
# cred/none), then a 2-rank `deeper run` submitted with launch/slurm/single_node.sbatch: the job must
# complete with both ranks, its outputs must verify, and a resubmission of the same command must find
# every stage up to date. Then a slowed-down job is requeued in the middle of its first stage
# (`scontrol requeue`, as preemption does): it must restart and resume from the shards on disk. The
# daemons are stopped by pid whatever happens.
#
# Usage (from the repository root): slurm_single_node_test.sh BIN_DIR CONFIG [--ci-models] [deeper run args...]
#   --ci-models  make configs/ci.yaml's two tiny models first and pass their paths with --set
# Exits 77 (ctest: skipped) when the Slurm daemons or clients are not installed.
set -euo pipefail
BIN=$(cd "$1" && pwd)
CONFIG=$2
shift 2
CI_MODELS=0
if [[ "${1:-}" == --ci-models ]]; then CI_MODELS=1; shift; fi
EXTRA_ARGS=("$@")
JOB_TIMEOUT=${DEEPER_SLURM_TEST_TIMEOUT:-600}

for tool in slurmctld slurmd sbatch squeue scontrol sinfo; do
  if ! command -v "$tool" > /dev/null 2>&1 && [[ ! -x "/usr/sbin/$tool" ]]; then
    echo "SKIP: $tool is not installed (Debian package slurm-wlm)"
    exit 77
  fi
done
export PATH=$PATH:/usr/sbin

fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
stop_daemons() {
  local pidfile pid
  for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid"; do
    [[ -f "$pidfile" ]] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
show_logs() {
  local f
  for f in "$work"/log/*.log "$work"/job-*.log; do
    [[ -f "$f" ]] && { echo "---- $f"; tail -n 40 "$f"; }
  done
  return 0
}
cleanup() {
  local status=$?
  ((status == 0)) || show_logs
  stop_daemons
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Ports of their own, so parallel test runs (or a real Slurm on this host) do not collide.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
base=$((20000 + (RANDOM % 400) * 100))
while ! port_free "$base" || ! port_free $((base + 1)); do base=$((base + 2)); done
host=$(hostname -s)
user=$(id -un)
mkdir -p "$work/state" "$work/spool" "$work/log"
cat > "$work/slurm.conf" <<CONF
ClusterName=deepertest$$
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/none
CredType=cred/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=pmix
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf

if ((CI_MODELS)); then
  shape=vocab_size=128256,hidden_size=16,intermediate_size=32,num_hidden_layers=2,num_attention_heads=2
  shape=$shape,num_key_value_heads=1,head_dim=8,tie_word_embeddings=true
  for model in refiner:11 predictor:12; do
    "$BIN/deeper-tool" make-model --like llama --seed "${model#*:}" --set "$shape" --out "$work/${model%:*}" > /dev/null
    EXTRA_ARGS+=(--set "models.${model%:*}.path=$work/${model%:*}")
  done
fi

slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 150); do
  state=$(sinfo -h -o %T 2>/dev/null || true)
  [[ "$state" == idle ]] && break
  sleep 0.2
done
[[ "$state" == idle ]] || fail "the node did not become idle (state '$state')"
echo "slurm: node $host idle (ports $base, $((base + 1)))"

# Submits single_node.sbatch as 2 ranks without GPUs for run directory $1; prints the job id.
submit() {
  local id
  id=$(DEEPER_BIN="$BIN/deeper" sbatch --parsable --ntasks-per-node=2 --gpus-per-node=0 --cpus-per-task=1 \
         --time=30 --output="$work/job-%j.log" launch/slurm/single_node.sbatch \
         --config "$CONFIG" --run-dir "$1" "${EXTRA_ARGS[@]}")
  echo "${id%%;*}"
}

# Waits for job $1 to complete; fails on any other end.
wait_for() {
  local id=$1 state=""
  local deadline=$((SECONDS + JOB_TIMEOUT))
  while ((SECONDS < deadline)); do
    state=$(scontrol show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 || true)
    case "$state" in
      COMPLETED) return 0 ;;
      FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) fail "job $id ended $state" ;;
    esac
    sleep 1
  done
  scontrol show job "$id" >&2 || true
  fail "job $id did not finish within ${JOB_TIMEOUT}s (state '$state')"
}

first=$(submit "$work/run")
wait_for "$first"
log=$work/job-$first.log
grep -q "2 ranks" "$log" || fail "the job did not run 2 ranks: $(cat "$log")"
grep -q "done" "$log" || fail "deeper run did not finish: $(cat "$log")"
manifests=$(find "$work/run" -name manifest.json | wc -l)
((manifests > 0)) || fail "no stage manifests under the run directory"
grep -l '"world_size": 2' "$work"/run/*/manifest.json > /dev/null || fail "no stage ran with world size 2"
"$BIN/deeper" verify --run-dir "$work/run" || fail "deeper verify found modified outputs"
echo "slurm: job $first completed: $manifests stages, world size 2; its log:"
grep -v '^I[0-9]' "$log" | sed 's/^/  | /'  # the launcher lines and deeper's summary, without glog lines

# Requeue safety: the same submission again finds every stage up to date and redoes nothing.
second=$(submit "$work/run")
wait_for "$second"
log=$work/job-$second.log
if grep -E '^  [a-z_0-9]+: (run|resume)' "$log"; then fail "the resubmitted job redid work: $(cat "$log")"; fi
grep -q "up to date" "$log" || fail "the resubmitted job did not report up-to-date stages: $(cat "$log")"
echo "slurm: resubmitted job $second found every stage up to date"

# Requeue in the middle of a stage: the job restarts (same id) and resumes from the shards on disk.
export DEEPER_TEST_SHARD_DELAY_MS=1500  # every shard takes 1.5 s: time to requeue mid-stage
third=$(submit "$work/requeued")
unset DEEPER_TEST_SHARD_DELAY_MS
deadline=$((SECONDS + JOB_TIMEOUT))
until compgen -G "$work/requeued/*/shard-*.h5" > /dev/null; do
  ((SECONDS < deadline)) || fail "job $third wrote no shard"
  sleep 0.2
done
scontrol requeue "$third"
# A requeued job waits about two minutes before it may start again; the test need not.
for _ in $(seq 100); do
  scontrol show job "$third" | grep -q 'JobState=PENDING' && scontrol update JobId="$third" StartTime=now 2>/dev/null && break
  sleep 0.2
done
wait_for "$third"
log=$work/job-$third.log
grep -q "restart 1" "$log" || fail "job $third did not restart: $(cat "$log")"
grep -qE '^  [a-z_0-9]+: resume' "$log" || fail "the restarted job did not resume: $(cat "$log")"
"$BIN/deeper" verify --run-dir "$work/requeued" || fail "deeper verify failed after the requeue"
echo "slurm: job $third requeued mid-stage, restarted and resumed"
