#!/bin/sh
# lobby-bench through lobby-netsim, against the real lobby-server on loopback:
#   1. a clean local run writes JSON that holds every documented field;
#   2. 40 ms one-way delay each way: chat ack RTT p50 within 80..95 ms;
#   3. 10 % loss server->clients: position loss within 8..12 % over >= 5000 updates;
#   4. 10 % loss both ways: every acknowledged chat still reaches every member;
#   5. --server A,B: bots spread round-robin over two servers (bot i to server
#      i % 2, like lobby i % 2, so each lobby lives on one server).
# Usage: bench_netsim.sh SERVER NETSIM BENCH
set -eu
server_bin=$1 netsim_bin=$2 bench_bin=$3
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

"$server_bin" --bind 127.0.0.1 --port 0 --http off 2>"$dir/server.log" &
pids="$pids $!"
server_port=$(wait_port "$dir/server.log" "listening on 127.0.0.1:")

# proxy NAME ARGS...: starts lobby-netsim in front of the server and sets
# $port to its port. Not in a $(...) subshell: that would run the EXIT trap.
proxy() {
    name=$1
    shift
    "$netsim_bin" --listen 0 --forward "127.0.0.1:$server_port" --seed 7 "$@" \
        2>"$dir/$name.log" &
    pids="$pids $!"
    port=$(wait_port "$dir/$name.log" "listening on 127.0.0.1:")
}

# bench NAME PORT ARGS...: runs lobby-bench, keeps its JSON as $dir/NAME.json
bench() {
    name=$1 port=$2
    shift 2
    echo "== $name"
    "$bench_bin" --server "127.0.0.1:$port" --quiet --json "$dir/$name.json" "$@"
}

bench local "$server_port" --bots 8 --lobbies 2 --duration 3 --move-hz 20 --chat-per-s 2
python3 "$here/check_json.py" "$dir/local.json" acked_chats_lost == 0 position_loss_percent == 0

proxy delay --delay 40
bench delay "$port" --bots 8 --lobbies 1 --duration 5 --move-hz 10 --chat-per-s 2
python3 "$here/check_json.py" "$dir/delay.json" \
    chat_ack_rtt.p50_ms '>=' 80 chat_ack_rtt.p50_ms '<=' 95 acked_chats_lost == 0

proxy lossdown --loss-down 10
# 8 bots at 20 Hz for 5 s: 800 positions, each expected at 7 members = 5600 updates
bench lossdown "$port" --bots 8 --lobbies 1 --duration 5 --move-hz 20 --chat-per-s 1 || true
python3 "$here/check_json.py" "$dir/lossdown.json" positions_expected '>=' 5000 \
    position_loss_percent '>=' 8 position_loss_percent '<=' 12 acked_chats_lost == 0

proxy lossall --loss 10
bench lossall "$port" --bots 8 --lobbies 2 --duration 5 --move-hz 10 --chat-per-s 2 || true
python3 "$here/check_json.py" "$dir/lossall.json" chats_acked '>=' 50 acked_chats_lost == 0 \
    chats_unacked == 0
# Two servers, not a cluster: bots 0, 2, ... (lobby bench-0) on the first,
# 1, 3, ... (bench-1) on the second; no redirects.
"$server_bin" --bind 127.0.0.1 --port 0 --http off 2>"$dir/server2.log" &
pids="$pids $!"
server2_port=$(wait_port "$dir/server2.log" "listening on 127.0.0.1:")
echo "== two servers"
"$bench_bin" --server "127.0.0.1:$server_port,127.0.0.1:$server2_port" --quiet \
    --json "$dir/two.json" --bots 8 --lobbies 2 --duration 2 --move-hz 10 --chat-per-s 2
python3 "$here/check_json.py" "$dir/two.json" acked_chats_lost == 0 redirects == 0 \
    bots_joined == 8
python3 - "$dir/two.json" "$server_port" "$server2_port" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
want = [f"127.0.0.1:{sys.argv[2]}", f"127.0.0.1:{sys.argv[3]}"]
assert doc["servers"] == want, (doc["servers"], want)
PY
grep -q "join lobby=bench-1 player=bot7 " "$dir/server2.log"
if grep -q "lobby=bench-0" "$dir/server2.log"; then
    echo "bench_netsim: a bench-0 bot went to the second server" >&2
    exit 1
fi
echo "bench_netsim: all scenarios passed"
