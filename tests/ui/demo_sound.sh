#!/bin/sh
# attune demo with sound on: libsoundio's dummy device (no sound card needed) runs the real-time
# write callback for 4 s under Xvfb while the view draws and the session is recorded; the program
# ends cleanly on --duration, reports the device as used and leaves complete session files.
# usage: demo_sound.sh ATTUNE
attune=$1
command -v xvfb-run >/dev/null 2>&1 || { echo "skip: xvfb-run not installed" >&2; exit 77; }
dir=$(mktemp -d /tmp/attune-demo-sound-XXXXXX)
ATTUNE_SOUND_BACKEND=dummy SDL_RENDER_DRIVER=software \
	xvfb-run -a -s '-screen 0 1280x800x24' "$attune" demo --duration 4 --stats "$dir/stats.json" \
	--record "$dir/demo"
rc=$?
fail=0
[ $rc -eq 0 ] || { echo "attune demo exited $rc" >&2; fail=1; }
grep -q '"sound_device": true' "$dir/stats.json" ||
	{ echo "sound device not used: $(cat "$dir/stats.json")" >&2; fail=1; }
grep -q '"frames": [1-9][0-9][0-9]' "$dir/stats.json" ||
	{ echo "too few frames: $(cat "$dir/stats.json")" >&2; fail=1; }
for ext in csv edf json; do
	[ -s "$dir/demo.$ext" ] || { echo "no demo.$ext after the recorded demo" >&2; fail=1; }
done
[ $fail -eq 0 ] && echo "demo_sound: all checks passed" && rm -rf "$dir"
exit $fail
