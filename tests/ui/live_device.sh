#!/bin/sh
# attune live on a device: the real firmware in the simulated board (simavr), its UART on a pty.
# Headless for 15 s with --record: JSON snapshots arrive at ~10 Hz with the breathing found, no
# frames are lost, and the recording leaves complete session files.
# usage: live_device.sh ATTUNE SIMBOARD FIRMWARE.elf
attune=$1 simboard=$2 elf=$3
dir=$(mktemp -d /tmp/attune-live-dev-XXXXXX)
link=$dir/board
"$simboard" --firmware "$elf" --script in-phase --link "$link" --quiet >"$dir/sim.out" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null' EXIT
i=0
while [ ! -e "$link" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
fail=0
"$attune" live --port "$link" --headless --duration 15 --snapshots "$dir/snap.jsonl" \
	--record "$dir/session" 2>"$dir/err" || { echo "attune live failed: $(cat "$dir/err")" >&2; fail=1; }
n=$(grep -c '"t"' "$dir/snap.jsonl" 2>/dev/null || echo 0)
[ "$n" -ge 100 ] || { echo "only $n snapshots in 15 s (want ~150)" >&2; fail=1; }
last=$(tail -1 "$dir/snap.jsonl")
echo "$last" | grep -q '"a_breath_rate_bpm":[0-9]' || { echo "no breathing rate: $last" >&2; fail=1; }
echo "$last" | grep -q '"frames_lost":0' || { echo "frames lost: $last" >&2; fail=1; }
for ext in csv edf json; do
	[ -s "$dir/session.$ext" ] || { echo "no session.$ext after the recording" >&2; fail=1; }
done
grep -q saved "$dir/err" || { echo "no 'saved' line: $(cat "$dir/err")" >&2; fail=1; }
if [ $fail -eq 0 ]; then
	echo "live_device: $n snapshots; $(cat "$dir/err"); all checks passed"
	rm -rf "$dir"
else
	echo "files kept in $dir" >&2
fi
exit $fail
