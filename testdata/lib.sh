# Shared helpers for the recording scripts: two private network namespaces joined by one veth
# pair, servers and clients started in them, tcpdump on the client end, cleanup on exit.
# Source it after setting:
#   TAG (log prefix), CLI SRV (namespace names), VC VS (veth ends),
#   C4 S4 (IPv4 addresses, /24), C6 S6 (IPv6, /64), WORK (a temp folder), CAPFILTER.
# Nothing here routes anywhere else: neither namespace gets a default route.

log() { printf '[%s] %s\n' "$TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

PIDS=()
CAP_PIDS=()

incli() { ip netns exec "$CLI" "$@"; }
insrv() { ip netns exec "$SRV" "$@"; }

# Kills what is left in one of *our* namespaces (by pid, never by name).
kill_ns_procs() {
    local ns=$1 p
    ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
}

cleanup_net() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    kill_ns_procs "$CLI"; kill_ns_procs "$SRV"
    ip netns del "$CLI" 2>/dev/null || true
    ip netns del "$SRV" 2>/dev/null || true
    # `ip netns exec` bind-mounts /etc/netns/<ns>/* over /etc: a resolver set up for the
    # client namespace must not outlive it.
    rm -rf "/etc/netns/$CLI" "/etc/netns/$SRV"
}

# Call once $WORK exists: on any exit, stop everything, remove the namespaces and $WORK, and
# say how it ended.
on_exit_clean_up() {
    trap _finish EXIT
    trap 'exit 130' INT TERM
}
_finish() {
    local rc=$?
    set +e
    cleanup_net
    rm -rf "$WORK"
    [ $rc = 0 ] && log "done" || log "failed (rc=$rc)"
    exit $rc
}

# Both namespaces, the veth pair, addresses; offloads off so the capture holds wire-sized
# frames with real checksums (GSO batches would otherwise be split after tcpdump sees them).
setup_net() {
    cleanup_net
    ip link del "$VC" 2>/dev/null || true
    ip netns add "$CLI"
    ip netns add "$SRV"
    ip link add "$VC" mtu 1500 type veth peer name "$VS" mtu 1500
    ip link set "$VC" netns "$CLI"
    ip link set "$VS" netns "$SRV"
    local ns dev a4 a6
    for ns in "$CLI" "$SRV"; do
        if [ "$ns" = "$CLI" ]; then dev=$VC a4=$C4 a6=$C6; else dev=$VS a4=$S4 a6=$S6; fi
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            "net.ipv6.conf.$dev.accept_dad=0" "net.ipv6.conf.$dev.router_solicitations=0"
        ip netns exec "$ns" ip link set lo up
        ip netns exec "$ns" ip addr add "$a4/24" dev "$dev"
        ip netns exec "$ns" ip -6 addr add "$a6/64" dev "$dev" nodad
        ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off >/dev/null
        ip netns exec "$ns" ip link set "$dev" up
    done
    incli ping -c1 -W2 "$S4" >/dev/null || die "no IPv4 between namespaces"
    incli ping -6 -c1 -W2 "$S6" >/dev/null || die "no IPv6 between namespaces"
    if incli ip route show default | grep -q . || incli ip -6 route show default | grep -q .; then
        die "client namespace has a default route"
    fi
    log "namespaces up: $CLI $C4/$C6 <-> $SRV $S4/$S6 (MTU $(incli cat "/sys/class/net/$VC/mtu"))"
    incli ethtool -k "$VC" | grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' \
        | sed "s/^/[$TAG]   /" >&2
}

# wait_listen <t|u> <addr:port as ss prints it>: fails (a bare call ends the script under
# set -e) when the server namespace has no such listener after 10 s
wait_listen() {
    local i
    for i in $(seq 1 100); do
        insrv ss -Hln"$1" | awk '{print $4}' | grep -qxF "$2" && return 0
        sleep 0.1
    done
    log "server not listening on $2"
    return 1
}

# cap_start <name> [tcpdump options...]: tcpdump in the client namespace (by default on the
# client's veth end) into $WORK/<name>.pcap, with $CAPFILTER
cap_start() {
    local name=$1
    shift
    local opts=("$@")
    [ ${#opts[@]} -gt 0 ] || opts=(-i "$VC")
    cap_in "$CLI" "$name" "$CAPFILTER" "${opts[@]}"
}

# cap_in <namespace> <name> <filter or ""> <tcpdump options...>: the general form
cap_in() {
    local ns=$1 name=$2 filter=$3 i
    shift 3
    local f=()
    [ -n "$filter" ] && f=("$filter")
    : >"$WORK/$name.tcpdump.err"
    # Not through incli: backgrounding a shell function would make $! the subshell, and
    # killing that would leave tcpdump running.
    ip netns exec "$ns" tcpdump "$@" -n -s 0 -U -Z root -w "$WORK/$name.pcap" "${f[@]}" \
        2>"$WORK/$name.tcpdump.err" &
    PIDS+=($!); CAP_PIDS+=($!)
    for i in $(seq 1 100); do
        grep -q "listening on" "$WORK/$name.tcpdump.err" && return 0
        sleep 0.1
    done
    cat "$WORK/$name.tcpdump.err" >&2; die "tcpdump for $name did not start"
}

# cap_stop: stops every running capture, after the last packets have been written
cap_stop() {
    sleep 1
    local p
    for p in "${CAP_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${CAP_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    CAP_PIDS=()
}

# run_step <function> [args]: a failing step is reported and recorded in FAILED; the others
# still run.
FAILED=()
run_step() {
    local rc
    set +e
    ( set -e; "$@" )
    rc=$?
    set -e
    if [ $rc != 0 ]; then log "STEP $* FAILED (rc=$rc)"; FAILED+=("step $*"); CAP_PIDS=(); fi
    return 0
}

# exit_if_failed: ends the script with status 1, naming them, when any step or capture failed
exit_if_failed() {
    if [ ${#FAILED[@]} -gt 0 ]; then
        log "FAILED: ${FAILED[*]}"
        exit 1
    fi
}

# take_capture <file>: copies $WORK/<file> into $OUT; a capture that was not made is
# reported, recorded in FAILED, and the call fails.
take_capture() {
    if [ ! -s "$WORK/$1" ]; then
        log "MISSING $1"
        FAILED+=("$1 (missing)")
        return 1
    fi
    cp "$WORK/$1" "$OUT/$1"
}

# capture_facts <pcap>: "<link type> <format> <packets> <bytes>", as MANIFEST.tsv has them
capture_facts() {
    local lt fmt np
    read -r lt fmt np < <(capinfos -M -T -r -E -t -c "$1" | awk -F'\t' '{print $3"\t"$2"\t"$4}' | tr -s ' ' '_')
    echo "$lt $fmt $np $(stat -c %s "$1")"
}

# manifest_replace <folder> <rows file>: MANIFEST.tsv (beside this file) keeps every row but
# those of captures/<folder>/, which become the rows given.
manifest_replace() {
    local man
    man="$(dirname "${BASH_SOURCE[0]}")/MANIFEST.tsv"
    if [ -s "$man" ]; then
        awk -F'\t' -v p="$1/" 'index($1, p) != 1' "$man" >"$WORK/manifest.keep"
    else
        printf 'file\tlink_type\tformat\tpackets\tbytes\ttruth_tls_rows\ttruth_dns_rows\tsplit_clienthello\texercises\tclient_ips\tserver_ips\tdns_query_names\ttls_sni_names\ttshark_extra_for_truth\n' >"$WORK/manifest.keep"
    fi
    cat "$WORK/manifest.keep" "$2" >"$man"
}
