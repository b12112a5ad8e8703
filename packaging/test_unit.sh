#!/bin/sh
# CTest systemd_unit: installs the server component into a scratch prefix
# and has systemd-analyze verify the unit written there (its ExecStart then
# names a server that exists). Starting it needs systemd as PID 1: not here.
# usage: test_unit.sh BUILD    exit 0 pass, 1 fail, 77 skipped.
set -u
command -v systemd-analyze >/dev/null ||
    { echo "systemd_unit: SKIPPED: systemd-analyze is not installed (Debian package systemd)"; exit 77; }
work=$(mktemp -d /tmp/systemd_unit.XXXXXX)
trap 'rm -rf "$work"' EXIT
cmake --install "$1" --prefix "$work/p" --component server >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; echo "systemd_unit: FAIL: cmake --install"; exit 1; }
unit=$work/p/lib/systemd/system/lobby-server.service
out=$(systemd-analyze verify --man=no "$unit" 2>&1)
status=$?
echo "$out"
[ $status = 0 ] && [ -z "$out" ] || { echo "systemd_unit: FAIL: systemd-analyze verify $unit"; exit 1; }
grep -q '^ExecReload' "$unit" && { echo "systemd_unit: FAIL: ExecReload, but the server has no reload"; exit 1; }
echo "systemd_unit: ok"
