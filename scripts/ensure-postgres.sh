#!/usr/bin/env bash
# Makes sure a local PostgreSQL 15 server runs with a `raretrace_test` database reachable at
# postgres://postgres:postgres@127.0.0.1:5432/raretrace_test. Installs it from Debian's packages if missing.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /usr/lib/postgresql ]; then
  echo "PostgreSQL not installed: installing from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^${version} main$"; then
  pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk '$1 == "'"$version"'" && $2 == "main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
  if su postgres -c "psql -qtAc 'SELECT 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done
su postgres -c "psql -qtAc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
if ! su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname = 'raretrace_test'\"" | grep -q 1; then
  su postgres -c "psql -qtAc 'CREATE DATABASE raretrace_test'" >/dev/null
fi
echo "PostgreSQL $version is up" >&2
