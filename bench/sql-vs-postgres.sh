#!/usr/bin/env bash
# SQL: Tusk's PostgreSQL server against PostgreSQL 15, both on loopback on this machine, both fsyncing every commit,
# driven by the same pgbench (Debian's postgresql-contrib) in one run.
#
#   bench/sql-vs-postgres.sh
#
# Both get `pgbench -i -I dtGp -s SCALE`, then three workloads of DURATION seconds each, one after the other:
#   tpcb-c1         the default TPC-B-like script, 1 client
#   tpcb-c8         the same, 8 clients (2 pgbench threads)
#   select-only-c8  -S (one primary-key read per transaction), 8 clients
# Both run at READ COMMITTED, PostgreSQL's default (Tusk's sessions get it through PGOPTIONS): conflicting updates
# wait for the row lock and re-read the row. Tusk's own default, SERIALIZABLE, is measured too for tpcb-c8 (INFO line),
# where conflicting TPC-B transactions abort with 40001 and pgbench retries them (--max-tries=MAX_TRIES for every
# run; retries and failures are printed). The figure is pgbench's tps (successful
# transactions per second, without the initial connection time). PostgreSQL's cluster is created with initdb in
# BENCH_DIR with fsync=on, synchronous_commit=on and shared_buffers=SHARED_BUFFERS.
#
# Environment: SCALE (10), DURATION (30), MAX_TRIES (1000), SHARED_BUFFERS (256MB), PG_PORT (55432), TUSK_PORT
# (55433), BENCH_DIR (/tmp/tusk-sql-vs-postgres; wiped), SKIP_BUILD=1 to reuse bench/out/tusk.
# Ends with one RESULT line per workload: tps for both and the ratio tusk/postgres.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/tusk-sql-vs-postgres}
SCALE=${SCALE:-10}
DURATION=${DURATION:-30}
MAX_TRIES=${MAX_TRIES:-1000}
SHARED_BUFFERS=${SHARED_BUFFERS:-256MB}
PG_PORT=${PG_PORT:-55432}
TUSK_PORT=${TUSK_PORT:-55433}
OUT=$ROOT/bench/out
. "$ROOT/bench/lib.sh"
for v in SCALE DURATION MAX_TRIES PG_PORT TUSK_PORT; do positive "$v" "${!v}"; done

command -v pgbench >/dev/null 2>&1 || apt_install postgresql-contrib
command -v psql >/dev/null 2>&1 || apt_install postgresql-client
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || { apt_install postgresql; PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); }
ensure_dotnet
publish_tusk

rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"
PG_PID=""; TUSK_PID=""
cleanup() {
  [ -n "$TUSK_PID" ] && kill "$TUSK_PID" 2>/dev/null && wait "$TUSK_PID" 2>/dev/null || true
  [ -n "$PG_PID" ] && as_pg "$PG_BIN/pg_ctl" -D "$BENCH_DIR/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

# --- PostgreSQL ------------------------------------------------------------------------------------
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'): initdb in $BENCH_DIR/pg"
# PostgreSQL refuses to run as root: as root, its cluster belongs to the postgres user Debian's package creates.
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$BENCH_DIR/pg" && chmod 755 "$BENCH_DIR"
[ "$(id -u)" -eq 0 ] && chown postgres "$BENCH_DIR/pg" && touch "$BENCH_DIR/pg.log" && chown postgres "$BENCH_DIR/pg.log"
as_pg "$PG_BIN/initdb" -D "$BENCH_DIR/pg" -U postgres -A trust >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$BENCH_DIR/pg" -l "$BENCH_DIR/pg.log" -w \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c shared_buffers=$SHARED_BUFFERS -c max_connections=50 -c unix_socket_directories=/tmp" start >/dev/null
PG_PID=1

# --- Tusk ------------------------------------------------------------------------------------------
log "tusk start --pg 127.0.0.1:$TUSK_PORT (data in $BENCH_DIR/tusk)"
dotnet "$OUT/tusk/tusk.dll" start --data "$BENCH_DIR/tusk" --kafka off --pg "127.0.0.1:$TUSK_PORT" >"$BENCH_DIR/tusk.log" 2>&1 &
TUSK_PID=$!
for _ in $(seq 1 120); do grep -q '^ready' "$BENCH_DIR/tusk.log" && break; sleep 0.5; done
grep -q '^ready' "$BENCH_DIR/tusk.log" || { cat "$BENCH_DIR/tusk.log" >&2; die "tusk did not start"; }

declare -A TPS
bench() {  # bench SYSTEM PORT USER WORKLOAD ARGS...   (PGOPTIONS from the caller's environment)
  local system=$1 port=$2 user=$3 workload=$4; shift 4
  local out
  out=$(PGCONNECT_TIMEOUT=10 pgbench -h 127.0.0.1 -p "$port" -U "$user" -T "$DURATION" --max-tries="$MAX_TRIES" "$@" postgres 2>&1) \
    || { echo "$out" >&2; die "pgbench failed on $system ($workload)"; }
  local tps failed retried lat
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' <<<"$out")
  retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' <<<"$out")
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' <<<"$out")
  log "$system $workload: tps=$tps latency_avg=${lat}ms failed=${failed:-0} retried=${retried:-0}"
  TPS[$system.$workload]=$tps
}

for system in postgres tusk; do
  if [ $system = postgres ]; then port=$PG_PORT; user=postgres; else port=$TUSK_PORT; user=tusk; fi
  log "$system: pgbench -i -I dtGp -s $SCALE"
  t0=$(date +%s.%N)
  PGCONNECT_TIMEOUT=10 pgbench -h 127.0.0.1 -p "$port" -U "$user" -i -I dtGp -s "$SCALE" postgres >"$BENCH_DIR/init-$system.log" 2>&1 \
    || { cat "$BENCH_DIR/init-$system.log" >&2; die "pgbench -i failed on $system"; }
  log "$system: initialized in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
done
for workload in tpcb-c1 tpcb-c8 select-only-c8; do
  case $workload in
    tpcb-c1) args=(-c 1 -j 1) ;;
    tpcb-c8) args=(-c 8 -j 2) ;;
    select-only-c8) args=(-S -c 8 -j 2) ;;
  esac
  settle() { sync; sleep 2; }
  settle; bench postgres "$PG_PORT" postgres "$workload" "${args[@]}"
  settle; PGOPTIONS='-c default_transaction_isolation=read\ committed' bench tusk "$TUSK_PORT" tusk "$workload" "${args[@]}"
done
settle; bench tusk "$TUSK_PORT" tusk serializable-tpcb-c8 -c 8 -j 2

consistent=$(PGCONNECT_TIMEOUT=10 psql -h 127.0.0.1 -p "$TUSK_PORT" -U tusk -d postgres -X -A -t -c \
  "SELECT (SELECT sum(bbalance) FROM pgbench_branches) = (SELECT sum(abalance) FROM pgbench_accounts)")
log "tusk: sum(branch balances) = sum(account balances): $consistent"

echo "INFO tpcb-c8 at SERIALIZABLE (Tusk's default, with retries): tusk=${TPS[tusk.serializable-tpcb-c8]} tps"
for workload in tpcb-c1 tpcb-c8 select-only-c8; do
  echo "RESULT $workload tusk=${TPS[tusk.$workload]} postgres=${TPS[postgres.$workload]} tps ratio=$(ratio "${TPS[tusk.$workload]}" "${TPS[postgres.$workload]}")"
done
