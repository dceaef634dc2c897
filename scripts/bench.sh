#!/usr/bin/env bash
# End-to-end benchmark: shadowdesk against ndpiReader and against libpcap's read floor, on one
# capture, in one run, alternating the three so that machine noise hits all of them alike.
#
#   scripts/bench.sh [CAPTURE] [RUNS=5]
#
# Without CAPTURE, records one of real traffic first (scripts/record-bench.sh, 1 GiB, needs
# root) into $BENCH_DIR (default /tmp/shadowdesk-bench). Prints, per tool, the median wall
# time, CPU time (user + sys) and peak RSS over RUNS runs with the file in the page cache,
# the ratios, the thread-scaling table (--threads 1, 2, 4, with a check that their events and
# reports are byte-identical), and whether the targets hold:
#   wall <= 1.2 x the tcpdump floor, >= 2.5 x faster than ndpiReader, peak RSS <= 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${2:-5}
bench_dir=${BENCH_DIR:-/tmp/shadowdesk-bench}
mkdir -p "$bench_dir"

need=()
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ndpiReader >/dev/null || need+=(libndpi-bin)
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
scripts/setup-debian.sh
cargo build --release -q
bin=target/release/shadowdesk

capture=${1:-}
if [ -z "$capture" ]; then
    capture=$bench_dir/bench.pcap
    if [ ! -s "$capture" ]; then
        echo "bench: recording $capture (real curl/OpenSSL/dnsmasq traffic, 1 GiB)" >&2
        scripts/record-bench.sh "$capture" 1024 40 6
    fi
fi
[ -s "$capture" ] || { echo "bench: no capture at $capture" >&2; exit 2; }
out=$bench_dir/out
mkdir -p "$out"

# One timed run: prints "wall cpu rss_kib".
timed() {
    local t
    t=$(mktemp)
    /usr/bin/time -f "%e %U %S %M" -o "$t" "$@" >/dev/null 2>&1 || true
    awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$t"
    rm -f "$t"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cat "$capture" >/dev/null # page cache
declare -A wall cpu rss
tools=(floor shadowdesk ndpi)
for ((i = 1; i <= runs; i++)); do
    for tool in "${tools[@]}"; do
        case $tool in
            floor) r=$(timed tcpdump -r "$capture" 'udp port 9') ;;
            shadowdesk) r=$(timed "$bin" scan -q --threads 2 --events "$out/events.ndjson" --report "$out/report.json" "$capture") ;;
            ndpi) r=$(timed ndpiReader -q -i "$capture") ;;
        esac
        read -r w c m <<<"$r"
        wall[$tool]+="$w "
        cpu[$tool]+="$c "
        rss[$tool]+="$m "
    done
done

med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
printf '\ncapture: %s (%s bytes), %s runs each, median\n\n' "$capture" "$(stat -c %s "$capture")" "$runs"
printf '%-34s %8s %8s %10s\n' tool "wall s" "cpu s" "peak MiB"
declare -A mw
for tool in "${tools[@]}"; do
    mw[$tool]=$(med "${wall[$tool]}")
    label=$tool
    [ "$tool" = floor ] && label="tcpdump -r (read floor)"
    [ "$tool" = shadowdesk ] && label="shadowdesk scan --threads 2"
    [ "$tool" = ndpi ] && label="ndpiReader -q -i"
    printf '%-34s %8s %8s %10.1f\n' "$label" "${mw[$tool]}" "$(med "${cpu[$tool]}")" "$(awk -v k="$(med "${rss[$tool]}")" 'BEGIN{print k/1024}')"
done
sd_rss=$(awk -v k="$(med "${rss[shadowdesk]}")" 'BEGIN{print k/1024}')
floor_ratio=$(awk -v a="${mw[shadowdesk]}" -v b="${mw[floor]}" 'BEGIN{printf "%.2f", a/b}')
ndpi_ratio=$(awk -v a="${mw[ndpi]}" -v b="${mw[shadowdesk]}" 'BEGIN{printf "%.2f", a/b}')
printf '\nshadowdesk / floor: %sx (target <= 1.2)   ndpiReader / shadowdesk: %sx (target >= 2.5)   peak RSS %.1f MiB (target <= 64)\n' \
    "$floor_ratio" "$ndpi_ratio" "$sd_rss"

printf '\nthread scaling (median of %s):\n%-10s %8s %8s %10s\n' "$runs" threads "wall s" "cpu s" "peak MiB"
for t in 1 2 4; do
    ws="" cs="" ms=""
    for ((i = 1; i <= runs; i++)); do
        read -r w c m <<<"$(timed "$bin" scan -q --threads "$t" --events "$out/events-$t.ndjson" --report "$out/report-$t.json" "$capture")"
        ws+="$w " cs+="$c " ms+="$m "
    done
    printf '%-10s %8s %8s %10.1f\n' "$t" "$(med "$ws")" "$(med "$cs")" "$(awk -v k="$(med "$ms")" 'BEGIN{print k/1024}')"
done
same=yes
for t in 2 4; do
    cmp -s "$out/events-1.ndjson" "$out/events-$t.ndjson" || same=no
    cmp -s "$out/report-1.json" "$out/report-$t.json" || same=no
done
printf 'events and report identical for --threads 1, 2, 4: %s (%s events)\n' "$same" "$(wc -l <"$out/events-1.ndjson")"
[ "$same" = yes ]
