# Cost and latency of lobby-server against player count, from the
# scaling.dat that bench/perf_matrix.py writes:
#   gnuplot -e "datafile='scaling.dat'; outfile='performance.png'" bench/perf-plot.gp
# Columns: players, CPU us per relayed position, chat ack p50, p99,
# position latency p50, p99 (ms).
if (!exists("datafile")) datafile = 'scaling.dat'
if (!exists("outfile")) outfile = 'performance.png'
set terminal pngcairo size 1100,460 font "DejaVu Sans,10"
set output outfile
set multiplot layout 1,2
set logscale x 2
set xlabel "players (lobbies of 16, moving at 30 Hz)"
set grid
set key top left

set title "Server CPU per relayed position"
set ylabel "CPU microseconds (user + system)"
set yrange [0:*]
plot datafile using 1:2 with linespoints lw 2 pt 7 title "lobby-server"

set title "Latency seen by the players"
set ylabel "milliseconds"
set logscale y 10
set yrange [*:*]
plot datafile using 1:3 with linespoints lw 2 pt 7 title "chat ack p50", \
     datafile using 1:4 with linespoints lw 2 pt 5 title "chat ack p99", \
     datafile using 1:5 with linespoints lw 2 pt 9 title "position p50", \
     datafile using 1:6 with linespoints lw 2 pt 11 title "position p99"
unset multiplot
