#!/bin/sh
# attune replay plays a session as if live, with its markers, and obeys pause and seek keys.
# A 240 s session of a generated couple is recorded under Xvfb with two markers (space at 1.5 s
# and 5 s of a 40x run: about 60 s and 200 s). Replayed at 30x with keys at wall times: k at 1 s
# pauses (t = 30), k at 3 s resumes, right arrow at 5 s (t = 90 -> 100) and 5.5 s (115 -> 125),
# left arrow at 7 s (170 -> 160), q at 8 s (t = 190; without the pause 250, without seeks 70).
# Wanted: the clock ends at about 190 s, the engine's latest snapshot is at that time too (it was
# re-fed from 120 s before the seek-back target, not from 0), the snapshots went back once, and
# one of the file's two markers is shown.
# usage: replay_keys.sh ATTUNE
attune=$1
command -v xvfb-run >/dev/null 2>&1 || { echo "skip: xvfb-run not installed" >&2; exit 77; }
dir=$(mktemp -d /tmp/attune-replay-keys-XXXXXX)
fail=0
export SDL_RENDER_DRIVER=software
xvfb-run -a -s '-screen 0 1280x800x24' "$attune" live --synthetic in-phase --speed 40 --no-audio \
	--record "$dir/s" --keys-at 1.5:_,5:_ --duration 240 2>"$dir/err1" ||
	{ echo "recording failed: $(cat "$dir/err1")" >&2; fail=1; }
xvfb-run -a -s '-screen 0 1280x800x24' "$attune" replay "$dir/s.edf" --speed 30 --no-audio \
	--snapshots "$dir/snap.jsonl" --stats "$dir/stats.json" \
	--keys-at '1:k,3:k,5:>,5.5:>,7:<,8:q' 2>"$dir/err2" ||
	{ echo "replay failed: $(cat "$dir/err2")" >&2; fail=1; }
num() { sed -n "s/.*\"$1\": \([0-9.-]*\).*/\1/p" "$dir/stats.json"; }
t_end=$(num t_end) snap_t=$(num snapshot_t) marks=$(num markers) file_marks=$(num file_markers)
echo "t_end=$t_end snapshot_t=$snap_t markers=$marks file_markers=$file_marks"
awk -v t="$t_end" 'BEGIN { exit !(t > 183 && t < 197) }' ||
	{ echo "the clock ended at $t_end s, want about 190 (pause + seeks)" >&2; fail=1; }
awk -v t="$t_end" -v s="$snap_t" 'BEGIN { exit !(s > t - 1 && s <= t + 0.01) }' ||
	{ echo "the engine's time $snap_t does not follow the clock $t_end after the seek" >&2; fail=1; }
[ "$file_marks" = 2 ] || { echo "want the file's 2 markers, got '$file_marks'" >&2; fail=1; }
[ "$marks" = 1 ] || { echo "want 1 marker passed at t=$t_end, got '$marks'" >&2; fail=1; }
# the snapshot times: forward beyond 160 s, then back once
awk -F'"t":' '{ split($2, a, ","); t = a[1] + 0; if (t > max) max = t; if (NR > 1 && t < prev - 5) back++; prev = t }
	END { if (max < 160 || back != 1) { printf "snapshots: max t %.1f, went back %d times\n", max, back; exit 1 } }' \
	"$dir/snap.jsonl" >&2 || fail=1
if [ $fail -eq 0 ]; then
	echo "replay_keys: all checks passed"
	rm -rf "$dir"
else
	echo "files kept in $dir" >&2
fi
exit $fail
