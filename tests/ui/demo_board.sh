#!/bin/sh
# attune demo goes through the real firmware in the simulated board: under Xvfb it starts
# attune-simboard on a link in a private folder of its own (mkdtemp under TMPDIR, mode 0700, so
# no other user can plant or take the name), reads the samples over the pty
# (status "simulated board", samples arrived, none lost), records them, and on SIGTERM (as on a
# window close or q) saves the session, stops the board and leaves no board process and no link
# behind. A screenshot of the demo is taken through the board as well, and --speed 5 runs the
# board five times faster.
# usage: demo_board.sh ATTUNE
attune=$1
command -v xvfb-run >/dev/null 2>&1 || { echo "skip: xvfb-run not installed" >&2; exit 77; }
dir=$(mktemp -d /tmp/attune-demo-board-XXXXXX)
fail=0
# sh -c: the board's command line names its link
TMPDIR=$dir SDL_RENDER_DRIVER=software xvfb-run -a -s '-screen 0 1280x800x24' sh -c '
	"$1" demo --no-audio --stats "$2/stats.json" --record "$2/demo" 2>"$2/err" &
	echo $! >"$2/pid"
	sleep 8
	ps -o args= -p "$(pgrep -P $! | head -1)" >"$2/child" 2>/dev/null
	link=$(sed -n "s/.*--link \([^ ]*\).*/\1/p" "$2/child")
	[ -L "$link" ] && stat -c %a "$(dirname "$link")" >"$2/link_seen"
	kill -TERM $!
	wait $!
	echo $? >"$2/rc"' sh "$attune" "$dir"
pid=$(cat "$dir/pid")
rc=$(cat "$dir/rc")
[ "$rc" = 0 ] || { echo "attune demo exited $rc after SIGTERM: $(cat "$dir/err")" >&2; fail=1; }
grep -q "attune-simboard .*--link $dir/attune-demo-[A-Za-z0-9]*/board" "$dir/child" ||
	{ echo "the demo's child was not the board on its link: $(cat "$dir/child")" >&2; fail=1; }
[ "$(cat "$dir/link_seen" 2>/dev/null)" = 700 ] ||
	{ echo "no link in a 0700 folder while the demo ran: $(cat "$dir/link_seen")" >&2; fail=1; }
grep -q '"source": "simulated board"' "$dir/stats.json" ||
	{ echo "source is not the board: $(cat "$dir/stats.json")" >&2; fail=1; }
samples=$(sed -n 's/.*"samples": \([0-9]*\).*/\1/p' "$dir/stats.json")
[ "${samples:-0}" -ge 1000 ] || { echo "only '$samples' samples in 8 s (want ~2000)" >&2; fail=1; }
grep -q '"frames_lost": 0,' "$dir/stats.json" ||
	{ echo "frames lost: $(cat "$dir/stats.json")" >&2; fail=1; }
for ext in csv edf json; do
	[ -s "$dir/demo.$ext" ] || { echo "no demo.$ext after SIGTERM" >&2; fail=1; }
done
grep -q "saved " "$dir/err" || { echo "no 'saved' line: $(cat "$dir/err")" >&2; fail=1; }
grep -q "no simulated board" "$dir/err" && { echo "fell back: $(cat "$dir/err")" >&2; fail=1; }
# --screenshot: the board runs in real time, so this waits --after seconds
SDL_RENDER_DRIVER=software xvfb-run -a -s '-screen 0 1280x800x24' "$attune" demo \
	--screenshot "$dir/shot.png" --after 3 2>"$dir/err2" ||
	{ echo "demo --screenshot failed: $(cat "$dir/err2")" >&2; fail=1; }
[ -s "$dir/shot.png" ] || { echo "no screenshot" >&2; fail=1; }
[ -s "$dir/err2" ] && { echo "unexpected stderr: $(cat "$dir/err2")" >&2; fail=1; }
# --speed 5: still through the board, which then runs 5x real time (before: in-process)
SDL_RENDER_DRIVER=software xvfb-run -a -s '-screen 0 1280x800x24' "$attune" demo --speed 5 \
	--duration 40 --no-audio --stats "$dir/fast.json" 2>"$dir/err3" ||
	{ echo "demo --speed 5 failed: $(cat "$dir/err3")" >&2; fail=1; }
fnum() { sed -n "s/.*\"$1\": \([0-9.]*\).*/\1/p" "$dir/fast.json"; }
grep -q '"source": "simulated board"' "$dir/fast.json" ||
	{ echo "demo --speed 5 did not go through the board: $(cat "$dir/fast.json")" >&2; fail=1; }
fwall=$(fnum wall_s) fsamples=$(fnum samples) flost=$(fnum frames_lost)
echo "demo --speed 5: 40 s of session in $fwall s, $fsamples samples, $flost lost"
awk -v w="$fwall" 'BEGIN { exit !(w > 6 && w < 16) }' ||
	{ echo "40 s at 5x took $fwall s (want about 8)" >&2; fail=1; }
[ "${fsamples:-0}" -ge 9000 ] && [ "$flost" = 0 ] ||
	{ echo "want ~10000 samples and none lost, got $fsamples, $flost lost" >&2; fail=1; }
sleep 0.5
if pgrep -f "$dir/attune-demo-" >/dev/null; then
	echo "a board is left running: $(pgrep -af "$dir/attune-demo-")" >&2
	fail=1
fi
ls -d "$dir"/attune-demo-* >/dev/null 2>&1 &&
	{ echo "the board's folder was left behind: $(ls -d "$dir"/attune-demo-*)" >&2; fail=1; }
if [ $fail -eq 0 ]; then
	echo "demo_board: $samples samples through the board; $(cat "$dir/err"); all checks passed"
	rm -rf "$dir"
else
	echo "files kept in $dir" >&2
fi
exit $fail
