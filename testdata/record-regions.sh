#!/usr/bin/env bash
# Records testdata/captures/regions/regions.pcap: regional vendor hostnames resolved and
# connected to, for the data-region rules of the catalog (issue 16), from real clients and
# servers that talk only inside two private network namespaces made here (sdr-cli <-> sdr-srv,
# one veth pair, 10.99.77.0/24 and fd00:99:77::/64, no default route).
#
#   sudo testdata/record-regions.sh      # (re)writes testdata/captures/regions/*
#
# Server namespace: dnsmasq (the client's resolver, /etc/netns/sdr-cli/resolv.conf) answers
# every name below with 10.99.77.2; openssl s_server on 443 with a certificate for them all.
# Client: for each name, dig (A) and then curl -k https://<name>/ through that resolver, so
# the capture holds the DNS query and answer and a TLS ClientHello whose SNI is the name:
#   api.eu.intercom.io         Intercom REST API, EU region   (catalog: region eu *.eu.intercom.io)
#   app.eu.intercom.com        Intercom workspace, EU region  (catalog: region eu app.eu.intercom.com)
#   acme.kustomerapp.com       Kustomer org "acme" (the name shows no region)
#   api.prod2.kustomerapp.com  Kustomer regional API host, EU (catalog: region eu api.prod2.kustomerapp.com)
#   acme.zendesk.com           Zendesk tenant "acme" (Zendesk names show no region)
#
# The capture gets tshark's truth (gen_truth.py) and a row in MANIFEST.tsv (only the regions/
# rows are replaced). Env: GEN_TRUTH=/path/gen_truth.py
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/captures/regions"
GEN_TRUTH=${GEN_TRUTH:-/work/shared/pcaps/public/gen_truth.py}

TAG=record-regions
CLI=sdr-cli SRV=sdr-srv VC=sdr-veth-c VS=sdr-veth-s
C4=10.99.77.1 S4=10.99.77.2
C6=fd00:99:77::1 S6=fd00:99:77::2
CAPFILTER="host $S4 or host $S6"
MAXSIZE=204800
NAMES=(api.eu.intercom.io app.eu.intercom.com acme.kustomerapp.com api.prod2.kustomerapp.com acme.zendesk.com)

# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ -r "$GEN_TRUTH" ] || die "gen_truth.py not found at $GEN_TRUTH (set GEN_TRUTH=...)"

APT_PKGS=(iproute2 iputils-ping ethtool tcpdump openssl curl dnsmasq-base bind9-dnsutils tshark python3)
for b in ip ping ethtool tcpdump openssl curl dnsmasq dig tshark python3; do
    if ! command -v "$b" >/dev/null; then
        log "installing Debian packages: ${APT_PKGS[*]}"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PKGS[@]}" >&2
        break
    fi
done

WORK=$(mktemp -d /tmp/sdr-record.XXXXXX)
chmod 755 "$WORK"
on_exit_clean_up

start_servers() {
    local san="" records=() n
    for n in "${NAMES[@]}"; do
        san="${san:+$san,}DNS:$n"
        records+=(--host-record="$n,$S4")
    done
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=shadowdesk-test" \
        -addext "subjectAltName=$san" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    insrv dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address="$S4" \
        --log-queries --log-facility=- "${records[@]}" >"$WORK/dnsmasq.log" 2>&1 &
    PIDS+=($!)
    wait_listen u "$S4:53"
    mkdir -p "/etc/netns/$CLI"
    echo "nameserver $S4" >"/etc/netns/$CLI/resolv.conf"
    insrv openssl s_server -accept 443 -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
        >"$WORK/s_server.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "*:443"
    log "servers up: dnsmasq, s_server 443"
}

scen_regions() {
    cap_start regions
    local n
    for n in "${NAMES[@]}"; do
        incli dig +short @"$S4" "$n" A >&2
        # curl asks the namespace's resolver (dnsmasq) itself: a second query and answer.
        incli curl -sk --max-time 5 -o /dev/null "https://$n/"
    done
    cap_stop
}

write_truth() {
    rm -rf "$OUT"; mkdir -p "$OUT"
    local f=regions.pcap rows=$WORK/manifest.rows
    : >"$rows"
    take_capture "$f" || return 0
    local json lt fmt np sz tls dns split qnames snis
    json=$(python3 "$GEN_TRUTH" "$OUT/$f" "$OUT/$f")
    read -r lt fmt np sz < <(capture_facts "$OUT/$f")
    read -r tls dns split < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["tls"], j["dns"], j["split_ch"])' "$json")
    qnames=$(awk -F'\t' 'NR > 1 && $1 == "dns" {print $6}' "$OUT/$f.truth.tsv" | sort -u | paste -sd,)
    snis=$(awk -F'\t' 'NR > 1 && $1 == "tls" {print $6}' "$OUT/$f.truth.tsv" | sort -u | paste -sd,)
    printf 'regions/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$lt" "$fmt" "$np" "$sz" \
        "$tls" "$dns" "$split" \
        "Regional vendor names: dig (A) then curl -k https:// for each of ${NAMES[*]}, resolved by dnsmasq to $S4 (openssl s_server)" \
        "$C4" "$S4" "$qnames" "$snis" "" >>"$rows"
    if [ "$sz" -lt $MAXSIZE ]; then
        log "ok   $f: $lt/$fmt, $np packets, $sz bytes, tls=$tls dns=$dns sni=$snis"
    else
        log "BAD  $f: $sz bytes (limit $MAXSIZE)"; FAILED+=("$f (size)")
    fi
    manifest_replace regions "$rows"
}

setup_net
start_servers
run_step scen_regions
write_truth
exit_if_failed
