#!/bin/sh
# CTest package_deb: builds the Debian packages from SRC in a fresh build
# directory (prefix /usr, CPack), then checks each one: its files
# (dpkg-deb -c), its control fields (dpkg-deb -f), lintian (no E: line) and
# that apt-get could install them all (--simulate: the system is not touched).
# usage: test_package_deb.sh SRC    exit 0 pass, 1 fail, 77 skipped (not root,
# or a tool missing: the line says which). KEEP_DEBS=DIR keeps the .debs there.
set -u
src=$(cd "${1:?usage: test_package_deb.sh SRC}" && pwd)

skip() { echo "package_deb: SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (lintian and dpkg-shlibdeps run as root in CI)"
for tool in dpkg-deb lintian apt-get dpkg-shlibdeps cpack; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (Debian packages lintian, dpkg-dev, cmake)"
done

work=$(mktemp -d /tmp/package_deb.XXXXXX)
trap '[ -n "${KEEP_DEBS:-}" ] && cp "$work"/build/*.deb "$KEEP_DEBS"/; rm -rf "$work"' EXIT
failures=0
fail() { echo "package_deb: FAIL: $*"; failures=$((failures + 1)); }

echo "package_deb: building in $work"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DLOBBY_TESTS=OFF -DLOBBY_SANITIZE=OFF >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log"; echo "package_deb: FAIL: configure"; exit 1; }
cmake --build "$work/build" -j2 >"$work/build.log" 2>&1 ||
    { tail -50 "$work/build.log"; echo "package_deb: FAIL: build"; exit 1; }
(cd "$work/build" && cpack -G DEB --config CPackConfig.cmake) >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; echo "package_deb: FAIL: cpack"; exit 1; }

deb() { ls "$work/build/$1"_*.deb 2>/dev/null | head -n 1; }

# expect_files PACKAGE PATH...: each path (as dpkg-deb -c prints it, ./...)
# is in the package; a PATH may be a shell pattern.
expect_files() {
    pkg=$1; shift
    file=$(deb "$pkg")
    [ -n "$file" ] || { fail "no $pkg package was built"; return; }
    dpkg-deb -c "$file" | awk '{print $6}' >"$work/$pkg.files"
    for want in "$@"; do
        found=no
        while read -r have; do
            case $have in $want) found=yes; break ;; esac
        done <"$work/$pkg.files"
        [ $found = yes ] || fail "$pkg lacks $want"
    done
}

# expect_field PACKAGE FIELD PATTERN: the control field matches (grep -E).
expect_field() {
    file=$(deb "$1")
    [ -n "$file" ] || return
    value=$(dpkg-deb -f "$file" "$2")
    echo "$value" | grep -Eq "$3" || fail "$1: $2 is '$value', wanted /$3/"
}

man1=./usr/share/man/man1
expect_files lobby-server ./usr/bin/lobby-server ./usr/bin/lobby-token \
    ./lib/systemd/system/lobby-server.service $man1/lobby-server.1.gz $man1/lobby-token.1.gz \
    ./usr/share/doc/lobby-server/copyright ./usr/share/doc/lobby-server/changelog.Debian.gz
expect_files lobby-tools ./usr/bin/lobby-client ./usr/bin/lobby-chat ./usr/bin/lobby-bench \
    ./usr/bin/lobby-netsim ./usr/share/lobby/DejaVuSans.ttf ./usr/share/lobby/icon.bmp \
    $man1/lobby-client.1.gz $man1/lobby-chat.1.gz $man1/lobby-bench.1.gz $man1/lobby-netsim.1.gz \
    ./usr/share/doc/lobby-tools/copyright ./usr/share/doc/lobby-tools/changelog.Debian.gz
expect_files lobby-server ./etc/lobby-server/lobby-server.conf \
    ./usr/share/man/man5/lobby-server.conf.5.gz \
    ./usr/share/doc/lobby-server/examples/lobby-server.conf
dpkg-deb -I "$(deb lobby-server)" conffiles | grep -qx /etc/lobby-server/lobby-server.conf ||
    fail "lobby-server: /etc/lobby-server/lobby-server.conf is not a conffile"
expect_files liblobby-client0 './usr/lib/*/liblobby-client.so.0' './usr/lib/*/liblobby-client.so.0.*' \
    ./usr/share/doc/liblobby-client0/copyright
dpkg-deb -I "$(deb liblobby-client0)" triggers | grep -qx 'activate-noawait ldconfig' ||
    fail "liblobby-client0: no 'activate-noawait ldconfig' trigger"
dpkg-deb -I "$(deb liblobby-client0)" shlibs | grep -q '^liblobby-client 0 liblobby-client0' ||
    fail "liblobby-client0: no shlibs line for liblobby-client 0"
expect_files liblobby-client-dev ./usr/include/lobby/client.h './usr/lib/*/liblobby-client.so' \
    './usr/lib/*/liblobby-client.a' './usr/lib/*/pkgconfig/lobby-client.pc' \
    './usr/lib/*/cmake/LobbyClient/LobbyClientConfig.cmake' \
    './usr/lib/*/cmake/LobbyClient/LobbyClientConfigVersion.cmake' \
    ./usr/share/doc/liblobby-client-dev/CLIENT-API.md ./usr/share/doc/liblobby-client-dev/PROTOCOL.md \
    ./usr/share/doc/liblobby-client-dev/examples/lobby-example.c
expect_field liblobby-client-dev Depends 'liblobby-client0 \(= [^)]+\)'
expect_field liblobby-client-dev Depends 'libenet-dev'

expect_field lobby-server Depends 'libenet7'
expect_field lobby-server Depends 'libsodium23'
expect_field lobby-server Depends 'libc6 \(>= '
expect_field lobby-tools Depends 'libsdl2-2\.0-0'
for pkg in lobby-server lobby-tools; do
    expect_field $pkg Maintainer '^.+ <.+@.+>$'
    expect_field $pkg Section '^(net|libs|libdevel)$'
    expect_field $pkg Priority '^optional$'
    # Stripped: no debug sections left in the programs (CPACK_STRIP_FILES).
    mkdir -p "$work/x/$pkg" && dpkg-deb -x "$(deb $pkg)" "$work/x/$pkg"
    for bin in "$work/x/$pkg"/usr/bin/*; do
        readelf -S "$bin" | grep -q '\.debug_info' && fail "$pkg: ${bin##*/} is not stripped"
    done
done

echo "package_deb: lintian"
lintian --tag-display-limit 0 "$work"/build/*.deb >"$work/lintian.log" 2>&1
cat "$work/lintian.log"
grep -q '^E: ' "$work/lintian.log" && fail "lintian reports errors (the E: lines above)"

echo "package_deb: apt-get install --simulate"
apt-get install --simulate --no-install-recommends "$work"/build/*.deb >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log"; fail "apt-get cannot resolve the packages' dependencies"; }

echo "package_deb: packages:"
for f in "$work"/build/*.deb; do echo "  ${f##*/}: $(dpkg-deb -c "$f" | grep -vc '/$') files"; done
[ $failures = 0 ] || { echo "package_deb: $failures failures"; exit 1; }
echo "package_deb: ok"
