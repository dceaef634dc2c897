#!/usr/bin/env bash
# Records the benchmark capture: real traffic, made on this machine, so that the benchmark
# (scripts/bench.sh) needs nothing from outside the repository.
#
#   scripts/record-bench.sh OUT.pcap [MEGABYTES=1024] [CLIENT_HOSTS=40] [PARALLEL=6]
#
# Needs root on Debian/Ubuntu; installs what is missing (iproute2 ethtool tcpdump openssl curl
# dnsmasq-base bind9-dnsutils). Two network namespaces made for this run, joined by one veth
# pair (MTU 1500, segmentation/receive offloads and checksum offload off, so every frame is
# wire-sized with a valid checksum). Private addresses only, no default route: nothing leaves
# the namespaces.
#   server 10.77.0.1 (fd77::1): dnsmasq with A, AAAA and HTTPS records for ~1,200 names, about
#     8 % of lookups go to support vendors' names (acme.zendesk.com, x.intercom.io, ...);
#     `openssl s_server -WWW` on 443 with a throwaway self-signed certificate, files of
#     1 KiB to 4 MiB (median 16 KiB).
#   client CLIENT_HOSTS addresses 10.77.1.1, 10.77.1.2, ...: PARALLEL workers loop: pick an
#     address and a name, `dig -b` A + AAAA + HTTPS for it, then fetch one file with curl
#     (OpenSSL, SNI = the name) from that address.
# tcpdump on the client's veth end (filter: host 10.77.0.1) writes OUT until it holds
# MEGABYTES MiB; then the workers finish their current fetch, tcpdump is stopped with SIGINT and
# waited for, and the finished file is renamed to OUT (a failed run leaves no OUT behind).
# The last line on stdout is a summary: size, packets, curl runs, DNS queries, drops, time.
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

log() { printf '[record-bench] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage="usage: scripts/record-bench.sh OUT.pcap [MEGABYTES=1024] [CLIENT_HOSTS=40] [PARALLEL=6]"

if [ $# -lt 1 ] || [ $# -gt 4 ]; then die "$usage"; fi
out=$(realpath -m -- "$1")
megabytes=${2:-1024}
hosts=${3:-40}
parallel=${4:-6}
for v in "$megabytes" "$hosts" "$parallel"; do
    [[ $v =~ ^[1-9][0-9]{0,5}$ ]] || die "not a positive number: '$v' ($usage)"
done
((hosts <= 60000)) || die "CLIENT_HOSTS is at most 60000 (10.77.1.1 .. 10.77.240.250)"
[ -d "$(dirname "$out")" ] || die "no directory for $out"
[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, tcpdump)"

# ------------------------------------------------------------------- packages
need=()
for pair in ip:iproute2 ss:iproute2 ethtool:ethtool tcpdump:tcpdump openssl:openssl curl:curl \
    dnsmasq:dnsmasq-base dig:bind9-dnsutils; do
    command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
# Packets are counted with capinfos, or else by reading the record headers with python3.
command -v capinfos >/dev/null || command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
    mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
    log "installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# ------------------------------------------------------------------- run state
tag=rb$$
srv=$tag-srv
cli=$tag-cli
vs=${tag}s # server end of the veth pair (lives in $srv)
vc=${tag}c # client end (lives in $cli)
s4=10.77.0.1
s6=fd77::1
work=$(mktemp -d /tmp/record-bench.XXXXXX)
# tcpdump writes here and the file is renamed to $out when complete. The name ends in .pcap
# so that the AppArmor profile Debian ships for tcpdump lets it write.
part=$out.part-$$.pcap
pids=()
done_ok=no

kill_ns_procs() { # whatever is still running in one of this run's namespaces, by pid
    local ns=$1 p
    ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
}

cleanup() {
    local rc=$? p
    set +e
    touch "$work/stop" 2>/dev/null
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    kill_ns_procs "$cli"
    kill_ns_procs "$srv"
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$cli" 2>/dev/null
    ip netns del "$srv" 2>/dev/null
    [ "$done_ok" = yes ] || rm -f "$part"
    rm -rf "$work"
    ((rc == 0)) || log "failed (exit $rc); $out not written"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

insrv() { ip netns exec "$srv" "$@"; }
incli() { ip netns exec "$cli" "$@"; }

# Client address number i (0-based): 10.77.1.1 .. 10.77.1.250, 10.77.2.1, ...
client_addr() { echo "10.77.$((1 + $1 / 250)).$((1 + $1 % 250))"; }

# ------------------------------------------------------------------ namespaces
ip netns add "$srv"
ip netns add "$cli"
ip link add "$vs" mtu 1500 type veth peer name "$vc" mtu 1500
ip link set "$vs" netns "$srv"
ip link set "$vc" netns "$cli"
insrv ip addr add "$s4/16" dev "$vs"
insrv ip -6 addr add "$s6/64" dev "$vs" nodad
for ((i = 0; i < hosts; i++)); do
    echo "addr add $(client_addr "$i")/16 dev $vc"
done | incli ip -batch -
for ns_dev in "$srv:$vs" "$cli:$vc"; do
    ns=${ns_dev%%:*} dev=${ns_dev#*:}
    ip netns exec "$ns" ip link set lo up
    # tx off: checksums are computed before the frame is captured, as on a real wire.
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off >/dev/null 2>&1 ||
        ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null
    ip netns exec "$ns" ip link set "$dev" up
done
ip netns exec "$cli" ethtool -k "$vc" |
    grep -Eq '^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload): on' &&
    die "offloads still on for $vc"
log "namespaces $cli ($hosts addresses) <-> $srv ($s4), MTU $(incli cat "/sys/class/net/$vc/mtu")"

# ---------------------------------------------------------------------- names
# Support vendors' names (chosen for about 8 % of lookups) and ordinary names (the rest),
# all under reserved or vendor domains and all answered by our dnsmasq only.
vendor_names=(acme.zendesk.com help.zendesk.com static.zdassets.com x.intercom.io widget.intercom.io
    js.intercomcdn.com docs.helpscout.net beacon-v2.helpscout.net acme.freshdesk.com
    wchat.freshchat.com acme.kustomerapp.com cdn.kustomerapp.com acme.helpjuice.com)
plain_names=(www.example.com cdn.example.net api.example.org)
for i in $(seq 1 40); do
    for tld in com net org; do
        for p in www cdn api static img assets m login news shop; do
            plain_names+=("$p.site$i.example.$tld")
        done
    done
done
printf '%s\n' "${vendor_names[@]}" >"$work/vendor.names"
printf '%s\n' "${plain_names[@]}" >"$work/plain.names"

# --------------------------------------------------------------------- server
# HTTPS (type 65) RDATA: priority 1, target ".", alpn=http/1.1, ipv4hint=$s4, ipv6hint=$s6.
https_rr=0001000001000908687474702f312e31000400040a4d000100060010fd770000000000000000000000000001
for name in "${vendor_names[@]}" "${plain_names[@]}"; do
    echo "host-record=$name,$s4,$s6"
    echo "dns-rr=$name,65,$https_rr"
done >"$work/dnsmasq.conf"
insrv dnsmasq --keep-in-foreground --conf-file="$work/dnsmasq.conf" --no-resolv --no-hosts --no-poll \
    --user=root --group=root --bind-interfaces --listen-address="$s4" --port=53 \
    --pid-file="$work/dnsmasq.pid" --log-facility="$work/dnsmasq.log" 2>"$work/dnsmasq.err" &
pids+=($!)

mkdir "$work/www"
sizes=(1 2 4 8 16 16 16 32 64 128 256 1024 4096) # KiB; median 16
for kib in $(printf '%s\n' "${sizes[@]}" | sort -un); do
    head -c $((kib * 1024)) /dev/urandom >"$work/www/$kib.bin"
done
printf '%s\n' "${sizes[@]}" >"$work/sizes"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=record-bench.example -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
# -WWW serves files relative to the working directory; the subshell execs, so $! is s_server.
(cd "$work/www" && exec ip netns exec "$srv" openssl s_server -quiet -WWW -accept 443 \
    -cert "$work/cert.pem" -key "$work/key.pem" </dev/null >"$work/s_server.log" 2>&1) &
pids+=($!)

for i in $(seq 1 100); do
    insrv ss -Hlnu 'sport = :53' | grep -q . && insrv ss -Hlnt 'sport = :443' | grep -q . && break
    ((i < 100)) || die "servers did not start: $(cat "$work/dnsmasq.err" "$work/s_server.log")"
    sleep 0.1
done
# One lookup and one fetch before capturing: fail early and loudly if either does not work.
a1=$(client_addr 0)
[ "$(incli dig +short +tries=2 +time=2 -b "$a1" @"$s4" acme.zendesk.com A)" = "$s4" ] ||
    die "dnsmasq does not answer"
incli curl -sk --max-time 10 --interface "$a1" --resolve "www.example.com:443:$s4" \
    "https://www.example.com/1.bin" -o /dev/null || die "s_server does not serve"
log "dnsmasq (${#vendor_names[@]} vendor + ${#plain_names[@]} ordinary names) and s_server up"

# -------------------------------------------------------------------- capture
: >"$work/tcpdump.err"
ip netns exec "$cli" tcpdump -i "$vc" -n -s 0 -U -B 65536 -Z root -w "$part" "host $s4" \
    2>"$work/tcpdump.err" &
cap=$!
pids+=("$cap")
for i in $(seq 1 100); do
    grep -q "listening on" "$work/tcpdump.err" && break
    ((i < 100)) || die "tcpdump did not start: $(cat "$work/tcpdump.err")"
    sleep 0.1
done

# ---------------------------------------------------------------------- load
# Runs inside the client namespace (bash -c), so dig and curl start without `ip netns exec`.
# Writes "curl_ok curl_failed dns_answered" to $work/count.ID when told to stop.
worker() {
    local id=$1 ok=0 failed=0 answered=0 i addr name size r rest
    local -a vendors plain sizes
    mapfile -t vendors <"$work/vendor.names"
    mapfile -t plain <"$work/plain.names"
    mapfile -t sizes <"$work/sizes"
    RANDOM=$((id * 7919))
    while [ ! -e "$work/stop" ]; do
        i=$(((RANDOM * 32768 + RANDOM) % hosts))
        addr=10.77.$((1 + i / 250)).$((1 + i % 250))
        if ((RANDOM % 100 < 8)); then
            name=${vendors[RANDOM % ${#vendors[@]}]}
        else
            name=${plain[RANDOM % ${#plain[@]}]}
        fi
        size=${sizes[RANDOM % ${#sizes[@]}]}
        # Three queries from one dig; count the answers by their "status: NOERROR" lines.
        r=$(dig +tries=1 +time=2 +noall +comments -b "$addr" @"$s4" \
            "$name" A "$name" AAAA "$name" TYPE65 2>/dev/null) || true
        rest=${r//status: NOERROR/}
        answered=$((answered + (${#r} - ${#rest}) / 15))
        if curl -sk --max-time 60 --interface "$addr" --resolve "$name:443:$s4" \
            "https://$name/$size.bin" -o /dev/null; then
            ok=$((ok + 1))
        else
            failed=$((failed + 1))
        fi
    done
    echo "$ok $failed $answered" >"$work/count.$id"
}
export -f worker
export work hosts s4

limit=$((megabytes * 1024 * 1024))
log "recording $megabytes MiB into $out with $parallel workers"
start=$SECONDS
wpids=()
for ((w = 1; w <= parallel; w++)); do
    # shellcheck disable=SC2016 # $1 is the inner shell's
    ip netns exec "$cli" bash -c 'worker "$1"' worker "$w" &
    wpids+=($!)
    pids+=($!)
done

last_size=0 last_change=$SECONDS last_log=$SECONDS
while :; do
    size=$(stat -c %s "$part")
    ((size >= limit)) && break
    if ((size != last_size)); then last_size=$size last_change=$SECONDS; fi
    ((SECONDS - last_change < 60)) || die "the capture has not grown for 60 s (stuck at $size bytes)"
    alive=0
    for p in "${wpids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
    ((alive > 0)) || die "every worker has exited"
    if ((SECONDS - last_log >= 15)); then
        last_log=$SECONDS
        el=$((SECONDS - start))
        log "$((size >> 20))/$megabytes MiB after ${el}s, about $(((limit - size) / (size / el + 1)))s left"
    fi
    sleep 0.5
done

# Stop cleanly: the workers finish their current fetch, the last FINs get written, then
# tcpdump gets SIGINT and flushes and closes the file.
touch "$work/stop"
for p in "${wpids[@]}"; do wait "$p" || die "a worker failed"; done
sleep 1
kill -INT "$cap"
wait "$cap" || die "tcpdump exited with status $?: $(cat "$work/tcpdump.err")"
elapsed=$((SECONDS - start))

# ------------------------------------------------------------------- summary
if command -v capinfos >/dev/null; then
    packets=$(capinfos -M -c "$part" | awk -F': *' '/Number of packets/ {print $2}') ||
        die "capinfos cannot read the capture"
else
    packets=$(python3 - "$part" <<'EOF'
import struct, sys
with open(sys.argv[1], "rb") as f:
    head = f.read(24)
    order = "<" if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    n = 0
    while True:
        rec = f.read(16)
        if not rec:
            break
        (incl,) = struct.unpack(order + "I", rec[8:12])
        if len(rec) < 16 or len(f.read(incl)) < incl:
            sys.exit("capture cut short after %d packets" % n)
        n += 1
print(n)
EOF
) || die "the capture is not complete"
fi
[[ $packets =~ ^[0-9]+$ ]] || die "could not count the packets"
dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel$/\1/p' "$work/tcpdump.err")
ok=0 failed=0 answered=0
for ((w = 1; w <= parallel; w++)); do
    read -r a b c <"$work/count.$w"
    ok=$((ok + a)) failed=$((failed + b)) answered=$((answered + c))
done
bytes=$(stat -c %s "$part")
mv -f "$part" "$out"
done_ok=yes
printf 'record-bench: %s: %d bytes (%d MiB), %d packets, %d curl runs (%d failed), %d DNS queries answered, %s dropped by kernel, %ds\n' \
    "$out" "$bytes" $((bytes >> 20)) "$packets" $((ok + failed)) "$failed" "$answered" "${dropped:-?}" "$elapsed"
