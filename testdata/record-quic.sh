#!/usr/bin/env bash
# Records shadowdesk's QUIC test captures in testdata/captures/quic/ from real
# clients and a real server that talk only inside two private network
# namespaces made here (sdq-cli <-> sdq-srv, one veth pair, 10.99.30.0/24 and
# fd00:99:30::/64).  Neither namespace has a default route.
#
#   sudo testdata/record-quic.sh       # (re)writes testdata/captures/quic/*
#
# Server: testdata/quic_server.py serve (aioquic, HTTP/3, QUIC v1 and v2, UDP 443,
#   throwaway self-signed certificate).
# Clients: headless Chromium forced onto QUIC (--origin-to-force-quic-on), and
#   testdata/quic_server.py get (aioquic) with QUIC version 1 and version 2.
#
# aioquic is pip-installed into a venv in this script's temp directory (deleted
# on exit), never into the project or the system python.  Missing Debian
# packages are installed with apt-get.  This script replaces only
# captures/quic/ and the MANIFEST.tsv rows whose file starts with "quic/"; it
# does not touch record.sh's or record-more.sh's namespaces or files.  Run it
# after record.sh (record.sh deletes all of captures/ and rewrites MANIFEST.tsv
# keeping only the more/ rows).
#
# Env: GEN_TRUTH=/path/gen_truth.py   AIOQUIC_SPEC="aioquic==1.7.2" (pip spec)
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/captures/quic"
GEN_TRUTH=${GEN_TRUTH:-/work/shared/pcaps/public/gen_truth.py}
QSCRIPT="$HERE/quic_server.py"
AIOQUIC_SPEC=${AIOQUIC_SPEC:-aioquic==1.7.2}

CLI=sdq-cli
SRV=sdq-srv
VC=sdq-veth-c         # client end (lives in $CLI)
VS=sdq-veth-s         # server end (lives in $SRV)
C4=10.99.30.1
S4=10.99.30.2
C6=fd00:99:30::1
S6=fd00:99:30::2
CAPFILTER="host $S4 or host $S6"
MAXSIZE=204800        # every capture must stay under 200 KB

TAG=record-quic
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ -r "$GEN_TRUTH" ] || die "gen_truth.py not found at $GEN_TRUTH (set GEN_TRUTH=...)"
[ -r "$QSCRIPT" ] || die "missing $QSCRIPT"

# ------------------------------------------------------------ dependencies
APT_PKGS=(iproute2 iputils-ping ethtool tcpdump openssl chromium tshark wireshark-common python3 python3-venv)
need_apt=0
for b in ip ping ethtool tcpdump openssl chromium tshark capinfos python3; do
    command -v "$b" >/dev/null || need_apt=1
done
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt=1
if [ $need_apt = 1 ]; then
    log "installing Debian packages: ${APT_PKGS[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PKGS[@]}" >&2 \
        || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${APT_PKGS[@]}" >&2; }
fi

WORK=$(mktemp -d /tmp/sdq-record.XXXXXX)
chmod 755 "$WORK"
on_exit_clean_up

log "creating venv with $AIOQUIC_SPEC in $WORK/venv"
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check "$AIOQUIC_SPEC" >&2 || die "pip install $AIOQUIC_SPEC failed"
PY=$WORK/venv/bin/python
log "aioquic $("$PY" -c 'import aioquic; print(aioquic.__version__)')"

# ------------------------------------------------------------------ servers
start_servers() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=shadowdesk-test" \
        -addext "subjectAltName=DNS:acme.zendesk.com,DNS:docs.helpscout.net,DNS:widget.intercom.io" \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    insrv "$PY" -u "$QSCRIPT" serve --host "$S4" --port 443 --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
        >"$WORK/quic_server.log" 2>&1 &
    PIDS+=($!)
    wait_listen u "$S4:443"
    log "aioquic HTTP/3 server up on udp $S4:443"
}

# ---------------------------------------------------------------- scenarios
scen_chromium() {   # chromium_quic.pcap: headless Chromium forced onto QUIC for acme.zendesk.com
    local ud spki
    ud=$(mktemp -d "$WORK/chromium.XXXXXX")
    # Chromium's QUIC stack ignores --ignore-certificate-errors (the handshake fails with
    # CRYPTO_ERROR 0x12e "certificate unknown", net::ERR_QUIC_PROTOCOL_ERROR), but it honours
    # --ignore-certificate-errors-spki-list with the SHA-256 of the throwaway key's SPKI.
    spki=$(openssl x509 -in "$WORK/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der \
        | openssl dgst -sha256 -binary | base64)
    cap_start chromium_quic
    # --host-resolver-rules: the one test host maps to the server namespace, every other
    # name fails inside chromium (~NOTFOUND), so it never resolves a real name.
    # --origin-to-force-quic-on: HTTP/3 straight away, no TCP first and no Alt-Svc.
    incli env HOME="$ud" XDG_CONFIG_HOME="$ud/.config" XDG_CACHE_HOME="$ud/.cache" \
        timeout -k 5 40 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-extensions --no-default-browser-check \
        --disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication \
        --user-data-dir="$ud" --host-resolver-rules="MAP acme.zendesk.com $S4, MAP * ~NOTFOUND" \
        --ignore-certificate-errors --ignore-certificate-errors-spki-list="$spki" --enable-quic --origin-to-force-quic-on=acme.zendesk.com:443 \
        --dump-dom https://acme.zendesk.com/ >"$WORK/chromium.dom" 2>"$WORK/chromium.err" \
        || log "chromium exited with $?"
    cap_stop
    if grep -q "hello over HTTP/3" "$WORK/chromium.dom"; then
        log "chromium loaded the page over HTTP/3"
    else
        log "chromium did not load the page:"; tail -5 "$WORK/chromium.err" >&2
        return 1
    fi
}

scen_aioquic() {   # aioquic_v1.pcap / aioquic_v2.pcap
    local v=$1 sni=$2
    cap_start "aioquic_v$v"
    incli "$PY" "$QSCRIPT" get --host "$S4" --port 443 --sni "$sni" --version "$v" >"$WORK/aioquic_v$v.out" 2>&1 \
        || { cap_stop; cat "$WORK/aioquic_v$v.out" >&2; return 1; }
    cap_stop
    log "aioquic v$v ($sni): $(tail -1 "$WORK/aioquic_v$v.out")"
}

# ------------------------------------------------------------------- truth
# describe <file> <exp quic rows> <exp split rows> <quic version (tshark)> <sni> <exercises>
declare -A EXP EXERCISE SNIS QVER
describe() { EXP[$1]="$2 $3"; QVER[$1]=$4; SNIS[$1]=$5; EXERCISE[$1]=$6; }
describe chromium_quic.pcap 1+ 1+ 0x00000001 acme.zendesk.com \
    "QUIC v1 Initial from headless Chromium forced onto HTTP/3 (--origin-to-force-quic-on): its ClientHello (X25519MLKEM768 key share) is larger than one Initial, so the CRYPTO data spans 2 client Initial packets (each a 1250-byte UDP datagram), with Chromium's chaos protection (CRYPTO frames out of order, PING and PADDING in between)"
describe aioquic_v1.pcap 1 0 0x00000001 docs.helpscout.net \
    "QUIC v1 Initial from an aioquic HTTP/3 client (quic_server.py get): the ClientHello fits in one CRYPTO frame of one Initial"
describe aioquic_v2.pcap 1 0 0x6b3343cf widget.intercom.io \
    "QUIC version 2 (RFC 9369, 0x6b3343cf, v2 Initial salt and long-header type bits) Initial from the aioquic client offering only v2; one CRYPTO frame"

CLIENT_INITIAL="udp.dstport == 443 && quic.header_form == 1 && ((quic.version == 0x00000001 && quic.long.packet_type == 0) || (quic.version == 0x6b3343cf && quic.long.packet_type_v2 == 1))"   # tshark 4.0: separate field for v2 type bits
count_ok() { case $2 in *+) [ "$1" -ge "${2%+}" ] ;; *) [ "$1" -eq "$2" ] ;; esac; }

write_truth() {
    rm -rf "$OUT"; mkdir -p "$OUT"
    local f rows=$WORK/manifest.rows
    : >"$rows"
    for f in $(printf '%s\n' "${!EXERCISE[@]}" | sort); do
        take_capture "$f" || continue
        local json lt fmt np sz quic tls dns split qv eq es inits snis_got
        json=$(python3 "$GEN_TRUTH" "$OUT/$f" "$OUT/$f" | sed "s#$OUT/##")
        read -r lt fmt np sz < <(capture_facts "$OUT/$f")
        read -r quic tls dns split qv < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["quic"], j["tls"], j["dns"], j["split_quic"], ",".join(j["quic_versions"]) or "-")' "$json")
        # client datagrams to UDP 443 with a long-header Initial (type bits 00 in v1, 01 in v2)
        inits=$(tshark -n -r "$OUT/$f" -Y "$CLIENT_INITIAL" 2>/dev/null | wc -l)
        snis_got=$(awk -F'\t' 'NR > 1 && $1 == "quic" {print $6}' "$OUT/$f.truth.tsv" | sort -u | paste -sd,)
        # MANIFEST: truth_tls_rows holds the number of `quic` truth rows (TLS ClientHellos in
        # QUIC Initials), split_clienthello the number of those whose CRYPTO data spans 2+ frames
        printf 'quic/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$lt" "$fmt" "$np" "$sz" "$quic" "$dns" "$split" \
            "${EXERCISE[$f]}" "$C4" "$S4" "" "${SNIS[$f]}" "" >>"$rows"
        read -r eq es <<<"${EXP[$f]}"
        if count_ok "$quic" "$eq" && count_ok "$split" "$es" && [ "$tls" = 0 ] && [ "$dns" = 0 ] \
            && [ "$snis_got" = "${SNIS[$f]}" ] && [ "$qv" = "${QVER[$f]}" ] && [ "$inits" -ge 1 ] && [ "$sz" -lt $MAXSIZE ]; then
            log "ok   $f: $lt/$fmt, $np packets, $sz bytes, $inits client Initials, quic=$quic split=$split version=$qv sni=$snis_got"
        else
            log "BAD  $f: $lt/$fmt, $np packets, $sz bytes, $inits client Initials, quic=$quic (want $eq) split=$split (want $es) tls=$tls dns=$dns version=$qv (want ${QVER[$f]}) sni=$snis_got (want ${SNIS[$f]})"
            FAILED+=("$f")
        fi
    done
    manifest_replace quic "$rows"
}

verify_chromium() {   # how Chromium's ClientHello is laid out over its Initials
    local f=$OUT/chromium_quic.pcap
    [ -s "$f" ] || return 0
    log "chromium client Initials (frame, UDP length, CRYPTO offset:length per frame):"
    tshark -n -r "$f" -Y "$CLIENT_INITIAL" -T fields \
        -e frame.number -e udp.length -e quic.version -e quic.crypto.offset -e quic.crypto.length \
        -E occurrence=a -E aggregator=, 2>/dev/null | while IFS=$'\t' read -r fr ul ver off len; do
            log "  frame $fr: udp $ul, version $ver, crypto offsets [$off] lengths [$len]"
        done
    tshark -n -r "$f" -Y "tls.handshake.type == 1" -T fields -e tls.handshake.extensions_key_share_group \
        -E occurrence=a -E aggregator=, 2>/dev/null | grep -qw 4588 \
        && log "  X25519MLKEM768 (0x11ec) key share present" \
        || log "  note: no X25519MLKEM768 (0x11ec) key share in the chromium ClientHello"
    awk -F'\t' 'NR > 1 {print "[record-quic]   truth-detail: frame " $1 " " $8 " " $9}' "$f.truth-detail.tsv" >&2
}

# -------------------------------------------------------------------- main
setup_net
start_servers
run_step scen_chromium
run_step scen_aioquic 1 docs.helpscout.net
run_step scen_aioquic 2 widget.intercom.io
write_truth
verify_chromium
du -sh "$OUT" | sed 's/^/[record-quic] total /' >&2
exit_if_failed
log "all $(ls "$OUT"/*.pcap | wc -l) captures have their expected quic truth rows"
