#!/bin/sh
# Check that bench/plot.sh made a real picture: a PNG signature, a header
# (IHDR) of a plausible size, and more than MIN_BYTES of data (a blank or
# empty canvas compresses to far less than a plot with lines and text).
#
#   usage: sh tests/multihost/check_plot.sh FILE.png [MIN_BYTES]
#
# Exit status: 0 ok, 1 fail, 2 bad usage.

set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 FILE.png [MIN_BYTES]" >&2
    exit 2
fi
png=$1
min_bytes=${2:-8192}

fail() {
    echo "FAIL: $png: $*" >&2
    exit 1
}

{ [ -f "$png" ] && [ -r "$png" ]; } || fail "missing or unreadable"

# hex DUMP OFFSET COUNT: COUNT bytes from OFFSET as lowercase hex, no spaces.
hex() {
    od -An -v -tx1 -j "$1" -N "$2" "$png" | tr -d ' \n'
}

sig=$(hex 0 8)
[ "$sig" = 89504e470d0a1a0a ] || fail "no PNG signature (first bytes: ${sig:-none})"
[ "$(hex 12 4)" = 49484452 ] || fail "first chunk is not IHDR"

bytes=$(wc -c <"$png" | tr -d ' ')
[ "$bytes" -gt "$min_bytes" ] ||
    fail "only $bytes bytes (expected more than $min_bytes for a drawn plot)"

width=$(printf '%d' "0x$(hex 16 4)")
height=$(printf '%d' "0x$(hex 20 4)")
{ [ "$width" -ge 800 ] && [ "$height" -ge 400 ]; } ||
    fail "${width}x$height pixels is too small for the two panels"

echo "PASS: $png is a ${width}x$height PNG of $bytes bytes"
