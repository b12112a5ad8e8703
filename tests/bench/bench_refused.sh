#!/bin/sh
# lobby-bench against servers whose limits refuse some of its bots: it exits 1
# and its line says how many joined, how many were refused, why, and which
# lobby-server flags set the limit.
#   1. --max-peers-per-ip 4: ENet drops the other CONNECTs without a word, so
#      those bots get no answer while the first four got one;
#   2. --max-players 6: the others get REJECT "server is full".
# Usage: bench_refused.sh SERVER BENCH
set -eu
server_bin=$1 bench_bin=$2
here=$(dirname "$0")
dir=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

. "$here/common.sh"

# server NAME ARGS...: starts lobby-server and sets $port to its UDP port.
server() {
    name=$1
    shift
    "$server_bin" --bind 127.0.0.1 --port 0 --tcp-port 0 --http off "$@" 2>"$dir/$name.log" &
    pids="$pids $!"
    port=$(wait_port "$dir/$name.log" "listening on 127.0.0.1:")
}

# expect_refused NAME PORT PATTERN...: lobby-bench exits 1 and every pattern
# is in what it printed.
expect_refused() {
    name=$1 port=$2
    shift 2
    status=0
    "$bench_bin" --server "127.0.0.1:$port" --bots 8 --lobbies 1 --duration 1 \
        --join-timeout 3 --quiet >"$dir/$name.out" 2>&1 || status=$?
    echo "== $name (exit $status)"
    cat "$dir/$name.out"
    [ "$status" -eq 1 ] || { echo "FAIL: $name: exit $status, wanted 1"; exit 1; }
    for pattern in "$@"; do
        grep -qF -- "$pattern" "$dir/$name.out" || {
            echo "FAIL: $name: no '$pattern' in the output"
            exit 1
        }
    done
}

server per_ip --max-peers-per-ip 4
expect_refused per_ip "$port" "4 of 8 bots joined" "4 refused: " "--max-peers-per-ip" \
    "--max-half-open-per-ip" "--connect-rate/--connect-burst"

server full --max-players 6
expect_refused full "$port" "6 of 8 bots joined" "2 refused: server is full" \
    "(lobby-server --max-players)"
echo "bench_refused: both passed"
