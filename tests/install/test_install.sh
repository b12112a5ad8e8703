#!/bin/sh
# What a game developer and an operator get from `cmake --install`: the
# project is installed into a temporary prefix, every file a user relies on
# must be there, and the example game is built out of the tree from its
# installed copy, against the installed library only, three ways (make with
# pkg-config, CMake with find_package, and statically). The installed
# lobby-server then hosts the three builds for a few seconds: each must join
# the lobby, see the others move and read their chat; then one plays in a
# pseudo-terminal with keys, as a player would (tests/install/drive_tty.py).
# Usage: test_install.sh BUILD_DIR LIBDIR [EXTRA_CFLAGS]
#   LIBDIR: CMAKE_INSTALL_LIBDIR; EXTRA_CFLAGS: the sanitizer flags the
#   library was built with (a sanitized library needs them in the game too).
set -u
BUILD=$1 LIBDIR=$2 EXTRA=${3:-}
WORK=$(mktemp -d)
PREFIX=$WORK/prefix
SERVER_PID=

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*" >&2
    for f in "$WORK"/*.log; do
        [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
    done
    exit 1
}

# ---- 1. install, and the files users rely on ------------------------------
cmake --install "$BUILD" --prefix "$PREFIX" >"$WORK/install.log" 2>&1 || fail "cmake --install"
missing=
for f in bin/lobby-server bin/lobby-token bin/lobby-client bin/lobby-chat bin/lobby-bench \
    bin/lobby-netsim share/lobby/DejaVuSans.ttf share/lobby/icon.bmp \
    "$LIBDIR/liblobby-client.so.0" "$LIBDIR/liblobby-client.so" "$LIBDIR/liblobby-client.a" \
    include/lobby/client.h "$LIBDIR/pkgconfig/lobby-client.pc" \
    "$LIBDIR/cmake/LobbyClient/LobbyClientConfig.cmake" \
    "$LIBDIR/cmake/LobbyClient/LobbyClientConfigVersion.cmake" \
    share/doc/liblobby-client-dev/CLIENT-API.md share/doc/liblobby-client-dev/PROTOCOL.md \
    share/doc/liblobby-client-dev/examples/lobby-example.c \
    share/doc/liblobby-client-dev/examples/CMakeLists.txt \
    share/doc/liblobby-client-dev/examples/Makefile \
    share/doc/lobby-server/examples/lobby-server.conf \
    share/man/man5/lobby-server.conf.5.gz lib/systemd/system/lobby-server.service; do
    [ -e "$PREFIX/$f" ] || missing="$missing $f"
done
for prog in lobby-server lobby-token lobby-client lobby-chat lobby-bench lobby-netsim; do
    [ -e "$PREFIX/share/man/man1/$prog.1.gz" ] || missing="$missing share/man/man1/$prog.1.gz"
done
[ -z "$missing" ] || fail "not installed:$missing"
soname=$(objdump -p "$PREFIX/$LIBDIR/liblobby-client.so" | sed -n 's/ *SONAME *//p')
[ "$soname" = liblobby-client.so.0 ] || fail "SONAME is '$soname', not liblobby-client.so.0"

# ---- 2. the example, built from its installed copy, out of the tree -------
cp -r "$PREFIX/share/doc/liblobby-client-dev/examples" "$WORK/src"
export PKG_CONFIG_PATH="$PREFIX/$LIBDIR/pkgconfig"
rpath=$(pkg-config --variable=libdir lobby-client) || fail "pkg-config does not find lobby-client"
make -C "$WORK/src" CFLAGS="-O2 -g -Wall -Wextra -Werror $EXTRA" \
    LDFLAGS="-Wl,-rpath,$rpath $EXTRA" >"$WORK/make.log" 2>&1 || fail "make with pkg-config"
for kind in shared static; do
    static=OFF
    [ $kind = static ] && static=ON
    cmake -S "$WORK/src" -B "$WORK/cmake-$kind" -DCMAKE_PREFIX_PATH="$PREFIX" \
        -DCMAKE_C_FLAGS="-Wall -Wextra -Werror $EXTRA" -DLOBBY_EXAMPLE_STATIC=$static \
        >"$WORK/cmake-$kind.log" 2>&1 &&
        cmake --build "$WORK/cmake-$kind" >>"$WORK/cmake-$kind.log" 2>&1 ||
        fail "find_package(LobbyClient) build ($kind)"
done
ldd "$WORK/cmake-shared/lobby-example" | grep -q "liblobby-client.so.0 => $PREFIX" ||
    fail "the find_package build does not use the installed liblobby-client.so.0"
if ldd "$WORK/cmake-static/lobby-example" | grep -q liblobby-client; then
    fail "the static build still needs liblobby-client.so"
fi

# ---- 3. the three builds play through the installed server ----------------
"$PREFIX/bin/lobby-server" --bind 127.0.0.1 --port 0 --http off 2>"$WORK/server.log" &
SERVER_PID=$!
i=0 port=
while [ -z "$port" ] && [ $i -lt 60 ]; do
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$WORK/server.log" | head -n 1)
    [ -n "$port" ] || sleep 0.05
    i=$((i + 1))
done
[ -n "$port" ] || fail "the installed lobby-server did not start"

run() { # NAME BINARY
    "$2" --host 127.0.0.1 --port "$port" --name "$1" --lobby example --headless 4 \
        >"$WORK/$1.log" 2>&1
    echo $? >"$WORK/$1.rc"
}
run alice "$WORK/src/lobby-example" &
p1=$!
run bob "$WORK/cmake-shared/lobby-example" &
p2=$!
run carol "$WORK/cmake-static/lobby-example" &
wait $! $p1 $p2
for who in alice bob carol; do
    [ "$(cat "$WORK/$who.rc")" = 0 ] || fail "$who's game exited $(cat "$WORK/$who.rc")"
    grep -q "^joined lobby 'example' as player" "$WORK/$who.log" || fail "$who did not join"
    for other in alice bob carol; do
        [ $other = "$who" ] && continue
        grep -q "^sees $other at " "$WORK/$who.log" || fail "$who never saw $other move"
        grep -q "^$other: hello from $other\$" "$WORK/$who.log" || fail "$who missed $other's chat"
    done
done
# ---- 4. and in a terminal, as a player uses it ------------------------------
"$WORK/src/lobby-example" --host 127.0.0.1 --port "$port" --name kim --lobby tty --headless 5 \
    >"$WORK/kim.log" 2>&1 &
kim=$!
sleep 0.5
python3 "$(dirname "$0")/drive_tty.py" "$WORK/src/lobby-example" "$port" ||
    fail "the example game in a terminal"
wait $kim || fail "kim's headless game"
grep -q "^zed: hello there\$" "$WORK/kim.log" || fail "kim did not get what zed typed"
grep -q "^sees zed at " "$WORK/kim.log" || fail "kim did not see zed move"
echo "installed $(find "$PREFIX" -type f | wc -l) files; three example builds played together"
