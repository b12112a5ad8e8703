# Latency distributions as CDFs; driven by bench/plot.sh.
#
#   gnuplot -c bench/latency-cdf.gp DATA OUT TERM TITLE LABELS
#
# DATA   tab-separated "percentile<TAB>value_ms" rows, one block per measure,
#        blocks separated by two blank lines (gnuplot's "index"), every
#        value > 0 (the x axis is logarithmic)
# OUT    the picture to write
# TERM   pngcairo, png or svg
# TITLE  the title over both panels
# LABELS one legend entry per block, each in double quotes
#
# Left panel: the whole distribution, percentile 0..100 against latency.
# Right panel: the same lines on a "nines" scale, y = 1/(1-p/100), so that
# p90, p99, p99.9 and p99.99 are evenly spaced and the tail can be read.

if (ARGC < 5) {
    print "usage: gnuplot -c latency-cdf.gp DATA OUT TERM TITLE LABELS"
    exit status 2
}
data = ARG1
n = words(ARG5)
if (n < 1) {
    print "latency-cdf.gp: no measures to plot"
    exit status 1
}

# The legend sits in a strip under both panels, three entries a row.
key_cols = 3
key_rows = int((n + key_cols - 1) / key_cols)
width = 1600
height = 640 + 24 * key_rows
key_top = (24.0 * (key_rows + 1) + 14) / height  # legend strip, screen units
plot_bottom = key_top + 62.0 / height          # room for the x tics and label
plot_top = 1 - 78.0 / height                   # room for the titles
if (ARG3 eq "pngcairo") {
    set terminal pngcairo size width, height noenhanced font "DejaVu Sans,12" \
        background rgb "white" linewidth 1
} else {
    if (ARG3 eq "png") {
        set terminal png size width, height noenhanced font "DejaVuSans,11" \
            background rgb "white"
    } else {
        if (ARG3 eq "svg") {
            set terminal svg size width, height dynamic noenhanced \
                font "DejaVu Sans,12" background rgb "white"
        } else {
            print sprintf("latency-cdf.gp: unknown terminal '%s'", ARG3)
            exit status 1
        }
    }
}
set output ARG2

# Ten colours that stay apart from one another (the Tableau 10 set).
set linetype 1 lc rgb "#1f77b4" lw 2.2
set linetype 2 lc rgb "#ff7f0e" lw 2.2
set linetype 3 lc rgb "#2ca02c" lw 2.2
set linetype 4 lc rgb "#d62728" lw 2.2
set linetype 5 lc rgb "#9467bd" lw 2.2
set linetype 6 lc rgb "#8c564b" lw 2.2
set linetype 7 lc rgb "#e377c2" lw 2.2
set linetype 8 lc rgb "#7f7f7f" lw 2.2
set linetype 9 lc rgb "#bcbd22" lw 2.2
set linetype 10 lc rgb "#17becf" lw 2.2
set linetype cycle 10

set datafile separator "\t"
set border 3 lw 1
set tics nomirror out
set logscale x 10
set format x "%g"
set mxtics 10
set xlabel "latency (ms, log scale)"
set grid xtics mxtics ytics lt 1 lc rgb "#e4e4e4" lw 1, lt 1 lc rgb "#f2f2f2" lw 1

set multiplot title ARG4 font ",15"
set tmargin at screen plot_top
set bmargin at screen plot_bottom

# ---- left: the whole CDF ---------------------------------------------------
set ylabel "percentile"
set yrange [0:100]
set ytics 10
set lmargin at screen 0.055
set rmargin at screen 0.485
unset key
set title "CDF" font ",13"
plot for [i = 0:n - 1] data index i using 2:1 with lines lt i + 1 notitle

# Both panels share the x range of the first (the second leaves out p100).
xmin = GPVAL_X_MIN
xmax = GPVAL_X_MAX

# ---- right: the tail on the nines scale -----------------------------------
set lmargin at screen 0.565
set rmargin at screen 0.985
set xrange [xmin:xmax]
set logscale y 10
set yrange [1:100<*]
nines(p) = p < 100 ? 1.0 / (1.0 - p / 100.0) : NaN
set ytics ("0" 1, "50" 2, "80" 5, "90" 10, "95" 20, "99" 100, "99.5" 200, \
           "99.9" 1000, "99.95" 2000, "99.99" 10000, "99.999" 100000)
set mytics default
set ylabel "percentile (nines scale: 1/(1 - p))"
set title "tail, on a nines scale (p100, the maximum, is left out)" font ",13"
plot for [i = 0:n - 1] data index i using 2:(nines($1)) with lines lt i + 1 \
    notitle

# ---- the legend: an empty plot whose only content is its key ---------------
unset title
unset xlabel
unset ylabel
unset border
unset tics
unset grid
unset logscale
set xrange [0:1]
set yrange [0:1]
set lmargin at screen 0.055
set rmargin at screen 0.985
set tmargin at screen key_top
set bmargin at screen 0.01
set key inside center center horizontal maxcols key_cols maxrows key_rows \
    Left reverse box samplen 3 spacing 1.2 width 2 \
    title "measure   (median and 99th percentile)"
plot for [i = 0:n - 1] NaN with lines lt i + 1 title word(ARG5, i + 1)

unset multiplot
set output
