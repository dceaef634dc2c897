#!/usr/bin/env bash
# Records shadowdesk's test captures from real clients and servers that talk
# only inside two private network namespaces (sd-cli <-> sd-srv, one veth pair).
# Nothing leaves the machine: the namespaces have no default route and every
# client is pointed at 10.99.0.2 / fd00:99::2 explicitly.
#
#   sudo testdata/record.sh            # (re)writes testdata/captures/*
#
# Needs (Debian 12): tcpdump dnsmasq-base bind9-dnsutils openssl curl chromium
#   tshark wireshark-common (editcap, capinfos) tcpreplay (tcprewrite) iproute2
#   iputils-ping ethtool python3.  See testdata/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/captures"
GEN_TRUTH=${GEN_TRUTH:-/work/shared/pcaps/public/gen_truth.py}
PCAPTOOL="$HERE/pcaptool.py"

CLI=sd-cli
SRV=sd-srv
VC=sd-veth-c          # client end (lives in $CLI)
VS=sd-veth-s          # server end (lives in $SRV)
C4=10.99.0.1
S4=10.99.0.2
C6=fd00:99::1
S6=fd00:99::2
CAPFILTER="host $S4 or host $S6"

TAG=record
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
for b in ip ping ethtool tcpdump dnsmasq dig openssl curl chromium tshark editcap capinfos tcprewrite python3; do
    command -v "$b" >/dev/null || die "missing $b (apt-get install -y tcpdump dnsmasq-base bind9-dnsutils openssl curl chromium tshark wireshark-common tcpreplay iproute2 iputils-ping ethtool python3)"
done
[ -r "$GEN_TRUTH" ] || die "gen_truth.py not found at $GEN_TRUTH (set GEN_TRUTH=...)"

WORK=$(mktemp -d /tmp/sd-record.XXXXXX)
chmod 755 "$WORK"
on_exit_clean_up

# ------------------------------------------------------------------ servers
start_servers() {
    # dnsmasq: authoritative-ish local data only, no upstream, no /etc/hosts.
    # HTTPS (type 65) RR for acme.zendesk.com: priority 1, target ".", alpn=h2
    ip netns exec "$SRV" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
        --user=root --group=root --port=53 --bind-interfaces \
        --listen-address="$S4" --listen-address="$S6" \
        --pid-file="$WORK/dnsmasq.pid" --log-queries --log-facility="$WORK/dnsmasq.log" \
        --host-record=acme.zendesk.com,"$S4","$S6" \
        --cname=help.acme-corp.example,acme.zendesk.com \
        --host-record=docs.helpscout.net,"$S4" \
        --host-record=widget.intercom.io,"$S4" \
        --host-record=www.example.org,"$S4" \
        --local=/zendesk.com/acme-corp.example/helpscout.net/intercom.io/example.org/example.net/ \
        --address=/missing.example.net/ \
        --dns-rr=acme.zendesk.com,65,00010000010003026832 \
        2>"$WORK/dnsmasq.err" &
    PIDS+=($!)
    wait_listen u "$S4:53"; wait_listen u "[$S6]:53"; wait_listen t "$S4:53"

    # self-signed certificate for the TLS servers
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=shadowdesk-test" \
        -addext "subjectAltName=DNS:acme.zendesk.com,DNS:acme.kustomerapp.com,DNS:docs.helpscout.net,DNS:widget.intercom.io" \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    local acc
    for acc in "$S4:443" "$S4:8443" "[$S6]:443"; do
        ip netns exec "$SRV" openssl s_server -accept "$acc" -cert "$WORK/cert.pem" -key "$WORK/key.pem" \
            -www -alpn http/1.1 -quiet </dev/null >>"$WORK/s_server.log" 2>&1 &
        PIDS+=($!)
    done
    wait_listen t "$S4:443"; wait_listen t "$S4:8443"; wait_listen t "[$S6]:443"
    log "dnsmasq and 3 openssl s_server listeners up"
}

DIG=(dig +tries=1 +time=3)
NAMES=(acme.zendesk.com help.acme-corp.example docs.helpscout.net widget.intercom.io www.example.org missing.example.net)

# ---------------------------------------------------------------- scenarios
scen_dns_udp() {   # dns_udp_v4 / dns_udp_v6: A, AAAA, HTTPS for every name
    local fam srv n t
    for fam in v4 v6; do
        [ $fam = v4 ] && srv=$S4 || srv=$S6
        cap_start "dns_udp_$fam"
        for n in "${NAMES[@]}"; do
            for t in A AAAA HTTPS; do
                incli "${DIG[@]}" @"$srv" "$n" "$t" >>"$WORK/dig.log"
            done
        done
        cap_stop
    done
}

scen_dns_tcp() {   # one name per connection, then two names on one kept-open connection
    local srv
    cap_start dns_tcp
    for srv in "$S4" "$S6"; do
        incli "${DIG[@]}" +tcp @"$srv" acme.zendesk.com A >>"$WORK/dig.log"
        incli "${DIG[@]}" +tcp +keepopen @"$srv" help.acme-corp.example A widget.intercom.io AAAA >>"$WORK/dig.log"
    done
    cap_stop
}

scen_tls_curl_v4() {
    cap_start tls_curl_v4
    incli curl -sk --max-time 10 --resolve acme.zendesk.com:443:"$S4" https://acme.zendesk.com/ >"$WORK/curl4.out"
    cap_stop
}

scen_tls_openssl_8443() {
    cap_start tls_openssl_8443
    incli openssl s_client -connect "$S4:8443" -servername acme.kustomerapp.com </dev/null >"$WORK/s_client.out" 2>&1
    cap_stop
}

scen_tls_curl_v6() {
    cap_start tls_curl_v6
    incli curl -sk --max-time 10 --resolve "docs.helpscout.net:443:[$S6]" https://docs.helpscout.net/ >"$WORK/curl6.out"
    cap_stop
}

run_chromium() {   # run_chromium <https://host/>
    local ud host=${1#https://}
    host=${host%%/*}
    ud=$(mktemp -d "$WORK/chromium.XXXXXX")
    # --host-resolver-rules: the one test host maps to the server namespace,
    # every other name fails inside chromium (~NOTFOUND), so chromium never
    # resolves a real name and its background fetches (update.googleapis.com,
    # accounts.google.com) go nowhere.  The namespace has no route out anyway.
    incli env HOME="$ud" XDG_CONFIG_HOME="$ud/.config" XDG_CACHE_HOME="$ud/.cache" \
        timeout -k 5 40 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-extensions --no-default-browser-check \
        --disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication \
        --user-data-dir="$ud" --host-resolver-rules="MAP $host $S4, MAP * ~NOTFOUND" \
        --ignore-certificate-errors --dump-dom "$1" >"$WORK/chromium.dom" 2>"$WORK/chromium.err" \
        || log "chromium exited with $? (see dump below if the capture is empty)"
    grep -qi "<html" "$WORK/chromium.dom" || { log "chromium did not load the page"; tail -5 "$WORK/chromium.err" >&2; }
}

scen_chromium() {
    cap_start tls_chromium_split
    run_chromium https://acme.kustomerapp.com/
    cap_stop
}

scen_mixed() {   # same traffic recorded three ways at once: Ethernet, SLL (113), SLL2 (276)
    cap_start mixed
    cap_start mixed_sll -i any -y LINUX_SLL
    cap_start mixed_sll2 -i any -y LINUX_SLL2
    incli "${DIG[@]}" @"$S4" acme.zendesk.com A >>"$WORK/dig.log"
    incli "${DIG[@]}" @"$S6" widget.intercom.io A >>"$WORK/dig.log"
    incli "${DIG[@]}" +tcp @"$S4" docs.helpscout.net A >>"$WORK/dig.log"
    incli curl -sk --max-time 10 --resolve acme.zendesk.com:443:"$S4" https://acme.zendesk.com/ >/dev/null
    incli curl -sk --max-time 10 --resolve "docs.helpscout.net:443:[$S6]" https://docs.helpscout.net/ >/dev/null
    incli openssl s_client -connect "[$S6]:443" -servername widget.intercom.io </dev/null >/dev/null 2>&1
    run_chromium https://acme.kustomerapp.com/
    cap_stop
}

# ----------------------------------------------------------------- derived
derive() {
    local m=$WORK/mixed.pcap
    tcprewrite --enet-vlan=add --enet-vlan-tag=99 --enet-vlan-pri=0 --enet-vlan-cfi=0 \
        --infile="$m" --outfile="$WORK/mixed_vlan.pcap"
    python3 "$PCAPTOOL" relink qinq "$WORK/mixed_vlan.pcap" "$WORK/mixed_qinq.pcap" >&2
    python3 "$PCAPTOOL" relink raw  "$m" "$WORK/mixed_raw.pcap" >&2
    python3 "$PCAPTOOL" relink raw4 "$m" "$WORK/mixed_raw4.pcap" >&2
    python3 "$PCAPTOOL" relink raw6 "$m" "$WORK/mixed_raw6.pcap" >&2
    python3 "$PCAPTOOL" relink null "$m" "$WORK/mixed_null.pcap" >&2
    editcap -F pcapng   "$m" "$WORK/mixed.pcapng"
    editcap -F nsecpcap "$m" "$WORK/mixed_nsec.pcap"

    # out-of-order + retransmitted copy of the split chromium ClientHello
    local segs a b
    segs=$(tshark -n -r "$WORK/tls_chromium_split.pcap" -Y "tls.handshake.type == 1" \
        -T fields -e tcp.segment -E occurrence=a -E aggregator=, 2>/dev/null | head -1)
    a=${segs%%,*}; b=$(echo "$segs" | cut -d, -f2)
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] || die "chromium ClientHello was not split ($segs)"
    python3 "$PCAPTOOL" reorder "$WORK/tls_chromium_split.pcap" "$WORK/tls_chromium_split_ooo.pcap" "$a" "$b" >&2
    editcap -F pcapng "$WORK/tls_chromium_split.pcap" "$WORK/tls_chromium_split.pcapng"
}

# ------------------------------------------------------------------- truth
# MANIFEST columns and the truth-row counts each capture must have
# (N = exactly N, N+ = at least N: chromium opens one or two connections).
declare -A EXERCISE DNSQ SNIS TSX EXP
describe() {   # describe <file> <exp tls> <exp dns> <exp split> <exercises> <dns names> <sni names> [tshark extra]
    EXP[$1]="$2 $3 $4"; EXERCISE[$1]=$5; DNSQ[$1]=$6; SNIS[$1]=$7; TSX[$1]=${8:-}
}
ALLN=$(IFS=,; echo "${NAMES[*]}")
OOO="-o tcp.reassemble_out_of_order:TRUE"
describe dns_udp_v4.pcap 0 18 0 "DNS over UDP/IPv4: A, AAAA, HTTPS(65) for 6 names; CNAME answer; HTTPS RR answer; NXDOMAIN; NODATA" "$ALLN" ""
describe dns_udp_v6.pcap 0 18 0 "DNS over UDP/IPv6: A, AAAA, HTTPS(65) for 6 names; CNAME answer; HTTPS RR answer; NXDOMAIN; NODATA" "$ALLN" ""
describe dns_tcp.pcap 0 6 0 "DNS over TCP (IPv4 and IPv6): one query per connection, and two queries on one kept-open connection (dig +keepopen)" "acme.zendesk.com A,help.acme-corp.example A,widget.intercom.io AAAA (each over v4 and v6)" ""
describe tls_curl_v4.pcap 1 0 0 "TLS ClientHello from curl over IPv4, port 443, one segment" "" "acme.zendesk.com"
describe tls_openssl_8443.pcap 1 0 0 "TLS ClientHello from openssl s_client on non-standard port 8443" "" "acme.kustomerapp.com"
describe tls_curl_v6.pcap 1 0 0 "TLS ClientHello from curl over IPv6, port 443" "" "docs.helpscout.net"
describe tls_chromium_split.pcap 1+ 0 1+ "Chromium ClientHello (X25519MLKEM768 key share, GREASE ECH) of ~2 KB split over 2 TCP segments at MTU 1500 with offloads off; chromium may open a 2nd connection" "" "acme.kustomerapp.com"
describe tls_chromium_split.pcapng 1+ 0 1+ "pcapng copy of tls_chromium_split.pcap" "" "acme.kustomerapp.com"
describe tls_chromium_split_ooo.pcap 1+ 0 1+ "tls_chromium_split.pcap with the two segments of the first ClientHello swapped (2nd before 1st) and the 1st sent again (retransmission); must yield one row per connection, not two; default tshark loses it, truth made with $OOO" "" "acme.kustomerapp.com" "$OOO"
MIXN="acme.zendesk.com A (v4 udp),widget.intercom.io A (v6 udp),docs.helpscout.net A (v4 tcp)"
MIXS="acme.zendesk.com (v4 curl),docs.helpscout.net (v6 curl),widget.intercom.io (v6 s_client),acme.kustomerapp.com (v4 chromium split)"
MIXE="DNS UDP v4/v6, DNS TCP v4, TLS v4/v6, split chromium ClientHello v4"
describe mixed.pcap 4+ 3 1+ "$MIXE; Ethernet (base of the mixed_* variants)" "$MIXN" "$MIXS"
describe mixed_sll.pcap 4+ 3 1+ "$MIXE; recorded at the same time as mixed.pcap with tcpdump -i any -y LINUX_SLL (Linux cooked v1)" "$MIXN" "$MIXS"
describe mixed_sll2.pcap 4+ 3 1+ "$MIXE; recorded at the same time as mixed.pcap with tcpdump -i any -y LINUX_SLL2 (Linux cooked v2)" "$MIXN" "$MIXS"
describe mixed_vlan.pcap 4+ 3 1+ "$MIXE; mixed.pcap with one 802.1Q tag (VID 99) added by tcprewrite" "$MIXN" "$MIXS"
describe mixed_qinq.pcap 4+ 3 1+ "$MIXE; mixed_vlan.pcap with an outer 802.1ad tag (TPID 0x88a8 VID 100) in front of the inner 802.1Q VID 99" "$MIXN" "$MIXS"
describe mixed_raw.pcap 4+ 3 1+ "$MIXE; mixed.pcap re-framed as LINKTYPE_RAW (101), IPv4 and IPv6 packets, non-IP frames dropped" "$MIXN" "$MIXS"
describe mixed_raw4.pcap 2+ 2 1+ "IPv4 packets of mixed.pcap only, LINKTYPE_IPV4 (228)" "acme.zendesk.com A (udp),docs.helpscout.net A (tcp)" "acme.zendesk.com (curl),acme.kustomerapp.com (chromium split)"
describe mixed_raw6.pcap 2 1 0 "IPv6 packets of mixed.pcap only, LINKTYPE_IPV6 (229)" "widget.intercom.io A (udp)" "docs.helpscout.net (curl),widget.intercom.io (s_client)"
describe mixed_null.pcap 4+ 3 1+ "$MIXE; mixed.pcap re-framed as BSD loopback LINKTYPE_NULL (0): 4-byte little-endian AF, 2 = IPv4, 30 = IPv6 (Darwin value)" "$MIXN" "$MIXS"
describe mixed.pcapng 4+ 3 1+ "$MIXE; mixed.pcap converted to pcapng by editcap" "$MIXN" "$MIXS"
describe mixed_nsec.pcap 4+ 3 1+ "$MIXE; mixed.pcap converted to nanosecond-precision pcap (magic a1b23c4d) by editcap" "$MIXN" "$MIXS"

count_ok() {   # count_ok <got> <N|N+>
    case $2 in *+) [ "$1" -ge "${2%+}" ] ;; *) [ "$1" -eq "$2" ] ;; esac
}

write_truth() {
    # Replace only this script's own files: captures/more/, quic/ and hidden/ and their
    # MANIFEST rows belong to record-more.sh, record-quic.sh and record-hidden.sh.
    mkdir -p "$OUT"
    find "$OUT" -maxdepth 1 -type f -delete
    local f bad=0 keep
    keep=$(grep -P '^(more|quic|hidden)/' "$HERE/MANIFEST.tsv" 2>/dev/null || true)
    printf 'file\tlink_type\tformat\tpackets\tbytes\ttruth_tls_rows\ttruth_dns_rows\tsplit_clienthello\texercises\tclient_ips\tserver_ips\tdns_query_names\ttls_sni_names\ttshark_extra_for_truth\n' >"$HERE/MANIFEST.tsv"
    for f in $(printf '%s\n' "${!EXERCISE[@]}" | sort); do
        [ -s "$WORK/$f" ] || die "capture $f missing"
        cp "$WORK/$f" "$OUT/$f"
        local json lt fmt np sz tls dns split cips sips et ed es
        json=$(TSHARK_EXTRA="${TSX[$f]}" python3 "$GEN_TRUTH" "$OUT/$f" "$OUT/$f" | sed "s#$OUT/##")
        read -r lt fmt np < <(capinfos -M -T -r -E -t -c "$OUT/$f" | awk -F'\t' '{print $3"\t"$2"\t"$4}' | tr -s ' ' '_')
        sz=$(stat -c %s "$OUT/$f")
        read -r tls dns split < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["tls"], j["dns"], j["split_ch"])' "$json")
        case $f in
            *raw4*|dns_udp_v4*|tls_curl_v4*|tls_openssl*|tls_chromium*) cips=$C4; sips=$S4 ;;
            *raw6*|dns_udp_v6*|tls_curl_v6*) cips=$C6; sips=$S6 ;;
            *) cips="$C4,$C6"; sips="$S4,$S6" ;;
        esac
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$lt" "$fmt" "$np" "$sz" "$tls" "$dns" "$split" \
            "${EXERCISE[$f]}" "$cips" "$sips" "${DNSQ[$f]}" "${SNIS[$f]}" "${TSX[$f]}" >>"$HERE/MANIFEST.tsv"
        read -r et ed es <<<"${EXP[$f]}"
        if count_ok "$tls" "$et" && count_ok "$dns" "$ed" && count_ok "$split" "$es" && [ "$sz" -lt 204800 ]; then
            log "ok   $f: $lt/$fmt, $np packets, tls=$tls dns=$dns split=$split"
        else
            log "BAD  $f: $lt/$fmt, $np packets, $sz bytes, tls=$tls (want $et) dns=$dns (want $ed) split=$split (want $es)"
            bad=1
        fi
    done
    [ -z "$keep" ] || printf '%s\n' "$keep" >>"$HERE/MANIFEST.tsv"
    [ $bad = 0 ] || die "some captures do not have the expected truth rows"
}

verify_split() {   # the chromium ClientHello must really span 2+ frames on the wire
    local f=$OUT/tls_chromium_split.pcap line
    log "split ClientHello check (tshark tcp.segment per ClientHello):"
    while IFS=$'\t' read -r fr cnt segs rlen sni; do
        log "  frame $fr: $cnt segments in frames $segs, ${rlen} bytes reassembled, SNI $sni"
        [ "${cnt:-0}" -ge 2 ] || die "ClientHello in frame $fr is not split"
    done < <(tshark -n -r "$f" -Y "tls.handshake.type == 1" -T fields -e frame.number -e tcp.segment.count \
                -e tcp.segment -e tcp.reassembled.length -e tls.handshake.extensions_server_name \
                -E occurrence=a -E aggregator=, 2>/dev/null)
    tshark -n -r "$f" -Y "tls.handshake.type == 1" -T fields -e tls.handshake.extensions_key_share_group \
        -E occurrence=a -E aggregator=, 2>/dev/null | grep -qw 4588 \
        || die "chromium ClientHello has no X25519MLKEM768 (0x11ec) key share"
    log "  X25519MLKEM768 (0x11ec) key share present"
}

# -------------------------------------------------------------------- main
setup_net
start_servers
scen_dns_udp
scen_dns_tcp
scen_tls_curl_v4
scen_tls_openssl_8443
scen_tls_curl_v6
scen_chromium
scen_mixed
derive
write_truth
verify_split
du -sh "$OUT" | sed 's/^/[record] total /' >&2
log "captures in $OUT:"
ls -l "$OUT" >&2
