#!/usr/bin/env bash
# make bench: seed SQLite databases, start gunicorn (2 workers, DEBUG=0) on
# loopback, drive it with wrk and report against the budgets of issue 5.
#
# Environment: BENCH_DURATION (seconds per case and concurrency, default 6),
# BENCH_WARMUP (default 1), BENCH_ONLY (comma-separated case names),
# BENCH_PORT (default 8811; the twin server uses the next port),
# BENCH_DIR (default bench-results).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
OUT=${BENCH_DIR:-bench-results}
PORT=${BENCH_PORT:-8811}
TWIN_PORT=$((PORT + 1))
export BENCH_PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if ! command -v wrk >/dev/null; then
  echo "wrk is missing; installing it (Debian package)."
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else sudo apt-get install -y wrk >/dev/null; fi
fi

for port in "$PORT" "$TWIN_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is in use; set BENCH_PORT." >&2
    exit 2
  fi
done

# Production settings, plain HTTP on loopback.
export DEBUG=0 HTTPS=0 ALLOWED_HOSTS=127.0.0.1
export SECRET_KEY="$(head -c 48 /dev/urandom | base64 | tr -d '\n')"
export STATIC_ROOT="$OUT/static"
export VAR_DIR="$OUT/var"
export BENCH_MAIN_DB="$OUT/bench.sqlite3" BENCH_TWIN_DB="$OUT/bench-twin.sqlite3"
unset DATABASE_URL

seed() { # db-path info-json seed-args...
  local db=$1 info=$2
  shift 2
  rm -f "$db" "$db-wal" "$db-shm"
  SQLITE_PATH=$db "$PY" manage.py migrate --noinput -v0
  SQLITE_PATH=$db "$PY" manage.py seed_bench --password "$BENCH_PASSWORD" --output "$info" "$@"
}

started=$(date +%s)
echo "== Seeding $BENCH_MAIN_DB"
seed "$BENCH_MAIN_DB" "$OUT/seed.json"
echo "== Seeding the small twin (100 organizations) $BENCH_TWIN_DB"
seed "$BENCH_TWIN_DB" "$OUT/seed-twin.json" --organizations 100 --users 2000 --big-members 400 --small-members 200
"$PY" manage.py collectstatic --noinput -v0

echo "== SQL queries per request (Django test Client + CaptureQueriesContext, same database)"
SQLITE_PATH=$BENCH_MAIN_DB ALLOWED_HOSTS=127.0.0.1,testserver LOG_LEVEL=CRITICAL \
  "$PY" bench/querycounts.py "$OUT/seed.json" "$OUT/queries.json" main
SQLITE_PATH=$BENCH_TWIN_DB ALLOWED_HOSTS=127.0.0.1,testserver LOG_LEVEL=CRITICAL \
  "$PY" bench/querycounts.py "$OUT/seed-twin.json" "$OUT/queries-twin.json" twin

# gunicorn reads ./gunicorn.conf.py by itself when there is one (production's
# settings); the benchmark fixes the worker count and the address, and turns
# off worker recycling: at benchmark rates max_requests would restart a
# worker every few seconds, and the runs would measure Python start-up.
export GUNICORN_MAX_REQUESTS=0
if [ -f gunicorn.conf.py ]; then
  desc="gunicorn (gunicorn.conf.py) --workers 2, GUNICORN_MAX_REQUESTS=0"
else
  desc="gunicorn --workers 2 (sync worker, no gunicorn.conf.py)"
fi
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

start() { # db port log
  SQLITE_PATH=$1 .venv/bin/gunicorn portal.wsgi:application --workers 2 --bind "127.0.0.1:$2" \
    >"$3" 2>&1 &
  pids+=($!)
}
start "$BENCH_MAIN_DB" "$PORT" "$OUT/gunicorn.log"
export BENCH_MAIN_PID=${pids[-1]}
start "$BENCH_TWIN_DB" "$TWIN_PORT" "$OUT/gunicorn-twin.log"
export BENCH_TWIN_PID=${pids[-1]}
for port in "$PORT" "$TWIN_PORT"; do
  for _ in $(seq 100); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "Server on $port did not start:"; cat "$OUT"/gunicorn*.log; exit 1; }
done
echo "== Servers up: $desc, DEBUG=0, SQLite; main :$PORT, twin :$TWIN_PORT"

status=0
BENCH_SERVER_DESC="$desc" "$PY" bench/bench.py \
  --main-url "http://127.0.0.1:$PORT" --twin-url "http://127.0.0.1:$TWIN_PORT" \
  --info "$OUT/seed.json" --twin-info "$OUT/seed-twin.json" \
  --queries "$OUT/queries.json" "$OUT/queries-twin.json" --out "$OUT/latest.json" || status=$?
echo "Whole benchmark: $(( $(date +%s) - started )) s"
exit $status
