#!/bin/sh
# Functions here are called through wait_until and the EXIT trap:
# shellcheck disable=SC2317
# Several machines on one host: one lobby-server and three lobby-chat bots,
# each in its own network namespace, talking UDP over veth links.
#
#   usage: sh tests/multihost/netns.sh SERVER_BIN CHAT_BIN
#
# Topology (all addresses exist only inside the namespaces made here):
#
#   lobby-srv-PID  v1 10.231.1.1/24 <-> veth0 10.231.1.2/24  lobby-bot1-PID
#                  v2 10.231.2.1/24 <-> veth0 10.231.2.2/24  lobby-bot2-PID
#                  v3 10.231.3.1/24 <-> veth0 10.231.3.2/24  lobby-bot3-PID
#
# The server listens on 0.0.0.0:7777 in its namespace; botK connects to
# 10.231.K.1:7777.  The bots join lobby 'main', check they see each other,
# each sends "hello from botK", and each must receive the two others' lines
# and the acknowledgement of its own.  Then stdins close, the bots must exit
# 0, and the server must exit 0 on SIGTERM.  Nothing touches the host's own
# interfaces or routes; a trap kills what was started and deletes the
# namespaces on every exit path.
#
# LOBBY_NETNS_VERBOSE=1 prints the server log and the bots' output on success.
#
# Exit status: 0 pass, 1 fail (with logs), 77 skip (not root, or no netns/veth).

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 SERVER_BIN CHAT_BIN" >&2
    exit 2
fi
SERVER_BIN=$1
CHAT_BIN=$2
BOTS="1 2 3"
PORT=7777
TAG=$$
SRV_NS=lobby-srv-$TAG

. "$(dirname "$0")/netns_lib.sh"
need_root_and_bins "$SERVER_BIN" "$CHAT_BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lobby-netns.XXXXXX") || exit 1
MADE_NS=""

trap netns_cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

fail() {
    echo "FAIL: $*" >&2
    echo "--- server log ($SRV_NS) ---" >&2
    cat "$WORK/server.err" >&2 2>/dev/null
    for k in $BOTS; do
        echo "--- bot$k stdout ---" >&2
        cat "$WORK/bot$k.out" >&2 2>/dev/null
        echo "--- bot$k stderr ---" >&2
        cat "$WORK/bot$k.err" >&2 2>/dev/null
    done
    exit 1
}


# ---- namespaces and links -------------------------------------------------

if ! ip netns add "$SRV_NS" 2>"$WORK/ip.err"; then
    skip "'ip netns add' not permitted here: $(cat "$WORK/ip.err")"
fi
MADE_NS=$SRV_NS
for k in $BOTS; do
    ns=lobby-bot$k-$TAG
    ip netns add "$ns" 2>"$WORK/ip.err" ||
        skip "'ip netns add $ns' failed: $(cat "$WORK/ip.err")"
    MADE_NS="$MADE_NS $ns"
done

ip -n "$SRV_NS" link set lo up || fail "cannot bring up lo in $SRV_NS"
for k in $BOTS; do
    ns=lobby-bot$k-$TAG
    # Both ends are created directly inside the namespaces: nothing appears
    # in the host's namespace, not even for a moment.
    if ! ip -n "$SRV_NS" link add "v$k" type veth peer name veth0 netns "$ns" \
        2>"$WORK/ip.err"; then
        skip "cannot create a veth pair (no veth support?): $(cat "$WORK/ip.err")"
    fi
    if ! { ip -n "$SRV_NS" addr add "10.231.$k.1/24" dev "v$k" &&
        ip -n "$SRV_NS" link set "v$k" up &&
        ip -n "$ns" link set lo up &&
        ip -n "$ns" addr add "10.231.$k.2/24" dev veth0 &&
        ip -n "$ns" link set veth0 up; }; then
        fail "cannot configure the link to bot$k"
    fi
done

# ---- server ---------------------------------------------------------------

: >"$WORK/empty"
start server "$SRV_NS" "$WORK/empty" "$SERVER_BIN" --bind 0.0.0.0 --port "$PORT" --http off

server_listening() {
    grep -q "listening on 0.0.0.0:$PORT (udp)" "$WORK/server.err" 2>/dev/null
}
server_dead() {
    [ -f "$WORK/server.rc" ]
}
listening_or_dead() {
    grep -q "listening on" "$WORK/server.err" 2>/dev/null || server_dead
}
wait_until 30 listening_or_dead
server_dead && fail "lobby-server exited early (status $(cat "$WORK/server.rc"))"
server_listening || fail "lobby-server did not report 'listening on 0.0.0.0:$PORT (udp)' within 3 s"

# ---- bots -----------------------------------------------------------------

for k in $BOTS; do
    mkfifo "$WORK/bot$k.in" || fail "mkfifo failed"
done
# Opening read-write never blocks on Linux, and we never read from them.
exec 3<>"$WORK/bot1.in" 4<>"$WORK/bot2.in" 5<>"$WORK/bot3.in"

for k in $BOTS; do
    start "bot$k" "lobby-bot$k-$TAG" "$WORK/bot$k.in" \
        "$CHAT_BIN" --server "10.231.$k.1:$PORT" --name "bot$k" --timeout 3
done

all_joined() {
    [ "$(grep -c ' join lobby=main player=bot' "$WORK/server.err")" -ge 3 ]
}
# bot_exited: set $dead to a bot that has already ended, if any.
bot_exited() {
    dead=""
    for k in $BOTS; do
        if [ -f "$WORK/bot$k.rc" ]; then
            dead=$k
            return 0
        fi
    done
    return 1
}
joined_or_exited() {
    all_joined || bot_exited
}
wait_until 50 joined_or_exited
bot_exited && fail "bot$dead exited early (status $(cat "$WORK/bot$dead.rc"))"
all_joined || fail "the server did not log 3 joins to lobby main within 5 s"

# Each bot must have come in over its own link, from its own address.
for k in $BOTS; do
    grep -q "join lobby=main player=bot$k .*peer=10\.231\.$k\.2:" "$WORK/server.err" ||
        fail "server log shows no join of bot$k from 10.231.$k.2"
done

echo "hello from bot1" >&3
echo "hello from bot2" >&4
echo "hello from bot3" >&5

# sees FILE OTHER: FILE shows OTHER in the lobby, either in its own joined
# line ("* joined lobby main as X (n/16 players: a b c)") or as "* OTHER joined".
sees() {
    grep -qx "\* $2 joined" "$1" ||
        grep -Eq "^\* joined lobby main as [^ ]+ \([0-9]+/[0-9]+ players:( [^ )]+)* $2( |\))" "$1"
}

# bot_done K: botK's output has the others in the lobby, their hellos and
# the acknowledgement of its own.
bot_done() {
    out=$WORK/bot$1.out
    grep -q "^ack id=1 " "$out" || return 1
    for j in $BOTS; do
        [ "$j" = "$1" ] && continue
        sees "$out" "bot$j" || return 1
        grep -qx "bot$j: hello from bot$j" "$out" || return 1
    done
}
all_done() {
    for k in $BOTS; do
        bot_done "$k" || return 1
    done
}
done_or_exited() {
    all_done || bot_exited
}
wait_until 50 done_or_exited
bot_exited && fail "bot$dead exited before its input closed (status $(cat "$WORK/bot$dead.rc"))"
all_done || {
    for k in $BOTS; do
        out=$WORK/bot$k.out
        grep -q "^ack id=1 " "$out" || echo "bot$k: no 'ack id=1' line" >&2
        for j in $BOTS; do
            [ "$j" = "$k" ] && continue
            sees "$out" "bot$j" || echo "bot$k: does not see bot$j in the lobby" >&2
            grep -qx "bot$j: hello from bot$j" "$out" ||
                echo "bot$k: missing 'bot$j: hello from bot$j'" >&2
        done
    done
    fail "chat between the bots was not complete within 5 s"
}

# ---- shutdown ----------------------------------------------------------------

exec 3>&- 4>&- 5>&-
bots_exited() {
    for k in $BOTS; do
        [ -f "$WORK/bot$k.rc" ] || return 1
    done
}
wait_until 40 bots_exited || fail "bots still running 4 s after their input closed"
for k in $BOTS; do
    rc=$(cat "$WORK/bot$k.rc")
    [ "$rc" = 0 ] || fail "bot$k exited with status $rc"
done

kill -TERM "$(cat "$WORK/server.pid")" || fail "cannot signal lobby-server"
wait_until 20 server_dead || fail "lobby-server still running 2 s after SIGTERM"
rc=$(cat "$WORK/server.rc")
[ "$rc" = 0 ] || fail "lobby-server exited with status $rc after SIGTERM"

if [ -n "${LOBBY_NETNS_VERBOSE:-}" ]; then
    echo "--- server log ---"
    cat "$WORK/server.err"
    for k in $BOTS; do
        echo "--- bot$k (lobby-bot$k-$TAG, 10.231.$k.2) stdout ---"
        cat "$WORK/bot$k.out"
    done
fi
echo "PASS: 3 bots in 3 namespaces joined lobby main on the server's namespace over veth, chatted and left; server stopped cleanly"
exit 0
