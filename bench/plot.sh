#!/bin/sh
# Plot the latency distributions written by `lobby-bench --cdf FILE`.
#
#   usage: sh bench/plot.sh CDF_TSV OUT.png|OUT.svg [TITLE]
#
# CDF_TSV has a header line "measure<TAB>percentile<TAB>value_ms" and one row
# per measure and percentile (0 to 100).  The picture (drawn by gnuplot with
# bench/latency-cdf.gp) has two panels with one line per measure: the whole
# CDF (percentile against latency on a log scale), and the tail on a "nines"
# scale (1/(1-p): 50, 90, 99, 99.9, 99.99 evenly spaced).  The legend gives
# each measure's p50 and p99.
#
# This script checks the input and groups it by measure; gnuplot draws.  A
# value of 0 ms cannot sit on a log axis, so such rows are left out (with a
# note on stderr).  A .png is drawn with gnuplot's pngcairo terminal, or its
# libgd png terminal where pngcairo is missing (LOBBY_PLOT_PNG_TERM=png forces
# that one).  Exit status: 0 ok, 1 error, 2 bad usage.

set -u

usage() {
    echo "usage: $0 CDF_TSV OUT.png|OUT.svg [TITLE]" >&2
    exit 2
}
die() {
    echo "plot.sh: $*" >&2
    exit 1
}

[ $# -eq 2 ] || [ $# -eq 3 ] || usage
command -v gnuplot >/dev/null 2>&1 ||
    die "gnuplot not found; install it (Debian: apt-get install gnuplot-nox)"
in=$1
out=$2
title=${3:-"Latency distributions: $(basename "$in")"}
gp=$(dirname "$0")/latency-cdf.gp

[ -r "$gp" ] || die "cannot read the gnuplot script $gp"
{ [ -f "$in" ] && [ -r "$in" ]; } || die "cannot read input file: $in"
case $out in
*.png | *.PNG)
    # Debian's gnuplot-nox 5.4 has pngcairo (antialiased); fall back to the
    # libgd png terminal where a build lacks it.  LOBBY_PLOT_PNG_TERM=png
    # forces the libgd one.
    term=${LOBBY_PLOT_PNG_TERM:-pngcairo}
    case $term in
    png | pngcairo) ;;
    *) die "LOBBY_PLOT_PNG_TERM must be png or pngcairo, not '$term'" ;;
    esac
    if [ "$term" = pngcairo ] &&
        ! gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1; then
        term=png
    fi
    ;;
*.svg | *.SVG) term=svg ;;
*) die "unknown output extension: $out (use .png or .svg)" ;;
esac
outdir=$(dirname "$out")
{ [ -d "$outdir" ] && [ -w "$outdir" ]; } || die "cannot write to directory $outdir"

tmp=$(mktemp "${TMPDIR:-/tmp}/lobby-plot.XXXXXX") || die "mktemp failed"
trap 'rm -f "$tmp" "$tmp.rows" "$tmp.labels"' EXIT
trap 'exit 1' INT TERM HUP

# Check every row, then write one block per measure (in order of first
# appearance, rows sorted by percentile) separated by two blank lines, as
# gnuplot's "index" wants; the legend labels go to $tmp.labels.
awk -F '\t' -v labels="$tmp.labels" '
    function bad(msg) {
        printf "plot.sh: %s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
        failed = 1
        exit 1
    }
    function num(s) { return s ~ /^[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ }
    NR == 1 {
        sub(/\r$/, "")
        if ($0 != "measure\tpercentile\tvalue_ms")
            bad("expected the header \"measure<TAB>percentile<TAB>value_ms\"")
        next
    }
    {
        sub(/\r$/, "")
    }
    /^[ \t]*$/ { next }
    {
        if (NF != 3)
            bad("expected 3 tab-separated fields, got " NF)
        if ($1 !~ /^[A-Za-z0-9_.-]+$/)
            bad("bad measure name \"" $1 "\"")
        if (!num($2) || $2 + 0 > 100)
            bad("bad percentile \"" $2 "\" (0 to 100)")
        if (!num($3))
            bad("bad latency \"" $3 "\" (milliseconds, not negative)")
        if (!($1 in id)) {
            id[$1] = ++n
            name[n] = $1
        }
        if ($2 + 0 == 50) p50[$1] = $3
        if ($2 + 0 == 99) p99[$1] = $3
        if ($3 + 0 <= 0) {
            zero[$1]++
            next
        }
        rows[$1]++
        print id[$1] "\t" $2 "\t" $3
    }
    END {
        if (failed)
            exit 1
        if (n == 0) {
            printf "plot.sh: %s: no data rows\n", FILENAME > "/dev/stderr"
            exit 1
        }
        for (i = 1; i <= n; i++) {
            m = name[i]
            if (!rows[m]) {
                printf "plot.sh: %s: every value of %s is 0 ms\n", FILENAME, m > "/dev/stderr"
                exit 1
            }
            if (zero[m])
                printf "plot.sh: note: %d zero values of %s are not drawn on the log axis\n", zero[m], m > "/dev/stderr"
            label = m
            if ((m in p50) && (m in p99))
                label = sprintf("%s   p50 %.3g  p99 %.3g ms", m, p50[m], p99[m])
            printf "\"%s\" ", label > labels
        }
    }
' "$in" >"$tmp.rows" || die "cannot use $in"
[ -s "$tmp.labels" ] || die "cannot use $in"
sort -t "$(printf '\t')" -k1,1n -k2,2g "$tmp.rows" | awk -F '\t' '
    NR > 1 && $1 != last { printf "\n\n" }
    { print $2 "\t" $3; last = $1 }
' >"$tmp" || die "cannot sort $in"

rm -f "$out"
gnuplot -c "$gp" "$tmp" "$out" "$term" "$title" "$(cat "$tmp.labels")" ||
    die "gnuplot failed"
[ -s "$out" ] || die "gnuplot wrote nothing to $out"
echo "plot.sh: wrote $out ($term)"
