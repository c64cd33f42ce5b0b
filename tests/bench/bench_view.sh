#!/bin/sh
# Live view benchmark: 60 s of `attune live` on the generated couple (4 channels at 250 Hz) at
# 60 fps under Xvfb with SDL's software renderer. attune measures itself (--stats): frame work
# time p50/p99 (events + drain + engine + draw + present), frame interval, latency from a
# sample's arrival (its due time on the monotonic clock) to the first presented frame that
# includes it (and its first part: the wait for the frame that drains it), process CPU % of one
# core (getrusage / wall time) and peak RSS.
# usage: bench_view.sh ATTUNE [SECONDS]
attune=$1
secs=${2:-60}
command -v xvfb-run >/dev/null 2>&1 || { echo "skip: xvfb-run not installed" >&2; exit 77; }
out=$(mktemp /tmp/attune-bench-view-XXXXXX.json)
SDL_RENDER_DRIVER=software xvfb-run -a -s '-screen 0 1280x800x24' \
	"$attune" live --synthetic story --rate 250 --no-audio --size 1280x800 \
	--duration "$secs" --stats "$out" || exit 1
cat "$out"
rm -f "$out"
