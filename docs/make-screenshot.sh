#!/bin/sh
# Makes docs/screenshot.png: a server on a free loopback port, two chatting
# lobby-chat players, and the game window (headless, SDL's dummy driver)
# typing a message, captured with --screenshot; then docs/browser.png: more
# lobby-chat players open lobbies (one with a password, some with metadata)
# and the window, started without --lobby, shows its lobby browser. Run from
# the repository root after building into ./build; OUT=DIR writes the two
# pictures there instead of docs/. lobby-client writes the PNGs itself.
set -eu
build=${BUILD:-build}
out=${OUT:-docs}
mkdir -p "$out"
dir=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; rm -rf "$dir"' EXIT

"$build/server/lobby-server" --bind 127.0.0.1 --port 0 --http off 2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 50); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/server.log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "server did not start" >&2; exit 1; }

say() { # say NAME DELAY TEXT...: a player who stays, chatting
    name=$1 delay=$2
    shift 2
    (sleep "$delay"; for line in "$@"; do echo "$line"; sleep 0.4; done; sleep 6) |
        "$build/chat/lobby-chat" --server "127.0.0.1:$port" --name "$name" >/dev/null &
}
say alice 0.2 "hi all, anyone up for a round?" "map: harbour"
say bob 0.5 "sure! give me a minute" "ready when you are"

SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software \
    "$build/game-client/lobby-client" --server "127.0.0.1:$port" --name carol --lobby main \
    --size 1024x640 --frames 150 --screenshot "$out/screenshot.png" --autotype "on my way ✓"

host() { # host NAME COMMAND...: a player who runs lobby-chat commands and stays
    name=$1
    shift
    (for line in "$@"; do echo "$line"; sleep 0.2; done; sleep 8) |
        "$build/chat/lobby-chat" --server "127.0.0.1:$port" --name "$name" >/dev/null &
}
host dave "/create ctf-night 8 hunter2" "/set meta mode=ctf map=harbour"
host erin "/create casual 6" "/set meta mode=dm"
host frank "/create speedrun 2" "/set maxrtt 120"
host grace "/join speedrun"
host heidi "/join casual"
sleep 1.5
SDL_VIDEODRIVER=dummy SDL_RENDER_DRIVER=software \
    "$build/game-client/lobby-client" --server "127.0.0.1:$port" --name ivan \
    --size 1024x640 --frames 90 --screenshot "$out/browser.png"
echo "wrote $out/screenshot.png and $out/browser.png"
