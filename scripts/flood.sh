#!/usr/bin/env bash
# Floods: what an attacker on a span port can make shadowdesk spend. For each case (issue 10's
# table, plus the floods that already held) at three sizes, generates a capture with
# scripts/make-flood.py (cached in $FLOOD_DIR), runs `shadowdesk scan` on it under
# /usr/bin/time, and prints units, packets, capture size, wall and CPU seconds, peak RSS, the
# report's size, the flow and drop counters of the report's stats (and every counter of its
# `dropped` object when there is one), and how many of the well-formed clients mixed into the
# flood were still found (TLS hello, DNS query, QUIC hello each). Ends with a markdown table
# for the README.
#
#   scripts/flood.sh [--quick] [CASE...]        cases: scripts/make-flood.py --list (default all)
#
# Environment:
#   FLOOD_DIR        where captures are cached and outputs go   (/tmp/shadowdesk-flood)
#   FLOOD_BIN        the binary to measure; unset: `cargo build --release` and its
#                    ${CARGO_TARGET_DIR:-target}/release/shadowdesk
#   FLOOD_TIMEOUT    seconds before a run is killed and reported as a timeout  (300)
#   FLOOD_MEM_MIB    address-space limit per run (ulimit -v), so a flood that would take the
#                    machine's memory is reported as over the limit instead   (4096)
#
# Every case needs python3's `cryptography` (the well-formed clients include a QUIC Initial);
# it is installed when missing, and a generator that cannot run fails its rows loudly.
# Wall time depends on what else the machine runs; CPU s (user + sys) is the figure to compare.
#
# Exit status: 1 when a generator failed or a run did not finish or lost well-formed traffic.
set -euo pipefail
cd "$(dirname "$0")/.."

# Units per case: default, then --quick. tcp-ooo stops at 32k flows because each flow is 33
# packets of ~1.5 KB (32k flows: a 1.6 GB capture; 1M would be 50 GB); http-headers at 32k
# units is a 1.1 GB capture (a quarter of its requests carry 60 KiB of headers).
declare -A SIZES=(
    [quic-zero-crypto]="250 500 2000"
    [tcp-ooo]="2000 8000 32000"
    [dns-tcp-partial]="2000 8000 32000"
    [quic-partial-hello]="100000 400000 1000000"
    [tls-1byte-records]="100 300 1000"
    [sni-less]="62500 250000 1000000"
    [syn-partial-dns]="100000 400000 1333333"
    [syn]="250000 1000000 2000000"
    [first-fragment]="250000 1000000 2000000"
    [dns-unique]="250000 1000000 2000000"
    [quic-random]="100000 400000 1000000"
    [http-exposure]="62500 250000 1000000"
    [selfhosted]="62500 250000 1000000"
    [evidence-names]="62500 250000 1000000"
    [identity]="250000 1000000 2000000"
    [http-headers]="2000 8000 32000"
    [http-long-host]="25000 100000 250000"
)
declare -A QUICK=(
    [quic-zero-crypto]="50 100 250"
    [tcp-ooo]="500 1000 2000"
    [dns-tcp-partial]="500 1000 2000"
    [quic-partial-hello]="10000 40000 100000"
    [tls-1byte-records]="10 30 100"
    [sni-less]="10000 25000 62500"
    [syn-partial-dns]="10000 40000 100000"
    [syn]="25000 100000 250000"
    [first-fragment]="25000 100000 250000"
    [dns-unique]="25000 100000 250000"
    [quic-random]="10000 40000 100000"
    [http-exposure]="10000 25000 62500"
    [selfhosted]="10000 25000 62500"
    [evidence-names]="10000 25000 62500"
    [identity]="25000 100000 250000"
    [http-headers]="250 500 2000"
    [http-long-host]="2500 10000 25000"
)

quick=0
cases=()
for a in "$@"; do
    case $a in
    --quick) quick=1 ;;
    -h | --help)
        sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "flood.sh: unknown option $a" >&2
        exit 2
        ;;
    *) cases+=("$a") ;;
    esac
done
mapfile -t all < <(python3 scripts/make-flood.py --list)
((${#cases[@]})) || cases=("${all[@]}")
for c in "${cases[@]}"; do
    [[ -n ${SIZES[$c]:-} ]] || {
        echo "flood.sh: no case '$c' (cases: ${all[*]})" >&2
        exit 2
    }
done

dir=${FLOOD_DIR:-/tmp/shadowdesk-flood}
timeout_s=${FLOOD_TIMEOUT:-300}
mem_mib=${FLOOD_MEM_MIB:-4096}
mkdir -p "$dir"

need=()
[ -x /usr/bin/time ] || need+=(time)
python3 -c 'import cryptography' 2>/dev/null || need+=(python3-cryptography)
if ((${#need[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "flood.sh: installing ${need[*]}" >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null ||
        echo "flood.sh: apt-get could not install ${need[*]}" >&2
fi
if ! python3 -c 'import cryptography' 2>/dev/null; then
    python3 -m pip install -q cryptography 2>/dev/null ||
        python3 -m pip install -q --break-system-packages cryptography ||
        echo "flood.sh: python3 'cryptography' is missing and could not be installed: the QUIC cases will fail" >&2
fi

if [ -n "${FLOOD_BIN:-}" ]; then
    bin=$FLOOD_BIN
else
    scripts/setup-debian.sh
    cargo build --release -q
    bin=${CARGO_TARGET_DIR:-target}/release/shadowdesk
fi
[ -x "$bin" ] || {
    echo "flood.sh: no binary at $bin" >&2
    exit 2
}

# Captures are cached under a name that carries the generator's hash, so a changed generator
# never measures a stale capture; older versions of the same capture are removed.
gen_ver=$(sha256sum scripts/make-flood.py | cut -c1-10)
rows=$dir/last-run.jsonl # kept: `scripts/flood-report.py table <` it remakes the table
: >"$rows"
failed=0
python3 scripts/flood-report.py header

for c in "${cases[@]}"; do
    if ((quick)); then sizes=${QUICK[$c]}; else sizes=${SIZES[$c]}; fi
    for n in $sizes; do
        base=$dir/$c-$n
        cap=$base-$gen_ver.pcap
        want=$base-$gen_ver.json
        if ! [ -s "$cap" ] || ! [ -s "$want" ]; then
            rm -f "$base"-*.pcap "$base"-*.json
            if ! python3 scripts/make-flood.py "$c" "$n" "$cap.tmp" >"$want.tmp" 2>"$dir/gen.err" ||
                ! python3 -m json.tool "$want.tmp" >/dev/null 2>>"$dir/gen.err" || ! mv "$cap.tmp" "$cap" || ! mv "$want.tmp" "$want"; then
                echo "flood.sh: GENERATOR FAILED for $c $n:" >&2
                cat "$dir/gen.err" >&2
                rm -f "$cap.tmp" "$want.tmp"
                python3 scripts/flood-report.py failed "$c" "$n" | tee -a "$rows" | python3 scripts/flood-report.py print
                failed=1
                continue
            fi
        fi
        t=$dir/time.txt
        rm -f "$dir/report.json" "$dir/events.ndjson" "$t"
        rc=0
        (
            ulimit -v $((mem_mib * 1024))
            exec /usr/bin/time -f '%e %U %S %M' -o "$t" \
                timeout -k 5 "$timeout_s" "$bin" scan -q --events "$dir/events.ndjson" --report "$dir/report.json" "$cap" >/dev/null
        ) 2>"$dir/stderr.txt" || rc=$?
        if ! python3 scripts/flood-report.py row "$c" "$n" "$cap" "$want" "$dir/report.json" \
            "$dir/events.ndjson" "$t" "$rc" "$dir/stderr.txt" "$timeout_s" "$mem_mib" >>"$rows"; then
            failed=1
        fi
        tail -n 1 "$rows" | python3 scripts/flood-report.py print
    done
done

echo
echo "binary: $bin (checkout at $(git rev-parse --short HEAD 2>/dev/null || echo '?')), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), limits ${timeout_s} s and ${mem_mib} MiB per run"
python3 scripts/flood-report.py table <"$rows"
exit $failed
