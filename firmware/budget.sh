#!/bin/sh
# Checks the firmware image against its budgets: flash (.text + .data, the initial values of
# .data live in flash) <= FLASH_MAX bytes, RAM (.data + .bss + .noinit) <= RAM_MAX bytes.
# Usage: budget.sh AVR-SIZE ELF [FLASH_MAX [RAM_MAX]]   (defaults: 8192 and 1024)
# Exit 0 within budget, 1 over budget or when the image cannot be read.
size_tool=$1
elf=$2
flash_max=${3:-8192}
ram_max=${4:-1024}
if [ -z "$size_tool" ] || [ -z "$elf" ]; then
	echo "usage: budget.sh AVR-SIZE ELF [FLASH_MAX [RAM_MAX]]" >&2
	exit 2
fi
if [ ! -r "$elf" ]; then
	echo "firmware_budget: cannot read $elf: build the firmware first (meson compile)" >&2
	exit 1
fi
sizes=$("$size_tool" -A "$elf") || {
	echo "firmware_budget: $size_tool could not read $elf" >&2
	exit 1
}
echo "$sizes" | awk -v fmax="$flash_max" -v rmax="$ram_max" '
	$1 == ".text" { text = $2 }
	$1 == ".data" { data = $2 }
	$1 == ".bss" { bss = $2 }
	$1 == ".noinit" { noinit = $2 }
	END {
		if (text == "") {
			print "firmware_budget: no .text section: not an AVR image?" > "/dev/stderr"
			exit 1
		}
		flash = text + data
		ram = data + bss + noinit
		printf "flash %d / %d bytes, RAM (data+bss) %d / %d bytes\n", flash, fmax, ram, rmax
		bad = 0
		if (flash > fmax) {
			printf "firmware_budget: flash %d bytes is over the %d byte budget\n", flash, fmax > "/dev/stderr"
			bad = 1
		}
		if (ram > rmax) {
			printf "firmware_budget: RAM %d bytes is over the %d byte budget\n", ram, rmax > "/dev/stderr"
			bad = 1
		}
		exit bad
	}'
