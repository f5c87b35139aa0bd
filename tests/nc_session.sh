#!/usr/bin/env bash
# An nc session as a person would type it: CRLF line endings (nc -C),
# stdin closed at the end (nc -N), replies checked byte for byte.
#   bash tests/nc_session.sh target/debug/herd
#   bash tests/nc_session.sh --runner "node bench/peers/node/server.js"   # NAME --topology FILE --log-dir DIR
set -euo pipefail
runner=
if [ "${1:-}" = --runner ]; then
  runner=$2
else
  herd_bin=$(realpath "$1")
fi
command -v nc >/dev/null || { echo "nc (netcat-openbsd) is required" >&2; exit 1; }
dir=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
peer=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
printf 'links = []\n[servers.Solo]\naddr = "127.0.0.1:%s"\npeer_addr = "127.0.0.1:%s"\n' "$port" "$peer" > "$dir/topology.toml"
if [ -n "$runner" ]; then
  # shellcheck disable=SC2086 # the runner is a command prefix, split on purpose
  $runner Solo --topology "$dir/topology.toml" --log-dir "$dir/logs" >/dev/null 2>&1 &
else
  (cd "$dir" && exec "$herd_bin" Solo) >/dev/null 2>&1 &
fi
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 400); do nc -z 127.0.0.1 "$port" 2>/dev/null && break; sleep 0.05; done
out=$(printf 'IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997\nWHATSAT kiwi.cs.ucla.edu 10 2\nhello there\n' \
      | timeout 10 nc -C -N 127.0.0.1 "$port")
passed=0 failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "ok   $1"; else failed=$((failed+1)); echo "FAIL $1"; printf '%s\n' "$out" | head -5; fi; }
first=$(printf '%s\n' "$out" | head -1)
check "IAMAT over CRLF gives an AT line" '[[ "$first" =~ ^AT\ Solo\ \+[0-9]+\.[0-9]{9}\ kiwi\.cs\.ucla\.edu\ \+34\.068930-118\.445127\ 1520023934\.918963997$ ]]'
check "no carriage return leaks into replies" '! printf "%s" "$out" | grep -q $'"'"'\r'"'"
check "WHATSAT repeats the AT line" '[ "$(printf "%s\n" "$out" | sed -n 2p)" = "$first" ]'
check "WHATSAT JSON is there" 'printf "%s\n" "$out" | grep -q "\"status\" : \"OK\""'
check "invalid line echoed without CR" 'printf "%s\n" "$out" | tail -1 | grep -qx "? hello there"'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
