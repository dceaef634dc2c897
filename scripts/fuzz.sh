#!/usr/bin/env bash
# The fuzzing campaign: every target of fuzz/ for MINUTES each (libFuzzer, no sanitizer, on
# the stable toolchain through RUSTC_BOOTSTRAP), then one table: runs, wall and CPU seconds,
# crashes. Crashes, hangs and OOMs land in fuzz/artifacts/<target>/; the corpora grow in
# fuzz/corpus/<target>/ (made by scripts/fuzz-seeds.sh when missing).
#
#   scripts/fuzz.sh MINUTES [TARGET...]
#   FUZZ_JOBS=N   run N targets at once (default 1: one after the other)
#   FUZZ_NICE=N   niceness of the fuzzers (default 19: the machine is shared)
#
# Exit status 1 when any target found a crash, hang or OOM.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: scripts/fuzz.sh MINUTES [TARGET...]}
shift
secs=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
jobs=${FUZZ_JOBS:-1}
nice_n=${FUZZ_NICE:-19}
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
[ -d fuzz/corpus ] || bash scripts/fuzz-seeds.sh

cd fuzz
if (($#)); then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi
nice -n "$nice_n" cargo fuzz build -s none
logs=$(mktemp -d)

# Options: a hang is an input that takes 10 s; 2 GiB of RSS is an OOM (the whole process must
# stay far below, issue 10). The reader and scan targets take whole capture files.
run_one() {
    local t=$1 max_len=4096
    case $t in file_reader | scan) max_len=65536 ;; esac
    mkdir -p "corpus/$t" "artifacts/$t"
    local before
    before=$(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    local start=$SECONDS
    {
        TIMEFORMAT='cpu %U %S'
        time nice -n "$nice_n" cargo fuzz run -s none "$t" "corpus/$t" -- \
            -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$logs/$t.log" 2>&1 || true
    } 2>"$logs/$t.time"
    local after
    after=$(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    echo "$((SECONDS - start)) $((after - before))" >"$logs/$t.result"
}

running=0
for t in "${targets[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if ((running >= jobs)); then
        wait -n || true
        running=$((running - 1))
    fi
done
wait

found=0
printf '%-16s %12s %8s %8s %10s %8s\n' target runs wall_s cpu_s runs/cpu_s crashes
for t in "${targets[@]}"; do
    read -r wall crashes <"$logs/$t.result"
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$logs/$t.log" | awk '{print $2}' | tail -1)
    if [ -z "$runs" ]; then
        # Stopped on a crash before the final stats: the last status line has the count.
        runs=$(grep -oE '^#[0-9]+' "$logs/$t.log" | tail -1 | tr -d '#')
    fi
    cpu=$(awk '/^cpu/ { printf "%d", $2 + $3 }' "$logs/$t.time")
    rate=$(awk -v r="${runs:-0}" -v c="$cpu" 'BEGIN { printf "%d", (c > 0 ? r / c : 0) }')
    printf '%-16s %12s %8s %8s %10s %8s\n' "$t" "${runs:-0}" "$wall" "$cpu" "$rate" "$crashes"
    if ((crashes > 0)); then
        found=1
        grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "$logs/$t.log" | head -3 | sed "s/^/  $t: /"
        ls -t "artifacts/$t" | head -3 | sed "s#^#  artifact: fuzz/artifacts/$t/#"
    fi
done
echo "logs: $logs"
exit "$found"
