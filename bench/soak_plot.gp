# bench/soak_plot.gp — the soak test's plot (bench/soak.sh runs it after the load).
#   gnuplot -e "csv='soak.csv'; png='soak.png'; title='...'" bench/soak_plot.gp
# Four panels over minutes of the run, the quarters marked by dashed lines (the first is
# warm-up; the targets compare the second, "Q2", with the last, "Q4"):
#   1. gateway RSS (MB, left; dashed: its heap part, RssAnon) and open fds (right): both
#      should be flat lines;
#   2. latency (ms, log scale: turns take tens of ms, the loop delay ~1 ms): operator turn
#      p50/p99, Telegram round-trip p99, event-loop delay p99 (the gateway's 60 s window);
#   3. SQLite (MB, left: db + wal, and the db alone; grows with the transcripts, not
#      judged), turns, Telegram messages and errors per interval (right; errors stay 0);
#   4. the gateway's CPU use and the machine's load average: what explains a latency bump.
# Columns are read by their CSV header names; empty fields (an interval without turns)
# are missing points.
if (!exists("csv")) csv = 'soak.csv'
if (!exists("png")) png = 'soak.png'
if (!exists("title")) title = 'simpleclaw soak'

set terminal pngcairo size 1200,1400 font "DejaVu Sans,10"
set output png
set datafile separator ","
set datafile columnheaders
set key tmargin center horizontal
set grid xtics ytics lc rgb "#dddddd"
set xlabel "minutes"
set ytics nomirror

# Ranges after stats: stats only sees points inside the ranges set when it runs.
stats csv using "t_s" nooutput
tmax = STATS_max / 60.0
stats csv using "rss_mb" nooutput
rss_max = STATS_max
stats csv using "fds" nooutput
fds_max = STATS_max
# The RSS target's baseline: the second quarter's mean (quarters by interval midpoint, as
# bench/soak.py judges them), drawn over the last quarter as its +-5% band.
stats csv every ::0::0 using "t_s" nooutput
step = STATS_max
dur = tmax * 60
inq2(t) = (t - step/2 >= dur/4 && t - step/2 < dur/2)
# Sums rather than a NaN filter: stats stops the script when no point is valid (a run cut
# short before its second quarter).
stats csv using (inq2(column("t_s")) ? column("rss_mb") : 0) nooutput
rss_q2_sum = STATS_sum
stats csv using (inq2(column("t_s")) ? 1 : 0) nooutput
q2_n = STATS_sum
rss_q2 = q2_n > 0 ? rss_q2_sum / q2_n : 0
set xrange [0:tmax]
do for [q=1:3] {
  set arrow q from first q*tmax/4, graph 0 to first q*tmax/4, graph 1 nohead dt 2 lc rgb "#888888"
}
m(c) = column("t_s") / 60.0

set multiplot layout 4,1 title title font ",13"

# 1. memory and descriptors (from 0, so a flat line looks flat and a leak looks like one)
set label 10 "warm-up" at first tmax/8, graph 0.06 center tc rgb "#888888"
set label 11 "Q2 (baseline)" at first 3*tmax/8, graph 0.06 center tc rgb "#888888"
set label 12 "Q4 (judged)" at first 7*tmax/8, graph 0.06 center tc rgb "#888888"
set ylabel "RSS MB"
set y2label "open fds"
set y2tics
set yrange [0:rss_max*1.2]
set y2range [0:fds_max*2.2]  # fds drawn at mid-height, below the RSS line
if (q2_n > 0) {
  set arrow 20 from first 3*tmax/4, first rss_q2*1.05 to first tmax, first rss_q2*1.05 nohead dt 2 lw 1.5 lc rgb "#1f77b4"
  set arrow 21 from first 3*tmax/4, first rss_q2*0.95 to first tmax, first rss_q2*0.95 nohead dt 2 lw 1.5 lc rgb "#1f77b4"
  set label 13 "Q2 mean +-5%" at first 3*tmax/4, first rss_q2*1.05 offset 0.5,0.7 tc rgb "#1f77b4"
}
plot csv using (m(0)):"rss_mb" with linespoints pt 7 ps 0.5 lw 2 lc rgb "#1f77b4" title "gateway RSS (MB)", \
     csv using (m(0)):"rss_anon_mb" with lines lw 1 dt 2 lc rgb "#1f77b4" title "of which heap (RssAnon)", \
     csv using (m(0)):"fds" axes x1y2 with linespoints pt 5 ps 0.5 lw 2 lc rgb "#ff7f0e" title "open fds (right)"
unset label 10
unset label 11
unset label 12
unset label 13
unset arrow 20
unset arrow 21

# 2. latency
set ylabel "ms (log scale)"
unset y2label
unset y2tics
set autoscale y
set logscale y
plot csv using (m(0)):"turn_p99_ms" with linespoints pt 7 ps 0.5 lw 2 lc rgb "#d62728" title "turn p99", \
     csv using (m(0)):"turn_p50_ms" with linespoints pt 7 ps 0.5 lw 2 lc rgb "#2ca02c" title "turn p50", \
     csv using (m(0)):"tg_p99_ms" with lines lw 1 lc rgb "#9467bd" title "Telegram round trip p99", \
     csv using (m(0)):"loop_p99_ms" with linespoints pt 6 ps 0.5 lw 1 lc rgb "#555555" title "event-loop delay p99"
unset logscale y

# 3. store and traffic
set ylabel "SQLite MB"
set y2label "per interval"
set y2tics
set yrange [0:*]
set y2range [0:*]
plot csv using (m(0)):"sqlite_mb" with lines lw 2 lc rgb "#8c564b" title "SQLite db + wal", \
     csv using (m(0)):"sqlite_db_mb" with lines lw 1 dt 2 lc rgb "#8c564b" title "db alone", \
     csv using (m(0)):"turns" axes x1y2 with lines lw 1 lc rgb "#17becf" title "turns (right)", \
     csv using (m(0)):"tg_msgs" axes x1y2 with lines lw 1 lc rgb "#bcbd22" title "Telegram messages (right)", \
     csv using (m(0)):"errors" axes x1y2 with impulses lw 4 lc rgb "#d62728" title "errors (right)"

# 4. CPU
set ylabel "gateway CPU %"
set y2label "load average (1 min)"
plot csv using (m(0)):"gw_cpu_pct" with lines lw 2 lc rgb "#1f77b4" title "gateway CPU %", \
     csv using (m(0)):"load1" axes x1y2 with lines lw 1 lc rgb "#7f7f7f" title "machine load average (right)"

unset multiplot
