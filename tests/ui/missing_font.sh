#!/bin/sh
# Without its font the view refuses to start with one line naming the font and the Debian package
# to install, exit 1; no crash, no window left behind.
# usage: missing_font.sh ATTUNE
attune=$1
command -v xvfb-run >/dev/null 2>&1 || { echo "skip: xvfb-run not installed" >&2; exit 77; }
err=$(ATTUNE_FONT=/nonexistent/DejaVuSans.ttf SDL_RENDER_DRIVER=software \
	xvfb-run -a "$attune" live --synthetic in-phase --no-audio --duration 1 2>&1 >/dev/null)
rc=$?
fail=0
[ $rc -eq 1 ] || { echo "exit $rc, want 1" >&2; fail=1; }
[ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] || { echo "want one line, got: $err" >&2; fail=1; }
case $err in
*fonts-dejavu-core*) ;;
*) echo "the error does not name the package: $err" >&2; fail=1 ;;
esac
[ $fail -eq 0 ] && echo "missing_font: all checks passed"
exit $fail
