#!/bin/sh
# Without a display, attune live and attune demo fail at once with one line that says what to do
# (--headless or Xvfb), exit 1, and leave no window, no sound and no partial file behind.
# usage: no_display.sh ATTUNE
attune=$1
fail=0
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
