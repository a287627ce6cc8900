#!/usr/bin/env bash
# Kafka broker log throughput: Tusk's acks=all produce rate next to the disk's sequential write bandwidth (fio)
# and Redis 7 Streams XADD with appendfsync always, all in one run on the same disk.
#
#   bench/log-throughput.sh
#
# Each repetition runs, in this order (the systems alternate within a repetition, so drift on a shared,
# noisy machine hits all of them):
#   1. disk:  fio, 1 MiB sequential writes of FIO_SIZE, buffered, fsync at the end (the job "(b)" of the shared
#             anchors, anchors/fio.sh), MiB/s over fio's runtime, which includes the final fsync: the disk's
#             bandwidth, the RESULT lines' "disk". FIO_SIZE defaults to the bytes the 1 KiB produce run writes
#             (MSGS_1K x 1 KiB, rounded up to MiB), so the disk and Tusk write the same volume through the page
#             cache (dirty-page limits and writeback behave alike). Then the same volume written the way Tusk
#             writes it, fdatasync after every 1 MiB (fio --fdatasync=1, one writer): informational.
#   2. tusk (librdkafka): produce MSGS_100B messages of 100 B to a fresh topic (PARTITIONS partitions,
#             flush.messages=1: every batch is fsynced before acks=all is answered) with PRODUCERS librdkafka
#             producer processes (bench/kafka_load.py: acks=all, linger.ms=LINGER_MS, batch.size=BATCH_BYTES, no
#             compression), then read the topic from the beginning to its end with CONSUMERS consumer processes,
#             delete it; the same with MSGS_1K messages of 1 KiB. Python and librdkafka take 1.1-1.6 of the
#             machine's 2 cores here, so these figures say what a Python client gets on this box (the
#             -librdkafka RESULT lines and xadd-vs-redis), not what the broker can take.
#   2b. tusk (lean load generator): produce runs to a fresh topic (same partitions, flush.messages=1, acks=-1)
#             driven by `tusk bench kafka-produce`: it encodes one batch of BATCH_BYTES per partition once and
#             re-sends it over LEAN_CONNECTIONS sockets with LEAN_IN_FLIGHT requests outstanding each, checking
#             every response and the log end offsets at the end. It needs ~0.1-0.5 cores, so these runs measure
#             the broker (the produce-100b and produce-1k RESULT lines, as Kafka's own producer-perf-test
#             measures a broker from another machine). LEAN_MSGS_100B messages of 100 B (default: the payload
#             volume of the 1 KiB run, so both sizes write as much as fio does), then MSGS_1K of 1 KiB.
#   3. redis: a fresh redis-server (appendonly yes, appendfsync always: fsync before the reply), then
#             redis-benchmark -n REDIS_N -c 50 -P 16 XADD mystream '*' field <100 B> (anchors/redis.sh's XADD
#             test with a 100-byte value).
# Every timed write step starts after SETTLE seconds of `sync` and idle, then recycles as much page cache as
# it will write (WARM, see warm() below). One Tusk broker (`tusk start`, Release build) serves every
# repetition; before the first one it is warmed up (an untimed produce and consume of 100 B and 1 KiB messages
# on a scratch topic) so the JIT has optimized the hot paths. Figures are medians over REPS repetitions; the script ends with:
#   RESULT produce-100b tusk=<MiB/s> disk=<MiB/s> MiB/s ratio=<tusk/disk>              (lean load generator)
#   RESULT produce-1k tusk=<MiB/s> disk=<MiB/s> MiB/s ratio=<tusk/disk>                (lean load generator)
#   RESULT produce-100b-librdkafka tusk=<MiB/s> disk=<MiB/s> MiB/s ratio=<tusk/disk>
#   RESULT produce-1k-librdkafka tusk=<MiB/s> disk=<MiB/s> MiB/s ratio=<tusk/disk>
#   RESULT xadd-vs-redis tusk=<msgs/s> redis=<msgs/s> messages/s ratio=<tusk/redis>   (librdkafka, 100 B)
# (Tusk's MiB/s counts message payload; xadd-vs-redis compares Tusk's 100 B produce rate with XADD's.)
#
# Environment (defaults): BENCH_DIR (/tmp/tusk-log-throughput; wiped at start and removed at exit unless
# KEEP_DATA=1), REPS (3), MSGS_100B (3000000), MSGS_1K (1000000), LEAN_MSGS_100B (MSGS_1K x 1024 / 100), PARTITIONS (4), PRODUCERS (3), CONSUMERS (2),
# LINGER_MS (5), BATCH_BYTES (1000000), LEAN_CONNECTIONS (PARTITIONS), LEAN_IN_FLIGHT (8), FIO_SIZE (MSGS_1K KiB in MiB; FIO_SIZE=2g is the anchor's job),
# REDIS_N (1000000), REDIS_CLIENTS (50), REDIS_PIPELINE (16), SETTLE (3: seconds of `sync; sleep` before
# each timed step, so each starts with the disk idle), WARM (1: recycle the step's volume of page cache just
# before each timed write step, see warm() below; 0: off), KAFKA_PORT and REDIS_PORT (free ports),
# RUN_TIMEOUT (600 s per step),
# SKIP_BUILD=1 to reuse bench/out/tusk, PYTHON (/usr/bin/python3: Debian's, which has python3-confluent-kafka).
# Logs (broker, redis, fio JSON, every raw figure) go to bench/out/log-throughput/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/tusk-log-throughput}
REPS=${REPS:-3}
MSGS_100B=${MSGS_100B:-3000000}
MSGS_1K=${MSGS_1K:-1000000}
LEAN_MSGS_100B=${LEAN_MSGS_100B:-$(( MSGS_1K * 1024 / 100 ))}
PARTITIONS=${PARTITIONS:-4}
PRODUCERS=${PRODUCERS:-3}
CONSUMERS=${CONSUMERS:-2}
LINGER_MS=${LINGER_MS:-5}
BATCH_BYTES=${BATCH_BYTES:-1000000}
LEAN_CONNECTIONS=${LEAN_CONNECTIONS:-$PARTITIONS}
LEAN_IN_FLIGHT=${LEAN_IN_FLIGHT:-8}
FIO_SIZE=${FIO_SIZE:-$(( (MSGS_1K * 1024 + 1048575) / 1048576 ))m}
FIO_MIB=$(numfmt --from=iec "${FIO_SIZE^^}" 2>/dev/null | awk '{printf "%d", ($1 + 1048575) / 1048576}')
SETTLE=${SETTLE:-3}
WARM=${WARM:-1}
REDIS_N=${REDIS_N:-1000000}
REDIS_CLIENTS=${REDIS_CLIENTS:-50}
REDIS_PIPELINE=${REDIS_PIPELINE:-16}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
PY=${PYTHON:-/usr/bin/python3}
OUT=$ROOT/bench/out
LOGS=$OUT/log-throughput
LOAD=$ROOT/bench/kafka_load.py

. "$ROOT/bench/lib.sh"
case "$FIO_SIZE" in [0-9]*[0-9kKmMgG]) ;; *) die "FIO_SIZE must be a size fio accepts, e.g. 977m or 2g (got '$FIO_SIZE')";; esac
case "$SETTLE" in ""|*[!0-9]*) die "SETTLE must be a whole number of seconds (got '$SETTLE')";; esac
case "$WARM" in 0|1) ;; *) die "WARM must be 0 or 1 (got '$WARM')";; esac
[ -n "$FIO_MIB" ] && [ "$FIO_MIB" -gt 0 ] || die "cannot read FIO_SIZE '$FIO_SIZE' (use e.g. 977m or 2g)"
for v in REPS MSGS_100B MSGS_1K LEAN_MSGS_100B PARTITIONS PRODUCERS CONSUMERS BATCH_BYTES LEAN_CONNECTIONS LEAN_IN_FLIGHT REDIS_N REDIS_CLIENTS REDIS_PIPELINE RUN_TIMEOUT; do
  positive "$v" "${!v}"
done
[ "$PARTITIONS" -le 4 ] || log "note: PARTITIONS=$PARTITIONS (the documented runs use 1-4)"

# --- prerequisites --------------------------------------------------------------------------------
command -v fio >/dev/null 2>&1 || apt_install fio
command -v jq >/dev/null 2>&1 || apt_install jq
command -v redis-server >/dev/null 2>&1 || apt_install redis-server
command -v redis-benchmark >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || apt_install redis-tools
if ! "$PY" -c 'import confluent_kafka' >/dev/null 2>&1; then
  [ "$PY" = /usr/bin/python3 ] || die "$PY cannot import confluent_kafka; install it or unset PYTHON to use Debian's"
  apt_install python3 python3-confluent-kafka
  "$PY" -c 'import confluent_kafka' >/dev/null 2>&1 || die "python3-confluent-kafka installed but $PY still cannot import confluent_kafka"
fi
for c in fio jq redis-server redis-benchmark redis-cli timeout; do
  command -v "$c" >/dev/null 2>&1 || die "$c is required but not on PATH"
done
ensure_dotnet

publish_tusk

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
KAFKA_PORT=${KAFKA_PORT:-$(free_port)}
REDIS_PORT=${REDIS_PORT:-$(free_port)}
[ "$KAFKA_PORT" != "$REDIS_PORT" ] || REDIS_PORT=$(free_port)
BOOT=127.0.0.1:$KAFKA_PORT

rm -rf "$BENCH_DIR" "$LOGS"
mkdir -p "$BENCH_DIR/fio" "$LOGS"
RAW=$LOGS/raw.tsv   # figure<TAB>rep<TAB>value
: >"$RAW"

# --- processes: the broker and redis are stopped on any exit --------------------------------------
TUSK_PID="" REDIS_PID=""
stop_pid() {  # stop_pid NAME PID : SIGTERM, wait up to 15 s, then SIGKILL
  local name=$1 pid=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "WARN: $name (pid $pid) ignored SIGTERM for 15 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  [ -z "$TUSK_PID" ] || stop_pid tusk "$TUSK_PID"
  [ -z "$REDIS_PID" ] || stop_pid redis-server "$REDIS_PID"
  if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$BENCH_DIR"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLK_TCK=$(getconf CLK_TCK)
# warm MIB : write MIB MiB to a scratch file without fsync and delete it at once (its dirty pages are dropped,
# never written back), just before a timed write step. On this VM, memory the guest has not touched recently is
# backed lazily by the host: the first write into such a page-cache page costs ~10 us (1 GiB of buffered writes
# took 2.6-3.7 s of system time "cold", 0.3 s right after the same amount was freed). Recycling that much page
# cache first makes every system start from the same warm state, so the steps measure the disk, not the host.
warm() {
  [ "$WARM" = 1 ] || return 0
  fio --name=warm --filename="$BENCH_DIR/warm.dat" --rw=write --bs=1m --size="$1m" --ioengine=sync --direct=0 \
    --output-format=terse >/dev/null || die "fio (page-cache warm-up) failed"
  rm -f "$BENCH_DIR/warm.dat"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }  # utime + stime of a process
load1() { cut -d' ' -f1 /proc/loadavg; }

start_tusk() {
  local data=$BENCH_DIR/tusk i
  log "starting tusk on $BOOT (data $data)"
  dotnet "$OUT/tusk/tusk.dll" start --data "$data" --kafka "$BOOT" --pg off --stats-interval 3600 >"$LOGS/tusk.log" 2>&1 &
  TUSK_PID=$!
  for i in $(seq 600); do
    grep -q '^ready' "$LOGS/tusk.log" 2>/dev/null && return 0
    kill -0 "$TUSK_PID" 2>/dev/null || { cat "$LOGS/tusk.log" >&2; die "tusk exited before it was ready"; }
    sleep 0.1
  done
  cat "$LOGS/tusk.log" >&2
  die "tusk did not print 'ready' within 60 s"
}

# kv KEY LINE : the value of KEY=value in a kafka_load.py report line

# load ARGS... : runs kafka_load.py under the step timeout; its output goes to stdout, errors to the log
load() { timeout "$RUN_TIMEOUT" "$PY" "$LOAD" "$@" --bootstrap "$BOOT"; }

# tusk_step LABEL SIZE MESSAGES : produce to a fresh topic, read it back, delete it
tusk_step() {
  local label=$1 size=$2 n=$3 topic="bench-$1-r$REP" out t0 t1 secs logbytes
  load create --topic "$topic" --partitions "$PARTITIONS" || die "could not create topic $topic"
  settle; warm $(( n * (size + 16) / 1048576 + 1 ))  # the log's size: payload + ~10 B of record framing
  t0=$(cpu_ticks "$TUSK_PID")
  out=$(load produce --topic "$topic" --messages "$n" --size "$size" --producers "$PRODUCERS" \
        --linger-ms "$LINGER_MS" --batch-bytes "$BATCH_BYTES" 2>>"$LOGS/kafka_load.log") \
    || { echo "$out"; die "tusk produce $label failed (see $LOGS/kafka_load.log)"; }
  t1=$(cpu_ticks "$TUSK_PID")
  secs=$(kv seconds "$out")
  logbytes=$(find "$BENCH_DIR/tusk/topics" -path "*/$topic-*" -name '*.log' -printf '%s\n' | awk '{s += $1} END{print s + 0}')
  record "produce-$label msgs/s" "$(kv msgs_per_s "$out")"
  record "produce-$label MiB/s" "$(kv mib_per_s "$out")"
  record "produce-$label log MiB/s" "$(awk -v b="$logbytes" -v s="$secs" 'BEGIN{printf "%.1f", b/1048576/s}')"
  record "produce-$label broker cores" "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" -v s="$secs" 'BEGIN{printf "%.2f", t/h/s}')"
  record "produce-$label client cores" "$(awk -v c="$(kv client_cpu_s "$out")" -v s="$secs" 'BEGIN{printf "%.2f", c/s}')"
  printf 'tusk  produce-%-4s %s  broker CPU %.2f s  log files %d bytes  load %s\n' "$label" "$out" \
    "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" 'BEGIN{print t/h}')" "$logbytes" "$(load1)"

  t0=$(cpu_ticks "$TUSK_PID")
  out=$(load consume --topic "$topic" --size "$size" --consumers "$CONSUMERS" --expect "$n" 2>>"$LOGS/kafka_load.log") \
    || { echo "$out"; die "tusk consume $label failed (see $LOGS/kafka_load.log)"; }
  t1=$(cpu_ticks "$TUSK_PID")
  secs=$(kv seconds "$out")
  record "consume-$label msgs/s" "$(kv msgs_per_s "$out")"
  record "consume-$label MiB/s" "$(kv mib_per_s "$out")"
  record "consume-$label broker cores" "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" -v s="$secs" 'BEGIN{printf "%.2f", t/h/s}')"
  record "consume-$label client cores" "$(awk -v c="$(kv client_cpu_s "$out")" -v s="$secs" 'BEGIN{printf "%.2f", c/s}')"
  printf 'tusk  consume-%-4s %s  broker CPU %.2f s\n' "$label" "$out" "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" 'BEGIN{print t/h}')"
  load delete --topic "$topic" 2>>"$LOGS/kafka_load.log" || die "could not delete topic $topic"
}

# lean_step LABEL SIZE MESSAGES : produce to a fresh topic with `tusk bench kafka-produce` (creates it), delete it
lean_step() {
  local label=$1 size=$2 n=$3 topic="bench-$1-lean-r$REP" out t0 t1 secs
  settle; warm $(( n * (size + 16) / 1048576 + 1 ))
  t0=$(cpu_ticks "$TUSK_PID")
  out=$(timeout "$RUN_TIMEOUT" dotnet "$OUT/tusk/tusk.dll" bench kafka-produce --bootstrap "$BOOT" --topic "$topic" \
        --partitions "$PARTITIONS" --connections "$LEAN_CONNECTIONS" --in-flight "$LEAN_IN_FLIGHT" --message-bytes "$size" \
        --batch-bytes "$BATCH_BYTES" --messages "$n" --acks -1 2>>"$LOGS/lean.log") \
    || { echo "$out"; die "tusk lean produce $label failed (see $LOGS/lean.log)"; }
  t1=$(cpu_ticks "$TUSK_PID")
  out=$(grep '^KAFKABENCH' <<<"$out")
  secs=$(kv seconds "$out")
  record "produce-$label-lean msgs/s" "$(kv msgs_per_s "$out")"
  record "produce-$label-lean MiB/s" "$(kv mib_per_s "$out")"
  record "produce-$label-lean broker cores" "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" -v s="$secs" 'BEGIN{printf "%.2f", t/h/s}')"
  record "produce-$label-lean client cores" "$(awk -v c="$(kv client_cpu_s "$out")" -v s="$secs" 'BEGIN{printf "%.2f", c/s}')"
  printf 'tusk  produce-%-4s lean %s  broker CPU %.2f s  load %s\n' "$label" "$out" \
    "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" 'BEGIN{print t/h}')" "$(load1)"
  load delete --topic "$topic" 2>>"$LOGS/kafka_load.log" || die "could not delete topic $topic"
}

disk_step() {
  local d=$BENCH_DIR/fio json=$LOGS/fio.$REP.json bw
  rm -f "$d/seq.dat"; settle; warm "$FIO_MIB"
  timeout "$RUN_TIMEOUT" fio --name=seqwrite1m --filename="$d/seq.dat" --rw=write --bs=1m --size="$FIO_SIZE" \
    --ioengine=sync --direct=0 --end_fsync=1 --output-format=json >"$json" || die "fio failed (see $json)"
  rm -f "$d/seq.dat"
  bw=$(jq '.jobs[0].write.bw_bytes / 1048576' "$json")
  record "disk seq write MiB/s" "$(printf '%.1f' "$bw")"
  printf 'disk  fio 1 MiB sequential write x %s, fsync at the end: %.1f MiB/s (runtime %s ms incl. the fsync)  load %s\n' \
    "$FIO_SIZE" "$bw" "$(jq '.jobs[0].write.runtime' "$json")" "$(load1)"
  json=$LOGS/fio-fdatasync.$REP.json
  settle; warm "$FIO_MIB"
  timeout "$RUN_TIMEOUT" fio --name=seqwrite1m-fdatasync --filename="$d/seq.dat" --rw=write --bs=1m --size="$FIO_SIZE" \
    --ioengine=sync --direct=0 --fdatasync=1 --output-format=json >"$json" || die "fio failed (see $json)"
  rm -f "$d/seq.dat"
  bw=$(jq '.jobs[0].write.bw_bytes / 1048576' "$json")
  record "disk seq write+fdatasync/MiB MiB/s" "$(printf '%.1f' "$bw")"
  printf 'disk  fio 1 MiB sequential write x %s, fdatasync after each: %.1f MiB/s (fdatasync p50 %.2f ms)  load %s\n' \
    "$FIO_SIZE" "$bw" "$(jq '.jobs[0].sync.lat_ns.percentile["50.000000"] / 1e6' "$json")" "$(load1)"
}

redis_step() {
  local d=$BENCH_DIR/redis value csv rps len i
  rm -rf "$d"; mkdir -p "$d"; settle; warm $(( REDIS_N * 200 / 1048576 + 1 ))  # AOF: ~170 B per XADD
  # RDB snapshots off (--save ''), AOF rewrite off: the run measures appends + fsync, as Tusk's does.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$d" --save '' --daemonize no --logfile "$LOGS/redis.$REP.log" \
    --appendonly yes --appendfsync always --auto-aof-rewrite-percentage 0 &
  REDIS_PID=$!
  for i in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || { cat "$LOGS/redis.$REP.log" >&2; die "redis-server did not start"; }
  [ "$(redis-cli -p "$REDIS_PORT" config get appendfsync | tail -1)" = always ] || die "redis: appendfsync is not 'always'"
  value=$(printf 'v%.0s' $(seq 100))
  csv=$(timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -n "$REDIS_N" -c "$REDIS_CLIENTS" \
        -P "$REDIS_PIPELINE" --csv XADD mystream '*' field "$value" 2>&1) || { echo "$csv" >&2; die "redis-benchmark failed"; }
  rps=$(awk -F, '$1 ~ /^"XADD/ {gsub(/"/, "", $2); print $2}' <<<"$csv")
  [ -n "$rps" ] || { echo "$csv" >&2; die "no XADD figure in redis-benchmark's output"; }
  len=$(redis-cli -p "$REDIS_PORT" xlen mystream)
  [ "$len" = "$REDIS_N" ] || die "redis: stream has $len entries after $REDIS_N XADDs"
  record "redis xadd msgs/s" "$(printf '%.0f' "$rps")"
  printf 'redis XADD 100 B, %s clients, pipeline %s, appendfsync always: %.0f msgs/s (%s entries, AOF %s)  load %s\n' \
    "$REDIS_CLIENTS" "$REDIS_PIPELINE" "$rps" "$len" "$(du -sh "$d/appendonlydir" 2>/dev/null | cut -f1)" "$(load1)"
  stop_pid redis-server "$REDIS_PID"; REDIS_PID=""
  rm -rf "$d"
}

echo "nproc: $(nproc)   memory: $(free -g | awk '/^Mem:/{print $2}') GiB   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "disk: $BENCH_DIR ($(df -h --output=source,fstype "$BENCH_DIR" | tail -1 | tr -s ' '))"
echo "tusk: $(dotnet "$OUT/tusk/tusk.dll" --version) (Release), dotnet $(dotnet --version)"
echo "fio: $(fio --version)   redis: $(redis-server --version | cut -d' ' -f3)   librdkafka: $("$PY" -c 'import confluent_kafka as c; print(c.libversion()[0], "(confluent-kafka", c.version()[0] + ")")')"
echo "tusk load: $PARTITIONS partitions, $PRODUCERS producers, $CONSUMERS consumers, acks=all, linger.ms=$LINGER_MS, batch.size=$BATCH_BYTES, no compression;" \
  "$MSGS_100B x 100 B and $MSGS_1K x 1 KiB per repetition"
echo "tusk lean load: tusk bench kafka-produce, $LEAN_CONNECTIONS connections, $LEAN_IN_FLIGHT requests in flight each, acks=-1, batches of $BATCH_BYTES B; $LEAN_MSGS_100B x 100 B and $MSGS_1K x 1 KiB"
echo "disk: fio 1 MiB sequential writes of $FIO_SIZE; redis: $REDIS_N XADDs, $REDIS_CLIENTS clients, pipeline $REDIS_PIPELINE;" \
  "$REPS repetitions, ${SETTLE}s of sync+idle before each timed step, page-cache warm-up $([ "$WARM" = 1 ] && echo on || echo off)"
echo

start_tusk
REP=warmup
log "warming up the broker (untimed)"
for ws in 100:300000 1024:100000; do
  load create --topic warmup --partitions "$PARTITIONS" >/dev/null 2>>"$LOGS/kafka_load.log" || die "warm-up: create failed"
  load produce --topic warmup --messages "${ws#*:}" --size "${ws%%:*}" --producers "$PRODUCERS" >/dev/null 2>>"$LOGS/kafka_load.log" \
    || die "warm-up produce failed (see $LOGS/kafka_load.log)"
  load consume --topic warmup --size "${ws%%:*}" --consumers "$CONSUMERS" >/dev/null 2>>"$LOGS/kafka_load.log" \
    || die "warm-up consume failed (see $LOGS/kafka_load.log)"
  load delete --topic warmup 2>>"$LOGS/kafka_load.log" || die "warm-up: delete failed"
done

for REP in $(seq 1 "$REPS"); do
  log "repetition $REP of $REPS"
  echo "== repetition $REP"
  disk_step
  tusk_step 100b 100 "$MSGS_100B"
  tusk_step 1k 1024 "$MSGS_1K"
  lean_step 100b 100 "$LEAN_MSGS_100B"
  lean_step 1k 1024 "$MSGS_1K"
  redis_step
done
stop_pid tusk "$TUSK_PID"; TUSK_PID=""
if grep -qiE 'error|exception|fail' "$LOGS/tusk.log"; then
  log "WARN: the broker log mentions errors:"; grep -iE 'error|exception|fail' "$LOGS/tusk.log" | head -5 >&2
fi

# --- summary --------------------------------------------------------------------------------------
echo
echo "== medians over $REPS repetitions (min - max)"
awk -F'\t' '!seen[$1]++ {print $1}' "$RAW" | while IFS= read -r f; do
  printf '%-36s %12s   (%s)\n' "$f" "$(median "$f")" "$(range "$f")"
done
echo

DISK=$(median "disk seq write MiB/s")
T100=$(median "produce-100b MiB/s")
T1K=$(median "produce-1k MiB/s")
L100=$(median "produce-100b-lean MiB/s")
L1K=$(median "produce-1k-lean MiB/s")
T100M=$(median "produce-100b msgs/s")
RX=$(median "redis xadd msgs/s")
for pair in "100b:$T100" "1k:$T1K" "100b-lean:$L100" "1k-lean:$L1K"; do
  v=${pair#*:}
  if awk -v t="$v" -v d="$DISK" 'BEGIN{exit !(t > d)}'; then
    log "WARN: Tusk's produce-${pair%%:*} rate ($v MiB/s) is above the disk's median ($DISK MiB/s): the disk's speed varies between runs (see the per-repetition lines)"
  fi
done
echo "INFO disk-fdatasync-per-MiB $(fmt1 "$(median "disk seq write+fdatasync/MiB MiB/s")") MiB/s (fio, $FIO_SIZE, fdatasync after every 1 MiB write)"
echo "INFO consume-100b $(fmt1 "$(median "consume-100b MiB/s")") MiB/s $(fmt0 "$(median "consume-100b msgs/s")") messages/s"
echo "INFO consume-1k $(fmt1 "$(median "consume-1k MiB/s")") MiB/s $(fmt0 "$(median "consume-1k msgs/s")") messages/s"
echo "RESULT produce-100b tusk=$(fmt1 "$L100") disk=$(fmt1 "$DISK") MiB/s ratio=$(ratio "$L100" "$DISK")"
echo "RESULT produce-1k tusk=$(fmt1 "$L1K") disk=$(fmt1 "$DISK") MiB/s ratio=$(ratio "$L1K" "$DISK")"
echo "RESULT produce-100b-librdkafka tusk=$(fmt1 "$T100") disk=$(fmt1 "$DISK") MiB/s ratio=$(ratio "$T100" "$DISK")"
echo "RESULT produce-1k-librdkafka tusk=$(fmt1 "$T1K") disk=$(fmt1 "$DISK") MiB/s ratio=$(ratio "$T1K" "$DISK")"
echo "RESULT xadd-vs-redis tusk=$(fmt0 "$T100M") redis=$(fmt0 "$RX") messages/s ratio=$(ratio "$T100M" "$RX")"
