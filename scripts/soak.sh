#!/usr/bin/env bash
# make soak: gunicorn on PostgreSQL under 64 concurrent clients for 2 minutes, then the invariants.
# Options go to scripts/soak.py (--clients, --duration, --max-requests, --workers, --threads, --keep);
# SOAK_CLIENTS, SOAK_DURATION, SOAK_MAX_REQUESTS, SOAK_WORKERS, SOAK_THREADS work too.
# Without DATABASE_URL it starts a throwaway PostgreSQL cluster (initdb/pg_ctl from
# /usr/lib/postgresql/*/bin, as user postgres when run as root); with it, a scratch
# database on that server, dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PY:-.venv/bin/python}" scripts/soak.py "$@"
