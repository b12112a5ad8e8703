#!/bin/sh
# Soak test: lobby-server behind lobby-netsim (a bad network) under lobby-bench
# with misbehaving bots, for a long time, watching the server's memory and
# file descriptors. Not part of CI (10 minutes by default); CTest runs a
# 15-second smoke run of it (soak_smoke) so the script keeps working.
#
#   sh bench/soak.sh [--bots N] [--lobbies K] [--duration S] [--build DIR]
#                    [--out DIR] [-- EXTRA LOBBY-BENCH FLAGS]
#
# Defaults: 200 bots in 13 lobbies (at most 16 a lobby, the server's default
# capacity) for 600 s, moving at 20 Hz and chatting every 2 s; 5 % of them
# send a malformed message a second and one extra bot floods chat. The proxy
# adds 50 ms +- 20 ms each way, 5 % loss, 1 % duplicates and 1 % reordering.
# Well-behaved bots that lose their connection reconnect and take their seat
# back (lobby-bench --reconnect), as the game client does.
# Environment: SOAK_BOTS, SOAK_LOBBIES, SOAK_DURATION, SOAK_BUILD, SOAK_OUT,
# SOAK_SERVER_ARGS (more lobby-server flags), SOAK_NETSIM_ARGS (lobby-netsim's
# impairments instead of the ones above), and LOBBY_SERVER, LOBBY_NETSIM,
# LOBBY_BENCH for the binaries (default: the build directory's). --out keeps
# the logs, samples and JSON there. All bots come from 127.0.0.1, so the
# server's per-address limits (connections, CONNECT rate, half-open
# handshakes) are raised to the bot count, and half-open handshakes get 10 s.
#
# The server's RSS (VmRSS) and open file descriptors are sampled once a
# second. The report at the end gives crashes (the server must still be
# running and exit 0 on SIGTERM), acknowledged chats not delivered to every
# member (must be 0), RSS at start, peak and end, descriptors at start and
# end, chat latency p99, position loss and the misbehaving bots' counts.
# Exit status: 0 passed; 1 a crash, a lost acknowledged chat, or the run
# could not be made; 2 bad usage.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bots=${SOAK_BOTS:-200}
lobbies=${SOAK_LOBBIES:-13}
duration=${SOAK_DURATION:-600}
build=${SOAK_BUILD:-$here/../build}
out=${SOAK_OUT:-}

usage() {
    sed -n '2,32s/^# \{0,1\}//p' "$0" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --bots) bots=${2:?}; shift 2 ;;
    --lobbies) lobbies=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --) shift; break ;;
    -h | --help) usage ;;
    *) echo "soak.sh: unknown argument: $1" >&2; usage ;;
    esac
done
server_bin=${LOBBY_SERVER:-$build/server/lobby-server}
netsim_bin=${LOBBY_NETSIM:-$build/netsim/lobby-netsim}
bench_bin=${LOBBY_BENCH:-$build/bench/lobby-bench}
for b in "$server_bin" "$netsim_bin" "$bench_bin"; do
    [ -x "$b" ] || { echo "soak.sh: $b: not built (cmake --build build)" >&2; exit 1; }
done

if [ -n "$out" ]; then
    mkdir -p "$out"
    dir=$out
else
    dir=$(mktemp -d)
fi
server_pid="" netsim_pid="" sampler_pid="" bench_pid=""
cleanup() {
    for p in $bench_pid $sampler_pid $netsim_pid $server_pid; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    [ -n "$out" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_port LOG: the port after "listening on 127.0.0.1:" in LOG, within 10 s
wait_port() {
    i=0
    while [ $i -lt 200 ]; do
        p=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.05
        i=$((i + 1))
    done
    echo "soak.sh: no port in $1:" >&2
    cat "$1" >&2
    return 1
}

# sample: one line "seconds rss_kb fds" for the server, nothing once it is gone
sample() {
    rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$server_pid/status" 2>/dev/null) ||
        return 0
    fds=$(ls "/proc/$server_pid/fd" 2>/dev/null | wc -l)
    [ -n "$rss" ] && echo "$(date +%s) $rss $fds"
}

# Every bot comes from 127.0.0.1, so the server's limits per IP address (when
# it has them) are raised to the bot count. Through 5 % loss each way about
# 1 % of ENet handshakes take longer than the default 1.5 s half-open limit,
# and the server then drops them silently (the bot never hears back about its
# hello); this run tests a bad network, not a CONNECT flood, so it allows
# 10 s. SOAK_SERVER_ARGS adds more flags (they come last and win).
peers=$((bots + 16))
server_args="--max-players $((peers > 256 ? peers : 256))"
if "$server_bin" --help 2>&1 | grep -q -- "--max-peers-per-ip"; then
    server_args="$server_args --max-peers-per-ip $peers --connect-rate $peers"
    server_args="$server_args --connect-burst $peers --max-half-open-per-ip $peers"
fi
if "$server_bin" --help 2>&1 | grep -q -- "--half-open-ms"; then
    server_args="$server_args --half-open-ms 10000"
fi
# Never the fixed default HTTP port: another server or test may hold it.
if "$server_bin" --help 2>&1 | grep -q -- "--http"; then
    server_args="$server_args --http off"
fi
# shellcheck disable=SC2086 # word splitting of the flag lists is intended
"$server_bin" --bind 127.0.0.1 --port 0 $server_args ${SOAK_SERVER_ARGS:-} \
    2>"$dir/server.log" &
server_pid=$!
server_port=$(wait_port "$dir/server.log")
# The proxy's queue must hold everything in flight, each datagram 50-110 ms:
# 100 bots at 20 Hz already send the server's side about 12 000 datagrams a
# second, over the default limit of 1000 pending.
impairments=${SOAK_NETSIM_ARGS:---delay 50 --jitter 20 --loss 5 --duplicate 1 --reorder 1}
# shellcheck disable=SC2086
"$netsim_bin" --listen 0 --forward "127.0.0.1:$server_port" --seed 1 $impairments \
    --queue-limit 100000 2>"$dir/netsim.log" &
netsim_pid=$!
netsim_port=$(wait_port "$dir/netsim.log")

echo "soak.sh: $bots bots in $lobbies lobbies for $duration s through lobby-netsim" \
    "$impairments; logs in $dir"
sample >"$dir/samples.txt"
start_sample=$(tail -n 1 "$dir/samples.txt")
(
    while kill -0 "$server_pid" 2>/dev/null; do
        sample
        sleep 1
    done
) >>"$dir/samples.txt" &
sampler_pid=$!

bench_status=0
"$bench_bin" --server "127.0.0.1:$netsim_port" --bots "$bots" --lobbies "$lobbies" \
    --duration "$duration" --move-hz 20 --chat-per-s 0.5 --malformed-percent 5 --flooders 1 \
    --reconnect --json "$dir/bench.json" "$@" >"$dir/bench.txt" 2>"$dir/bench.err" &
bench_pid=$!
wait "$bench_pid" || bench_status=$?
bench_pid=""

# Let the server notice the last leaves, then take the end figures.
sleep 1
crashes=0
if kill -0 "$server_pid" 2>/dev/null; then
    sample >>"$dir/samples.txt"
    end_sample=$(tail -n 1 "$dir/samples.txt")
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=""
    kill -TERM "$server_pid"
    server_status=0
    wait "$server_pid" || server_status=$?
    server_pid=""
    if [ "$server_status" -ne 0 ]; then
        crashes=1
        echo "soak.sh: the server exited with status $server_status on SIGTERM" >&2
    fi
else
    crashes=1
    end_sample=$(tail -n 1 "$dir/samples.txt")
    server_status=0
    wait "$server_pid" || server_status=$?
    server_pid=""
    echo "soak.sh: the server died during the run (status $server_status)" >&2
    tail -n 20 "$dir/server.log" >&2
fi
kill -TERM "$netsim_pid" 2>/dev/null || true
wait "$netsim_pid" 2>/dev/null || true
netsim_pid=""

cat "$dir/bench.txt"
if [ ! -s "$dir/bench.json" ]; then
    echo "soak.sh: lobby-bench did not finish (status $bench_status):" >&2
    tail -n 20 "$dir/bench.err" >&2
    exit 1
fi

peak_rss=$(awk 'NF == 3 && $2 > max { max = $2 } END { print max + 0 }' "$dir/samples.txt")
samples=$(wc -l <"$dir/samples.txt")
start_rss=$(echo "$start_sample" | cut -d ' ' -f 2)
start_fds=$(echo "$start_sample" | cut -d ' ' -f 3)
end_rss=$(echo "$end_sample" | cut -d ' ' -f 2)
end_fds=$(echo "$end_sample" | cut -d ' ' -f 3)

# The JSON's figures, one "name value" line each.
python3 - "$dir/bench.json" >"$dir/figures.txt" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ["bots_joined", "join_failures", "chats_sent", "chats_acked", "chats_unacked",
          "acked_chats_lost", "position_loss_percent", "malformed_bots", "malformed_sent",
          "flood_chats_sent", "flood_chats_acked", "flood_refused", "misbehaving_bots_kicked",
          "chat_duplicates", "chat_out_of_order", "reconnections", "resumes"]:
    print(k, d[k])
for m in ["chat_ack_rtt", "chat_delivery", "position_latency"]:
    print(m + "_p99_ms", d[m]["p99_ms"])
EOF
fig() {
    sed -n "s/^$1 //p" "$dir/figures.txt"
}
lost=$(fig acked_chats_lost)

echo
echo "== soak report: $bots bots, $lobbies lobbies, $duration s, $samples samples"
echo "server crashes                 $crashes (must be 0)"
echo "acked chats not delivered      $lost (must be 0)"
echo "server RSS                     start $start_rss kB, peak $peak_rss kB, end $end_rss kB"
echo "server open fds                start $start_fds, end $end_fds"
echo "bots joined                    $(fig bots_joined) of $bots ($(fig join_failures) failed)"
echo "chats                          $(fig chats_sent) sent, $(fig chats_acked) acked," \
    "$(fig chats_unacked) unacked, duplicates $(fig chat_duplicates)," \
    "out of order $(fig chat_out_of_order)"
echo "chat ack p99                   $(fig chat_ack_rtt_p99_ms) ms"
echo "chat delivery p99              $(fig chat_delivery_p99_ms) ms"
echo "position latency p99           $(fig position_latency_p99_ms) ms"
echo "position loss                  $(fig position_loss_percent) %"
echo "malformed                      $(fig malformed_bots) bots sent $(fig malformed_sent) messages"
echo "flood                          $(fig flood_chats_sent) chats sent," \
    "$(fig flood_chats_acked) acked, $(fig flood_refused) refused"
echo "misbehaving bots kicked        $(fig misbehaving_bots_kicked)"
echo "reconnections                  $(fig reconnections) ($(fig resumes) took their seat back)"
echo "lobby-bench exit status        $bench_status"

status=0
[ "$crashes" -eq 0 ] || { echo "soak.sh: FAIL: the server crashed" >&2; status=1; }
[ "$lost" -eq 0 ] || { echo "soak.sh: FAIL: $lost acknowledged chat deliveries lost" >&2; status=1; }
[ "$bench_status" -eq 0 ] || [ "$bench_status" -eq 3 ] ||
    { echo "soak.sh: FAIL: lobby-bench exited $bench_status" >&2; status=1; }
[ "$status" -eq 0 ] && echo "soak.sh: passed"
exit "$status"
