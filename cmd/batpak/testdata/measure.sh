#!/bin/sh
# Measures the batpak read commands (and export) on a store of N events (default
# 1,000,000; 256-byte-ish msgpack payloads over 1,000 entities in atomic
# batches of 1,000, closed cleanly), next to the engine's own Open and
# streaming read of the same store: wall time, CPU time and peak RSS, each
# run twice. Run from the repository root:
#
#	sh cmd/batpak/testdata/measure.sh [events] [workdir]
set -eu
n=${1:-1000000}
work=${2:-$(mktemp -d)}
go build -o "$work/batpak" ./cmd/batpak
go build -o "$work/mkstore" ./cmd/batpak/testdata/mkstore
store="$work/store-$n"
[ -d "$store" ] || "$work/mkstore" -dir "$store" -events "$n"
echo "store: $n events, $(du -sh "$store" | cut -f1), $(ls "$store" | grep -c '\.seg$') segments; load: $(cut -d' ' -f1-3 /proc/loadavg)"
m() {
	label=$1
	shift
	for i in 1 2; do
		/usr/bin/time -f "$label: %e s wall, %U s user + %S s sys, %M KB peak RSS" sh -c "$*" >/dev/null
	done
}
m "engine Open+Read (baseline)" "'$work/mkstore' -dir '$store' -read"
m "batpak verify" "'$work/batpak' verify '$store' --progress=never"
m "batpak dump --json" "'$work/batpak' dump '$store' --json"
m "batpak dump (text)" "'$work/batpak' dump '$store'"
m "batpak export" "'$work/batpak' export '$store'"
m "batpak stats" "'$work/batpak' stats '$store'"
m "batpak tail" "'$work/batpak' tail '$store'"
