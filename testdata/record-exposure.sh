#!/usr/bin/env bash
# Records the captures of insecure integrations and self-hosted help desks, in
# testdata/captures/exposure/, from real clients and servers that talk only inside two private
# network namespaces made here (sde-cli <-> sde-srv, one veth pair, 10.99.70.0/24 and
# fd00:99:70::/64, no default route).
#
#   sudo testdata/record-exposure.sh      # (re)writes testdata/captures/exposure/*
#
# Server namespace: dnsmasq (the client's resolver), testdata/exposure_server.py on
# 10.99.70.2:80 (vendor names: any request answered 200) and on 10.99.70.3:80 and :443 (the
# self-hosted help desks' saved login pages, TLS 1.2 at most), openssl s_server on
# 10.99.70.2:443 accepting every version and suite (@SECLEVEL=0).
#
# Captures:
#   exposure_http.pcap  curl and Python urllib to acme.zendesk.com and acme.freshdesk.com over
#                       plain HTTP, with Basic auth, a Bearer token, an X-API-Key header, an
#                       api_key query parameter and a session cookie (secrets.txt lists every
#                       secret value sent: the test checks none reaches any output).
#   weak_tls.pcap       openssl s_client -tls1, -tls1_1 (DEFAULT:@SECLEVEL=0) and -tls1_2 with
#                       only NULL-SHA256 to acme.zendesk.com.
#   selfhosted_http.pcap  headless Chromium loading each self-hosted product's login page
#                       over plain HTTP (names in SELFHOSTED below).
#   selfhosted_tls.pcap   the same over HTTPS with --ssl-version-max=tls1.2.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/captures/exposure"
SITES="$HERE/selfhosted"

TAG=record-exposure
CLI=sde-cli SRV=sde-srv VC=sde-veth-c VS=sde-veth-s
C4=10.99.70.1 S4=10.99.70.2 S4B=10.99.70.3
C6=fd00:99:70::1 S6=fd00:99:70::2
CAPFILTER="host $S4 or host $S4B or host $S6"

# The secrets the clients send. None may appear in any output of shadowdesk.
BASIC_USER=sdx-integration
BASIC_PASS=SDXbasicPass4711
BEARER=SDXbearerTok8812
HDR_KEY=SDXhdrKey5521
QRY_KEY=SDXqryKey9934
COOKIE=SDXcookieVal6678
PY_PASS=SDXpyPass3190
PY_KEY=SDXpyKey2207

# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"

APT_PKGS=(iproute2 iputils-ping ethtool tcpdump openssl curl dnsmasq-base chromium python3)
for b in ip ping ethtool tcpdump openssl curl dnsmasq chromium python3; do
    if ! command -v "$b" >/dev/null; then
        log "installing Debian packages: ${APT_PKGS[*]}"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PKGS[@]}" >&2
        break
    fi
done

WORK=$(mktemp -d /tmp/sde-record.XXXXXX)
chmod 755 "$WORK"
on_exit_clean_up

# The self-hosted help desks: one folder of $SITES each, named for the host that serves it.
SELFHOSTED=()
for d in "$SITES"/*/; do
    [ -s "$d/body.html" ] && SELFHOSTED+=("$(basename "$d")")
done

start_servers() {
    insrv ip addr add "$S4B/24" dev "$VS"
    local san="DNS:acme.zendesk.com,DNS:acme.freshdesk.com" h rr=()
    for h in "${SELFHOSTED[@]}"; do
        san="$san,DNS:$h"
        rr+=(--host-record="$h,$S4B")
    done
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=acme.zendesk.com" \
        -addext "subjectAltName=DNS:acme.zendesk.com" \
        -keyout "$WORK/vendor.key" -out "$WORK/vendor.pem" 2>/dev/null
    # The help desks' own certificate: CN the first, SAN every self-hosted name.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=${SELFHOSTED[0]:-helpdesk.corp.example}" \
        -addext "subjectAltName=$san" \
        -keyout "$WORK/sh.key" -out "$WORK/sh.pem" 2>/dev/null
    insrv dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address="$S4" \
        --log-facility=- \
        --host-record=acme.zendesk.com,"$S4" --host-record=acme.freshdesk.com,"$S4" "${rr[@]}" \
        >"$WORK/dnsmasq.log" 2>&1 &
    PIDS+=($!)
    wait_listen u "$S4:53"
    mkdir -p "/etc/netns/$CLI"
    echo "nameserver $S4" >"/etc/netns/$CLI/resolv.conf"
    insrv openssl s_server -accept "$S4:443" -cert "$WORK/vendor.pem" -key "$WORK/vendor.key" \
        -cipher 'ALL:eNULL:@SECLEVEL=0' -www -quiet >"$WORK/s_server.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4:443"
    insrv python3 "$HERE/exposure_server.py" "$S4" 80 "$SITES" >"$WORK/http_vendor.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4:80"
    insrv python3 "$HERE/exposure_server.py" "$S4B" 80 "$SITES" >"$WORK/http_sh.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4B:80"
    insrv python3 "$HERE/exposure_server.py" "$S4B" 443 "$SITES" "$WORK/sh.pem" "$WORK/sh.key" \
        >"$WORK/https_sh.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4B:443"
    log "servers up; self-hosted sites: ${SELFHOSTED[*]}"
}

scen_http() {
    cap_start exposure_http
    local z=http://acme.zendesk.com f=http://acme.freshdesk.com
    incli curl -sS --max-time 5 -o /dev/null -u "$BASIC_USER:$BASIC_PASS" -X POST \
        -H 'Content-Type: application/json' -d '{"ticket":{"subject":"printer"}}' "$z/api/v2/tickets.json"
    incli curl -sS --max-time 5 -o /dev/null -H "Authorization: Bearer $BEARER" "$z/api/v2/users/me.json"
    incli curl -sS --max-time 5 -o /dev/null -H "X-API-Key: $HDR_KEY" "$f/api/v2/tickets?page=2"
    incli curl -sS --max-time 5 -o /dev/null "$z/api/v2/search.json?query=status%3Aopen&api_key=$QRY_KEY"
    incli curl -sS --max-time 5 -o /dev/null -b "_zendesk_session=$COOKIE" "$z/agent/dashboard"
    incli python3 - "$f" "$PY_PASS" "$PY_KEY" <<'EOF'
import base64, sys, urllib.request
base, pw, key = sys.argv[1:4]
auth = base64.b64encode(f"py-bot:{pw}".encode()).decode()
req = urllib.request.Request(f"{base}/api/v2/contacts", data=b'{"name":"x"}', method="POST",
                             headers={"Authorization": f"Basic {auth}", "api-key": key,
                                      "Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=5).read()
EOF
    cap_stop
}

scen_weak_tls() {
    cap_start weak_tls
    local v
    for v in -tls1 -tls1_1; do
        incli timeout 5 openssl s_client "$v" -cipher 'DEFAULT:@SECLEVEL=0' -connect "$S4:443" \
            -servername acme.zendesk.com </dev/null >"$WORK/s_client$v.log" 2>&1 || true
        grep -E "Protocol *:" "$WORK/s_client$v.log" | sed "s/^/[$TAG]   $v: /" >&2 || true
    done
    incli timeout 5 openssl s_client -tls1_2 -cipher 'NULL-SHA256:@SECLEVEL=0' -connect "$S4:443" \
        -servername acme.zendesk.com </dev/null >"$WORK/s_client_null.log" 2>&1 || true
    grep -E "Cipher *:" "$WORK/s_client_null.log" | sed "s/^/[$TAG]   null: /" >&2 || true
    cap_stop
}

# chromium_visit <url> <chromium options...>: one headless page load (the capture runs).
chromium_visit() {
    local url=$1 ud
    shift
    ud=$(mktemp -d "$WORK/chromium.XXXXXX")
    incli env HOME="$ud" timeout -k 5 40 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-extensions --no-default-browser-check --disable-quic \
        --user-data-dir="$ud" --ignore-certificate-errors "$@" \
        --dump-dom "$url" >"$WORK/chromium.dom" 2>"$WORK/chromium.err" \
        || log "chromium exited with $? for $url"
    grep -o '<title>[^<]*' "$WORK/chromium.dom" | head -1 | sed "s|^|[$TAG]   $url: |" >&2 || true
}

scen_selfhosted() {
    local h
    cap_start selfhosted_http
    for h in "${SELFHOSTED[@]}"; do chromium_visit "http://$h/$(cat "$SITES/$h/path" 2>/dev/null)"; done
    cap_stop
    cap_start selfhosted_tls
    for h in "${SELFHOSTED[@]}"; do
        chromium_visit "https://$h/$(cat "$SITES/$h/path" 2>/dev/null)" --ssl-version-max=tls1.2
    done
    cap_stop
}

write_out() {
    rm -rf "$OUT"; mkdir -p "$OUT"
    local f
    for f in exposure_http.pcap weak_tls.pcap selfhosted_http.pcap selfhosted_tls.pcap; do
        take_capture "$f" || continue
        log "ok   $f: $(capture_facts "$OUT/$f")"
    done
    {
        echo "# Every secret value record-exposure.sh sent; none may appear in any output."
        printf '%s\n' "$BASIC_PASS" "$BEARER" "$HDR_KEY" "$QRY_KEY" "$COOKIE" "$PY_PASS" "$PY_KEY"
        printf '%s' "$BASIC_USER:$BASIC_PASS" | base64
        printf '%s' "py-bot:$PY_PASS" | base64
        # The self-hosted servers' session cookie values (testdata/selfhosted/*/headers.txt).
        grep -ho 'SDXsrv[A-Za-z0-9]*' "$SITES"/*/headers.txt | sort -u
    } >"$OUT/secrets.txt"
}

setup_net
start_servers
run_step scen_http
run_step scen_weak_tls
run_step scen_selfhosted
write_out
exit_if_failed
