#!/usr/bin/env bash
# Records the identity captures in testdata/captures/identity/: real DHCP, Kerberos, NTLM, mDNS
# and NetBIOS clients, each followed by vendor traffic (DNS + HTTPS) from the same host, so the
# join "vendor event -> device / user at that time" can be tested end to end.
#
#   sudo testdata/record-identity.sh      # (re)writes testdata/captures/identity/*
#
# Network (private, no default route anywhere): namespace sdi-srv holds a bridge sdi-br
# (10.99.50.1/24, fd00:99:50::1/64); three host namespaces sdi-h1, sdi-h2, sdi-h3 each hold one
# veth "eth0" (MAC set here) whose peer is a port of the bridge. tcpdump runs on the bridge, so
# every capture holds all hosts' traffic with the server and every broadcast/multicast.
#
# Server namespace: dnsmasq (DHCPv4 + DHCPv6 + DNS for the vendor names), openssl s_server on
# 443, MIT krb5kdc (realm CORP.TEST, UDP and TCP 88), Samba smbd (standalone, share "share",
# user alice), a python3 HTTP responder on 80 that asks for NTLM. Host namespaces: dhclient,
# udhcpc, kinit, smbclient, curl, avahi-daemon, nmbd.
#
# Captures (see README.md, "Identity captures"):
#   dhcp_two_hosts.pcap  dhclient (option 12 laptop-alice, then DHCPv6 with FQDN) and udhcpc
#                        (option 81 desk-bob.corp.test), each followed by curl to a vendor
#   dhcp_reassign.pcap   10.99.50.50 leased to laptop-alice, released, then leased to
#                        tablet-carol; curl to the same vendor after each lease
#   kerberos.pcap        kinit alice over UDP; host/desk-bob.corp.test (keytab), DESK-BOB$ and
#                        bob over TCP; curl after each host's logins
#   smb_ntlm.pcap        smbclient SMB3 NTLMSSP as CORP\alice; curl --ntlm as bob over HTTP
#   mdns_nbns.pcap       avahi-daemon announcing laptop-alice.local; nmbd registering DESK-BOB
#
# For each capture: <capture>.identity.tsv (gen_identity_truth.py), <capture>.truth.tsv (+ the
# other gen_truth.py outputs: the vendor DNS/TLS names), and EXPECTED.tsv: one row per vendor
# connection this script made, with who the host was at that time (what the script configured,
# not what any code outputs). The script fails if a configured name, MAC or user is missing
# from the tshark truth. Env: GEN_TRUTH, GEN_ID_TRUTH (paths of the two truth scripts).
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/captures/identity"
GEN_TRUTH=${GEN_TRUTH:-/work/shared/pcaps/public/gen_truth.py}
GEN_ID_TRUTH=${GEN_ID_TRUTH:-/work/shared/pcaps/identity/gen_identity_truth.py}

TAG=record-identity
SRV=sdi-srv CLI=sdi-h1     # lib.sh's names; CLI is only used by helpers this script replaces
BR=sdi-br
HOSTS=(sdi-h1 sdi-h2 sdi-h3)
S4=10.99.50.1 S6=fd00:99:50::1
MAXSIZE=204800
REALM=CORP.TEST

# Who each host is (all made up). MACs are locally administered (02:...).
declare -A MAC=([sdi-h1]=02:5d:00:00:00:a1 [sdi-h2]=02:5d:00:00:00:b2 [sdi-h3]=02:5d:00:00:00:c3)
REASSIGN_IP=10.99.50.50    # dnsmasq dhcp-host: laptop-alice's and tablet-carol's MAC both map here
REASSIGN_IP6=fd00:99:50::50 # laptop-alice's DHCPv6 address (its DUID-LL is made from its MAC)

# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
for b in ip ethtool tcpdump tshark capinfos dnsmasq openssl curl python3 dhclient udhcpc \
         krb5kdc kdb5_util kadmin.local kinit smbd smbpasswd smbclient nmbd avahi-daemon; do
    command -v "$b" >/dev/null || die "missing $b (apt-get install -y tcpdump tshark wireshark-common dnsmasq-base openssl curl python3 isc-dhcp-client udhcpc krb5-kdc krb5-admin-server krb5-user samba smbclient avahi-daemon)"
done
[ -r "$GEN_TRUTH" ] || die "gen_truth.py not found at $GEN_TRUTH (set GEN_TRUTH=...)"
[ -r "$GEN_ID_TRUTH" ] || die "gen_identity_truth.py not found at $GEN_ID_TRUTH (set GEN_ID_TRUTH=...)"

WORK=$(mktemp -d /tmp/sdi-record.XXXXXX)
chmod 755 "$WORK"

inh() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# Replaces lib.sh's two-namespace cleanup: every namespace here, and their /etc/netns overlays
# (resolv.conf, passwd/group for Samba's user, avahi's config).
cleanup_net() {
    local p ns
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    for ns in "${HOSTS[@]}" "$SRV"; do
        kill_ns_procs "$ns"
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "/etc/netns/$ns"
    done
}
on_exit_clean_up
# KEEP_LOGS=<dir>: the servers' and clients' logs are copied there on exit (for debugging).
_finish() {
    local rc=$?
    set +e
    cleanup_net
    [ -z "${KEEP_LOGS:-}" ] || { mkdir -p "$KEEP_LOGS" && cp -r "$WORK"/. "$KEEP_LOGS"/; }
    rm -rf "$WORK"
    [ $rc = 0 ] && log "done" || log "failed (rc=$rc)"
    exit $rc
}

# ------------------------------------------------------------------------- network
setup_net() {
    cleanup_net
    ip netns add "$SRV"
    insrv sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
    insrv ip link set lo up
    insrv ip link add "$BR" type bridge stp_state 0 forward_delay 0
    insrv ip addr add "$S4/24" dev "$BR"
    insrv ip -6 addr add "$S6/64" dev "$BR" nodad
    local i=0 h port
    for h in "${HOSTS[@]}"; do
        i=$((i + 1))
        port=sdi-p$i
        ip netns add "$h"
        # Created inside the host namespace, so "eth0" there never clashes with the host's.
        inh "$h" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0
        inh "$h" ip link add eth0 type veth peer name "$port"
        inh "$h" ip link set "$port" netns "$SRV"
        inh "$h" ip link set eth0 address "${MAC[$h]}"
        inh "$h" ip link set lo up
        inh "$h" ethtool -K eth0 tso off gso off gro off tx off >/dev/null
        inh "$h" ip link set eth0 up
        insrv ethtool -K "$port" tso off gso off gro off tx off >/dev/null
        insrv ip link set "$port" master "$BR" up
        mkdir -p "/etc/netns/$h"
        echo "nameserver $S4" >"/etc/netns/$h/resolv.conf"
    done
    insrv ip link set "$BR" up
    sleep 1
    for h in "${HOSTS[@]}"; do
        if inh "$h" ip route show default | grep -q . || inh "$h" ip -6 route show default | grep -q .; then
            die "$h has a default route"
        fi
    done
    log "namespaces up: $SRV ($BR $S4 $S6) with ports for ${HOSTS[*]}"
}

# wait_port <t|u> <port>: some listener on that port in the server namespace, any address
wait_port() {
    local i
    for i in $(seq 1 100); do
        insrv ss -Hln"$1" | awk '{print $4}' | grep -q ":$2\$" && return 0
        sleep 0.1
    done
    die "server not listening on $1 port $2"
}

# static_addr <ns> <ipv4> [ipv6]: a fixed address for the captures without DHCP
static_addr() {
    inh "$1" ip addr add "$2/24" dev eth0
    [ -z "${3:-}" ] || inh "$1" ip -6 addr add "$3/64" dev eth0 nodad
    inh "$1" ping -c1 -W2 "$S4" >/dev/null || die "$1: no IPv4 to the server"
}

# reset_hosts: no process and no address left in any host namespace (link-local stays), so one
# capture's clients never talk into the next one
reset_hosts() {
    local h
    for h in "${HOSTS[@]}"; do
        kill_ns_procs "$h"
        inh "$h" ip -4 addr flush dev eth0
        inh "$h" ip -6 addr flush dev eth0 scope global
    done
}

# ------------------------------------------------------------------------- servers
start_dnsmasq() {
    # --dhcp-host with two MACs: either may hold 10.99.50.50, one at a time (dnsmasq(8)). Lease
    # time 2 min, the shortest dnsmasq allows. --domain: the ACK's option 81 (and the DHCPv6
    # Reply's Client FQDN) then carry the client's full name, not just its first label. No router option is sent (the clients' scripts
    # would ignore it anyway): nothing here has a default route.
    insrv dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --interface="$BR" \
        --listen-address="$S4" --listen-address="$S6" --log-queries --log-dhcp --log-facility=- \
        --dhcp-authoritative --no-ping --dhcp-leasefile="$WORK/dnsmasq.leases" \
        --dhcp-range=10.99.50.100,10.99.50.149,255.255.255.0,2m \
        --dhcp-range=fd00:99:50::100,fd00:99:50::1ff,64,2m \
        --dhcp-host="${MAC[sdi-h1]},${MAC[sdi-h3]},$REASSIGN_IP" \
        --dhcp-host="id:00:03:00:01:${MAC[sdi-h1]},[$REASSIGN_IP6]" \
        --dhcp-option=3 --domain=corp.test \
        --host-record=acme.zendesk.com,"$S4","$S6" \
        --host-record=widget.intercom.io,"$S4","$S6" \
        --host-record=docs.helpscout.net,"$S4","$S6" \
        --host-record=acme.freshdesk.com,"$S4","$S6" \
        --host-record=acme.kustomerapp.com,"$S4","$S6" \
        >"$WORK/dnsmasq.log" 2>&1 &
    PIDS+=($!)
    wait_listen u "$S4:53"
    wait_port u 67
}

start_tls() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=shadowdesk-test" \
        -addext "subjectAltName=DNS:acme.zendesk.com,DNS:widget.intercom.io,DNS:docs.helpscout.net,DNS:acme.freshdesk.com,DNS:acme.kustomerapp.com" \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    local a
    for a in "$S4" "[$S6]"; do
        insrv openssl s_server -accept "$a:443" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
            >>"$WORK/s_server.log" 2>&1 &
        PIDS+=($!)
        wait_listen t "$a:443"
    done
}

# MIT Kerberos: a throwaway realm whose database, stash and logs live in $WORK; the host's
# /etc/krb5.conf and /etc/krb5kdc are never read (KRB5_CONFIG / KRB5_KDC_PROFILE).
start_kdc() {
    local k=$WORK/krb5
    mkdir -p "$k"
    cat >"$k/krb5.conf" <<EOF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    rdns = false
[realms]
    $REALM = {
        kdc = $S4
    }
EOF
    # The TCP variant: every message is "larger" than 1 byte, so the client uses TCP.
    sed 's/^\[libdefaults\]$/[libdefaults]\n    udp_preference_limit = 1/' "$k/krb5.conf" >"$k/krb5-tcp.conf"
    cat >"$k/kdc.conf" <<EOF
[kdcdefaults]
    kdc_ports = 88
    kdc_tcp_ports = 88
[realms]
    $REALM = {
        database_name = $k/principal
        key_stash_file = $k/stash
        acl_file = $k/kadm5.acl
    }
[logging]
    kdc = FILE:$k/kdc.log
EOF
    : >"$k/kadm5.acl"
    export KRB5_CONFIG=$k/krb5.conf KRB5_KDC_PROFILE=$k/kdc.conf
    kdb5_util -r "$REALM" create -s -P "Master-pw-not-secret" >"$k/create.log" 2>&1
    kadmin.local -r "$REALM" -q "addprinc -pw Alice-pw1 alice" >>"$k/create.log" 2>&1
    kadmin.local -r "$REALM" -q "addprinc -pw Bob-pw2 bob" >>"$k/create.log" 2>&1
    kadmin.local -r "$REALM" -q 'addprinc -pw Machine-pw3 DESK-BOB$' >>"$k/create.log" 2>&1
    kadmin.local -r "$REALM" -q "addprinc -randkey host/desk-bob.corp.test" >>"$k/create.log" 2>&1
    kadmin.local -r "$REALM" -q "ktadd -k $k/desk-bob.keytab host/desk-bob.corp.test" >>"$k/create.log" 2>&1
    insrv env KRB5_CONFIG="$k/krb5.conf" KRB5_KDC_PROFILE="$k/kdc.conf" krb5kdc -n -r "$REALM" \
        >"$k/krb5kdc.out" 2>&1 &
    PIDS+=($!)
    unset KRB5_CONFIG KRB5_KDC_PROFILE
    wait_port t 88
    wait_port u 88
}

# Samba: a standalone smbd whose every directory is under $WORK. Its Unix user "alice" exists
# only inside the server namespace: `ip netns exec` bind-mounts /etc/netns/sdi-srv/passwd and
# group over /etc/passwd and /etc/group for the programs it starts, so the host's are untouched.
start_smbd() {
    local s=$WORK/samba d
    for d in private lock state cache run ncalrpc share; do mkdir -p "$s/$d"; done
    chmod 777 "$s/share"
    echo "a file on the share" >"$s/share/readme.txt"
    mkdir -p "/etc/netns/$SRV"
    { cat /etc/passwd; echo "alice:x:5001:5001:Alice (test):/nonexistent:/usr/sbin/nologin"; } >"/etc/netns/$SRV/passwd"
    { cat /etc/group; echo "alice:x:5001:"; } >"/etc/netns/$SRV/group"
    cat >"$s/smb.conf" <<EOF
[global]
    workgroup = CORP
    netbios name = FILESRV
    server role = standalone server
    security = user
    passdb backend = tdbsam:$s/private/passdb.tdb
    private dir = $s/private
    lock directory = $s/lock
    state directory = $s/state
    cache directory = $s/cache
    pid directory = $s/run
    ncalrpc dir = $s/ncalrpc
    log file = $s/log.%m
    interfaces = $BR
    bind interfaces only = yes
    smb ports = 445
    disable netbios = yes
    server min protocol = SMB3
    load printers = no
    printcap name = /dev/null
    disable spoolss = yes
[share]
    path = $s/share
    read only = no
EOF
    printf 'Alice-pw1\nAlice-pw1\n' | insrv smbpasswd -c "$s/smb.conf" -a -s alice >"$s/smbpasswd.log" 2>&1
    # setsid: on SIGTERM smbd signals its whole process group, which must not be this script's.
    insrv setsid smbd --foreground --no-process-group --debug-stdout -s "$s/smb.conf" >"$s/smbd.out" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4:445"
}

# A small HTTP/1.1 responder on port 80 that wants NTLM: 401 "WWW-Authenticate: NTLM" to a
# request without it, a CHALLENGE (type 2) to a NEGOTIATE, 200 to an AUTHENTICATE. It checks
# nothing: curl's AUTHENTICATE on the wire is what the capture needs.
start_ntlm_http() {
    cat >"$WORK/ntlm_http.py" <<'EOF'
import base64, struct, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def challenge():
    target = "CORP".encode("utf-16le")
    info = b"".join(struct.pack("<HH", t, len(v)) + v for t, v in
                    ((2, "CORP".encode("utf-16le")), (1, "FILESRV".encode("utf-16le")))) + b"\0\0\0\0"
    # UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | TARGET_TYPE_DOMAIN | EXTENDED_SESSIONSECURITY | TARGET_INFO
    flags = 0x00898205
    off = 48
    return (b"NTLMSSP\0" + struct.pack("<I", 2)
            + struct.pack("<HHI", len(target), len(target), off) + struct.pack("<I", flags)
            + bytes.fromhex("0123456789abcdef") + b"\0" * 8
            + struct.pack("<HHI", len(info), len(info), off + len(target)) + target + info)

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, code, auth=None, body=b""):
        self.send_response(code)
        if auth:
            self.send_header("WWW-Authenticate", auth)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        a = self.headers.get("Authorization", "")
        if not a.startswith("NTLM "):
            return self.reply(401, "NTLM")
        msg = base64.b64decode(a[5:])
        if msg[8:12] == struct.pack("<I", 1):
            return self.reply(401, "NTLM " + base64.b64encode(challenge()).decode())
        return self.reply(200, None, b"welcome\n")

ThreadingHTTPServer((sys.argv[1], 80), H).serve_forever()
EOF
    insrv python3 "$WORK/ntlm_http.py" "$S4" >"$WORK/ntlm_http.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4:80"
}

# ------------------------------------------------------------------------- clients
# The DHCP clients' scripts only put the leased address on eth0 (and take it off): no route,
# no resolv.conf edit (the host namespaces' resolver is /etc/netns/<ns>/resolv.conf).
write_client_scripts() {
    cat >"$WORK/dhclient-script" <<'EOF'
#!/bin/sh
case "$reason" in
    PREINIT) ip link set "$interface" up ;;
    BOUND|RENEW|REBIND|REBOOT)
        [ -z "$old_ip_address" ] || [ "$old_ip_address" = "$new_ip_address" ] || ip -4 addr flush dev "$interface"
        ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
    EXPIRE|FAIL|RELEASE|STOP) ip -4 addr flush dev "$interface" ;;
    BOUND6|RENEW6|REBIND6|REBOOT6)
        [ -z "$new_ip6_address" ] || ip -6 addr replace "$new_ip6_address/64" dev "$interface" nodad ;;
    EXPIRE6|RELEASE6|STOP6)
        [ -z "$old_ip6_address" ] || ip -6 addr del "$old_ip6_address/64" dev "$interface" ;;
esac
exit 0
EOF
    cat >"$WORK/udhcpc-script" <<'EOF'
#!/bin/sh
case "$1" in
    deconfig) ip -4 addr flush dev "$interface" ;;
    bound|renew) ip addr replace "$ip/$mask" dev "$interface" ;;
esac
exit 0
EOF
    chmod 755 "$WORK/dhclient-script" "$WORK/udhcpc-script"
}

# dhclient_up <ns> <host-name> [-6 <fqdn>]: one lease (full DISCOVER/REQUEST: no old lease
# file), dhclient stays as a daemon until released or killed
dhclient_up() {
    local ns=$1 name=$2 fam=${3:-} fqdn=${4:-} tag=$1
    if [ "$fam" = -6 ]; then
        tag=$ns-v6
        printf 'send fqdn.fqdn "%s";\nsend fqdn.server-update on;\n' "$fqdn" >"$WORK/$tag.conf"
    else
        printf 'send host-name "%s";\nrequest subnet-mask, broadcast-address, domain-name-servers;\n' "$name" >"$WORK/$tag.conf"
    fi
    rm -f "$WORK/$tag.leases"
    # -D LL: a DUID from the MAC (not from the time), so dnsmasq's dhcp-host pins the address
    inh "$ns" timeout 30 dhclient ${fam:+"$fam" -D LL} -1 -v -cf "$WORK/$tag.conf" -lf "$WORK/$tag.leases" \
        -pf "$WORK/$tag.pid" -sf "$WORK/dhclient-script" eth0 >>"$WORK/$tag.dhclient.log" 2>&1 \
        || { cat "$WORK/$tag.dhclient.log" >&2; die "$ns: dhclient $fam got no lease"; }
}

# dhclient_release <ns>: DHCPRELEASE, and the daemon ends
dhclient_release() {
    inh "$1" dhclient -r -v -cf "$WORK/$1.conf" -lf "$WORK/$1.leases" -pf "$WORK/$1.pid" \
        -sf "$WORK/dhclient-script" eth0 >>"$WORK/$1.dhclient.log" 2>&1
}

addr4() { inh "$1" ip -4 -o addr show dev eth0 | awk '{split($4, a, "/"); print a[1]; exit}'; }
addr6() { inh "$1" ip -6 -o addr show dev eth0 scope global | awk '{split($4, a, "/"); print a[1]; exit}'; }

# EXPECTED.tsv rows, one per vendor connection made below
EXPECTED_ROWS=$WORK/expected.rows
: >"$EXPECTED_ROWS"

# vendor <capture> <ns> <-4|-6> <vendor name> <host name> <mac> <user> <evidence>: the host
# resolves the name (dnsmasq) and fetches https://name/ with curl; the row records the time
# just before (the DNS query and the hello follow it), the host's address and who it is.
vendor() {
    local cap=$1 ns=$2 fam=$3 name=$4 ip ts
    if [ "$fam" = -6 ]; then ip=$(addr6 "$ns"); else ip=$(addr4 "$ns"); fi
    [ -n "$ip" ] || die "$ns has no $fam address"
    sleep 0.5
    ts=$(date +%s.%N)
    inh "$ns" curl "$fam" -sk --max-time 8 -o /dev/null "https://$name/" \
        || die "$ns: curl https://$name/ failed"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cap" "${ts:0:17}" "$ip" "$name" "$5" "$6" "$7" "$8" >>"$EXPECTED_ROWS"
    sleep 0.5
}

cap_begin() { reset_hosts; cap_in "$SRV" "$1" "" -i "$BR"; sleep 0.5; }

# --------------------------------------------------------------------- scenarios
scen_dhcp_two_hosts() {
    local c=dhcp_two_hosts.pcap
    cap_begin dhcp_two_hosts
    dhclient_up sdi-h1 laptop-alice
    vendor $c sdi-h1 -4 acme.zendesk.com laptop-alice "${MAC[sdi-h1]}" - "dhclient sent option 12 laptop-alice; dnsmasq's ACK echoes it"
    inh sdi-h2 timeout 30 udhcpc -i eth0 -f -q -n -t 5 -T 2 -s "$WORK/udhcpc-script" \
        -F desk-bob.corp.test >"$WORK/udhcpc.log" 2>&1 || { cat "$WORK/udhcpc.log" >&2; die "udhcpc got no lease"; }
    vendor $c sdi-h2 -4 widget.intercom.io desk-bob.corp.test "${MAC[sdi-h2]}" - "udhcpc sent option 81 desk-bob.corp.test and no option 12; dnsmasq's ACK carries option 81 desk-bob.corp.test (dhcp_fqdn) and option 12 desk-bob (dhcp)"
    vendor $c sdi-h1 -4 docs.helpscout.net laptop-alice "${MAC[sdi-h1]}" - "dhcp option 12, lease still valid"
    dhclient_up sdi-h1 laptop-alice -6 laptop-alice.corp.test
    [ "$(addr6 sdi-h1)" = "$REASSIGN_IP6" ] || die "laptop-alice got $(addr6 sdi-h1), not $REASSIGN_IP6"
    vendor $c sdi-h1 -6 acme.freshdesk.com laptop-alice.corp.test - - "dhcpv6 Client FQDN (option 39) of the Reply; DHCPv6 carries no MAC; the DNS query before this connection goes over IPv4 from laptop-alice's DHCPv4 address"
    cap_stop
}

scen_dhcp_reassign() {
    local c=dhcp_reassign.pcap ip
    cap_begin dhcp_reassign
    dhclient_up sdi-h1 laptop-alice
    ip=$(addr4 sdi-h1)
    [ "$ip" = "$REASSIGN_IP" ] || die "laptop-alice got $ip, not $REASSIGN_IP"
    vendor $c sdi-h1 -4 acme.zendesk.com laptop-alice "${MAC[sdi-h1]}" - "dhcp option 12; device A holds $REASSIGN_IP"
    dhclient_release sdi-h1
    sleep 1
    dhclient_up sdi-h3 tablet-carol
    ip=$(addr4 sdi-h3)
    [ "$ip" = "$REASSIGN_IP" ] || die "tablet-carol got $ip, not $REASSIGN_IP"
    vendor $c sdi-h3 -4 acme.zendesk.com tablet-carol "${MAC[sdi-h3]}" - "dhcp option 12; after A's DHCPRELEASE the same address belongs to device B"
    cap_stop
}

# kinit_as <ns> <krb5.conf> <principal> [password | -k keytab]
kinit_as() {
    local ns=$1 conf=$2 princ=$3
    shift 3
    if [ "$1" = -k ]; then
        inh "$ns" env KRB5_CONFIG="$conf" KRB5CCNAME="FILE:$WORK/cc.$ns" kinit -k -t "$2" "$princ" \
            >>"$WORK/kinit.log" 2>&1
    else
        echo "$1" | inh "$ns" env KRB5_CONFIG="$conf" KRB5CCNAME="FILE:$WORK/cc.$ns" kinit "$princ" \
            >>"$WORK/kinit.log" 2>&1
    fi || { cat "$WORK/kinit.log" >&2; die "$ns: kinit $princ failed"; }
    inh "$ns" env KRB5_CONFIG="$conf" KRB5CCNAME="FILE:$WORK/cc.$ns" klist >>"$WORK/kinit.log" 2>&1
}

scen_kerberos() {
    local c=kerberos.pcap k=$WORK/krb5
    cap_begin kerberos
    static_addr sdi-h1 10.99.50.21
    static_addr sdi-h2 10.99.50.22
    kinit_as sdi-h1 "$k/krb5.conf" "alice@$REALM" Alice-pw1
    vendor $c sdi-h1 -4 acme.zendesk.com - - "alice@corp.test" "kerberos AS-REQ over UDP"
    kinit_as sdi-h2 "$k/krb5-tcp.conf" "host/desk-bob.corp.test@$REALM" -k "$k/desk-bob.keytab"
    kinit_as sdi-h2 "$k/krb5-tcp.conf" "DESK-BOB\$@$REALM" Machine-pw3
    kinit_as sdi-h2 "$k/krb5-tcp.conf" "bob@$REALM" Bob-pw2
    vendor $c sdi-h2 -4 widget.intercom.io - - "bob@corp.test" "kerberos AS-REQs over TCP: host/desk-bob.corp.test (keytab), desk-bob\$ (machine account: a user by gen_identity_truth.py, a device name by issue 13), then bob (the latest)"
    cap_stop
}

scen_smb_ntlm() {
    local c=smb_ntlm.pcap s=$WORK/samba
    cap_begin smb_ntlm
    static_addr sdi-h1 10.99.50.21
    static_addr sdi-h2 10.99.50.22
    mkdir -p "$WORK/smbclient"
    cat >"$WORK/smbclient/smb.conf" <<EOF
[global]
    workgroup = CORP
    netbios name = LAPTOP-ALICE
    client min protocol = SMB3
    client max protocol = SMB3
    lock directory = $WORK/smbclient
    state directory = $WORK/smbclient
    cache directory = $WORK/smbclient
    private dir = $WORK/smbclient
    pid directory = $WORK/smbclient
    ncalrpc dir = $WORK/smbclient
EOF
    inh sdi-h1 smbclient -s "$WORK/smbclient/smb.conf" --use-kerberos=off -U 'alice%Alice-pw1' -W CORP \
        "//$S4/share" -c 'ls; get readme.txt /dev/null' >"$WORK/smbclient.log" 2>&1 \
        || { cat "$WORK/smbclient.log" "$s"/log.* >&2; die "smbclient failed"; }
    grep -q readme.txt "$WORK/smbclient.log" || die "smbclient did not list the share"
    vendor $c sdi-h1 -4 acme.zendesk.com laptop-alice - 'corp\alice' "ntlm in SMB3 session setup: domain CORP, user alice, workstation LAPTOP-ALICE"
    inh sdi-h2 curl -s --max-time 8 --ntlm -u 'bob:Bob-pw2' -o "$WORK/ntlm_http.out" -w '%{http_code}\n' \
        "http://$S4/" >"$WORK/curl_ntlm.code"
    grep -qx 200 "$WORK/curl_ntlm.code" || die "curl --ntlm got $(cat "$WORK/curl_ntlm.code")"
    vendor $c sdi-h2 -4 widget.intercom.io workstation - bob "ntlm over HTTP from curl: no domain, user bob, curl's fixed workstation name WORKSTATION"
    cap_stop
}

# avahi-daemon in sdi-h1 (its /etc/avahi is /etc/netns/sdi-h1/avahi; /run is a private tmpfs
# in that process's mount namespace, so its pid file and socket stay there), nmbd in sdi-h2.
scen_mdns_nbns() {
    local c=mdns_nbns.pcap n=$WORK/nmbd d
    mkdir -p "/etc/netns/sdi-h1/avahi/services"
    cat >/etc/netns/sdi-h1/avahi/avahi-daemon.conf <<EOF
[server]
host-name=laptop-alice
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
enable-dbus=no
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=yes
publish-hinfo=no
publish-workstation=no
publish-domain=no
EOF
    : >/etc/netns/sdi-h1/avahi/hosts
    for d in lock state cache private run ncalrpc; do mkdir -p "$n/$d"; done
    cat >"$n/smb.conf" <<EOF
[global]
    workgroup = CORP
    netbios name = DESK-BOB
    server role = standalone server
    interfaces = eth0
    bind interfaces only = yes
    wins support = no
    local master = no
    private dir = $n/private
    lock directory = $n/lock
    state directory = $n/state
    cache directory = $n/cache
    pid directory = $n/run
    ncalrpc dir = $n/ncalrpc
    log file = $n/log.%m
EOF
    cap_begin mdns_nbns
    static_addr sdi-h1 10.99.50.31 fd00:99:50::31
    static_addr sdi-h2 10.99.50.32
    ip netns exec sdi-h1 sh -c 'mount -t tmpfs sdi-run /run && exec avahi-daemon --no-drop-root --no-chroot --no-rlimits' \
        >"$WORK/avahi.log" 2>&1 &
    PIDS+=($!)
    ip netns exec sdi-h2 setsid nmbd --foreground --no-process-group --debug-stdout -s "$n/smb.conf" \
        >"$n/nmbd.out" 2>&1 &
    PIDS+=($!)
    local i
    for i in $(seq 1 150); do
        grep -q "Server startup complete" "$WORK/avahi.log" && break
        sleep 0.1
    done
    grep -q "Server startup complete" "$WORK/avahi.log" || { cat "$WORK/avahi.log" >&2; die "avahi-daemon did not start"; }
    # nmbd's broadcast registration: 3 requests about 0.5 s apart per name, then it claims them
    sleep 6
    vendor $c sdi-h1 -4 acme.zendesk.com laptop-alice.local - - "mdns: avahi announces A and AAAA of laptop-alice.local"
    vendor $c sdi-h2 -4 widget.intercom.io desk-bob - - "nbns: nmbd registers DESK-BOB<00> by broadcast"
    cap_stop
}

# ------------------------------------------------------------------------- truth
declare -A EXERCISE
describe() { EXERCISE[$1]=$2; }
describe dhcp_two_hosts.pcap "Two DHCP clients against dnsmasq on a bridge: isc-dhcp-client dhclient (MAC ${MAC[sdi-h1]}, option 12 laptop-alice) gets $REASSIGN_IP and curls acme.zendesk.com; busybox udhcpc (MAC ${MAC[sdi-h2]}, option 81 desk-bob.corp.test, no option 12) gets a dynamic address and curls widget.intercom.io; laptop-alice curls docs.helpscout.net; then dhclient -6 (Client FQDN laptop-alice.corp.test) gets a DHCPv6 address and curls acme.freshdesk.com over IPv6. Each vendor connection: DNS query to dnsmasq, then TLS with SNI"
describe dhcp_reassign.pcap "One address, two devices in turn: dhclient laptop-alice (MAC ${MAC[sdi-h1]}) leases $REASSIGN_IP, curls acme.zendesk.com, sends DHCPRELEASE; dhclient tablet-carol (MAC ${MAC[sdi-h3]}) then leases the same $REASSIGN_IP (dnsmasq dhcp-host with both MACs) and curls acme.zendesk.com: time-aware attribution"
describe kerberos.pcap "MIT kinit against krb5kdc (realm $REALM): 10.99.50.21 alice@$REALM over UDP, then curls acme.zendesk.com; 10.99.50.22 over TCP (udp_preference_limit = 1) host/desk-bob.corp.test (keytab), DESK-BOB\$ (machine account) and bob, then curls widget.intercom.io"
describe smb_ntlm.pcap "NTLMSSP: smbclient (SMB3, workgroup CORP, netbios name LAPTOP-ALICE) as alice against standalone smbd from 10.99.50.21, then curl acme.zendesk.com; curl --ntlm -u bob against an HTTP responder on port 80 (401 WWW-Authenticate: NTLM) from 10.99.50.22, then curl widget.intercom.io"
describe mdns_nbns.pcap "avahi-daemon on 10.99.50.31 / fd00:99:50::31 announces laptop-alice.local (A and AAAA, each from its own address family; avahi does not publish the link-local address next to a global one); nmbd on 10.99.50.32 registers DESK-BOB (<00>, <03>, <20>) and workgroup CORP by broadcast; then each host curls a vendor"

# Configured identity that must be in each capture's tshark truth: "ip-or-* field value source"
# (* = any address: the DHCP addresses are dynamic)
declare -A MUST
MUST[dhcp_two_hosts.pcap]="$REASSIGN_IP hostname laptop-alice dhcp
$REASSIGN_IP mac ${MAC[sdi-h1]} dhcp
* hostname desk-bob.corp.test dhcp_fqdn
* mac ${MAC[sdi-h2]} dhcp
$REASSIGN_IP6 hostname laptop-alice.corp.test dhcpv6"
MUST[dhcp_reassign.pcap]="$REASSIGN_IP hostname laptop-alice dhcp
$REASSIGN_IP mac ${MAC[sdi-h1]} dhcp
$REASSIGN_IP hostname tablet-carol dhcp
$REASSIGN_IP mac ${MAC[sdi-h3]} dhcp"
MUST[kerberos.pcap]="10.99.50.21 user alice@corp.test kerberos
10.99.50.22 user host/desk-bob.corp.test@corp.test kerberos
10.99.50.22 user desk-bob\$@corp.test kerberos
10.99.50.22 user bob@corp.test kerberos"
MUST[smb_ntlm.pcap]="10.99.50.21 user corp\\alice ntlm
10.99.50.21 hostname laptop-alice ntlm
10.99.50.22 user bob ntlm
10.99.50.22 hostname workstation ntlm"
MUST[mdns_nbns.pcap]="10.99.50.31 hostname laptop-alice.local mdns
fd00:99:50::31 hostname laptop-alice.local mdns
10.99.50.32 hostname desk-bob nbns"

# check_truth <capture>: every configured row is in <capture>.identity.tsv; the vendor names
# curled are in the DNS/TLS truth
check_truth() {
    local f=$1 ip field value source ok=1
    while read -r ip field value source; do
        # ENVIRON, not -v: awk -v would read the backslash in corp\alice as an escape.
        if ! W_IP=$ip W_F=$field W_V=$value W_S=$source awk -F'\t' \
                'NR > 1 && (ENVIRON["W_IP"] == "*" || $1 == ENVIRON["W_IP"]) && $2 == ENVIRON["W_F"] \
                 && $3 == ENVIRON["W_V"] && $4 == ENVIRON["W_S"] {found = 1} END {exit !found}' \
                "$OUT/$f.identity.tsv"; then
            log "BAD  $f: no truth row $ip $field $value $source"
            ok=0
        fi
    done <<<"${MUST[$f]}"
    local name
    for name in $(awk -F'\t' -v c="$f" '$1 == c {print $4}' "$OUT/EXPECTED.tsv"); do
        awk -F'\t' -v n="$name" 'NR > 1 && $1 == "tls" && $6 == n {found = 1} END {exit !found}' "$OUT/$f.truth.tsv" \
            || { log "BAD  $f: no TLS truth row for $name"; ok=0; }
    done
    [ $ok = 1 ] || FAILED+=("$f (truth)")
}

write_truth() {
    rm -rf "$OUT"; mkdir -p "$OUT"
    { printf 'capture\tts_or_order\tclient_ip\tvendor_hostname\texpected_host_name\texpected_host_mac\texpected_user\tevidence\n'
      cat "$EXPECTED_ROWS"; } >"$OUT/EXPECTED.tsv"
    local f rows=$WORK/manifest.rows
    : >"$rows"
    for f in $(printf '%s\n' "${!EXERCISE[@]}" | sort); do
        take_capture "$f" || continue
        local json lt fmt np sz tls dns split qnames snis ids clients
        json=$(python3 "$GEN_TRUTH" "$OUT/$f" "$OUT/$f")
        python3 "$GEN_ID_TRUTH" "$OUT/$f" >/dev/null
        read -r lt fmt np sz < <(capture_facts "$OUT/$f")
        read -r tls dns split < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["tls"], j["dns"], j["split_ch"])' "$json")
        qnames=$(awk -F'\t' 'NR > 1 && $1 == "dns" {print $6}' "$OUT/$f.truth.tsv" | sort -u | paste -sd,)
        snis=$(awk -F'\t' 'NR > 1 && $1 == "tls" {print $6}' "$OUT/$f.truth.tsv" | sort -u | paste -sd,)
        ids=$(awk -F'\t' 'NR > 1 {print $4}' "$OUT/$f.identity.tsv" | sort | uniq -c | awk '{printf "%s%s=%s", sep, $2, $1; sep=","}')
        clients=$(awk -F'\t' -v c="$f" '$1 == c {print $3}' "$OUT/EXPECTED.tsv" | sort -u | paste -sd,)
        printf 'identity/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$lt" "$fmt" "$np" "$sz" \
            "$tls" "$dns" "$split" "${EXERCISE[$f]}; identity truth rows: $ids" "$clients" "$S4,$S6" \
            "$qnames" "$snis" "" >>"$rows"
        check_truth "$f"
        if [ "$sz" -lt $MAXSIZE ]; then
            log "ok   $f: $lt/$fmt, $np packets, $sz bytes, tls=$tls dns=$dns identity: $ids"
        else
            log "BAD  $f: $sz bytes (limit $MAXSIZE)"; FAILED+=("$f (size)")
        fi
    done
    manifest_replace identity "$rows"
}

# -------------------------------------------------------------------------- main
setup_net
write_client_scripts
start_dnsmasq
start_tls
start_kdc
start_smbd
start_ntlm_http
log "servers up: dnsmasq (DHCP, DHCPv6, DNS), s_server 443, krb5kdc 88, smbd 445, NTLM HTTP 80"
run_step scen_dhcp_two_hosts
run_step scen_dhcp_reassign
run_step scen_kerberos
run_step scen_smb_ntlm
run_step scen_mdns_nbns
write_truth
exit_if_failed
