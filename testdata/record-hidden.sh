#!/usr/bin/env bash
# Records the captures of traffic that hides its destination, in testdata/captures/hidden/,
# from real clients and servers that talk only inside two private network namespaces made here
# (sdh-cli <-> sdh-srv, one veth pair, 10.99.40.0/24 and fd00:99:40::/64, no default route).
#
#   sudo testdata/record-hidden.sh      # (re)writes testdata/captures/hidden/*
#
# Server namespace: dnsmasq (the client's resolver: /etc/netns/sdh-cli/resolv.conf), openssl
# s_server on 443 and 853, python3 http.server on 80 and 8080, an SSH banner server on 22, and a
# second address 10.99.40.3 that no DNS name points to.
#
# Captures:
#   ech_chromium.pcap  headless Chromium to https://acme.kustomerapp.com/, whose HTTPS record
#                      carries an ECHConfig made here (config id 0x2a, public name
#                      public.ech-front.example, X25519, HKDF-SHA256/AES-128-GCM): real ECH
#                      hellos with the public name as SNI, then (the server has no ECH key) the
#                      retry without ECH, whose hellos carry GREASE ECH and the real name.
#   ip_literal.pcap    dig help.acme-corp.example (CNAME acme.zendesk.com, A 10.99.40.2), then
#                      curl -k https://10.99.40.2/ and openssl s_client -noservername to it (no
#                      SNI: attributable), and s_client -noservername to 10.99.40.3 (never
#                      resolved: not attributable).
#   encrypted_dns.pcap dig +tls to 10.99.40.2:853 (DNS over TLS), and curl --doh-url
#                      https://dns.google/dns-query (DNS over HTTPS, dns.google mapped to the
#                      server by --resolve).
#   http_plain.pcap    curl http://status.helpjuice.com/ and http://acme.zendesk.com:8080/.
#   ssh_other.pcap     dig ssh.acme-corp.example, then OpenSSH's ssh to it and to 10.99.40.3:
#                      TCP connections whose client speaks neither TLS nor HTTP.
#
# Each capture gets tshark's truth (gen_truth.py) and a row in MANIFEST.tsv (only the hidden/
# rows are replaced). Env: GEN_TRUTH=/path/gen_truth.py
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/captures/hidden"
GEN_TRUTH=${GEN_TRUTH:-/work/shared/pcaps/public/gen_truth.py}

TAG=record-hidden
CLI=sdh-cli SRV=sdh-srv VC=sdh-veth-c VS=sdh-veth-s
C4=10.99.40.1 S4=10.99.40.2 S4B=10.99.40.3
C6=fd00:99:40::1 S6=fd00:99:40::2
CAPFILTER="host $S4 or host $S4B or host $S6"
MAXSIZE=204800
ECH_ID=2a
ECH_PUBLIC=public.ech-front.example

# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ -r "$GEN_TRUTH" ] || die "gen_truth.py not found at $GEN_TRUTH (set GEN_TRUTH=...)"

APT_PKGS=(iproute2 iputils-ping ethtool tcpdump openssl curl dnsmasq-base bind9-dnsutils openssh-client chromium tshark python3)
for b in ip ping ethtool tcpdump openssl curl dnsmasq dig ssh chromium tshark python3; do
    if ! command -v "$b" >/dev/null; then
        log "installing Debian packages: ${APT_PKGS[*]}"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PKGS[@]}" >&2
        break
    fi
done

WORK=$(mktemp -d /tmp/sdh-record.XXXXXX)
chmod 755 "$WORK"
on_exit_clean_up

# ------------------------------------------------------------------- the ECH config
# An ECHConfigList (RFC 9849 §4, version 0xfe0d) for a fresh X25519 key, and the HTTPS record
# (RFC 9460) that publishes it: priority 1, target ".", the given alpn list, ech.
# https_rdata <alpn,...>: the record's RDATA in hex; one key for every record.
https_rdata() {
    if [ ! -s "$WORK/ech.pub" ]; then
        openssl genpkey -algorithm X25519 -out "$WORK/ech.key" 2>/dev/null
        openssl pkey -in "$WORK/ech.key" -pubout -outform DER | tail -c 32 >"$WORK/ech.pub"
    fi
    python3 - "$WORK/ech.pub" "$ECH_ID" "$ECH_PUBLIC" "$1" <<'EOF'
import struct, sys
pk = open(sys.argv[1], "rb").read()
cid, name = int(sys.argv[2], 16), sys.argv[3].encode()
contents = (bytes([cid]) + struct.pack(">HH", 0x0020, len(pk)) + pk      # HpkeKeyConfig
            + struct.pack(">HHH", 4, 0x0001, 0x0001)                       # HKDF-SHA256, AES-128-GCM
            + bytes([0, len(name)]) + name + struct.pack(">H", 0))         # max name len, public name, no extensions
config = struct.pack(">HH", 0xFE0D, len(contents)) + contents
ech_list = struct.pack(">H", len(config)) + config
alpn = b"".join(bytes([len(a)]) + a.encode() for a in sys.argv[4].split(","))
rdata = (struct.pack(">H", 1) + b"\x00"
         + struct.pack(">HH", 1, len(alpn)) + alpn
         + struct.pack(">HH", 5, len(ech_list)) + ech_list)
print(rdata.hex())
EOF
}

# ------------------------------------------------------------------------ servers
start_servers() {
    insrv ip addr add "$S4B/24" dev "$VS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=shadowdesk-test" \
        -addext "subjectAltName=DNS:acme.kustomerapp.com,DNS:$ECH_PUBLIC,DNS:acme.zendesk.com,DNS:dns.google,IP:$S4,IP:$S4B" \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    local rdata rdata_h3
    rdata=$(https_rdata h2,http/1.1)
    rdata_h3=$(https_rdata h3,h2)
    insrv dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address="$S4" \
        --log-queries --log-facility=- \
        --host-record=acme.kustomerapp.com,"$S4" --host-record="$ECH_PUBLIC","$S4" \
        --dns-rr=acme.kustomerapp.com,65,"$rdata" \
        --host-record=widget.intercom.io,"$S4" --dns-rr=widget.intercom.io,65,"$rdata_h3" \
        --host-record=acme.zendesk.com,"$S4" --cname=help.acme-corp.example,acme.zendesk.com \
        --host-record=ssh.acme-corp.example,"$S4" \
        >"$WORK/dnsmasq.log" 2>&1 &
    PIDS+=($!)
    wait_listen u "$S4:53"
    mkdir -p "/etc/netns/$CLI"
    echo "nameserver $S4" >"/etc/netns/$CLI/resolv.conf"
    local port
    for port in 443 853; do
        insrv openssl s_server -accept "$port" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
            >"$WORK/s_server_$port.log" 2>&1 &
        PIDS+=($!)
        wait_listen t "*:$port"
    done
    # A silent UDP 443: QUIC Initials are taken and never answered. Without it the ICMP port
    # unreachable for the first datagram stops Chromium before the rest of its two-packet
    # ClientHello is sent.
    insrv python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 443))
while True: s.recv(65535)
' >"$WORK/udp_sink.log" 2>&1 &
    PIDS+=($!)
    wait_listen u "0.0.0.0:443"
    mkdir -p "$WORK/www" && echo "hello over plain HTTP" >"$WORK/www/index.html"
    for port in 80 8080; do
        insrv python3 -m http.server "$port" --bind "$S4" --directory "$WORK/www" >"$WORK/http_$port.log" 2>&1 &
        PIDS+=($!)
        wait_listen t "$S4:$port"
    done
    # An SSH server as far as the client can tell: it sends a version line and reads; the
    # client's own version line and binary KEXINIT are what the capture needs.
    insrv python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 22)); s.listen(8)
def serve(c):
    c.sendall(b"SSH-2.0-shadowdesk_test\r\n"); c.settimeout(2)
    try:
        while c.recv(4096): pass
    except OSError: pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
' >"$WORK/ssh_banner.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "0.0.0.0:22"
    log "servers up: dnsmasq, s_server 443/853, http.server 80/8080, ssh banner 22"
}

# --------------------------------------------------------------------- scenarios
# chromium_visit <capture> <url> <chromium options...>: one headless page load, captured.
# No --host-resolver-rules: Chromium's own DNS client must ask dnsmasq for the HTTPS record.
chromium_visit() {
    local name=$1 url=$2 ud
    shift 2
    ud=$(mktemp -d "$WORK/chromium.XXXXXX")
    cap_start "$name"
    incli env HOME="$ud" timeout -k 5 40 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-extensions --no-default-browser-check \
        --user-data-dir="$ud" --ignore-certificate-errors "$@" \
        --dump-dom "$url" >"$WORK/$name.dom" 2>"$WORK/$name.err" \
        || log "chromium exited with $?"
    cap_stop
    grep -q "net_error -183" "$WORK/$name.err" \
        && log "chromium: ERR_ECH_NOT_NEGOTIATED (-183), as expected: the server has no ECH key"
    return 0
}

# expect_outer_ech <capture> <display filter>: some hello there has SNI $ECH_PUBLIC and an
# outer ECH extension for config $ECH_ID. tshark 4.0 does not dissect ECH, so the
# extension's first bytes (type 0 = outer, kdf, aead, config id) are read from its raw data.
expect_outer_ech() {
    local rows
    rows=$(tshark -n -r "$WORK/$1.pcap" -Y "$2" -T fields \
        -e tls.handshake.extensions_server_name -e tls.handshake.extension.data -E occurrence=a 2>/dev/null)
    echo "$rows" | awk '{print "[record-hidden]   hello: " substr($0, 1, 120)}' >&2
    echo "$rows" | grep -Eq "^$ECH_PUBLIC.*[[:space:],]0000010001${ECH_ID}" \
        || die "$1: no hello with SNI $ECH_PUBLIC and an outer ECH extension for config 0x$ECH_ID"
}

# --disable-quic: the record's alpn has no h3, and TCP keeps the hellos in TLS.
scen_ech() {
    chromium_visit ech_chromium https://acme.kustomerapp.com/ \
        --enable-features=EncryptedClientHello,UseDnsHttpsSvcb,AsyncDns --disable-quic
    expect_outer_ech ech_chromium 'tls.handshake.type == 1'
}

# The same config behind an HTTPS record whose alpn offers h3: Chromium goes straight to QUIC,
# with real ECH in its Initials. Nothing answers on UDP 443, so it falls back to TCP.
scen_ech_quic() {
    chromium_visit ech_chromium_quic https://widget.intercom.io/ \
        --enable-features=EncryptedClientHello,UseDnsHttpsSvcb,UseDnsHttpsSvcbAlpn,AsyncDns --enable-quic
    expect_outer_ech ech_chromium_quic 'quic && tls.handshake.type == 1'
}

scen_ip_literal() {
    cap_start ip_literal
    incli dig +short @"$S4" help.acme-corp.example A >&2
    incli curl -sk --max-time 5 -o /dev/null "https://$S4/" || true
    incli timeout 5 openssl s_client -connect "$S4:443" -noservername </dev/null >/dev/null 2>&1 || true
    incli timeout 5 openssl s_client -connect "$S4B:443" -noservername </dev/null >/dev/null 2>&1 || true
    cap_stop
}

scen_encrypted_dns() {
    cap_start encrypted_dns
    incli dig +tls +tries=1 +timeout=3 @"$S4" acme.zendesk.com A >"$WORK/dot.out" 2>&1 || true
    # curl resolves acme.zendesk.com over DoH; s_server's -www page is no DNS answer, so the
    # transfer fails after the hello to dns.google, which is all the capture needs.
    incli curl -sk --max-time 5 --doh-insecure --doh-url https://dns.google/dns-query \
        --resolve "dns.google:443:$S4" -o /dev/null https://acme.zendesk.com/ >"$WORK/doh.out" 2>&1 || true
    cap_stop
}

scen_http() {
    cap_start http_plain
    incli curl -s --max-time 5 --resolve "status.helpjuice.com:80:$S4" http://status.helpjuice.com/ >/dev/null
    incli curl -s --max-time 5 --resolve "acme.zendesk.com:8080:$S4" http://acme.zendesk.com:8080/ >/dev/null
    cap_stop
}

scen_ssh() {
    cap_start ssh_other
    incli dig +short @"$S4" ssh.acme-corp.example A >&2
    local host
    for host in "$S4" "$S4B"; do
        incli timeout 8 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
            -o ConnectTimeout=3 "test@$host" true >/dev/null 2>&1 || true
    done
    cap_stop
}

# ------------------------------------------------------------------------- truth
# describe <file> <exercises>
declare -A EXERCISE
describe() { EXERCISE[$1]=$2; }
describe ech_chromium.pcap "REAL ECH from headless Chromium: its DNS client asks dnsmasq for the HTTPS (65) and A records of acme.kustomerapp.com; the HTTPS record (priority 1, target '.', alpn h2,http/1.1) carries an ECHConfigList made by this script: one config, version 0xfe0d, config id 0x$ECH_ID, DHKEM(X25519) 0x0020, suite HKDF-SHA256/AES-128-GCM (1,1), public name $ECH_PUBLIC. Chromium's hellos to $S4:443 then have SNI $ECH_PUBLIC and an outer encrypted_client_hello (0xfe0d) naming config 0x$ECH_ID; the server has no ECH key, so Chromium retries without ECH: those hellos carry SNI acme.kustomerapp.com and a GREASE ECH extension. Also Chromium's background DNS queries (refused by dnsmasq)"
describe ech_chromium_quic.pcap "REAL ECH over QUIC from headless Chromium: widget.intercom.io's HTTPS record has alpn h3,h2 and the same ECHConfigList (config id 0x$ECH_ID, public name $ECH_PUBLIC), so Chromium sends QUIC v1 Initials to $S4:443 whose ClientHello has SNI $ECH_PUBLIC and an outer ECH extension for config 0x$ECH_ID; UDP 443 only swallows datagrams, so Chromium retransmits and falls back to TCP (hellos as in ech_chromium.pcap)"
describe ip_literal.pcap "SNI-less TLS: dig help.acme-corp.example (CNAME acme.zendesk.com, A $S4), then curl -k https://$S4/ and openssl s_client -noservername to $S4:443 (no server_name: attributable through the answer), and openssl s_client -noservername to $S4B:443 (no DNS name points there: not attributable)"
describe encrypted_dns.pcap "Encrypted DNS: dig +tls @$S4 (DNS over TLS, port 853, openssl s_server) and curl --doh-url https://dns.google/dns-query (DNS over HTTPS: a ClientHello with SNI dns.google to $S4:443)"
describe http_plain.pcap "Plain HTTP/1.1 from curl: GET http://status.helpjuice.com/ (port 80) and GET http://acme.zendesk.com:8080/ against python3 http.server"
describe ssh_other.pcap "TCP that is neither TLS nor HTTP: dig ssh.acme-corp.example (A $S4), then OpenSSH ssh to $S4:22 (resolved) and to $S4B:22 (never resolved) against a banner-only server: the client sends its version line and KEXINIT"

write_truth() {
    rm -rf "$OUT"; mkdir -p "$OUT"
    local f rows=$WORK/manifest.rows
    : >"$rows"
    for f in $(printf '%s\n' "${!EXERCISE[@]}" | sort); do
        take_capture "$f" || continue
        local json lt fmt np sz tls dns split qnames snis
        json=$(python3 "$GEN_TRUTH" "$OUT/$f" "$OUT/$f")
        read -r lt fmt np sz < <(capture_facts "$OUT/$f")
        read -r tls dns split < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["tls"], j["dns"], j["split_ch"])' "$json")
        qnames=$(awk -F'\t' 'NR > 1 && $1 == "dns" {print $6}' "$OUT/$f.truth.tsv" | sort -u | paste -sd,)
        snis=$(awk -F'\t' 'NR > 1 && $1 == "tls" {print $6}' "$OUT/$f.truth.tsv" | sort -u | paste -sd,)
        printf 'hidden/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$lt" "$fmt" "$np" "$sz" \
            "$tls" "$dns" "$split" "${EXERCISE[$f]}" "$C4" "$S4,$S4B" "$qnames" "$snis" "" >>"$rows"
        if [ "$sz" -lt $MAXSIZE ]; then
            log "ok   $f: $lt/$fmt, $np packets, $sz bytes, tls=$tls dns=$dns sni=$snis"
        else
            log "BAD  $f: $sz bytes (limit $MAXSIZE)"; FAILED+=("$f (size)")
        fi
    done
    manifest_replace hidden "$rows"
}

# -------------------------------------------------------------------------- main
setup_net
start_servers
run_step scen_ech
run_step scen_ech_quic
run_step scen_ip_literal
run_step scen_encrypted_dns
run_step scen_http
run_step scen_ssh
write_truth
exit_if_failed
