#!/usr/bin/env bash
# The whole front-end tier on one machine, for a newcomer:
#
#   cargo build --release && scripts/tier.sh
#
# starts, each as its own process: the herd (`herd up --no-facade`), two
# facades, the dispatcher over them, the leaderboard (when its binary is
# built) and the nginx gateway (when nginx is installed), then prints one
# table of what runs where. Ctrl-C or SIGTERM stops them all.
#
# Options: --bin-dir DIR (default target/release if built, else target/debug),
# --run-dir DIR (logs, journals, the gateway's prefix; default ./tier),
# --topology FILE (passed to herd and facades).
# Ports: facades 8080 and 8081, dispatcher 8090, leaderboard 8070, gateway
# 8000 (override with FACADE_PORTS=8080,8081 DISPATCHER_PORT LEADERBOARD_PORT
# GATEWAY_PORT); the herd's come from the topology.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bin_dir="" run_dir="tier" topology=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir="${2:?}"; shift 2 ;;
    --run-dir) run_dir="${2:?}"; shift 2 ;;
    --topology) topology=(--topology "${2:?}"); shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "tier: unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$bin_dir" ]; then
  bin_dir=target/debug
  [ -x target/release/herd ] && bin_dir=target/release
fi
for bin in herd facade dispatcher; do
  [ -x "$bin_dir/$bin" ] || { echo "tier: $bin_dir/$bin is not built (cargo build --release)" >&2; exit 1; }
done
IFS=',' read -r -a facade_ports <<<"${FACADE_PORTS:-8080,8081}"
dispatcher_port=${DISPATCHER_PORT:-8090}
leaderboard_port=${LEADERBOARD_PORT:-8070}
gateway_port=${GATEWAY_PORT:-8000}
mkdir -p "$run_dir/logs"
run_dir=$(cd "$run_dir" && pwd)

# Every child, in start order; stopped in reverse order on exit.
pids=() rows=()
stop_all() {
  trap - INT TERM EXIT
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD...: runs CMD with its output in RUN/logs/NAME.out.
start() {
  local name=$1; shift
  "$@" >"$run_dir/logs/$name.out" 2>&1 &
  pids+=($!)
}

# ready NAME PATTERN|:PORT: waits up to 30 s for PATTERN in NAME's output,
# or for 127.0.0.1:PORT to accept; fails with the end of its output.
ready() {
  local name=$1 want=$2 pid=${pids[-1]}
  for _ in $(seq 300); do
    if [[ "$want" == :* ]]; then
      (exec 3<>"/dev/tcp/127.0.0.1/${want#:}") 2>/dev/null && return 0
    else
      grep -q -- "$want" "$run_dir/logs/$name.out" 2>/dev/null && return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "tier: $name did not start; the end of $run_dir/logs/$name.out:" >&2
  tail -n 15 "$run_dir/logs/$name.out" >&2
  exit 1
}

start herd "$bin_dir/herd" up --no-facade "${topology[@]}" \
  --log-dir "$run_dir/logs" --data-dir "$run_dir/data"
ready herd "servers running"
while read -r name _ client _ peer; do
  rows+=("herd $name|$client (links $peer)|${pids[0]}|$run_dir/logs/$name.log")
done < <(grep -E '^  [A-Za-z0-9_-]+ +clients ' "$run_dir/logs/herd.out")

facades=()
for i in "${!facade_ports[@]}"; do
  port=${facade_ports[i]}
  start "facade-$port" "$bin_dir/facade" --listen "127.0.0.1:$port" "${topology[@]}" \
    --log-dir "$run_dir/logs"
  ready "facade-$port" "facade listening on"
  facades+=("127.0.0.1:$port")
  rows+=("facade $((i + 1))|http://127.0.0.1:$port|${pids[-1]}|$run_dir/logs/facade-$port.log")
done
facade_list=$(IFS=','; echo "${facades[*]}")

start dispatcher "$bin_dir/dispatcher" --listen "127.0.0.1:$dispatcher_port" --frontends "$facade_list"
ready dispatcher "dispatcher listening on"
rows+=("dispatcher|http://127.0.0.1:$dispatcher_port|${pids[-1]}|$run_dir/logs/dispatcher.out")

leaderboard_args=()
if [ -x "$bin_dir/leaderboard" ]; then
  start leaderboard "$bin_dir/leaderboard" --listen "127.0.0.1:$leaderboard_port" \
    --data-dir "$run_dir/leaderboard"
  ready leaderboard ":$leaderboard_port"
  rows+=("leaderboard|http://127.0.0.1:$leaderboard_port|${pids[-1]}|$run_dir/logs/leaderboard.out")
  leaderboard_args=(--leaderboard "127.0.0.1:$leaderboard_port")
else
  rows+=("leaderboard|not started: $bin_dir/leaderboard is not built|-|-")
fi

if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  start gateway bash "$root/scripts/gateway.sh" --listen "$gateway_port" --facades "$facade_list" \
    --dispatcher "127.0.0.1:$dispatcher_port" "${leaderboard_args[@]}" --prefix "$run_dir/gateway"
  ready gateway ":$gateway_port"
  rows+=("gateway (nginx)|http://127.0.0.1:$gateway_port|${pids[-1]}|$run_dir/gateway/logs/")
else
  rows+=("gateway (nginx)|not started: nginx is not installed (apt-get install nginx-light)|-|-")
fi

{
  echo "component|address|pid|logs"
  printf '%s\n' "${rows[@]}"
} | awk -F'|' '{ printf "%-16s %-44s %-8s %s\n", $1, $2, $3, $4 }'
echo "Try: curl localhost:$gateway_port/getMedalTally/Gaul; curl localhost:$dispatcher_port/assign/tablet-1"
echo "Ctrl-C stops them all."
wait -n "${pids[@]}" || true
echo "tier: a component exited; stopping the others" >&2
exit 1
