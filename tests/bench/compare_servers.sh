#!/bin/sh
# lobby-bench's bots, unchanged, against the two comparison servers that
# lobby-server's CPU is measured against (compare/CMakeLists.txt):
#   - each starts on a free loopback port and says so;
#   - 8 bots in 2 lobbies for 3 s: all join, every chat is acknowledged and
#     reaches every other member, position loss under 1 %;
#   - SIGTERM ends it with status 0 within a second; a bad flag exits 2.
# Usage: compare_servers.sh FLOOR NAIVE_RELAY BENCH
set -eu
floor_bin=$1 naive_bin=$2 bench_bin=$3
here=$(dirname "$0")
dir=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

. "$here/common.sh"

# stop_within_1s: SIGTERMs $pid and checks it exits 0 within a second
stop_within_1s() {
    kill -TERM "$pid"
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$name: still running 1 s after SIGTERM" >&2
        return 1
    fi
    status=0
    wait "$pid" || status=$?
    pid=""
    [ "$status" -eq 0 ] || { echo "$name: exit status $status after SIGTERM" >&2; return 1; }
}

# check NAME BIN [ARGS...]: one run of lobby-bench against BIN ARGS
check() {
    name=$1 bin=$2
    shift 2
    echo "== $name"
    status=0
    "$bin" --port nope 2>/dev/null || status=$?
    [ "$status" -eq 2 ] || { echo "$name: --port nope gave status $status, not 2" >&2; return 1; }
    "$bin" --bind 127.0.0.1 --port 0 "$@" >"$dir/$name.out" 2>"$dir/$name.log" &
    pid=$!
    port=$(wait_port "$dir/$name.out" "listening on 127.0.0.1:")
    "$bench_bin" --server "127.0.0.1:$port" --bots 8 --lobbies 2 --duration 3 --move-hz 30 \
        --chat-per-s 1 --quiet --json "$dir/$name.json"
    # 8 bots x 30 Hz x 3 s, each seen by 3 others: about 2160 expected
    python3 "$here/check_json.py" "$dir/$name.json" bots_joined == 8 join_failures == 0 \
        chats_sent '>=' 16 chats_refused == 0 chats_unacked == 0 acked_chats_lost == 0 \
        chat_duplicates == 0 chat_out_of_order == 0 positions_expected '>=' 1500 \
        position_loss_percent '<=' 0.999 ping_rtt.count '>=' 16
    stop_within_1s
    cat "$dir/$name.log"
}

check floor "$floor_bin"
check naive-relay "$naive_bin"
echo "compare_servers: both passed"
