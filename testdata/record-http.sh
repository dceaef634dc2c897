#!/usr/bin/env bash
# Records plain HTTP requests with long request lines, in testdata/captures/http/, from curl
# against python3 http.server inside two private network namespaces made here
# (sdl-cli <-> sdl-srv, one veth pair, 10.99.81.0/24 and fd00:99:81::/64, no default route).
#
#   sudo testdata/record-http.sh      # (re)writes testdata/captures/http/*
#
# Captures:
#   long_url.pcap  curl GET http://widget.intercom.io/collect?... with a 3 KB request line
#                  (an analytics beacon's shape: past the 1 KiB a text command may have, within
#                  the 8 KiB head bound), then GET http://acme.zendesk.com/collect?... with a
#                  10 KB request line (past the head bound: counted, not read).
#
# Each capture gets tshark's view of its requests (<pcap>.http.tsv: http.host, then
# http.request.uri), tshark's TLS/DNS truth (gen_truth.py) and a row in MANIFEST.tsv (only the
# http/ rows are replaced). Env: GEN_TRUTH=/path/gen_truth.py
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/captures/http"
GEN_TRUTH=${GEN_TRUTH:-/work/shared/pcaps/public/gen_truth.py}

TAG=record-http
CLI=sdl-cli SRV=sdl-srv VC=sdl-veth-c VS=sdl-veth-s
C4=10.99.81.1 S4=10.99.81.2
C6=fd00:99:81::1 S6=fd00:99:81::2
CAPFILTER="host $S4 or host $S6"
MAXSIZE=204800

# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ -r "$GEN_TRUTH" ] || die "gen_truth.py not found at $GEN_TRUTH (set GEN_TRUTH=...)"

APT_PKGS=(iproute2 iputils-ping ethtool tcpdump curl tshark python3)
for b in ip ping ethtool tcpdump curl tshark python3; do
    if ! command -v "$b" >/dev/null; then
        log "installing Debian packages: ${APT_PKGS[*]}"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PKGS[@]}" >&2
        break
    fi
done

WORK=$(mktemp -d /tmp/record-http.XXXXXX)
on_exit_clean_up

start_servers() {
    mkdir -p "$WORK/www" && echo "beacon" >"$WORK/www/collect"
    insrv python3 -m http.server 80 --bind "$S4" --directory "$WORK/www" >"$WORK/http_80.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4:80"
}

# query <bytes>: a beacon-like query string of that many bytes (names and values, no secrets)
query() {
    python3 -c 'import sys; n = int(sys.argv[1]); q = "v=1&t=pageview&dl=https%3A%2F%2Fapp.example%2F&cd="; print((q + "x" * n)[:n])' "$1"
}

scen_long_url() {
    cap_start long_url
    incli curl -s --max-time 5 -o /dev/null --resolve "widget.intercom.io:80:$S4" \
        "http://widget.intercom.io/collect?$(query 3000)"
    # python3 http.server answers 414 past 65536 bytes; 10 KB is read and answered 404.
    incli curl -s --max-time 5 -o /dev/null --resolve "acme.zendesk.com:80:$S4" \
        "http://acme.zendesk.com/collect?$(query 10000)"
    cap_stop
}

declare -A EXERCISE
describe() { EXERCISE[$1]=$2; }
describe long_url.pcap "Plain HTTP/1.1 from curl with long request lines against python3 http.server on $S4:80: GET http://widget.intercom.io/collect?<3000-byte query> (request line past 1 KiB, head within 8 KiB) and GET http://acme.zendesk.com/collect?<10000-byte query> (head past 8 KiB)"

write_truth() {
    rm -rf "$OUT"; mkdir -p "$OUT"
    local f rows=$WORK/manifest.rows
    : >"$rows"
    for f in $(printf '%s\n' "${!EXERCISE[@]}" | sort); do
        take_capture "$f" || continue
        local json lt fmt np sz tls dns split
        json=$(python3 "$GEN_TRUTH" "$OUT/$f" "$OUT/$f")
        read -r lt fmt np sz < <(capture_facts "$OUT/$f")
        read -r tls dns split < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["tls"], j["dns"], j["split_ch"])' "$json")
        tshark -n -r "$OUT/$f" -Y http.request -T fields -e http.host -e http.request.uri >"$OUT/$f.http.tsv"
        printf 'http/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$lt" "$fmt" "$np" "$sz" \
            "$tls" "$dns" "$split" "${EXERCISE[$f]}" "$C4" "$S4" "" "" "" >>"$rows"
        log "$f: $(awk -F'\t' '{print $1 " uri " length($2) " bytes"}' "$OUT/$f.http.tsv" | paste -sd,)"
        if [ "$sz" -lt $MAXSIZE ]; then
            log "ok   $f: $lt/$fmt, $np packets, $sz bytes"
        else
            log "BAD  $f: $sz bytes (limit $MAXSIZE)"; FAILED+=("$f (size)")
        fi
    done
    manifest_replace http "$rows"
}

setup_net
start_servers
run_step scen_long_url
write_truth
exit_if_failed
