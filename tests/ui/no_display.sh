#!/bin/sh
# Without a display, attune live and attune demo fail at once with one line that says what to do
# (--headless or Xvfb), exit 1, and leave no window, no sound and no partial file behind: no
# DISPLAY at all, a DISPLAY where no X server answers, a WAYLAND_DISPLAY that points nowhere (SDL
# would otherwise draw off screen, an invisible session). And a missing --input is named once.
# usage: no_display.sh ATTUNE
attune=$1
fail=0
one_line() { # what, rc, err, words
	lines=$(printf '%s\n' "$3" | grep -c .)
	if [ "$2" -ne 1 ] || [ "$lines" -ne 1 ]; then
		echo "$1: exit $2 and $lines lines on stderr, want 1 and 1: $3" >&2
		fail=1
	fi
	case $3 in
	*$4*) ;;
	*)
		echo "$1: the error does not say '$4': $3" >&2
		fail=1
		;;
	esac
}
for env in "DISPLAY=:99" "WAYLAND_DISPLAY=attune-nowhere"; do
	err=$(env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$env" timeout 20 "$attune" demo \
		--no-audio 2>&1 >/dev/null)
	one_line "attune demo with $env" $? "$err" "cannot open a window"
done
err=$(timeout 20 "$attune" demo --headless --snapshots /dev/null --input nosuch.csv 2>&1)
one_line "attune demo --input nosuch.csv" $? "$err" "nosuch.csv: cannot read"
for args in "demo --no-audio" "live --synthetic in-phase --no-audio"; do
	err=$(env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$attune" $args 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$rc" -ne 1 ]; then
		echo "attune $args: exit $rc, want 1" >&2
		fail=1
	fi
	if [ "$lines" -ne 1 ]; then
		echo "attune $args: $lines lines on stderr, want 1: $err" >&2
		fail=1
	fi
	case $err in
	*--headless*Xvfb* | *--headless*xvfb*) ;;
	*)
		echo "attune $args: the error does not suggest --headless and Xvfb: $err" >&2
		fail=1
		;;
	esac
done
[ "$fail" -eq 0 ] && echo "no_display: all checks passed"
exit $fail
