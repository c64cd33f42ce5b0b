#!/bin/sh
# Stopping a recording never freezes the view: key r is pressed (--keys-at) after 20 s, i.e. 20 min
# of a generated couple played at 60x, so exporting the session files takes a few hundred ms. The
# view must keep presenting frames meanwhile (longest frame interval while the save runs well under
# the save's duration; a blocking export makes it at least as long), then say "saved", and the
# files must be complete. Before the export moved to a worker thread this measured a 292 ms frame
# for a 273 ms save.
# usage: save_keeps_drawing.sh ATTUNE
attune=$1
command -v xvfb-run >/dev/null 2>&1 || { echo "skip: xvfb-run not installed" >&2; exit 77; }
dir=$(mktemp -d /tmp/attune-save-draw-XXXXXX)
SDL_RENDER_DRIVER=software xvfb-run -a -s '-screen 0 1280x800x24' "$attune" live \
	--synthetic in-phase --speed 60 --no-audio --record "$dir/s" --keys-at 20:r \
	--duration 1260 --stats "$dir/stats.json" 2>"$dir/err"
rc=$?
fail=0
[ $rc -eq 0 ] || { echo "attune live exited $rc: $(cat "$dir/err")" >&2; fail=1; }
num() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$dir/stats.json"; }
saves=$(num saves) save_ms=$(num save_ms_max) frames=$(num frames_during_save)
gap=$(num save_frame_interval_ms_max)
echo "saves=$saves save_ms=$save_ms frames_during_save=$frames longest_frame_interval_ms=$gap"
[ "${saves:-0}" = 1 ] || { echo "want 1 save, got '$saves'" >&2; fail=1; }
awk -v s="$save_ms" 'BEGIN { exit !(s >= 100) }' ||
	{ echo "the save took $save_ms ms: too quick to tell a frozen view from a live one" >&2; fail=1; }
awk -v g="$gap" -v s="$save_ms" 'BEGIN { exit !(g > 0 && g < 0.5 * s) }' ||
	{ echo "the view froze: a $gap ms frame during a $save_ms ms save" >&2; fail=1; }
[ "${frames:-0}" -ge 5 ] || { echo "only $frames frames drawn while saving" >&2; fail=1; }
grep -q "saved .*/s\.csv" "$dir/err" || { echo "no 'saved' line: $(cat "$dir/err")" >&2; fail=1; }
for ext in csv edf json; do
	[ -s "$dir/s.$ext" ] || { echo "no s.$ext after the save" >&2; fail=1; }
done
if [ $fail -eq 0 ]; then
	echo "save_keeps_drawing: all checks passed"
	rm -rf "$dir"
else
	echo "files kept in $dir" >&2
fi
exit $fail
