#!/usr/bin/env bash
# Records testdata/office/office_day.pcap: an "office day" compressed into about 11 minutes, in
# which five client hosts with known roles use customer-support SaaS vendors through their real
# hostnames (issue 12). Every packet comes from a real client: headless Chromium (pages that
# embed the vendors' widget scripts, sustained sessions in agent consoles), curl and a Python
# urllib API connector; dnsmasq answers DNS (with CNAMEs from our own and third-party domains),
# nginx answers HTTPS (HTTP/2, TLS 1.3) with a certificate per name from a CA made here.
#
#   sudo testdata/record-office.sh          # (re)writes testdata/office/*, about 12 minutes
#   TS=0.2 sudo testdata/record-office.sh   # every wait x0.2: a 2-3 minute dry run (not committed)
#
# Network (all namespaces made here; no default route anywhere; only 10.99.50.0/24 and
# 10.99.60.0/24 exist):
#   sdo-srv   bridge sdo-br 10.99.50.1/24 (dnsmasq on :53); the vendors' and websites' addresses
#             10.99.60.x/32 on lo, where nginx listens on :443; the clients route 10.99.60.0/24
#             via 10.99.50.1. tcpdump on sdo-br sees every client's traffic.
#   sdo-h1..h5  one client host each, 10.99.50.11 .. 10.99.50.15, veth into the bridge.
#
# The hosts and what each is made to do are in HOSTS below and in office/EXPECTED.tsv (the
# independent reference for roles, written from this script, never from a program's output).
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/office"
GEN_TRUTH=${GEN_TRUTH:-/work/shared/pcaps/public/gen_truth.py}
TS=${TS:-1}
SYSPY=/usr/bin/python3

TAG=record-office
SRV=sdo-srv
CLI=sdo-h1                 # lib.sh's name for "a client namespace"; the others are cleaned below
BR=sdo-br
GW=10.99.50.1
NET=10.99.60
CAPFILTER="ip"
MAXSIZE=$((5 * 1024 * 1024))
HOSTNS=(sdo-h1 sdo-h2 sdo-h3 sdo-h4 sdo-h5)
declare -A HOSTIP=([sdo-h1]=10.99.50.11 [sdo-h2]=10.99.50.12 [sdo-h3]=10.99.50.13 [sdo-h4]=10.99.50.14 [sdo-h5]=10.99.50.15)

# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ -r "$GEN_TRUTH" ] || die "gen_truth.py not found at $GEN_TRUTH (set GEN_TRUTH=...)"
APT_PKGS=(iproute2 iputils-ping ethtool tcpdump openssl curl dnsmasq-base nginx chromium tshark python3)
for b in ip ping ethtool tcpdump openssl curl dnsmasq nginx chromium tshark capinfos "$SYSPY"; do
    if ! command -v "$b" >/dev/null; then
        log "installing Debian packages: ${APT_PKGS[*]}"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PKGS[@]}" >&2
        break
    fi
done

WORK=$(mktemp -d /tmp/sdo-record.XXXXXX)
chmod 755 "$WORK"

cleanup() {
    local rc=$? p ns
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    for ns in "${HOSTNS[@]}" "$SRV"; do
        kill_ns_procs "$ns"
        ip netns del "$ns" 2>/dev/null
        rm -rf "/etc/netns/$ns"
    done
    rm -rf "$WORK"
    [ $rc = 0 ] && log "done" || log "failed (rc=$rc)"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

inns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# pause <seconds>: a wait on the day's clock (scaled by TS)
pause() { sleep "$(awk -v s="$1" -v t="$TS" 'BEGIN { printf "%.2f", s * t }')"; }
secs() { awk -v s="$1" -v t="$TS" 'BEGIN { printf "%d", s * t + 1 }'; }

# ------------------------------------------------------------------------ names
# Each name on its own address, as the vendors' names are (and so that Chromium cannot pool one
# HTTP/2 connection for two names: it only does that for names that share an address).
declare -A ADDR=(
    [accounts.zendesk.com]=$NET.10 [acme-corp.zendesk.com]=$NET.11 [exampleshop.zendesk.com]=$NET.12
    [static.zdassets.com]=$NET.13 [ekr.zdassets.com]=$NET.14
    [widget.intercom.io]=$NET.20 [js.intercomcdn.com]=$NET.21 [api-iam.intercom.io]=$NET.22
    [api.intercom.io]=$NET.23 [app.intercom.com]=$NET.24 [static.intercomassets.com]=$NET.25
    [js.hs-scripts.com]=$NET.30 [js.hs-analytics.net]=$NET.31 [track.hubspot.com]=$NET.32
    [api.hubapi.com]=$NET.33 [js.usemessages.com]=$NET.34
    [beacon-v2.helpscout.net]=$NET.40 [beaconapi.helpscout.net]=$NET.41 [secure.helpscout.net]=$NET.42
    [acme.kustomerapp.com]=$NET.50 [acme.api.kustomerapp.com]=$NET.51
    [www.shop-example.test]=$NET.60 [news-example.test]=$NET.61 [blog-example.test]=$NET.62
)
# our own names and another organisation's, each a CNAME to a vendor tenant
declare -A CNAME=(
    [support.acme-corp.test]=acme-corp.zendesk.com
    [desk.acme-corp.test]=acme.kustomerapp.com
    [help.example-shop.test]=exampleshop.zendesk.com
)

# -------------------------------------------------------------------- network
setup_net() {
    local ns i=0 ip a
    for ns in "${HOSTNS[@]}" "$SRV"; do
        kill_ns_procs "$ns"; ip netns del "$ns" 2>/dev/null || true
        ip netns add "$ns"
        inns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        inns "$ns" ip link set lo up
    done
    insrv ip link add "$BR" type bridge
    insrv sysctl -qw net.ipv6.conf.$BR.disable_ipv6=1
    insrv ip addr add "$GW/24" dev "$BR"
    insrv ip link set "$BR" up
    for a in "${ADDR[@]}"; do insrv ip addr add "$a/32" dev lo; done
    for ns in "${HOSTNS[@]}"; do
        i=$((i + 1)); ip=${HOSTIP[$ns]}
        ip link add "sdo-c$i" type veth peer name "sdo-b$i"
        ip link set "sdo-c$i" netns "$ns"
        ip link set "sdo-b$i" netns "$SRV"
        inns "$ns" ip addr add "$ip/24" dev "sdo-c$i"
        # offloads off: the capture holds wire-sized frames with real checksums
        inns "$ns" ethtool -K "sdo-c$i" tso off gso off gro off tx off >/dev/null
        inns "$ns" ip link set "sdo-c$i" up
        inns "$ns" ip route add "$NET.0/24" via "$GW"
        insrv ethtool -K "sdo-b$i" tso off gso off gro off tx off >/dev/null
        insrv ip link set "sdo-b$i" master "$BR" up
        mkdir -p "/etc/netns/$ns"
        echo "nameserver $GW" >"/etc/netns/$ns/resolv.conf"
        # the host's /etc/hosts must not answer for any name
        printf '127.0.0.1 localhost\n' >"/etc/netns/$ns/hosts"
    done
    insrv ethtool -K "$BR" tso off gso off gro off tx off >/dev/null 2>&1 || true
    for ns in "${HOSTNS[@]}"; do
        inns "$ns" ping -c1 -W3 "$NET.10" >/dev/null || die "$ns cannot reach $NET.10"
        if inns "$ns" ip route show default | grep -q .; then die "$ns has a default route"; fi
    done
    log "namespaces up: ${HOSTNS[*]} (10.99.50.11-15) on bridge $BR in $SRV ($GW, ${#ADDR[@]} service addresses)"
}

# ---------------------------------------------------------------- certificates
make_pki() {
    local d=$WORK/pki n
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/CN=shadowdesk office test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
    for n in "${!ADDR[@]}" "${!CNAME[@]}"; do
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$n" \
            -keyout "$d/$n.key" -out "$d/$n.csr" 2>/dev/null
        printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$n" >"$d/$n.ext"
        openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
            -days 3650 -extfile "$d/$n.ext" -out "$d/$n.pem" 2>/dev/null
    done
}

# ------------------------------------------------------------------ web content
# put <name> <path> <content>: a file under that name's document root
put() { mkdir -p "$(dirname "$WORK/www/$1$2")"; printf '%s\n' "$3" >"$WORK/www/$1$2"; }

# The JS every console page uses: fetch <url> every <ms>, as agent consoles poll for new work.
POLL='function poll(u, ms, o) { const go = () => fetch(u, Object.assign({cache: "no-store"}, o || {})).catch(() => {}); go(); setInterval(go, ms); }'

make_sites() {
    local n
    for n in "${!ADDR[@]}" "${!CNAME[@]}"; do mkdir -p "$WORK/www/$n"; done
    # --- Zendesk: staff login, our tenant's agent console, help centers, widget
    put accounts.zendesk.com /auth/v2/login/index.html \
        '<!doctype html><title>Zendesk sign in</title><form>email <input> password <input type=password></form>
<script>setTimeout(() => location.href = "https://acme-corp.zendesk.com/agent/dashboard", 3000);</script>'
    put acme-corp.zendesk.com /agent/dashboard/index.html \
        "<!doctype html><title>Dashboard - Acme Corp - Zendesk</title>
<script src=\"https://static.zdassets.com/agent/assets/app-4f2a.js\"></script>
<script>$POLL
poll('/api/v2/channels/voice/availabilities/me.json', 4000);
poll('/api/v2/views/count_many.json?ids=1,2,3', 10000);
setTimeout(() => poll('/api/v2/tickets/1042.json?include=users', 7000), 60000);</script>"
    put static.zdassets.com /agent/assets/app-4f2a.js 'window.zdAgent = {version: "4f2a"};'
    put static.zdassets.com /hc/theming_assets/theme.css 'body { font-family: sans-serif }'
    put static.zdassets.com /ekr/snippet.js \
        'fetch("https://ekr.zdassets.com/compose/3c9e1a7b-shop").then(() => fetch("https://exampleshop.zendesk.com/embeddable/config")).catch(() => {});'
    put ekr.zdassets.com /compose/3c9e1a7b-shop.json '{"subdomain": "exampleshop"}'
    local hc='<!doctype html><title>Help Center</title><link rel=stylesheet href="https://static.zdassets.com/hc/theming_assets/theme.css"><h1>How can we help?</h1><a href="articles/1">Returns</a>'
    put support.acme-corp.test /hc/en-us/index.html "$hc"
    put help.example-shop.test /hc/en-us/index.html "$hc"
    put exampleshop.zendesk.com /embeddable/config.json '{"embeds": {"chat": {}}}'
    # --- Intercom: Messenger (end users), REST API, staff console
    put widget.intercom.io /widget/abc123.js \
        'var s = document.createElement("script"); s.src = "https://js.intercomcdn.com/frame-modern.7c1d.js"; document.head.appendChild(s);
fetch("https://api-iam.intercom.io/messenger/web/ping", {method: "POST", body: "app_id=abc123"}).catch(() => {});'
    put js.intercomcdn.com /frame-modern.7c1d.js 'window.intercomFrame = 1;'
    put app.intercom.com /a/inbox/index.html \
        "<!doctype html><title>Inbox | Intercom</title>
<script src=\"https://static.intercomassets.com/assets/intercom-a1b2.js\"></script>
<script>$POLL
poll('/ember/inbox/conversations/updated_since?app_id=q8v1', 6000);
poll('/ember/admins/me/away_mode', 15000);</script>"
    put static.intercomassets.com /assets/intercom-a1b2.js 'window.IntercomApp = 1;'
    # --- HubSpot: tracking / chat scripts (end users), CRM API
    put js.hs-scripts.com /123.js \
        '["https://js.hs-analytics.net/analytics/1700000000/123.js", "https://js.usemessages.com/conversations-embed.js"].forEach(u => { var s = document.createElement("script"); s.src = u; document.head.appendChild(s); });
new Image().src = "https://track.hubspot.com/__ptq.gif?k=1&a=123";'
    put js.hs-analytics.net /analytics/1700000000/123.js 'window._hsq = [];'
    put js.usemessages.com /conversations-embed.js 'window.HubSpotConversations = {};'
    # --- Help Scout: Beacon (end users), the staff web app
    put beacon-v2.helpscout.net /index.js \
        'fetch("https://beaconapi.helpscout.net/v1/beacons/5e1f0a2b/config").catch(() => {});'
    put secure.helpscout.net /dashboard/index.html \
        "<!doctype html><title>Dashboard - Help Scout</title>
<script>$POLL
poll('/api/v1/mailboxes/4/folders/counts', 5000);
poll('/api/v1/notifications', 12000);</script>"
    # --- Kustomer: our shadow tenant's console, reached through desk.acme-corp.test
    put desk.acme-corp.test /app/conversations/index.html \
        "<!doctype html><title>Kustomer</title>
<script>$POLL
poll('https://acme.api.kustomerapp.com/v1/conversations?page=1&pageSize=25', 5000);
poll('/app/presence', 10000);</script>"
    # --- third-party websites that embed the widgets
    put www.shop-example.test /index.html \
        '<!doctype html><title>Example Shop</title><h1>Spring sale</h1>
<script src="https://widget.intercom.io/widget/abc123"></script>
<script id="ze-snippet" src="https://static.zdassets.com/ekr/snippet.js?key=3c9e1a7b-shop"></script>
<script src="https://js.hs-scripts.com/123.js"></script>'
    put news-example.test /index.html \
        '<!doctype html><title>Example News</title><h1>Today</h1>
<script src="https://js.hs-scripts.com/123.js"></script>
<script>!function(e,t,n){function a(){var e=t.getElementsByTagName("script")[0],n=t.createElement("script");n.type="text/javascript",n.async=!0,n.src="https://beacon-v2.helpscout.net",e.parentNode.insertBefore(n,e)}a()}(window,document);</script>
<script src="https://widget.intercom.io/widget/abc123"></script>'
    put blog-example.test /index.html \
        '<!doctype html><title>Example Blog</title><h1>Post</h1>
<script src="https://widget.intercom.io/widget/abc123"></script>'
}

# --------------------------------------------------------------------- servers
start_servers() {
    local n a args=() conf=$WORK/nginx.conf
    for n in "${!ADDR[@]}"; do args+=(--host-record="$n,${ADDR[$n]}"); done
    for n in "${!CNAME[@]}"; do args+=(--cname="$n,${CNAME[$n]}"); done
    # dnsmasq answers for these domains itself: AAAA (and any other type) gets NOERROR without
    # data, as from the vendors' servers, not REFUSED (which it gives names it does not know,
    # like Chromium's background lookups of Google's names)
    args+=(--local="/$(printf '%s\n' "${!ADDR[@]}" "${!CNAME[@]}" | awk -F. '{print $(NF-1)"."$NF}' | sort -u | paste -sd/)/")
    # TTL 120 s: clients ask again over the day, as they do with real vendors' short TTLs
    insrv dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --listen-address="$GW" \
        --local-ttl=120 --log-queries --log-facility=- "${args[@]}" >"$WORK/dnsmasq.log" 2>&1 &
    PIDS+=($!)
    wait_listen u "$GW:53"

    mkdir -p "$WORK/nginx"
    {
        echo "worker_processes 1; pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/error.log; user root;"
        echo "events { worker_connections 512; }"
        echo "http {"
        echo "  include /etc/nginx/mime.types; default_type application/json;"
        echo "  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;"
        echo "  fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;"
        echo "  log_format office '\$msec \$remote_addr \$ssl_server_name \$server_protocol \$request_method \$request_uri \$status \$bytes_sent';"
        echo "  access_log $WORK/nginx/access.log office;"
        echo "  ssl_protocols TLSv1.2 TLSv1.3; keepalive_timeout 75s;"
        for n in "${!ADDR[@]}" "${!CNAME[@]}"; do
            a=${ADDR[$n]:-${ADDR[${CNAME[$n]:-}]:-}}
            echo "  server { listen $a:443 ssl http2; server_name $n;"
            echo "    ssl_certificate $WORK/pki/$n.pem; ssl_certificate_key $WORK/pki/$n.key;"
            echo "    root $WORK/www/$n;"
            echo "    add_header Access-Control-Allow-Origin * always; add_header Access-Control-Allow-Headers 'Authorization, Content-Type' always;"
            echo "    add_header Cache-Control no-store always;"
            echo "    location = /favicon.ico { return 204; }"
            # API paths are no files: a small JSON answer for any method
            echo "    location / { try_files \$uri \$uri.js \$uri.json \$uri/index.html \$uri/index.js @api; }"
            echo "    location @api { return 200 '{\"ok\":true}'; }"
            echo "  }"
        done
        echo "}"
    } >"$conf"
    insrv nginx -t -c "$conf" -g 'daemon off;' 2>"$WORK/nginx/test.log" || { cat "$WORK/nginx/test.log" >&2; die "nginx config"; }
    insrv nginx -c "$conf" -g 'daemon off;' 2>>"$WORK/nginx/error.log" &
    PIDS+=($!)
    wait_listen t "${ADDR[acme-corp.zendesk.com]}:443"
    # one check of the whole chain from a client: DNS (with CNAME), TLS against our CA, HTTP/2
    inns sdo-h1 curl -sS --max-time 5 --cacert "$WORK/pki/ca.pem" -o /dev/null -w '%{http_version} %{http_code}' \
        https://support.acme-corp.test/hc/en-us/ | grep -qx '2 200' || die "nginx/dnsmasq check failed"
    # the check's own lines are not part of the day
    : >"$WORK/nginx/access.log"
    log "servers up: dnsmasq ($GW), nginx (${#ADDR[@]} addresses, $((${#ADDR[@]} + ${#CNAME[@]})) names)"
}

# ------------------------------------------------------------------ the clients
# chromium <ns> <seconds> <url>: a headless Chromium on that host, a fresh profile, for that long
# (then it is stopped, as a person closes the tab or the laptop). --ignore-certificate-errors
# stands for the CA a real office's browsers trust; no --host-resolver-rules: DNS goes to
# dnsmasq through the namespace's resolv.conf.
chromium_on() {
    local ns=$1 dur=$2 url=$3 ud
    ud=$(mktemp -d "$WORK/chromium-$ns.XXXXXX")
    inns "$ns" env HOME="$ud" timeout -k 5 "$(secs "$dur")" chromium --headless=new --no-sandbox \
        --disable-gpu --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-default-apps --disable-extensions --no-default-browser-check \
        --disable-features=MediaRouter,OptimizationHints,Translate --disable-quic \
        --user-data-dir="$ud" --ignore-certificate-errors "$url" \
        >>"$WORK/chromium-$ns.log" 2>&1 || true
}

# H1 "agent": signs in at accounts.zendesk.com and works in our tenant's agent console for
# 8 minutes; at 5 minutes also reads our own help center (support.acme-corp.test, a CNAME).
host_agent() {
    pause 10
    chromium_on sdo-h1 480 https://accounts.zendesk.com/auth/v2/login/ &
    pause 300
    chromium_on sdo-h1 20 https://support.acme-corp.test/hc/en-us/
    wait
}

# H2 "visitor": short visits to websites that embed the vendors' widgets and to another
# organisation's help center (a CNAME to its Zendesk tenant).
host_visitor() {
    local t=40 at url
    for at in 40:https://www.shop-example.test/ 100:https://news-example.test/ \
              180:https://help.example-shop.test/hc/en-us/ 300:https://www.shop-example.test/ \
              420:https://news-example.test/; do
        pause $((${at%%:*} - t)); t=${at%%:*}; url=${at#*:}
        chromium_on sdo-h2 20 "$url"
        t=$((t + 20))
    done
}

# H3 "integration": an API connector. A Python urllib client every 15 s and curl every 20 s,
# each request a new connection with an Authorization header, for 10 minutes.
host_integration() {
    inns sdo-h3 "$SYSPY" - "$WORK/pki/ca.pem" "$(secs 600)" "$(secs 15)" >"$WORK/integration-py.log" 2>&1 <<'EOF' &
import ssl, sys, time, urllib.request
ca, total, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
calls = [
    ("GET", "https://api.intercom.io/conversations?per_page=20", "Bearer dG9rOmludGVyY29t", None),
    ("GET", "https://acme-corp.zendesk.com/api/v2/tickets.json?sort_by=updated_at", "Basic YXBpQGFjbWUtY29ycC50ZXN0L3Rva2VuOng=", None),
    ("POST", "https://api.hubapi.com/crm/v3/objects/tickets", "Bearer pat-na1-0000", b'{"properties":{"subject":"sync"}}'),
]
end = time.time() + total
while time.time() < end:
    for method, url, auth, body in calls:
        req = urllib.request.Request(url, data=body, method=method,
                                     headers={"Authorization": auth, "Content-Type": "application/json",
                                              "User-Agent": "acme-sync/1.4 python-urllib"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                print(time.time(), r.status, url, flush=True)
        except Exception as e:
            print(time.time(), "ERR", url, e, flush=True)
    time.sleep(every)
EOF
    local py=$! end=$(( $(date +%s) + $(secs 600) ))
    pause 5
    while [ "$(date +%s)" -lt "$end" ]; do
        inns sdo-h3 curl -sS --max-time 10 --cacert "$WORK/pki/ca.pem" -o /dev/null \
            -H 'Authorization: Bearer pat-na1-0000' -w '%{http_code} %{url_effective}\n' \
            'https://api.hubapi.com/crm/v3/objects/contacts?limit=100' >>"$WORK/integration-curl.log" 2>&1 || true
        inns sdo-h3 curl -sS --max-time 10 --cacert "$WORK/pki/ca.pem" -o /dev/null \
            -u 'api@acme-corp.test/token:x' -w '%{http_code} %{url_effective}\n' \
            'https://acme-corp.zendesk.com/api/v2/search.json?query=status%3Aopen' >>"$WORK/integration-curl.log" 2>&1 || true
        pause 20
    done
    wait "$py"
}

# H4 "shadow operator": works 7 minutes in a Kustomer console at desk.acme-corp.test (our own
# name, CNAME acme.kustomerapp.com: an undeclared tenant of ours), and from minute 3 for 5
# minutes in Intercom's staff inbox (app.intercom.com).
host_shadow() {
    pause 20
    chromium_on sdo-h4 420 https://desk.acme-corp.test/app/conversations/ &
    pause 180
    chromium_on sdo-h4 300 https://app.intercom.com/a/inbox/ &
    wait
}

# H5 "mixed": works 7 minutes in Help Scout's web app (secure.helpscout.net) and twice reads a
# blog that embeds Intercom's Messenger.
host_mixed() {
    pause 30
    chromium_on sdo-h5 420 https://secure.helpscout.net/dashboard/ &
    pause 90
    chromium_on sdo-h5 20 https://blog-example.test/
    pause 260
    chromium_on sdo-h5 20 https://blog-example.test/
    wait
}

the_day() {
    cap_in "$SRV" office_day "$CAPFILTER" -i "$BR"
    local start=$SECONDS pids=() p
    host_agent & pids+=($!)
    host_visitor & pids+=($!)
    host_integration & pids+=($!)
    host_shadow & pids+=($!)
    host_mixed & pids+=($!)
    PIDS+=("${pids[@]}")
    for p in "${pids[@]}"; do wait "$p" || true; done
    pause 5
    cap_stop
    log "the day took $((SECONDS - start)) s"
}

# ---------------------------------------------------------------------- checks
# What each host was made to ask for: "<client ip> <name>" pairs that must be in the capture as
# a TLS SNI (and, for the names a client looked up itself, as a DNS question).
EXPECT_SNI=(
    "10.99.50.11 accounts.zendesk.com" "10.99.50.11 acme-corp.zendesk.com" "10.99.50.11 static.zdassets.com"
    "10.99.50.11 support.acme-corp.test"
    "10.99.50.12 www.shop-example.test" "10.99.50.12 news-example.test" "10.99.50.12 help.example-shop.test"
    "10.99.50.12 widget.intercom.io" "10.99.50.12 js.intercomcdn.com" "10.99.50.12 api-iam.intercom.io"
    "10.99.50.12 static.zdassets.com" "10.99.50.12 ekr.zdassets.com" "10.99.50.12 exampleshop.zendesk.com"
    "10.99.50.12 js.hs-scripts.com" "10.99.50.12 js.hs-analytics.net" "10.99.50.12 js.usemessages.com"
    "10.99.50.12 track.hubspot.com" "10.99.50.12 beacon-v2.helpscout.net" "10.99.50.12 beaconapi.helpscout.net"
    "10.99.50.13 api.intercom.io" "10.99.50.13 acme-corp.zendesk.com" "10.99.50.13 api.hubapi.com"
    "10.99.50.14 desk.acme-corp.test" "10.99.50.14 acme.api.kustomerapp.com" "10.99.50.14 app.intercom.com"
    "10.99.50.14 static.intercomassets.com"
    "10.99.50.15 secure.helpscout.net" "10.99.50.15 blog-example.test" "10.99.50.15 widget.intercom.io"
    "10.99.50.15 js.intercomcdn.com" "10.99.50.15 api-iam.intercom.io"
)
# SNI that no host may have sent (each host's traffic stays its own)
FORBID_SNI=(
    "10.99.50.12 acme-corp.zendesk.com" "10.99.50.12 accounts.zendesk.com" "10.99.50.12 app.intercom.com"
    "10.99.50.12 secure.helpscout.net" "10.99.50.13 widget.intercom.io" "10.99.50.15 static.zdassets.com"
    "10.99.50.11 widget.intercom.io" "10.99.50.14 widget.intercom.io"
)

check_capture() {
    local f=$WORK/office_day.pcap pair
    tshark -n -r "$f" -Y 'tls.handshake.type == 1' -T fields -e ip.src -e tls.handshake.extensions_server_name \
        | sort | uniq -c | awk '{print $2" "$3" "$1}' >"$WORK/sni.txt"
    tshark -n -r "$f" -Y 'dns.flags.response == 0' -T fields -e ip.src -e dns.qry.name \
        | sort | uniq -c | awk '{print $2" "$3" "$1}' >"$WORK/dnsq.txt"
    for pair in "${EXPECT_SNI[@]}"; do
        grep -q "^$pair " "$WORK/sni.txt" || { log "MISSING SNI: $pair"; FAILED+=("sni $pair"); }
    done
    for pair in "${FORBID_SNI[@]}"; do
        if grep -q "^$pair " "$WORK/sni.txt"; then log "UNEXPECTED SNI: $pair"; FAILED+=("sni $pair"); fi
    done
    # CNAMEs: the clients that used our own / the other organisation's names looked them up
    for pair in "10.99.50.11 support.acme-corp.test" "10.99.50.14 desk.acme-corp.test" "10.99.50.12 help.example-shop.test"; do
        grep -q "^$pair " "$WORK/dnsq.txt" || { log "MISSING DNS: $pair"; FAILED+=("dns $pair"); }
    done
    # every vendor and website name is answered (A, or NOERROR without data), never REFUSED
    local refused
    refused=$(tshark -n -r "$f" -Y 'dns.flags.response == 1 && dns.flags.rcode != 0' -T fields -e dns.qry.name \
        | grep -cxF -f <(printf '%s\n' "${!ADDR[@]}" "${!CNAME[@]}") || true)
    [ "$refused" = 0 ] || { log "BAD: $refused DNS answers for our names with rcode != 0"; FAILED+=("dns rcode"); }
    sessions "$f" >"$WORK/office_day.pcap.sessions.tsv"
    # the consoles' sessions are long: at least 2/3 of the time they were open
    expect_long 10.99.50.11 acme-corp.zendesk.com 300
    expect_long 10.99.50.14 desk.acme-corp.test 260
    expect_long 10.99.50.14 acme.api.kustomerapp.com 260
    expect_long 10.99.50.14 app.intercom.com 180
    expect_long 10.99.50.15 secure.helpscout.net 260
}

# expect_long <client> <sni> <seconds, unscaled>: its longest TCP connection lasted that long
expect_long() {
    local want d
    want=$(awk -v s="$3" -v t="$TS" 'BEGIN { printf "%d", s * t }')
    d=$(awk -F'\t' -v c="$1" -v n="$2" '$2 == c && $4 == n && $6 > m { m = $6 } END { printf "%d", m }' "$WORK/office_day.pcap.sessions.tsv")
    if [ "$d" -ge "$want" ]; then log "ok   $1 -> $2: longest session ${d} s"
    else log "SHORT $1 -> $2: longest session ${d} s < $want s"; FAILED+=("session $1 $2"); fi
}

# sessions <pcap>: one row per TCP connection, from tshark: stream, client, server, SNI,
# start (s from the first packet), duration (s), packets and bytes client->server and back.
sessions() {
    printf 'tcp_stream\tclient_ip\tserver_ip\tsni\tstart_s\tduration_s\tpkts_up\tbytes_up\tpkts_down\tbytes_down\n'
    tshark -n -r "$1" -Y tcp -T fields -E separator=/t -e tcp.stream -e ip.src -e ip.dst -e tcp.srcport \
        -e frame.time_relative -e frame.len -e tls.handshake.extensions_server_name \
        | awk -F'\t' '
        {
            s = $1
            if (!(s in first)) { first[s] = $5; cli[s] = $2; srv[s] = $3; order[++n] = s }
            last[s] = $5
            if ($2 == cli[s]) { pu[s]++; bu[s] += $6 } else { pd[s]++; bd[s] += $6 }
            if ($7 != "" && sni[s] == "") sni[s] = $7
        }
        END {
            for (i = 1; i <= n; i++) {
                s = order[i]
                printf "%s\t%s\t%s\t%s\t%.1f\t%.1f\t%d\t%d\t%d\t%d\n", s, cli[s], srv[s], (sni[s] == "" ? "-" : sni[s]),
                    first[s], last[s] - first[s], pu[s], bu[s], pd[s], bd[s]
            }
        }'
}

# ---------------------------------------------------------------- the reference
write_reference() {
    rm -rf "$OUT"; mkdir -p "$OUT"
    take_capture office_day.pcap || return 0
    cp "$WORK/office_day.pcap.sessions.tsv" "$OUT/"
    local json lt fmt np sz tls dns split qnames snis rows=$WORK/manifest.rows
    json=$(python3 "$GEN_TRUTH" "$OUT/office_day.pcap" "$OUT/office_day.pcap")
    read -r lt fmt np sz < <(capture_facts "$OUT/office_day.pcap")
    read -r tls dns split < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["tls"], j["dns"], j["split_ch"])' "$json")
    qnames=$(awk -F'\t' 'NR > 1 && $1 == "dns" {print $6}' "$OUT/office_day.pcap.truth.tsv" | sort -u | paste -sd,)
    snis=$(awk -F'\t' 'NR > 1 && $1 == "tls" {print $6}' "$OUT/office_day.pcap.truth.tsv" | sort -u | paste -sd,)
    # the MANIFEST's file column is relative to captures/
    printf '../office/office_day.pcap\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$lt" "$fmt" "$np" "$sz" \
        "$tls" "$dns" "$split" \
        "OFFICE DAY (issue 12), about 11 minutes: 5 client hosts with known roles (testdata/office/EXPECTED.tsv) on one bridge, real headless Chromium (agent consoles polling for minutes, third-party pages embedding the vendors' widgets, help centers behind CNAMEs), Python urllib and curl API connectors with Authorization headers; dnsmasq with CNAMEs from our own (acme-corp.test) and another organisation's domain; nginx HTTP/2 + TLS 1.3, one certificate per name" \
        "$(printf '%s\n' "${HOSTIP[@]}" | sort | paste -sd,)" "$GW,$NET.0/24" "$qnames" "$snis" "" >"$rows"
    manifest_replace ../office "$rows"
    log "capture: $lt/$fmt, $np packets, $sz bytes, truth tls=$tls dns=$dns"
    [ "$sz" -lt $MAXSIZE ] || { log "BAD size $sz (limit $MAXSIZE)"; FAILED+=("size"); }
    write_expected
}

# One row per host x vendor: what the host was made to do (above), as a role. Vendor ids are the
# fingerprints/ file names; tenant is the label the vendor's tenant hostname carries (- when the
# host touched no tenant hostname); ours: true for our tenants (declared in policy.txt, or
# reached through a name under our domain acme-corp.test), false for another organisation's, -
# when no tenant is involved.
write_expected() {
    cat >"$OUT/EXPECTED.tsv" <<'EOF'
client_ip	host_label	vendor_id	expected_role	tenant	ours	what_the_host_did
10.99.50.11	agent	zendesk	operator	acme-corp	true	Chromium: sign-in page accounts.zendesk.com, then 8 min in the agent console https://acme-corp.zendesk.com/agent/dashboard (one HTTP/2 connection polled every 4-10 s; assets from static.zdassets.com); at minute 5 reads our help center support.acme-corp.test (CNAME acme-corp.zendesk.com) for 20 s
10.99.50.12	visitor	zendesk	visitor	exampleshop	false	Chromium, 20 s visits: www.shop-example.test embeds the Web Widget snippet static.zdassets.com/ekr/snippet.js, which fetches ekr.zdassets.com and exampleshop.zendesk.com/embeddable/config; reads help.example-shop.test (CNAME exampleshop.zendesk.com), another organisation's help center
10.99.50.12	visitor	intercom	visitor	-	-	Chromium, 20 s visits to www.shop-example.test and news-example.test, which embed widget.intercom.io/widget/abc123 (loads js.intercomcdn.com, POSTs api-iam.intercom.io/messenger/web/ping)
10.99.50.12	visitor	hubspot-service	visitor	-	-	Chromium, 20 s visits to www.shop-example.test and news-example.test, which embed js.hs-scripts.com/123.js (loads js.hs-analytics.net, js.usemessages.com, pixel track.hubspot.com)
10.99.50.12	visitor	helpscout	visitor	-	-	Chromium, 20 s visits to news-example.test, which embeds the Beacon from beacon-v2.helpscout.net (fetches beaconapi.helpscout.net)
10.99.50.13	integration	intercom	integration	-	-	Python urllib every 15 s for 10 min: GET https://api.intercom.io/conversations with Authorization: Bearer; a new connection per call
10.99.50.13	integration	zendesk	integration	acme-corp	true	Python urllib every 15 s (GET /api/v2/tickets.json) and curl every 20 s (GET /api/v2/search.json) to https://acme-corp.zendesk.com with Basic auth, for 10 min; tenant acme-corp is declared ours in policy.txt
10.99.50.13	integration	hubspot-service	integration	-	-	Python urllib every 15 s (POST /crm/v3/objects/tickets) and curl every 20 s (GET /crm/v3/objects/contacts) to https://api.hubapi.com with Authorization: Bearer, for 10 min
10.99.50.14	shadow-operator	kustomer	operator	acme	true	Chromium 7 min in a Kustomer console at https://desk.acme-corp.test/app/conversations (our name, CNAME acme.kustomerapp.com: an undeclared tenant of ours), polling the same host every 10 s and acme.api.kustomerapp.com every 5 s
10.99.50.14	shadow-operator	intercom	operator	-	-	Chromium 5 min (from minute 3) in Intercom's staff inbox https://app.intercom.com/a/inbox/ (polled every 6-15 s; assets from static.intercomassets.com)
10.99.50.15	mixed	helpscout	operator	-	-	Chromium 7 min in Help Scout's web app https://secure.helpscout.net/dashboard/ (polled every 5-12 s)
10.99.50.15	mixed	intercom	visitor	-	-	Chromium, two 20 s visits to blog-example.test, which embeds widget.intercom.io/widget/abc123 (loads js.intercomcdn.com, POSTs api-iam.intercom.io)
EOF
    printf '%s\n' 'domain acme-corp.test' 'tenant zendesk acme-corp' 'allow zendesk' >"$OUT/policy.txt"
}

report_summary() {
    log "SNI per client (count of ClientHellos):"
    sed "s/^/[$TAG]   /" "$WORK/sni.txt" >&2
    log "longest sessions per client and SNI:"
    awk -F'\t' 'NR > 1 { k = $2" "$4; if ($6 > d[k]) d[k] = $6; n[k]++; bu[k] += $8; bd[k] += $10 }
        END { for (k in d) printf "%s conns=%d longest=%.0fs up=%dB down=%dB\n", k, n[k], d[k], bu[k], bd[k] }' \
        "$WORK/office_day.pcap.sessions.tsv" | sort | sed "s/^/[$TAG]   /" >&2
    log "connector calls: python $(grep -c ' 200 ' "$WORK/integration-py.log" || true) ok, $(grep -c ' ERR ' "$WORK/integration-py.log" || true) failed; curl $(grep -c '^200 ' "$WORK/integration-curl.log" || true) ok"
    log "nginx requests per client and name:"
    awk '{ print $2, $3 }' "$WORK/nginx/access.log" | sort | uniq -c | sed "s/^/[$TAG]   /" >&2
}

# -------------------------------------------------------------------------- main
setup_net
make_pki
make_sites
start_servers
the_day
check_capture
report_summary
write_reference
exit_if_failed
