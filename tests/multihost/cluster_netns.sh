#!/bin/sh
# Functions here are called through wait_until and the EXIT trap:
# shellcheck disable=SC2317
# Several machines, one cluster: Redis, two lobby-servers and the players,
# each in its own network namespace, joined by a bridge.
#
#   usage: sh tests/multihost/cluster_netns.sh SERVER_BIN CHAT_BIN
#
# Topology (all addresses exist only inside the namespaces made here; the
# bridge lives in a fifth namespace, so nothing appears in the host's):
#
#   lobby-redis-PID    eth0 10.232.0.1/24 --+
#   lobby-a-PID        eth0 10.232.0.2/24 --+-- br0 in lobby-hub-PID
#   lobby-b-PID        eth0 10.232.0.3/24 --+
#   lobby-players-PID  eth0 10.232.0.4/24 --+
#
# redis-server listens on 10.232.0.1:7379 in its namespace (nothing saved).
# Servers a and b bind 0.0.0.0:7777 in theirs, with --public-address their
# namespace address, --cluster redis://10.232.0.1:7379 and one shared
# --cluster-secret-file.  From the players' namespace: bob browses b and
# creates lobby x; the lobby list of a must show x (one list); alice asks a
# for lobby x, is redirected to b and joins; each says a line, and each must
# receive the other's line and the acknowledgement of its own.  Then stdins
# close, the players must exit 0, the servers must exit 0 on SIGTERM and have
# left the directory (lobby:servers empty).  A trap kills what was started
# and deletes the namespaces on every exit path.
#
# LOBBY_NETNS_VERBOSE=1 prints the logs and the players' output on success.
#
# Exit status: 0 pass, 1 fail (with logs), 77 skip (not root, no netns,
# veth or bridge, or no redis-server).

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 SERVER_BIN CHAT_BIN" >&2
    exit 2
fi
SERVER_BIN=$1
CHAT_BIN=$2
PORT=7777
REDIS_PORT=7379
NET=10.232.0
TAG=$$
HUB_NS=lobby-hub-$TAG
# name:namespace:address of each box on the bridge.
BOXES="redis:lobby-redis-$TAG:$NET.1 a:lobby-a-$TAG:$NET.2 b:lobby-b-$TAG:$NET.3 players:lobby-players-$TAG:$NET.4"
REDIS_NS=lobby-redis-$TAG
A_NS=lobby-a-$TAG
B_NS=lobby-b-$TAG
P_NS=lobby-players-$TAG
REDIS_URL=redis://$NET.1:$REDIS_PORT

. "$(dirname "$0")/netns_lib.sh"
need_root_and_bins "$SERVER_BIN" "$CHAT_BIN"
command -v redis-server >/dev/null 2>&1 || skip "redis-server not found"
command -v redis-cli >/dev/null 2>&1 || skip "redis-cli not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lobby-cluster-netns.XXXXXX") || exit 1
MADE_NS=""

trap netns_cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

LOGS="redis a b alice bob"
fail() {
    echo "FAIL: $*" >&2
    for name in $LOGS; do
        for ext in out err; do
            [ -s "$WORK/$name.$ext" ] || continue
            echo "--- $name.$ext ---" >&2
            cat "$WORK/$name.$ext" >&2
        done
    done
    exit 1
}


dead() {
    [ -f "$WORK/$1.rc" ]
}
rcli() {
    ip netns exec "$P_NS" redis-cli -h "$NET.1" -p "$REDIS_PORT" "$@" 2>/dev/null
}

# ---- namespaces, bridge and links -------------------------------------------

if ! ip netns add "$HUB_NS" 2>"$WORK/ip.err"; then
    skip "'ip netns add' not permitted here: $(cat "$WORK/ip.err")"
fi
MADE_NS=$HUB_NS
if ! ip -n "$HUB_NS" link add br0 type bridge 2>"$WORK/ip.err"; then
    skip "cannot create a bridge (no bridge support?): $(cat "$WORK/ip.err")"
fi
ip -n "$HUB_NS" link set br0 up || fail "cannot bring up br0 in $HUB_NS"
for box in $BOXES; do
    name=${box%%:*}
    rest=${box#*:}
    ns=${rest%%:*}
    addr=${rest#*:}
    ip netns add "$ns" 2>"$WORK/ip.err" ||
        skip "'ip netns add $ns' failed: $(cat "$WORK/ip.err")"
    MADE_NS="$MADE_NS $ns"
    # Both ends are created directly inside the namespaces: nothing appears
    # in the host's namespace, not even for a moment.
    if ! ip -n "$HUB_NS" link add "p-$name" type veth peer name eth0 netns "$ns" \
        2>"$WORK/ip.err"; then
        skip "cannot create a veth pair (no veth support?): $(cat "$WORK/ip.err")"
    fi
    if ! { ip -n "$HUB_NS" link set "p-$name" master br0 &&
        ip -n "$HUB_NS" link set "p-$name" up &&
        ip -n "$ns" link set lo up &&
        ip -n "$ns" addr add "$addr/24" dev eth0 &&
        ip -n "$ns" link set eth0 up; }; then
        fail "cannot configure the link of $name"
    fi
done

# ---- redis --------------------------------------------------------------------

: >"$WORK/empty"
start redis "$REDIS_NS" "$WORK/empty" redis-server --bind "$NET.1" --port "$REDIS_PORT" \
    --protected-mode no --save '' --appendonly no --daemonize no --dir "$WORK"
redis_ready() {
    [ "$(rcli PING)" = PONG ] || dead redis
}
# The first PING crosses the bridge from the players' namespace: that checks
# the links too.  A fresh bridge port may take a moment to forward.
wait_until 50 redis_ready
dead redis && fail "redis-server exited early (status $(cat "$WORK/redis.rc"))"
[ "$(rcli PING)" = PONG ] || fail "redis at $NET.1:$REDIS_PORT does not answer PING from $P_NS within 5 s"

# ---- servers ------------------------------------------------------------------

head -c 32 /dev/urandom >"$WORK/secret" || fail "cannot write the cluster secret"
start a "$A_NS" "$WORK/empty" "$SERVER_BIN" --bind 0.0.0.0 --port "$PORT" --http off \
    --public-address "$NET.2:$PORT" --server-id a --cluster "$REDIS_URL" \
    --cluster-secret-file "$WORK/secret"
start b "$B_NS" "$WORK/empty" "$SERVER_BIN" --bind 0.0.0.0 --port "$PORT" --http off \
    --public-address "$NET.3:$PORT" --server-id b --cluster "$REDIS_URL" \
    --cluster-secret-file "$WORK/secret"
registered() {
    grep -q "\[cluster\] redis is up: registering as $1" "$WORK/$1.err" 2>/dev/null
}
both_up_or_dead() {
    { registered a && registered b; } || dead a || dead b
}
wait_until 50 both_up_or_dead
for s in a b; do
    dead "$s" && fail "server $s exited early (status $(cat "$WORK/$s.rc"))"
    registered "$s" || fail "server $s did not log 'redis is up: registering as $s' within 5 s"
done

# ---- players --------------------------------------------------------------------

mkfifo "$WORK/alice.in" "$WORK/bob.in" || fail "mkfifo failed"
# Opening read-write never blocks on Linux, and we never read from them.
exec 3<>"$WORK/alice.in" 4<>"$WORK/bob.in"

start bob "$P_NS" "$WORK/bob.in" "$CHAT_BIN" --server "$NET.3:$PORT" --name bob --browse --timeout 3
echo "/create x" >&4
bob_in_x() {
    grep -q "^\* joined lobby x as bob" "$WORK/bob.out" 2>/dev/null || dead bob
}
wait_until 50 bob_in_x
dead bob && fail "bob exited early (status $(cat "$WORK/bob.rc"))"
bob_in_x || fail "bob did not get into lobby x on b within 5 s"

# One list: a's lobby list shows x (b's) once the directory has carried it.
a_lists_x() {
    echo /list | ip netns exec "$P_NS" "$CHAT_BIN" --server "$NET.2:$PORT" --name probe \
        --browse --timeout 3 >"$WORK/list.out" 2>&1
    grep -q "^  x 1/16 .*owner:bob" "$WORK/list.out"
}
wait_until 30 a_lists_x || {
    cat "$WORK/list.out" >&2
    fail "the lobby list of server a does not show b's lobby x within 3 s"
}

start alice "$P_NS" "$WORK/alice.in" "$CHAT_BIN" --server "$NET.2:$PORT" --name alice --lobby x --timeout 3
alice_in_x() {
    grep -q "^\* joined lobby x as alice" "$WORK/alice.out" 2>/dev/null || dead alice
}
wait_until 50 alice_in_x
dead alice && fail "alice exited early (status $(cat "$WORK/alice.rc"))"
alice_in_x || fail "alice did not get into lobby x within 5 s"
grep -qx "redirected: lobby 'x' is on server b at $NET.3:$PORT" "$WORK/alice.out" ||
    fail "alice's output has no 'redirected: lobby 'x' is on server b at $NET.3:$PORT'"
grep -q "\[cluster\] redirect player=alice lobby=x to=b ($NET.3:$PORT) kind=join" "$WORK/a.err" ||
    fail "server a did not log the redirect of alice to b"
grep -q "join lobby=x player=alice .*peer=$NET.4:" "$WORK/b.err" ||
    fail "server b's log shows no join of alice to x from $NET.4"
grep -q "join lobby=x player=alice" "$WORK/a.err" &&
    fail "server a put alice in a lobby x of its own"

echo "hello from alice" >&3
echo "hello from bob" >&4

# done_for ME OTHER: ME's output has OTHER's line and the ack of its own.
done_for() {
    grep -q "^ack id=1 .*lobby=x" "$WORK/$1.out" &&
        grep -qx "$2: hello from $2" "$WORK/$1.out"
}
chatted_or_dead() {
    { done_for alice bob && done_for bob alice; } || dead alice || dead bob
}
wait_until 50 chatted_or_dead
for p in alice bob; do
    dead "$p" && fail "$p exited before its input closed (status $(cat "$WORK/$p.rc"))"
done
done_for alice bob || fail "alice lacks bob's line or the ack of her own within 5 s"
done_for bob alice || fail "bob lacks alice's line or the ack of his own within 5 s"
grep -qx "\* alice joined" "$WORK/bob.out" || fail "bob was not told that alice joined"

# ---- shutdown ---------------------------------------------------------------------

exec 3>&- 4>&-
players_exited() {
    dead alice && dead bob
}
wait_until 40 players_exited || fail "players still running 4 s after their input closed"
for p in alice bob; do
    rc=$(cat "$WORK/$p.rc")
    [ "$rc" = 0 ] || fail "$p exited with status $rc"
done

for s in a b; do
    kill -TERM "$(cat "$WORK/$s.pid")" || fail "cannot signal server $s"
done
servers_dead() {
    dead a && dead b
}
wait_until 30 servers_dead || fail "servers still running 3 s after SIGTERM"
for s in a b; do
    rc=$(cat "$WORK/$s.rc")
    [ "$rc" = 0 ] || fail "server $s exited with status $rc after SIGTERM"
done
left=$(rcli SMEMBERS lobby:servers)
[ -z "$left" ] || fail "lobby:servers still holds '$left' after both servers stopped"

if [ -n "${LOBBY_NETNS_VERBOSE:-}" ]; then
    for name in a b alice bob; do
        echo "--- $name ---"
        cat "$WORK/$name.err" "$WORK/$name.out"
    done
fi
echo "PASS: alice in $P_NS reached server a ($A_NS), was redirected to b ($B_NS) and chatted in lobby x with bob, who joined b directly; directory in redis ($REDIS_NS) over a bridge; servers left it cleanly"
exit 0
