#!/usr/bin/env bash
# Tusk's storage engine vs RocksDB db_bench, side by side on the same disk, same workloads, same flags.
#
#   bench/storage-vs-rocksdb.sh [num]          (num defaults to 1000000 keys)
#
# Each system runs, in this order: fillseq (fresh) | fillrandom (fresh) -> readrandom, readseq, seekrandom,
# overwrite (all --use_existing_db=1) | fillrandom --sync=1 --num=20000 (fresh) | fillrandom --sync=1
# --threads=8 --num=5000 (fresh). Flags as in the RocksDB anchor (anchors/rocksdb.sh): 16-byte keys, 100-byte
# values, --compression_type=none, 1 thread, WAL on; each invocation is one benchmark (the database is
# reopened and its WAL replayed outside the timed part; nothing waits for compaction). The systems alternate
# step by step, each on its own database directory, so machine noise hits both alike.
# Ends with one line per workload:
#   RESULT <workload> tusk=<ops/s> rocksdb=<ops/s> ops/s ratio=<tusk/rocksdb>
#
# The whole sequence runs REPS times (default 3); each RESULT is the median of a system's REPS runs (this
# machine is shared and noisy: single runs of the same workload differ by tens of percent).
#
# Environment: BENCH_DIR (default /tmp/tusk-vs-rocksdb; wiped at start), RUN_TIMEOUT seconds per run
# (default 600), REPS (default 3), SKIP_BUILD=1 to reuse bench/out/tusk.
set -euo pipefail

NUM=${1:-1000000}
case "$NUM" in ""|*[!0-9]*|0) echo "usage: $0 [num]   (num: a positive integer, default 1000000)" >&2; exit 2;; esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/tusk-vs-rocksdb}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
REPS=${REPS:-3}
case "$REPS" in ""|*[!0-9]*|0) echo "REPS must be a positive integer" >&2; exit 2;; esac
OUT=$ROOT/bench/out
LOGS=$OUT/logs
COMMON="--key_size=16 --value_size=100 --compression_type=none"

. "$ROOT/bench/lib.sh"

# --- prerequisites --------------------------------------------------------------------------------
if ! command -v db_bench >/dev/null 2>&1; then
  log "db_bench not found: installing Debian's rocksdb-tools"
  command -v apt-get >/dev/null 2>&1 || die "db_bench is missing and apt-get is not available; install RocksDB's db_bench yourself"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq rocksdb-tools >/dev/null
  command -v db_bench >/dev/null 2>&1 || die "rocksdb-tools installed but db_bench is still not on PATH"
fi
ensure_dotnet
command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) is required"

publish_tusk
TUSK=(dotnet "$OUT/tusk/tusk.dll" bench storage)

rm -rf "$BENCH_DIR" "$LOGS"
mkdir -p "$BENCH_DIR" "$LOGS"

echo "nproc: $(nproc)"
echo "db_bench: $(db_bench --version 2>&1 | head -1)"
echo "tusk: $(dotnet "$OUT/tusk/tusk.dll" --version)"
echo "num: $NUM   data: $BENCH_DIR ($(df -h --output=source,fstype "$BENCH_DIR" 2>/dev/null | tail -1 | tr -s ' '))"
echo

# run SYSTEM WORKLOAD BENCHMARK EXTRA_FLAGS... : one invocation; the log keeps the full output
run() {
  local sys=$1 workload=$2 bench=$3; shift 3
  local db=$BENCH_DIR/$sys log=$LOGS/$sys.$workload.$REP.log cmd
  if [ "$sys" = tusk ]; then cmd=("${TUSK[@]}"); else cmd=(db_bench); fi
  cmd+=("--benchmarks=$bench" "--db=$db" $COMMON "$@")
  log "$sys $workload: ${cmd[*]}"
  local rc=0
  timeout "$RUN_TIMEOUT" "${cmd[@]}" >"$log" 2>&1 || rc=$?
  [ $rc -eq 0 ] || log "WARN: $sys $workload exited $rc (timeout ${RUN_TIMEOUT}s => 124); see $log"
}

# fresh SYSTEM : remove the system's database before a fresh benchmark
fresh() { rm -rf "${BENCH_DIR:?}/$1"; }

# Each system runs the sequence below in this order; the two systems alternate step by step (tusk, then
# rocksdb) so that drift in a shared, noisy machine hits both alike. Their databases are separate directories.
both() { local sys; for sys in tusk rocksdb; do "$@" "$sys"; done; }
step_fillseq()    { fresh "$1"; run "$1" fillseq fillseq --num="$NUM" --threads=1; }
step_fillrandom() { fresh "$1"; run "$1" fillrandom fillrandom --num="$NUM" --threads=1; }
step_existing()   { run "$2" "$1" "$1" --num="$NUM" --threads=1 --use_existing_db=1; }
# Before each synced run: let writeback of the big runs drain so it does not stall the WAL fsyncs.
step_fillsync()   { fresh "$1"; sync; sleep 2; run "$1" fillsync fillrandom --num=20000 --threads=1 --sync=1; fresh "$1"; }
step_fillsync8()  { fresh "$1"; sync; sleep 2; run "$1" fillsync-8t fillrandom --num=5000 --threads=8 --sync=1; fresh "$1"; }

for REP in $(seq 1 "$REPS"); do
  log "repetition $REP of $REPS"
  both step_fillseq
  both step_fillrandom
  for b in readrandom readseq seekrandom overwrite; do both step_existing "$b"; done
  both step_fillsync
  both step_fillsync8
done

# report_line SYSTEM WORKLOAD BENCHMARK REP : the db_bench-format line of that run (empty if it failed)
report_line() { grep -E "^$3 +:" "$LOGS/$1.$2.$4.log" 2>/dev/null | tail -1 || true; }
ops() { awk '{for(i=1;i<=NF;i++) if($i=="ops/sec") print $(i-1)}' <<<"$1"; }
# median_ops SYSTEM WORKLOAD BENCHMARK : median ops/sec over the repetitions that produced a result
median_ops() {
  local rep v values=()
  for rep in $(seq 1 "$REPS"); do
    v=$(ops "$(report_line "$1" "$2" "$3" "$rep")")
    [ -n "$v" ] && values+=("$v")
  done
  [ ${#values[@]} -gt 0 ] || return 0
  printf '%s\n' "${values[@]}" | sort -n | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2 }'
}

WORKLOADS="fillseq:fillseq fillrandom:fillrandom overwrite:overwrite readrandom:readrandom readseq:readseq seekrandom:seekrandom fillsync:fillrandom fillsync-8t:fillrandom"
for wb in $WORKLOADS; do
  w=${wb%%:*} b=${wb##*:}
  echo "== $w"
  for rep in $(seq 1 "$REPS"); do
    t=$(report_line tusk "$w" "$b" "$rep"); r=$(report_line rocksdb "$w" "$b" "$rep")
    echo "tusk    ${t:-(no result; see $LOGS/tusk.$w.$rep.log)}"
    grep -E '^Peak memory:' "$LOGS/tusk.$w.$rep.log" 2>/dev/null | tail -1 | sed 's/^/        /' || true
    echo "rocksdb ${r:-(no result; see $LOGS/rocksdb.$w.$rep.log)}"
  done
done
echo
failed=0
for wb in $WORKLOADS; do
  w=${wb%%:*} b=${wb##*:}
  t=$(median_ops tusk "$w" "$b"); r=$(median_ops rocksdb "$w" "$b")
  if [ -n "$t" ] && [ -n "$r" ] && [ "$r" != 0 ]; then
    ratio=$(awk -v t="$t" -v r="$r" 'BEGIN{printf "%.2f", t/r}')
  else
    ratio=n/a; failed=1
  fi
  echo "RESULT $w tusk=${t:-n/a} rocksdb=${r:-n/a} ops/s ratio=$ratio"
done
[ $failed -eq 0 ] || { log "some runs produced no result; logs are in $LOGS"; exit 1; }
