#!/bin/sh
# Without its simulated board (not built, or failing to start) attune demo still plays: the
# generated couple in-process, said in one line on stderr and in the status line.
# usage: demo_board_fallback.sh ATTUNE
attune=$1
command -v xvfb-run >/dev/null 2>&1 || { echo "skip: xvfb-run not installed" >&2; exit 77; }
dir=$(mktemp -d /tmp/attune-demo-fallback-XXXXXX)
fail=0
# a board that fails at once, with its reason on stderr
printf '#!/bin/sh\necho "attune-simboard: cannot read the firmware /nowhere.elf" >&2\nexit 1\n' \
	>"$dir/board"
chmod +x "$dir/board"
for board in "$dir/board" /nonexistent/attune-simboard; do
	ATTUNE_SIMBOARD=$board SDL_RENDER_DRIVER=software xvfb-run -a -s '-screen 0 1280x800x24' \
		"$attune" demo --no-audio --duration 3 --stats "$dir/stats.json" 2>"$dir/err"
	rc=$?
	[ $rc -eq 0 ] || { echo "$board: exit $rc: $(cat "$dir/err")" >&2; fail=1; }
	[ "$(grep -c . "$dir/err")" -eq 1 ] || { echo "$board: want one line: $(cat "$dir/err")" >&2; fail=1; }
	grep -q "no simulated board.*in-process" "$dir/err" ||
		{ echo "$board: no fallback line: $(cat "$dir/err")" >&2; fail=1; }
	grep -q '"source": "generated couple (story) (in-process: no simulated board)"' \
		"$dir/stats.json" || { echo "$board: status: $(cat "$dir/stats.json")" >&2; fail=1; }
	case $board in
	"$dir/board") grep -q "(attune-simboard: cannot read the firmware /nowhere.elf)" "$dir/err" ||
		{ echo "the board's reason is not passed on: $(cat "$dir/err")" >&2; fail=1; } ;;
	esac
	samples=$(sed -n 's/.*"samples": \([0-9]*\).*/\1/p' "$dir/stats.json")
	[ "${samples:-0}" -ge 500 ] || { echo "$board: only '$samples' samples" >&2; fail=1; }
done
if [ $fail -eq 0 ]; then
	echo "demo_board_fallback: all checks passed"
	rm -rf "$dir"
else
	echo "files kept in $dir" >&2
fi
exit $fail
