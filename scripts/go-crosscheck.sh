#!/usr/bin/env bash
# An independent implementation agrees with ours: import generated events in two batches (two checkpoints),
# serve them, and let a Go program built on golang.org/x/mod/sumdb/{note,tlog} verify the checkpoints, the
# tiles, and the inclusion and consistency proofs the server gives.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
  echo "installing golang-go and golang-golang-x-mod-dev from Debian" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq golang-go golang-golang-x-mod-dev >/dev/null
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/go/src/crosscheck"
cp tools/go-crosscheck/main.go "$work/go/src/crosscheck/main.go"
(cd "$work/go/src/crosscheck" && GO111MODULE=off GOPATH="$work/go:/usr/share/gocode" GOCACHE="$work/cache" GOFLAGS=-mod=mod go build -o "$work/crosscheck" . 2>&1 || GO111MODULE=off GOPATH="$work/go:/usr/share/gocode" GOCACHE="$work/cache" go build -o "$work/crosscheck" .)

cli="node bin/raretrace.js"
$cli generate --events 3000 --seed crosscheck --format ndjson --events-per-document 500 --out "$work/world.ndjson"
head -n 2 "$work/world.ndjson" > "$work/a.ndjson"
tail -n +3 "$work/world.ndjson" > "$work/b.ndjson"
$cli import --db "$work/x.db" --json "$work/a.ndjson"
$cli import --db "$work/x.db" --json "$work/b.ndjson"
vkey=$($cli keys show --db "$work/x.db")

port=$((20000 + RANDOM % 20000))
$cli serve --db "$work/x.db" --port "$port" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
"$work/crosscheck" "http://127.0.0.1:$port" "$vkey"
