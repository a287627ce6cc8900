#!/usr/bin/env bash
# Replicated writes: a 3-node Tusk cluster (Raft KV, `tusk start --id`) against a 3-member etcd 3.4 cluster, both on
# loopback on this machine, both fsyncing every commit, under the same closed-loop load from the same generator.
#
#   bench/raft-vs-etcd.sh
#
# The load is `tusk bench raft` (src/Tusk.Cli/Bench/RaftBenchCommand.cs): CLIENTS tasks, each putting a unique random
# key of KEY_SIZE bytes with a random VALUE_SIZE-byte value and waiting for the answer before the next put, no rate
# limit; WARMUP seconds unmeasured, then DURATION seconds measured: writes/s and latency percentiles of the puts
# answered in that window. The defaults (500 clients, 256 B keys, 1 KiB values) are the profile of
# `etcdctl check perf --load=l`. Tusk is reached through RaftKvClient (one pipelined connection to the leader);
# etcd through its v3 API, the clients spread over the members as etcdctl's balancer spreads them (ETCD_TARGET=all)
# or all sent to the leader (ETCD_TARGET=leader). ETCD_API picks the API of the RESULT lines: grpc (default) is
# etcd's native KV/Put over cleartext HTTP/2, as etcdctl and every etcd client send it; json is the gRPC gateway's
# POST /v3/kv/put over HTTP/1.1 (one connection per request in flight), which costs etcd a JSON decode and a
# loopback gRPC call per put. ETCD_API_ALSO (default json; empty to skip) is measured in every repetition as well
# and reported on INFO lines.
#
# Each repetition starts a fresh cluster of each system (data under BENCH_DIR, removed afterwards), waits for a
# leader, runs the load, stops the cluster; the two systems swap order every repetition, so drift on a shared,
# noisy machine hits both alike. Each repetition also runs the anchors' fio job (a), 4 KiB writes each followed by
# fdatasync (anchors/fio.sh): the rate of one unbatched durable commit on this disk, the floor that batching
# (group commit) must beat. Once, after the repetitions, `etcdctl check perf --load=l` runs on a fresh etcd cluster
# (the anchors' command, informational): etcd's own tool, to compare with the generator's etcd figure.
#
# Ends with (medians over REPS repetitions):
#   RESULT writes-3node tusk=<writes/s> etcd=<writes/s> writes/s ratio=<tusk/etcd>
#   RESULT p99-3node tusk=<ms> etcd=<ms> ms ratio=<etcd/tusk>       (above 1: Tusk's p99 is lower)
#
# Environment (defaults): REPS (3), CLIENTS (500), DURATION (30), WARMUP (5), KEY_SIZE (256), VALUE_SIZE (1024),
# ETCD_API (grpc), ETCD_API_ALSO (json), ETCD_TARGET (all), CHECK_PERF (1: run etcdctl check perf once; 0: skip), FIO_RUNTIME (20 s),
# SETTLE (3: seconds of `sync` and idle before each timed step), BENCH_DIR (/tmp/tusk-raft-vs-etcd; wiped),
# PORT_BASE (24370: etcd clients PORT_BASE+1..3, etcd peers +11..13, Tusk nodes +21..23), TICK_MS (100) and
# ELECTION_TICKS (10) for Tusk (etcd's defaults: heartbeat 100 ms, election 1000 ms), RUN_TIMEOUT (seconds per
# load run, default DURATION + WARMUP + 120), SKIP_BUILD=1 to reuse bench/out/tusk.
# Logs (every node's output, each load run, fio JSON, raw figures) go to bench/out/raft-vs-etcd/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/tusk-raft-vs-etcd}
REPS=${REPS:-3}
CLIENTS=${CLIENTS:-500}
DURATION=${DURATION:-30}
WARMUP=${WARMUP:-5}
KEY_SIZE=${KEY_SIZE:-256}
VALUE_SIZE=${VALUE_SIZE:-1024}
ETCD_API=${ETCD_API:-grpc}
ETCD_API_ALSO=${ETCD_API_ALSO-json}
ETCD_TARGET=${ETCD_TARGET:-all}
CHECK_PERF=${CHECK_PERF:-1}
FIO_RUNTIME=${FIO_RUNTIME:-20}
SETTLE=${SETTLE:-3}
PORT_BASE=${PORT_BASE:-24370}
TICK_MS=${TICK_MS:-100}
ELECTION_TICKS=${ELECTION_TICKS:-10}
RUN_TIMEOUT=${RUN_TIMEOUT:-$((DURATION + WARMUP + 120))}
OUT=$ROOT/bench/out
LOGS=$OUT/raft-vs-etcd

. "$ROOT/bench/lib.sh"
for v in REPS CLIENTS DURATION KEY_SIZE VALUE_SIZE FIO_RUNTIME PORT_BASE TICK_MS ELECTION_TICKS RUN_TIMEOUT; do positive "$v" "${!v}"; done
case "$WARMUP" in ""|*[!0-9]*) die "WARMUP must be a whole number of seconds (got '$WARMUP')";; esac
case "$SETTLE" in ""|*[!0-9]*) die "SETTLE must be a whole number of seconds (got '$SETTLE')";; esac
case "$ETCD_API" in json|grpc) ;; *) die "ETCD_API must be json or grpc (got '$ETCD_API')";; esac
case "$ETCD_API_ALSO" in ""|json|grpc) ;; *) die "ETCD_API_ALSO must be json, grpc or empty (got '$ETCD_API_ALSO')";; esac
[ "$ETCD_API_ALSO" != "$ETCD_API" ] || ETCD_API_ALSO=""
case "$ETCD_TARGET" in all|leader) ;; *) die "ETCD_TARGET must be all or leader (got '$ETCD_TARGET')";; esac
case "$CHECK_PERF" in 0|1) ;; *) die "CHECK_PERF must be 0 or 1 (got '$CHECK_PERF')";; esac

# --- prerequisites --------------------------------------------------------------------------------
command -v etcd >/dev/null 2>&1 || apt_install etcd-server
command -v etcdctl >/dev/null 2>&1 || apt_install etcd-client
command -v fio >/dev/null 2>&1 || apt_install fio
command -v jq >/dev/null 2>&1 || apt_install jq
for c in etcd etcdctl fio jq timeout; do command -v "$c" >/dev/null 2>&1 || die "$c is required but not on PATH"; done
ensure_dotnet
export ETCDCTL_API=3

publish_tusk
TUSK=(dotnet "$OUT/tusk/tusk.dll")

H=127.0.0.1
ETCD_CLIENT=() ETCD_PEER=() TUSK_NODE=()
for i in 1 2 3; do
  ETCD_CLIENT+=($((PORT_BASE + i))) ETCD_PEER+=($((PORT_BASE + 10 + i))) TUSK_NODE+=($((PORT_BASE + 20 + i)))
done
for p in "${ETCD_CLIENT[@]}" "${ETCD_PEER[@]}" "${TUSK_NODE[@]}"; do
  if (exec 3<>/dev/tcp/$H/$p) 2>/dev/null; then die "port $p is in use (set PORT_BASE)"; fi
done
ETCD_EPS=$(printf "$H:%s," "${ETCD_CLIENT[@]}"); ETCD_EPS=${ETCD_EPS%,}
TUSK_EPS=$(printf "$H:%s," "${TUSK_NODE[@]}"); TUSK_EPS=${TUSK_EPS%,}
TUSK_CLUSTER="1=$H:${TUSK_NODE[0]},2=$H:${TUSK_NODE[1]},3=$H:${TUSK_NODE[2]}"

rm -rf "$BENCH_DIR" "$LOGS"
mkdir -p "$BENCH_DIR" "$LOGS"
RAW=$LOGS/raw.tsv   # figure<TAB>rep<TAB>value
: >"$RAW"

# --- processes: every server this script started is stopped on any exit ---------------------------
PIDS=()
stop_all() {  # SIGTERM every server, wait up to 15 s each, then SIGKILL
  local p i
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for i in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then log "WARN: pid $p ignored SIGTERM for 15 s: SIGKILL"; kill -KILL "$p" 2>/dev/null || true; fi
    wait "$p" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() {
  local rc=$?
  stop_all
  rm -rf "$BENCH_DIR"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { local p s=0; for p in "${PIDS[@]}"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $s; }
peak_rss_mib() { local p s=0; for p in "${PIDS[@]}"; do s=$((s + $(awk '/^VmHWM:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo $((s / 1024)); }
load1() { cut -d' ' -f1 /proc/loadavg; }

start_etcd() {  # fresh 3-member cluster under $BENCH_DIR/etcd; default flags (fsync on every commit)
  local d=$BENCH_DIR/etcd ic="" i
  rm -rf "$d"; mkdir -p "$d"
  for i in 1 2 3; do ic+="${ic:+,}m$i=http://$H:${ETCD_PEER[$((i-1))]}"; done
  for i in 1 2 3; do
    etcd --name "m$i" --data-dir "$d/m$i" \
      --listen-client-urls "http://$H:${ETCD_CLIENT[$((i-1))]}" --advertise-client-urls "http://$H:${ETCD_CLIENT[$((i-1))]}" \
      --listen-peer-urls "http://$H:${ETCD_PEER[$((i-1))]}" --initial-advertise-peer-urls "http://$H:${ETCD_PEER[$((i-1))]}" \
      --initial-cluster "$ic" --initial-cluster-state new --initial-cluster-token "raft-vs-etcd-$REP" \
      --quota-backend-bytes=$((8*1024*1024*1024)) >"$LOGS/etcd.$REP.m$i.log" 2>&1 &
    PIDS+=($!)
  done
  for i in $(seq 150); do etcdctl --endpoints="$ETCD_EPS" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
  etcdctl --endpoints="$ETCD_EPS" endpoint health >/dev/null 2>&1 || { tail -5 "$LOGS"/etcd.$REP.m*.log >&2; die "etcd did not become healthy in 30 s"; }
}

etcd_leader_endpoint() {
  etcdctl --endpoints="$ETCD_EPS" endpoint status -w json |
    jq -r '.[] | select(.Status.header.member_id == .Status.leader) | .Endpoint' | head -1 | sed 's#^http://##'
}

start_tusk() {  # fresh 3-node cluster under $BENCH_DIR/tusk; waits until one node leads and all answer
  local d=$BENCH_DIR/tusk i j peers
  rm -rf "$d"; mkdir -p "$d"
  for i in 1 2 3; do
    peers=""
    for j in 1 2 3; do [ $j = $i ] || peers+="${peers:+,}$j=$H:${TUSK_NODE[$((j-1))]}"; done
    "${TUSK[@]}" start --id $i --listen "$H:${TUSK_NODE[$((i-1))]}" --peers "$peers" --data "$d/n$i" \
      --tick-ms "$TICK_MS" --election-ticks "$ELECTION_TICKS" --stats-interval 3600 >"$LOGS/tusk.$REP.n$i.log" 2>&1 &
    PIDS+=($!)
  done
  for i in $(seq 150); do
    "${TUSK[@]}" cluster status --cluster "$TUSK_CLUSTER" 2>/dev/null | grep -qw leader && return 0
    sleep 0.2
  done
  "${TUSK[@]}" cluster status --cluster "$TUSK_CLUSTER" >&2 || true
  tail -5 "$LOGS"/tusk.$REP.n*.log >&2
  die "the Tusk cluster elected no leader in 30 s"
}

# load NAME SYSTEM ARGS... : one run of the generator against the running cluster; records its figures as NAME
load() {
  local sys=$1 target=$2 out=$LOGS/load.$1.$REP.log line t0 t1 w0 w1 secs; shift 2
  settle
  t0=$(cpu_ticks); w0=$(date +%s.%N)
  timeout "$RUN_TIMEOUT" "${TUSK[@]}" bench raft --target "$target" "$@" --clients "$CLIENTS" --duration "$DURATION" \
    --warmup "$WARMUP" --key-size "$KEY_SIZE" --value-size "$VALUE_SIZE" >"$out" 2>&1 || { tail -20 "$out" >&2; die "$sys load run failed (see $out)"; }
  t1=$(cpu_ticks); w1=$(date +%s.%N)
  line=$(grep '^RAFTBENCH ' "$out" | tail -1)
  [ -n "$line" ] || { tail -20 "$out" >&2; die "no RAFTBENCH line in $out"; }
  secs=$(awk -v a="$w0" -v b="$w1" 'BEGIN{print b - a}')
  record "$sys writes/s" "$(kv writes_per_s "$line")"
  record "$sys p50 ms" "$(kv p50_ms "$line")"
  record "$sys p99 ms" "$(kv p99_ms "$line")"
  record "$sys p99.9 ms" "$(kv p999_ms "$line")"
  record "$sys max ms" "$(kv max_ms "$line")"
  record "$sys errors" "$(kv errors "$line")"
  record "$sys server cores" "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" -v s="$secs" 'BEGIN{printf "%.2f", t/h/s}')"
  record "$sys generator cores" "$(kv client_cores "$line")"
  record "$sys servers peak RSS MiB" "$(peak_rss_mib)"
  printf '%-9s %s  servers %.2f cores  load %s\n' "$sys" "${line#RAFTBENCH }" \
    "$(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" -v s="$secs" 'BEGIN{print t/h/s}')" "$(load1)"
}

etcd_step() {
  local eps=$ETCD_EPS keys
  log "etcd: fresh 3-member cluster"
  start_etcd
  [ "$ETCD_TARGET" = all ] || eps=$(etcd_leader_endpoint)
  [ -n "$eps" ] || die "could not find etcd's leader"
  log "etcd: load ($ETCD_API, endpoints $eps)"
  load etcd etcd --endpoints "$eps" --etcd-api "$ETCD_API"
  keys=$(etcdctl --endpoints="$ETCD_EPS" get "" --from-key --limit=1 -w json 2>/dev/null | jq -r '.count // 0' || echo "?")
  printf '          etcd holds %s keys; data %s per member\n' "$keys" "$(du -sh "$BENCH_DIR/etcd/m1" | cut -f1)"
  stop_all
  rm -rf "$BENCH_DIR/etcd"
  if [ -n "$ETCD_API_ALSO" ]; then
    log "etcd: fresh 3-member cluster for the $ETCD_API_ALSO API (informational)"
    start_etcd
    [ "$ETCD_TARGET" = all ] || eps=$(etcd_leader_endpoint)
    load "etcd-$ETCD_API_ALSO" etcd --endpoints "$eps" --etcd-api "$ETCD_API_ALSO"
    stop_all
    rm -rf "$BENCH_DIR/etcd"
  fi
}

tusk_step() {
  local keys
  log "tusk: fresh 3-node cluster"
  start_tusk
  log "tusk: load"
  load tusk tusk --endpoints "$TUSK_EPS"
  keys=$("${TUSK[@]}" cluster status --cluster "$TUSK_CLUSTER" --json 2>/dev/null | jq -r '[.[] | select(.role == "leader") | .keys][0] // "?"' || echo "?")
  printf '          tusk holds %s keys; data %s per node\n' "$keys" "$(du -sh "$BENCH_DIR/tusk/n1" | cut -f1)"
  stop_all
  if grep -qiE 'exception|fatal' "$LOGS"/tusk.$REP.n*.log; then log "WARN: a Tusk node log mentions an exception:"; grep -hiE 'exception|fatal' "$LOGS"/tusk.$REP.n*.log | head -3 >&2; fi
  rm -rf "$BENCH_DIR/tusk"
}

fio_step() {  # anchors/fio.sh job (a): 4 KiB sequential writes, each followed by fdatasync
  local d=$BENCH_DIR/fio json=$LOGS/fio.$REP.json
  rm -rf "$d"; mkdir -p "$d"; settle
  timeout $((FIO_RUNTIME + 60)) fio --name=fsync4k --filename="$d/fsync.dat" --rw=write --bs=4k --size=256m --ioengine=sync \
    --direct=0 --fdatasync=1 --runtime="$FIO_RUNTIME" --time_based --output-format=json >"$json" || die "fio failed (see $json)"
  rm -rf "$d"
  record "fio fdatasync'd 4 KiB writes/s" "$(jq '.jobs[0].write.iops' "$json")"
  record "fio fdatasync p50 ms" "$(jq '.jobs[0].sync.lat_ns.percentile["50.000000"] / 1e6' "$json")"
  record "fio fdatasync p99 ms" "$(jq '.jobs[0].sync.lat_ns.percentile["99.000000"] / 1e6' "$json")"
  printf 'fio   4 KiB write+fdatasync: %.0f/s  fdatasync p50 %.3f ms p99 %.3f ms  load %s\n' "$(jq '.jobs[0].write.iops' "$json")" \
    "$(jq '.jobs[0].sync.lat_ns.percentile["50.000000"] / 1e6' "$json")" "$(jq '.jobs[0].sync.lat_ns.percentile["99.000000"] / 1e6' "$json")" "$(load1)"
}

check_perf_step() {  # etcd's own tool once, the anchors' command (anchors/etcd.sh), on a fresh cluster
  local out=$LOGS/etcdctl-check-perf.log rate
  REP=check-perf
  log "etcd: fresh 3-member cluster for etcdctl check perf --load=l (60 s)"
  start_etcd
  settle
  timeout 180 etcdctl --endpoints="$ETCD_EPS" check perf --load=l --auto-compact --auto-defrag >"$out" 2>&1 || true
  stop_all
  rm -rf "$BENCH_DIR/etcd"
  rate=$(grep -oE '[0-9]+ writes/s' "$out" | awk '{print $1}' | tail -1)
  CHECK_PERF_LINE="etcdctl check perf --load=l: ${rate:-n/a} writes/s, slowest $(tr '\r' '\n' <"$out" | grep -i slowest | grep -oE '[0-9.]+s' | head -1), stddev $(tr '\r' '\n' <"$out" | grep -i stddev | grep -oE '[0-9.]+s' | head -1), verdict $(tr '\r' '\n' <"$out" | grep -xE 'PASS|FAIL' | tail -1)"
  echo "$CHECK_PERF_LINE"
}

echo "nproc: $(nproc)   memory: $(free -g | awk '/^Mem:/{print $2}') GiB   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "disk: $BENCH_DIR ($(df -h --output=source,fstype "$BENCH_DIR" | tail -1 | tr -s ' '))"
echo "tusk: $(dotnet "$OUT/tusk/tusk.dll" --version) (Release), dotnet $(dotnet --version), tick ${TICK_MS} ms, election ${ELECTION_TICKS} ticks"
echo "etcd: $(etcd --version | head -1 | cut -d' ' -f3), default flags (heartbeat 100 ms, election 1000 ms, snapshot-count 100000) + --quota-backend-bytes=8GiB; API $ETCD_API${ETCD_API_ALSO:+ (and $ETCD_API_ALSO on another fresh cluster)}, clients to $ETCD_TARGET"
echo "fio: $(fio --version)"
echo "load: $CLIENTS clients, closed loop, ${KEY_SIZE} B unique random keys, ${VALUE_SIZE} B values, ${WARMUP} s warm-up + ${DURATION} s measured; $REPS repetitions"
echo

CHECK_PERF_LINE=""
for REP in $(seq 1 "$REPS"); do
  log "repetition $REP of $REPS"
  echo "== repetition $REP"
  if [ $((REP % 2)) = 1 ]; then etcd_step; tusk_step; else tusk_step; etcd_step; fi
  fio_step
done
[ "$CHECK_PERF" = 0 ] || check_perf_step

# --- summary --------------------------------------------------------------------------------------
echo
echo "== medians over $REPS repetitions (min - max)"
awk -F'\t' '!seen[$1]++ {print $1}' "$RAW" | while IFS= read -r f; do
  printf '%-32s %12s   (%s)\n' "$f" "$(median "$f")" "$(range "$f")"
done
echo

TW=$(median "tusk writes/s"); EW=$(median "etcd writes/s")
TP=$(median "tusk p99 ms"); EP=$(median "etcd p99 ms")
echo "INFO p50-3node tusk=$(fmt1 "$(median "tusk p50 ms")") etcd=$(fmt1 "$(median "etcd p50 ms")") ms"
echo "INFO p99.9-3node tusk=$(fmt1 "$(median "tusk p99.9 ms")") etcd=$(fmt1 "$(median "etcd p99.9 ms")") ms"
echo "INFO fdatasync-floor $(fmt0 "$(median "fio fdatasync'd 4 KiB writes/s")") commits/s (fio 4 KiB write+fdatasync, one writer: one unbatched durable commit each)"
if [ -n "$ETCD_API_ALSO" ]; then
  X="etcd-$ETCD_API_ALSO"
  echo "INFO etcd-$ETCD_API_ALSO-3node $(fmt0 "$(median "$X writes/s")") writes/s p50 $(fmt1 "$(median "$X p50 ms")") ms p99 $(fmt1 "$(median "$X p99 ms")") ms (tusk/etcd-$ETCD_API_ALSO writes ratio $(ratio "$(median "tusk writes/s")" "$(median "$X writes/s")"))"
fi
[ -z "$CHECK_PERF_LINE" ] || echo "INFO $CHECK_PERF_LINE"
echo "RESULT writes-3node tusk=$(fmt0 "$TW") etcd=$(fmt0 "$EW") writes/s ratio=$(ratio "$TW" "$EW")"
echo "RESULT p99-3node tusk=$(fmt1 "$TP") etcd=$(fmt1 "$EP") ms ratio=$(ratio "$EP" "$TP")"
