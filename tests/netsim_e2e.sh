#!/bin/sh
# End to end through lobby-netsim: the real server behind the proxy with 50 ms
# of delay each way; lobby-chat must get its acknowledgement, taking at least
# two crossings (100 ms); the SDL game window (headless) must join through it
# and get its typed chat acknowledged; the proxy must stop with totals on
# SIGTERM.
# Usage: netsim_e2e.sh LOBBY_SERVER LOBBY_NETSIM LOBBY_CHAT LOBBY_CLIENT
set -u
SERVER_BIN=$1 NETSIM_BIN=$2 CHAT_BIN=$3 CLIENT_BIN=$4
WORK=$(mktemp -d)
SERVER_PID= NETSIM_PID=

cleanup() {
    for pid in $NETSIM_PID $SERVER_PID; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.log; do
        echo "--- $f" >&2
        cat "$f" >&2
    done
    exit 1
}

# Waits up to 3 s for "listening on ADDR:PORT" in a log and prints PORT.
port_from_log() {
    i=0
    while [ $i -lt 60 ]; do
        port=$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

"$SERVER_BIN" --bind 127.0.0.1 --port 0 --http off 2>"$WORK/server.log" &
SERVER_PID=$!
SERVER_PORT=$(port_from_log "$WORK/server.log") || fail "lobby-server did not start"

"$NETSIM_BIN" --listen 0 --forward "127.0.0.1:$SERVER_PORT" --delay 50 --seed 1 \
    2>"$WORK/netsim.log" &
NETSIM_PID=$!
PROXY_PORT=$(port_from_log "$WORK/netsim.log") || fail "lobby-netsim did not start"
grep -q "forwarding to 127.0.0.1:$SERVER_PORT" "$WORK/netsim.log" ||
    fail "ready line does not name the server"

start=$(now_ms)
"$CHAT_BIN" --server "127.0.0.1:$PROXY_PORT" --name x --say hi --timeout 3 >"$WORK/chat.out" \
    2>"$WORK/chat.log"
status=$?
elapsed=$(($(now_ms) - start))
cp "$WORK/chat.out" "$WORK/chat-stdout.log"
[ $status -eq 0 ] || fail "lobby-chat exited $status"
grep -q '^ack id=1 seq=' "$WORK/chat.out" || fail "no acknowledgement from lobby-chat"
[ "$elapsed" -ge 100 ] || fail "acknowledged in $elapsed ms, under two 50 ms crossings"

SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy SDL_RENDER_DRIVER=software \
    "$CLIENT_BIN" --server "127.0.0.1:$PROXY_PORT" --name window --lobby main --frames 60 \
    --screenshot "$WORK/window.bmp" --autotype "through the proxy" >"$WORK/client.log" 2>&1 ||
    fail "lobby-client exited $? through the proxy"
grep -q 'acknowledged by the server' "$WORK/client.log" ||
    fail "the game window's chat was not acknowledged through the proxy"

start=$(now_ms)
kill -TERM "$NETSIM_PID"
wait "$NETSIM_PID"
status=$?
NETSIM_PID=
stop_ms=$(($(now_ms) - start))
[ $status -eq 0 ] || fail "lobby-netsim exited $status on SIGTERM"
[ "$stop_ms" -lt 1000 ] || fail "lobby-netsim took $stop_ms ms to stop"
grep -q 'stopped (SIGTERM); up: in=[1-9]' "$WORK/netsim.log" || fail "no totals line"
grep -q 'down: in=[1-9]' "$WORK/netsim.log" || fail "no server-to-client traffic counted"

echo "ok: acknowledged through a 50 ms proxy in $elapsed ms; proxy stopped in $stop_ms ms"
