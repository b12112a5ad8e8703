#!/bin/sh
# CTest install_tree: `cmake --install BUILD --prefix P` installs every
# program, the assets, the man pages and the unit; then the installed
# lobby-client, moved to another folder and with the source tree's assets
# hidden (a private mount namespace), still finds its font (bin/../share/lobby)
# and renders a headless screenshot; without its installed assets it fails.
# usage: test_install.sh BUILD SRC    exit 0 pass, 1 fail, 77 skipped.
set -u
build=$1 src=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/install_tree.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "install_tree: FAIL: $*"; failures=$((failures + 1)); }

cmake --install "$build" --prefix "$work/p" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; echo "install_tree: FAIL: cmake --install"; exit 1; }
for prog in lobby-server lobby-token lobby-client lobby-chat lobby-bench lobby-netsim; do
    [ -x "$work/p/bin/$prog" ] || fail "bin/$prog not installed"
    [ -f "$work/p/share/man/man1/$prog.1.gz" ] || fail "share/man/man1/$prog.1.gz not installed"
done
for gone in lobby-floor lobby-naive-relay; do
    [ ! -e "$work/p/bin/$gone" ] || fail "bin/$gone installed (a comparison program, not the product)"
done
[ -f "$work/p/share/lobby/DejaVuSans.ttf" ] || fail "share/lobby/DejaVuSans.ttf not installed"
unit=$work/p/lib/systemd/system/lobby-server.service
grep -qx "ExecStart=$work/p/bin/lobby-server --config $work/p/etc/lobby-server/lobby-server.conf" \
    "$unit" || fail "$unit: ExecStart is not this prefix's server and config"
if [ -f "$src/server/lobby-server.conf" ]; then
    [ -f "$work/p/etc/lobby-server/lobby-server.conf" ] || fail "etc/lobby-server/lobby-server.conf not installed"
fi
"$work/p/bin/lobby-server" --version >/dev/null || fail "the installed lobby-server --version fails"

# The client: a prefix moved after the install, the source tree's assets
# hidden (an empty tmpfs over them, in a private mount namespace) and so
# is the configured prefix's folder, no $LOBBY_ASSETS, no --assets.
mv "$work/p" "$work/moved"
hide="mount -t tmpfs tmpfs '$src/assets'"
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")/share/lobby
[ -d "$configured" ] && hide="$hide && mount -t tmpfs tmpfs '$configured'"
client() {
    env -u LOBBY_ASSETS SDL_VIDEODRIVER=dummy unshare -rm sh -c "$hide && exec \"\$0\" \"\$@\"" \
        "$work/moved/bin/lobby-client" --server 127.0.0.1:1 --name installed --frames 3 \
        --screenshot "$1" 2>"$work/client.err"
}
unshare -rm sh -c "$hide" 2>/dev/null ||
    { echo "install_tree: SKIPPED: cannot hide the source tree's assets (unshare -rm and mount failed)"; exit 77; }
client "$work/shot.bmp" && [ -s "$work/shot.bmp" ] ||
    { cat "$work/client.err"; fail "the installed lobby-client did not find its assets"; }
# The check can fail: without the installed assets there is nothing to find.
mv "$work/moved/share/lobby" "$work/lobby-assets"
client "$work/shot2.bmp"
status=$?
grep -q "cannot find DejaVuSans.ttf" "$work/client.err" && [ $status = 1 ] ||
    { cat "$work/client.err"; fail "lobby-client without installed assets: exit $status, wanted 1 (are other assets visible?)"; }

[ $failures = 0 ] || { echo "install_tree: $failures failures"; exit 1; }
echo "install_tree: ok"
