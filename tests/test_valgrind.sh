#!/bin/sh
# lobby-server under valgrind's memcheck through a short integration: several
# lobby-chat messages (one refused), then lobby-bench with 4 bots, one of them
# sending malformed messages, and a flooder; then SIGTERM. Passes when the
# server exits 0 with no invalid read or write, no use of uninitialised
# memory and nothing definitely or indirectly lost.
# Usage: test_valgrind.sh SERVER CHAT BENCH   (exit 77: valgrind not installed)
set -eu
server_bin=$1 chat_bin=$2 bench_bin=$3
if ! command -v valgrind >/dev/null 2>&1; then
    echo "test_valgrind: valgrind is not installed (apt-get install valgrind); skipped" >&2
    exit 77
fi
dir=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "test_valgrind: FAIL: $*" >&2
    echo "--- server log (tail)" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    echo "--- valgrind log" >&2
    cat "$dir/valgrind.log" >&2 || true
    exit 1
}

valgrind --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --track-fds=no \
    --log-file="$dir/valgrind.log" \
    "$server_bin" --bind 127.0.0.1 --port 0 --http 127.0.0.1:0 2>"$dir/server.log" &
server_pid=$!

# Under valgrind startup is slow: wait up to 20 s for the listening line.
port=""
i=0
while [ $i -lt 200 ]; do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$dir/server.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || fail "the server exited during startup"
    sleep 0.1
    i=$((i + 1))
done
[ -n "$port" ] || fail "no 'listening on 127.0.0.1:PORT' within 20 s"
echo "test_valgrind: server under valgrind on port $port"

say() {
    "$chat_bin" --server "127.0.0.1:$port" --timeout 15 "$@"
}
say --name alice --say "hello from alice" >/dev/null || fail "alice's message"
say --name bob --lobby second --say "hello from bob" >/dev/null || fail "bob's message"
say --name carol --say "h$(printf '\303\251')llo" >/dev/null || fail "carol's message"
# 600 bytes is over the limit: refused, so lobby-chat exits 1.
long=$(printf '%0600d' 0)
if say --name dave --say "$long" >/dev/null 2>&1; then
    fail "a 600-byte message was accepted"
fi

"$bench_bin" --server "127.0.0.1:$port" --quiet --bots 4 --lobbies 1 --duration 2 \
    --move-hz 20 --chat-per-s 2 --malformed-percent 25 --flooders 1 \
    >"$dir/bench.txt" 2>&1 || {
    cat "$dir/bench.txt" >&2
    fail "lobby-bench against the server under valgrind"
}

grep -E "^(bots joined|chats|acked chats lost|misbehaving)" "$dir/bench.txt" | sed 's/^/test_valgrind: bench: /'

# The HTTP side under memcheck too: every page, a refused method, an unknown
# path and a garbage request line.
http_port=$(sed -n 's/.*http on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$dir/server.log" | head -n 1)
[ -n "$http_port" ] || fail "no 'http on 127.0.0.1:PORT' line"
python3 - "$http_port" <<'EOF_PY' || fail "HTTP requests to the server under valgrind"
import socket, sys, urllib.error, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
for path in ("/metrics", "/lobbies", "/healthz"):
    urllib.request.urlopen(base + path, timeout=20).read()
for req, code in ((urllib.request.Request(base + "/metrics", data=b"x", method="POST"), 405),
                  (base + "/nope", 404)):
    try:
        urllib.request.urlopen(req, timeout=20)
        sys.exit(f"{code} expected")
    except urllib.error.HTTPError as e:
        if e.code != code:
            sys.exit(f"{code} expected, got {e.code}")
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as s:
    s.sendall(b"hello world\r\n\r\n")
    if s.recv(64).split(b"\r\n")[0].split(b" ")[1:2] != [b"400"]:
        sys.exit("400 expected for a garbage request line")
EOF_PY

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""

[ "$status" -eq 0 ] || fail "the server exited with status $status (99: valgrind found errors)"
if grep -E "Invalid (read|write)|uninitialised|Syscall param|Invalid free|Mismatched free" \
    "$dir/valgrind.log" >/dev/null; then
    fail "memcheck reported errors"
fi
grep -E "definitely lost: 0 bytes|All heap blocks were freed" "$dir/valgrind.log" >/dev/null ||
    fail "memory definitely lost"
grep -E "ERROR SUMMARY: 0 errors" "$dir/valgrind.log" >/dev/null || fail "memcheck errors"
grep -E "in use at exit|All heap blocks were freed" "$dir/valgrind.log" | sed 's/^==[0-9]*== */test_valgrind: /'
echo "test_valgrind: server exited 0, memcheck clean"
