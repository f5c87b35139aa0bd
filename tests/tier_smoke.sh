#!/usr/bin/env bash
# scripts/tier.sh end to end, on free loopback ports: starts the whole tier
# from built binaries, checks that every component in its table answers,
# stops it with SIGTERM, and checks that nothing it started is left running.
#   bash tests/tier_smoke.sh target/debug
# nginx missing: the gateway is skipped with a message, except with CI=true,
# where that is a failure.
set -euo pipefail
bin_dir=$(realpath "${1:?usage: tier_smoke.sh BIN_DIR}")
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
tier_pid=
cleanup() {
  if [ -n "$tier_pid" ]; then kill -TERM "$tier_pid" 2>/dev/null || true; fi
  # Anything still running from this run's directory was started by it.
  for pid in $(pgrep -f -- "$dir" || true); do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# Free ports: five herd servers (client and peer), two facades, the
# dispatcher, the leaderboard and the gateway.
read -r -a ports < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(15)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
{
  echo 'links = [["Goloman","Hands"], ["Goloman","Holiday"], ["Goloman","Wilkes"],'
  echo '         ["Hands","Wilkes"], ["Holiday","Welsh"], ["Holiday","Wilkes"]]'
  i=0
  for name in Goloman Hands Holiday Welsh Wilkes; do
    printf '[servers.%s]\naddr = "127.0.0.1:%s"\npeer_addr = "127.0.0.1:%s"\n' \
      "$name" "${ports[i]}" "${ports[i + 1]}"
    i=$((i + 2))
  done
} >"$dir/topology.toml"

have_nginx=0
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  have_nginx=1
elif [ "${CI:-}" = true ]; then
  echo "tier_smoke: nginx is not installed, and CI=true requires it" >&2
  exit 1
else
  echo "tier_smoke: nginx is not installed: the gateway is skipped"
fi

FACADE_PORTS="${ports[10]},${ports[11]}" DISPATCHER_PORT=${ports[12]} \
  LEADERBOARD_PORT=${ports[13]} GATEWAY_PORT=${ports[14]} \
  bash "$root/scripts/tier.sh" --bin-dir "$bin_dir" --run-dir "$dir/run" \
  --topology "$dir/topology.toml" >"$dir/tier.out" 2>&1 &
tier_pid=$!
for _ in $(seq 600); do
  grep -q "stops them all" "$dir/tier.out" && break
  kill -0 "$tier_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q "stops them all" "$dir/tier.out"; then
  echo "tier_smoke: the tier did not come up:" >&2
  cat "$dir/tier.out" >&2
  exit 1
fi
cat "$dir/tier.out"

passed=0 failed=0
# check NAME URL PATTERN: GET URL answers 2xx with PATTERN in its body.
check() {
  local body=""
  if body=$(curl -fsS --max-time 5 "$2") && grep -q -- "$3" <<<"$body"; then
    passed=$((passed + 1)); echo "ok   $1"
  else
    failed=$((failed + 1)); echo "FAIL $1: ${body:0:300}"
  fi
}
for port in "${ports[10]}" "${ports[11]}"; do
  check "facade :$port reads the herd" "http://127.0.0.1:$port/getMedalTally/Gaul" '"medals"'
  check "facade :$port health" "http://127.0.0.1:$port/health" '"degraded":false'
done
check "dispatcher assigns a facade" "http://127.0.0.1:${ports[12]}/assign/tier-smoke" '"frontend"'
check "leaderboard answers" "http://127.0.0.1:${ports[13]}/top10" '\['
if [ "$have_nginx" = 1 ]; then
  check "gateway reads through nginx" "http://127.0.0.1:${ports[14]}/getMedalTally/Gaul" '"medals"'
  check "gateway routes the leaderboard" "http://127.0.0.1:${ports[14]}/leaderboard/top10" '\['
fi
herd_reply=$(printf 'WHATSAT nobody 10 1\n' | timeout 5 nc -N 127.0.0.1 "${ports[6]}" || true)
if grep -q '^?' <<<"$herd_reply"; then
  passed=$((passed + 1)); echo "ok   herd Welsh answers on its client port"
else
  failed=$((failed + 1)); echo "FAIL herd Welsh: ${herd_reply:-no answer}"
fi

kill -TERM "$tier_pid"
for _ in $(seq 200); do kill -0 "$tier_pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$tier_pid" 2>/dev/null; then
  failed=$((failed + 1)); echo "FAIL tier.sh still runs 10 s after SIGTERM"
fi
tier_pid=
left=""
for _ in $(seq 100); do
  left=$(pgrep -a -f -- "$dir" || true)
  [ -z "$left" ] && break
  sleep 0.1
done
if [ -z "$left" ]; then
  passed=$((passed + 1)); echo "ok   SIGTERM leaves nothing running"
else
  failed=$((failed + 1)); echo "FAIL left running after SIGTERM:"; echo "$left"
fi
# A facade port already taken (SO_REUSEADDR, so a port the first run left in
# TIME_WAIT can still be held): tier.sh names the facade, exits non-zero and
# stops what it had started.
python3 -c 'import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("127.0.0.1",'"${ports[11]}"'));s.listen();time.sleep(60)' &
holder=$!
sleep 0.3
status=0
FACADE_PORTS="${ports[10]},${ports[11]}" DISPATCHER_PORT=${ports[12]} \
  LEADERBOARD_PORT=${ports[13]} GATEWAY_PORT=${ports[14]} \
  timeout 60 bash "$root/scripts/tier.sh" --bin-dir "$bin_dir" --run-dir "$dir/run" \
  --topology "$dir/topology.toml" >"$dir/taken.out" 2>&1 || status=$?
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
left=$(pgrep -a -f -- "$dir" || true)
if [ "$status" = 1 ] && grep -q "facade-${ports[11]} did not start" "$dir/taken.out" && [ -z "$left" ]; then
  passed=$((passed + 1)); echo "ok   a taken port: tier.sh names the component, exits 1, leaves nothing"
else
  failed=$((failed + 1)); echo "FAIL a taken port: status $status, left: ${left:-nothing}"; tail -5 "$dir/taken.out"
fi
echo "tier_smoke: $passed passed, $failed failed"
[ "$failed" = 0 ]
