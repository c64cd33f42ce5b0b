#!/bin/sh
# attune demo with sound on: libsoundio's dummy device (no sound card needed) runs the real-time
# write callback for 4 s under Xvfb while the view draws; the program ends cleanly on --duration
# and reports the device as used.
# usage: demo_sound.sh ATTUNE
attune=$1
command -v xvfb-run >/dev/null 2>&1 || { echo "skip: xvfb-run not installed" >&2; exit 77; }
stats=$(mktemp /tmp/attune-demo-sound-XXXXXX.json)
ATTUNE_SOUND_BACKEND=dummy SDL_RENDER_DRIVER=software \
	xvfb-run -a -s '-screen 0 1280x800x24' "$attune" demo --duration 4 --stats "$stats"
rc=$?
fail=0
[ $rc -eq 0 ] || { echo "attune demo exited $rc" >&2; fail=1; }
grep -q '"sound_device": true' "$stats" || { echo "sound device not used: $(cat "$stats")" >&2; fail=1; }
grep -q '"frames": [1-9][0-9][0-9]' "$stats" || { echo "too few frames: $(cat "$stats")" >&2; fail=1; }
rm -f "$stats"
[ $fail -eq 0 ] && echo "demo_sound: all checks passed"
exit $fail
