#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster on 127.0.0.1, run the given command with
# NRM_TEST_DATABASE_URL pointing at it, then stop and delete the cluster.
# Usage: tests/postgres.sh COMMAND [ARGS...]
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql-15)" >&2; exit 1; }

dir=$(mktemp -d /tmp/nrm-pg.XXXXXX)
port=${NRM_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$dir"
  as_pg=(runuser -u postgres --)
fi
cleanup() {
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${as_pg[@]}" "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
"$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres nrm_test

export NRM_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/nrm_test"
echo "PostgreSQL test cluster on 127.0.0.1:$port"
"$@"
