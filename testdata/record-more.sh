#!/usr/bin/env bash
# Records the extra captures in testdata/captures/more/: IP fragments, a real
# kernel VXLAN tunnel (IPv4 and IPv6 underlay, and VXLAN in VXLAN), NFLOG,
# STARTTLS (SMTP, IMAP, POP3), PostgreSQL SSLRequest, an HTTP CONNECT proxy,
# SOCKS5 and SOCKS4a.  Geneve, GRE, GRE-TAP, ERSPAN II/III and MPLS are also
# made for real by Open vSwitch's userspace datapath (ovs_*.pcap).  Tunnel and
# link types that neither this kernel nor OVS makes here (and, for comparison,
# the OVS ones too) are REAL recorded packets wrapped in outer headers by
# testdata/wrap.py: GRE, GRE-TAP, IPIP, SIT, ip6tnl, Geneve, MPLS, PPPoE,
# GTP-U, Teredo, ERSPAN II/III, CAPWAP, PPP, 802.11, radiotap.
#
# Everything talks only inside three private network namespaces made here
# (sdm-cli, sdm-srv, sdm-rtr), with no default route.
#
#   sudo testdata/record-more.sh      # (re)writes testdata/captures/more/*
#
# It replaces only captures/more/ and the MANIFEST rows whose file starts with
# "more/"; the other recording scripts leave both alone, so order does not matter.
#
# Needs (Debian 12): everything record.sh needs, plus iptables tinyproxy
#   dante-server openssh-server postgresql python3-dnspython openvswitch-switch
#   (only its userspace programs are used; no kernel module).  See README.md.
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
OUT="$HERE/captures/more"
GEN_TRUTH=${GEN_TRUTH:-/work/shared/pcaps/public/gen_truth.py}
WRAP="$HERE/wrap.py"
MAILSRV="$HERE/starttls_server.py"
SYSPY=/usr/bin/python3          # Debian's python3, for python3-dnspython
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

CLI=sdm-cli
SRV=sdm-srv
RTR=sdm-rtr
# main link (same addressing as record.sh, other namespace and device names)
VC=sdm-c; VS=sdm-s
C4=10.99.0.1; S4=10.99.0.2; S4B=10.99.0.3; C6=fd00:99::1; S6=fd00:99::2
# "inner" link whose recording is wrapped by wrap.py (MTU 1400 so that the
# wrapped frames stay under 1500 bytes)
IC=sdm-ic; IS=sdm-is
IC4=10.99.10.1; IS4=10.99.10.2; IC6=fd00:99:10::1; IS6=fd00:99:10::2
# real VXLAN tunnels
VX4=sdm-vx4; VX6=sdm-vx6; VXN=sdm-vxn
T4C=10.99.1.1; T4S=10.99.1.2; T4C6=fd00:99:1::1; T4S6=fd00:99:1::2      # VXLAN over IPv4
TNC=10.99.2.1; TNS=10.99.2.2; TNC6=fd00:99:2::1; TNS6=fd00:99:2::2      # VXLAN in VXLAN
T6C=10.99.3.1; T6S=10.99.3.2; T6C6=fd00:99:3::1; T6S6=fd00:99:3::2      # VXLAN over IPv6
# fragmenting router: cli sdm-fc 10.99.20.1 -- sdm-fr1 [rtr] sdm-fr2 (MTU 500) -- sdm-fs 10.99.21.2 srv
FC=sdm-fc; FR1=sdm-fr1; FR2=sdm-fr2; FS=sdm-fs
FC4=10.99.20.1; FR14=10.99.20.254; FR24=10.99.21.254; FS4=10.99.21.2
FRAG_MTU=500
# Open vSwitch (userspace "netdev" datapath) tunnels: underlay veth sdm-oc/sdm-os
# under bridge br-phy (10.99.30.x), tunnel port tun0 on br-int (10.99.31.x);
# MPLS: veth sdm-mc/sdm-ms under bridge br-mpls (10.99.32.x)
OC=sdm-oc; OS=sdm-os; MC=sdm-mc; MS=sdm-ms
OU4S=10.99.30.2            # client side: 10.99.30.1
OTC=10.99.31.1; OTS=10.99.31.2; OTC6=fd00:99:31::1; OTS6=fd00:99:31::2
OMC=10.99.32.1; OMS=10.99.32.2; OMC6=fd00:99:32::1; OMS6=fd00:99:32::2

TAG=record-more
# shellcheck source=lib.sh
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
for b in ip ethtool tcpdump dnsmasq dig openssl curl tshark capinfos python3 iptables ip6tables \
         tinyproxy danted /usr/sbin/sshd ssh ssh-keygen psql setpriv unshare "$SYSPY" \
         ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl ovs-ofctl ovs-appctl; do
    command -v "$b" >/dev/null || die "missing $b (apt-get install -y tcpdump dnsmasq-base bind9-dnsutils openssl curl tshark wireshark-common iproute2 ethtool python3 iptables tinyproxy dante-server openssh-server postgresql python3-dnspython openvswitch-switch)"
done
"$SYSPY" -c 'import dns.message' 2>/dev/null || die "missing python3-dnspython for $SYSPY"
[ -x "$PGBIN/postgres" ] || die "postgres server binary not found (apt-get install -y postgresql)"
[ -r "$GEN_TRUTH" ] || die "gen_truth.py not found at $GEN_TRUTH (set GEN_TRUTH=...)"

WORK=$(mktemp -d /tmp/sd-record-more.XXXXXX)
chmod 755 "$WORK"
MADE_RUN_SSHD=0

cleanup() {
    local rc=$? p
    set +e
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    sleep 0.3
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    kill_ns_procs "$CLI"; kill_ns_procs "$SRV"; kill_ns_procs "$RTR"
    ip netns del "$CLI" 2>/dev/null
    ip netns del "$SRV" 2>/dev/null
    ip netns del "$RTR" 2>/dev/null
    [ $MADE_RUN_SSHD = 1 ] && rmdir /run/sshd 2>/dev/null
    rm -rf "$WORK"
    [ $rc = 0 ] && log "done" || log "failed (rc=$rc)"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

inrtr() { ip netns exec "$RTR" "$@"; }

# ---------------------------------------------------------------- namespaces
ifup() {   # ifup <ns> <dev> <mtu> [addr/len ...]: offloads off (also tx checksum), DAD off
    local ns=$1 dev=$2 mtu=$3 a; shift 3
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.accept_dad=0" "net.ipv6.conf.$dev.router_solicitations=0" 2>/dev/null || true
    ip netns exec "$ns" ip link set "$dev" mtu "$mtu"
    for a in "$@"; do
        case $a in *:*) ip netns exec "$ns" ip -6 addr add "$a" dev "$dev" nodad ;;
                   *)   ip netns exec "$ns" ip addr add "$a" dev "$dev" ;; esac
    done
    ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip netns exec "$ns" ip link set "$dev" up
}
veth() {   # veth <ns1> <dev1> <ns2> <dev2>
    ip link add "$2" type veth peer name "$4"
    ip link set "$2" netns "$1"
    ip link set "$4" netns "$3"
}
mac_of() { ip netns exec "$1" cat "/sys/class/net/$2/address"; }

setup_net() {
    local ns
    for ns in "$CLI" "$SRV" "$RTR"; do
        kill_ns_procs "$ns"; ip netns del "$ns" 2>/dev/null || true
    done
    for ns in "$CLI" "$SRV" "$RTR"; do
        ip netns add "$ns"
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
        ip netns exec "$ns" ip link set lo up
    done
    # main link
    veth "$CLI" "$VC" "$SRV" "$VS"
    ifup "$CLI" "$VC" 1500 "$C4/24" "$C6/64"
    ifup "$SRV" "$VS" 1500 "$S4/24" "$S4B/24" "$S6/64"
    # inner link for wrap.py, with static neighbours (no ARP / ND in the recording)
    veth "$CLI" "$IC" "$SRV" "$IS"
    ifup "$CLI" "$IC" 1400 "$IC4/24" "$IC6/64"
    ifup "$SRV" "$IS" 1400 "$IS4/24" "$IS6/64"
    incli ip neigh replace "$IS4" lladdr "$(mac_of "$SRV" "$IS")" nud permanent dev "$IC"
    incli ip -6 neigh replace "$IS6" lladdr "$(mac_of "$SRV" "$IS")" nud permanent dev "$IC"
    insrv ip neigh replace "$IC4" lladdr "$(mac_of "$CLI" "$IC")" nud permanent dev "$IS"
    insrv ip -6 neigh replace "$IC6" lladdr "$(mac_of "$CLI" "$IC")" nud permanent dev "$IS"
    # real kernel VXLAN: IPv4 underlay, IPv6 underlay, and VXLAN inside the IPv4 one
    incli ip link add "$VX4" type vxlan id 4242 dstport 4789 local "$C4" remote "$S4" dev "$VC"
    insrv ip link add "$VX4" type vxlan id 4242 dstport 4789 local "$S4" remote "$C4" dev "$VS"
    ifup "$CLI" "$VX4" 1450 "$T4C/24" "$T4C6/64"
    ifup "$SRV" "$VX4" 1450 "$T4S/24" "$T4S6/64"
    incli ip link add "$VX6" type vxlan id 4243 dstport 4789 local "$C6" remote "$S6" dev "$VC"
    insrv ip link add "$VX6" type vxlan id 4243 dstport 4789 local "$S6" remote "$C6" dev "$VS"
    ifup "$CLI" "$VX6" 1430 "$T6C/24" "$T6C6/64"
    ifup "$SRV" "$VX6" 1430 "$T6S/24" "$T6S6/64"
    incli ip link add "$VXN" type vxlan id 4244 dstport 4789 local "$T4C" remote "$T4S" dev "$VX4"
    insrv ip link add "$VXN" type vxlan id 4244 dstport 4789 local "$T4S" remote "$T4C" dev "$VX4"
    ifup "$CLI" "$VXN" 1400 "$TNC/24" "$TNC6/64"
    ifup "$SRV" "$VXN" 1400 "$TNS/24" "$TNS6/64"
    # fragmenting router: the client does not set DF (ip_no_pmtu_disc=1); the
    # server advertises MSS 1460 (advmss) although its link has MTU $FRAG_MTU,
    # so the router has to fragment the client's big TCP segments.
    veth "$CLI" "$FC" "$RTR" "$FR1"
    veth "$RTR" "$FR2" "$SRV" "$FS"
    ifup "$CLI" "$FC" 1500 "$FC4/24"
    ifup "$RTR" "$FR1" 1500 "$FR14/24"
    ifup "$RTR" "$FR2" "$FRAG_MTU" "$FR24/24"
    ifup "$SRV" "$FS" "$FRAG_MTU" "$FS4/24"
    inrtr sysctl -qw net.ipv4.ip_forward=1
    incli sysctl -qw net.ipv4.ip_no_pmtu_disc=1
    incli ip route add 10.99.21.0/24 via "$FR14" dev "$FC"
    insrv ip route add 10.99.20.0/24 via "$FR24" dev "$FS" advmss 1460

    local a
    for a in "$S4" "$S6" "$IS4" "$IS6" "$T4S" "$T4S6" "$T6S" "$T6S6" "$TNS" "$TNS6" "$FS4"; do
        incli ping -c1 -W3 "$a" >/dev/null 2>&1 || incli ping -c1 -W3 "$a" >/dev/null || die "no route to $a"
    done
    log "namespaces up: $CLI <-> $SRV (veth, inner veth MTU 1400, VXLAN v4/v6/nested) and $CLI <-> $RTR <-> $SRV (MTU $FRAG_MTU)"
}

# ------------------------------------------------------------ Open vSwitch
# One ovsdb-server + ovs-vswitchd per namespace, userspace datapath
# (datapath_type=netdev: AF_PACKET on the veth, tap devices for the bridges'
# own ports), so it needs no openvswitch kernel module.  OVS builds the
# Geneve / GRE / ERSPAN / MPLS headers itself.
ovsdir() { echo "$WORK/ovs-$1"; }
ovsctl() { local ns=$1; shift; ovs-vsctl --db="unix:$(ovsdir "$ns")/db.sock" --timeout=10 "$@"; }
ofctl()  { local ns=$1 br=$2; shift 2; ip netns exec "$ns" ovs-ofctl -O OpenFlow13 "$1" "unix:$(ovsdir "$ns")/$br.mgmt" "${@:2}"; }
ovs_start() {   # ovs_start <ns>
    local ns=$1 d i
    d=$(ovsdir "$ns"); mkdir -p "$d"
    ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d ip netns exec "$ns" ovsdb-server "$d/conf.db" \
        --remote="punix:$d/db.sock" --pidfile="$d/ovsdb.pid" --unixctl="$d/ovsdb.ctl" --log-file="$d/ovsdb.log" \
        >/dev/null 2>&1 &
    PIDS+=($!)
    for i in $(seq 1 50); do [ -S "$d/db.sock" ] && break; sleep 0.1; done
    ovsctl "$ns" --no-wait init
    OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d ip netns exec "$ns" ovs-vswitchd "unix:$d/db.sock" \
        --pidfile="$d/vswitchd.pid" --unixctl="$d/vswitchd.ctl" --log-file="$d/vswitchd.log" >/dev/null 2>&1 &
    PIDS+=($!)
    for i in $(seq 1 50); do [ -S "$d/vswitchd.ctl" ] && break; sleep 0.1; done
}
setup_ovs() {
    veth "$CLI" "$OC" "$SRV" "$OS"
    veth "$CLI" "$MC" "$SRV" "$MS"
    local ns n dev mdev peer mac
    for ns in "$CLI" "$SRV"; do
        if [ "$ns" = "$CLI" ]; then n=1 dev=$OC mdev=$MC; else n=2 dev=$OS mdev=$MS; fi
        peer=$((3 - n))
        ifup "$ns" "$dev" 1500
        ifup "$ns" "$mdev" 1500
        ovs_start "$ns"
        ovsctl "$ns" add-br br-phy -- set bridge br-phy datapath_type=netdev \
            -- add-port br-phy "$dev" -- set interface "$dev" ofport_request=1
        ovsctl "$ns" add-br br-int -- set bridge br-int datapath_type=netdev
        ovsctl "$ns" add-br br-mpls -- set bridge br-mpls datapath_type=netdev \
            -- add-port br-mpls "$mdev" -- set interface "$mdev" ofport_request=1
        # pin the MTU of the bridges' own (tap) ports: OVS otherwise resets them to
        # the smallest MTU of the bridge's other ports (1500) when a port changes
        ovsctl "$ns" set interface br-int mtu_request=1400 -- set interface br-mpls mtu_request=1400
        ifup "$ns" br-phy 1500 "10.99.30.$n/24"
        ifup "$ns" br-int 1400 "10.99.31.$n/24" "fd00:99:31::$n/64"
        ifup "$ns" br-mpls 1400 "10.99.32.$n/24" "fd00:99:32::$n/64"
        # MPLS: IPv4 gets one label (16010), IPv6 two (16020 over 24001); the
        # receiving side pops them and hands the packet to its own port.
        mac=$(mac_of "$ns" br-mpls)
        ip netns exec "$ns" ip neigh replace "10.99.32.$peer" lladdr "02:00:00:00:32:0$peer" nud permanent dev br-mpls
        ip netns exec "$ns" ip -6 neigh replace "fd00:99:32::$peer" lladdr "02:00:00:00:32:0$peer" nud permanent dev br-mpls
        ofctl "$ns" br-mpls del-flows
        ofctl "$ns" br-mpls add-flow "priority=100,in_port=LOCAL,ip,actions=push_mpls:0x8847,set_field:16010->mpls_label,set_mpls_ttl:64,output:1"
        ofctl "$ns" br-mpls add-flow "priority=100,in_port=LOCAL,ipv6,actions=push_mpls:0x8847,set_field:24001->mpls_label,set_mpls_ttl:64,push_mpls:0x8847,set_field:16020->mpls_label,set_mpls_ttl:64,output:1"
        ofctl "$ns" br-mpls add-flow "priority=100,in_port=1,mpls,mpls_label=16010,mpls_bos=1,actions=pop_mpls:0x0800,set_field:$mac->eth_dst,LOCAL"
        ofctl "$ns" br-mpls add-flow "priority=100,in_port=1,mpls,mpls_label=16020,mpls_bos=0,actions=pop_mpls:0x8847,resubmit(,1)"
        ofctl "$ns" br-mpls add-flow "table=1,priority=100,mpls,mpls_label=24001,mpls_bos=1,actions=pop_mpls:0x86dd,set_field:$mac->eth_dst,LOCAL"
    done
    ovs_tunnel geneve "type=geneve options:key=4242"
    incli ping -c1 -W3 "$OTS" >/dev/null 2>&1 || incli ping -c1 -W3 "$OTS" >/dev/null || { log "no route over the OVS Geneve tunnel"; return 1; }
    incli ping -c1 -W3 "$OMS" >/dev/null || { log "no route over OVS MPLS"; return 1; }
    incli ping -6 -c1 -W3 "$OMS6" >/dev/null || { log "no IPv6 route over OVS MPLS"; return 1; }
}
ovs_tunnel() {   # ovs_tunnel <l2|l3 name> <interface settings>: (re)creates tun0 on br-int on both sides
    local kind=$1 set_if=$2 ns n peer mac
    for ns in "$CLI" "$SRV"; do
        if [ "$ns" = "$CLI" ]; then n=1; else n=2; fi
        peer=$((3 - n))
        # shellcheck disable=SC2086
        ovsctl "$ns" -- --if-exists del-port br-int tun0 -- add-port br-int tun0 \
            -- set interface tun0 ofport_request=10 $set_if options:remote_ip="10.99.30.$peer"
        ip netns exec "$ns" ip neigh flush dev br-int
        ip netns exec "$ns" ip -6 neigh flush dev br-int
        ofctl "$ns" br-int del-flows
        if [ "$kind" = gre3 ]; then
            # L3 GRE (packet_type=legacy_l3): OVS strips the Ethernet header on
            # the way in and adds a zero one on the way out; static neighbours
            mac=$(mac_of "$ns" br-int)
            ip netns exec "$ns" ip neigh replace "10.99.31.$peer" lladdr "02:00:00:00:31:0$peer" nud permanent dev br-int
            ip netns exec "$ns" ip -6 neigh replace "fd00:99:31::$peer" lladdr "02:00:00:00:31:0$peer" nud permanent dev br-int
            ofctl "$ns" br-int add-flow "priority=100,in_port=LOCAL,ip,actions=output:10"
            ofctl "$ns" br-int add-flow "priority=100,in_port=LOCAL,ipv6,actions=output:10"
            ofctl "$ns" br-int add-flow "priority=100,in_port=10,actions=set_field:$mac->eth_dst,LOCAL"
        else
            ofctl "$ns" br-int add-flow "priority=0,actions=NORMAL"
        fi
    done
    sleep 0.5
}

probe_kernel_tunnels() {   # logs which tunnel device types this kernel can create (in $RTR, then deleted)
    local t res=() n=0 lbl m
    for t in "vxlan id 9 dstport 4789 local 10.0.0.1 remote 10.0.0.2" "geneve id 9 remote 10.0.0.2" \
             "gre local 10.0.0.1 remote 10.0.0.2" "gretap local 10.0.0.1 remote 10.0.0.2" \
             "ipip local 10.0.0.1 remote 10.0.0.2" "sit local 10.0.0.1 remote 10.0.0.2" \
             "ip6tnl mode ipip6 local fd00::1 remote fd00::2" "ip6tnl mode ip6ip6 local fd00::1 remote fd00::2" \
             "ip6gre local fd00::1 remote fd00::2" "erspan seq key 1 erspan_ver 1 erspan 1 local 10.0.0.1 remote 10.0.0.2" \
             "bareudp dstport 6635 ethertype mpls_uc"; do
        n=$((n + 1)); lbl=${t%% *}
        case $t in *" mode "*) m=${t#* mode }; lbl="$lbl-${m%% *}" ;; esac
        # shellcheck disable=SC2086
        if inrtr ip link add "sdm-probe$n" type $t >/dev/null 2>&1; then
            res+=("$lbl=yes"); inrtr ip link del "sdm-probe$n"
        else
            res+=("$lbl=no")
        fi
    done
    [ -d /proc/sys/net/mpls ] && res+=("mpls-routing=yes") || res+=("mpls-routing=no")
    log "kernel tunnel devices: ${res[*]}"
}

# ------------------------------------------------------------------ servers

BIGTXT=$(python3 -c 'print(",".join("%s" % (chr(97 + i) * 200) for i in range(14)))')
LONGALPN="h2,http/1.1$(python3 -c 'print("".join(",x-shadowdesk-test-%d-%s" % (i, "p" * 180) for i in range(6)))')"

start_dns() {
    local a many=()
    for a in $(seq 1 120); do many+=("--address=/many.helpscout.net/10.99.5.$a"); done
    insrv dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
        --user=root --group=root --port=53 --bind-dynamic --edns-packet-max=4096 \
        --listen-address="$S4" --listen-address="$S6" --listen-address="$IS4" --listen-address="$IS6" \
        --listen-address="$T4S" --listen-address="$T4S6" --listen-address="$T6S" --listen-address="$T6S6" \
        --listen-address="$TNS" --listen-address="$TNS6" --listen-address="$OTS" --listen-address="$OTS6" \
        --listen-address="$OMS" --listen-address="$OMS6" \
        --pid-file="$WORK/dnsmasq.pid" --log-queries --log-facility="$WORK/dnsmasq.log" \
        --host-record=acme.zendesk.com,"$S4","$S6" \
        --cname=help.acme-corp.example,acme.zendesk.com \
        --host-record=docs.helpscout.net,"$S4","$S6" \
        --host-record=widget.intercom.io,"$S4","$S6" \
        --host-record=acme.kustomerapp.com,"$S4" \
        --txt-record=big.zendesk.com,"$BIGTXT" \
        "${many[@]}" \
        --local=/zendesk.com/acme-corp.example/helpscout.net/intercom.io/kustomerapp.com/ \
        2>"$WORK/dnsmasq.err" &
    PIDS+=($!)
    wait_listen u "$S4:53" && wait_listen u "[$S6]:53" && wait_listen u "$IS4:53" && wait_listen u "[$T6S6]:53"
}

start_tls() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=shadowdesk-test" \
        -addext "subjectAltName=DNS:acme.zendesk.com,DNS:acme.kustomerapp.com,DNS:docs.helpscout.net,DNS:widget.intercom.io,DNS:mail.zendesk.com" \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
    chmod 644 "$WORK/key.pem" "$WORK/cert.pem"
    # one dual-stack listener on *:443 serves every server address
    insrv openssl s_server -accept 443 -cert "$WORK/cert.pem" -key "$WORK/key.pem" \
        -www -alpn http/1.1 -quiet </dev/null >>"$WORK/s_server.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "*:443"
}

start_mail() {
    local x p
    for x in smtp:25 imap:143 pop3:110; do
        insrv python3 "$MAILSRV" "${x%%:*}" "$S4" "${x#*:}" "$WORK/cert.pem" "$WORK/key.pem" 2>>"$WORK/mail.log" &
        PIDS+=($!)
    done
    for p in 25 143 110; do wait_listen t "$S4:$p" || return 1; done
}

start_postgres() {
    local pg=$WORK/pg
    mkdir -p "$pg/sock"
    cp "$WORK/cert.pem" "$WORK/key.pem" "$pg/"
    printf 'local all all trust\nhostssl all all 10.99.0.0/24 trust\n' >"$pg/hba.conf"
    chown -R postgres: "$pg"; chmod 600 "$pg/key.pem"
    setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/initdb" -D "$pg/data" -A trust -U postgres >"$WORK/initdb.log" 2>&1 \
        || { log "initdb failed"; cat "$WORK/initdb.log" >&2; return 1; }
    # ssl_ecdh_curve stays at its default (prime256v1): libpq offers an X25519
    # key share first, so the server answers with a HelloRetryRequest and the
    # client sends a second ClientHello on the same connection.
    insrv setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" -D "$pg/data" \
        -c listen_addresses="$S4" -c port=5432 -c ssl=on -c ssl_cert_file="$pg/cert.pem" \
        -c ssl_key_file="$pg/key.pem" -c hba_file="$pg/hba.conf" -c unix_socket_directories="$pg/sock" \
        -c logging_collector=off >"$WORK/postgres.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4:5432"
}

# the proxies resolve the target names themselves: they run in a private mount
# namespace where /etc/hosts maps the test names to the server namespace (and
# /etc/resolv.conf points at its dnsmasq), so nothing is looked up outside.
inproxyns() {
    insrv unshare -m sh -c 'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"' \
        sh "$WORK/hosts" "$WORK/resolv.conf" "$@"
}

start_proxies() {
    printf '127.0.0.1 localhost\n%s acme.zendesk.com docs.helpscout.net widget.intercom.io acme.kustomerapp.com\n' "$S4" >"$WORK/hosts"
    printf 'nameserver %s\n' "$S4" >"$WORK/resolv.conf"
    chmod 644 "$WORK/hosts" "$WORK/resolv.conf"
    # tinyproxy (HTTP CONNECT) on 10.99.0.2:3128, the port tshark dissects as HTTP by default
    cat >"$WORK/tinyproxy.conf" <<EOF
User nobody
Group nogroup
Port 3128
Listen $S4
Timeout 30
LogLevel Info
MaxClients 10
Allow 10.99.0.0/24
ConnectPort 443
PidFile "$WORK/tinyproxy.pid"
LogFile "$WORK/tinyproxy.log"
EOF
    : >"$WORK/tinyproxy.log"; chmod 666 "$WORK/tinyproxy.log"
    inproxyns tinyproxy -d -c "$WORK/tinyproxy.conf" >"$WORK/tinyproxy.out" 2>&1 &
    PIDS+=($!)
    # dante (SOCKS5; it rejects SOCKS4a requests) on 10.99.0.2:1080
    cat >"$WORK/danted.conf" <<EOF
logoutput: $WORK/danted.log
internal: $S4 port = 1080
external: $S4
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 10.99.0.0/24 to: 0.0.0.0/0 }
socks pass { from: 10.99.0.0/24 to: 0.0.0.0/0 protocol: tcp }
EOF
    inproxyns danted -f "$WORK/danted.conf" -p "$WORK/danted.pid" >"$WORK/danted.out" 2>&1 &
    PIDS+=($!)
    # OpenSSH dynamic forwarding (SOCKS4, SOCKS4a, SOCKS5) on 10.99.0.3:1080:
    # `ssh -D` to an sshd on the server namespace's loopback.
    [ -d /run/sshd ] || { mkdir -p /run/sshd; chmod 755 /run/sshd; MADE_RUN_SSHD=1; }
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh_host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$WORK/ssh_user_key"
    cp "$WORK/ssh_user_key.pub" "$WORK/authorized_keys"
    cat >"$WORK/sshd_config" <<EOF
ListenAddress 127.0.0.1:2222
HostKey $WORK/ssh_host_key
PermitRootLogin prohibit-password
AuthorizedKeysFile $WORK/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AllowTcpForwarding yes
PidFile $WORK/sshd.pid
EOF
    inproxyns /usr/sbin/sshd -D -e -f "$WORK/sshd_config" >"$WORK/sshd.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "127.0.0.1:2222" || return 1
    inproxyns ssh -N -g -D "$S4B:1080" -i "$WORK/ssh_user_key" -p 2222 -o BatchMode=yes \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
        root@127.0.0.1 >"$WORK/ssh.log" 2>&1 &
    PIDS+=($!)
    wait_listen t "$S4:3128" && wait_listen t "$S4:1080" && wait_listen t "$S4B:1080"
}

start_servers() {
    start_dns || die "dnsmasq did not start: $(cat "$WORK/dnsmasq.err")"
    start_tls || die "openssl s_server did not start"
    start_mail || log "WARNING: STARTTLS servers did not start: $(tail -3 "$WORK/mail.log")"
    start_postgres || log "WARNING: postgres did not start: $(tail -3 "$WORK/postgres.log")"
    start_proxies || log "WARNING: a proxy did not start"
    log "servers: dnsmasq, s_server *:443, smtp/imap/pop3 STARTTLS, postgres, tinyproxy, danted, sshd + ssh -D"
}

# ---------------------------------------------------------------- capturing
# cap_start <name> <ns> <iface> <filter>: writes $WORK/<name>.pcap
cap_start() { cap_in "$2" "$1" "$4" -i "$3"; }

DIG=(dig +tries=1 +time=3)
CURL=(curl -sk --max-time 10 -o /dev/null)
sclient() {   # sclient <host:port or [v6]:port> <sni> [more s_client options]
    local c=$1 sni=$2; shift 2
    incli timeout 15 openssl s_client -connect "$c" -servername "$sni" "$@" </dev/null >>"$WORK/s_client.log" 2>&1
}
bigquery() {  # bigquery <server> <name>: one UDP query of ~1.8 KB (1700-byte EDNS option 65001) -> IP fragments
    incli "$SYSPY" - "$1" "$2" >>"$WORK/dig.log" <<'EOF'
import sys, dns.message, dns.query, dns.edns, dns.rcode
q = dns.message.make_query(sys.argv[2], "A", use_edns=0, payload=4096,
                           options=[dns.edns.GenericOption(65001, b"shadowdesk-fragmented-query:" + b"\x00" * 1672)])
r = dns.query.udp(q, sys.argv[1], timeout=3)
print("bigquery", sys.argv[2], len(q.to_wire()), "bytes ->", dns.rcode.to_text(r.rcode()), len(r.answer), "rrsets")
EOF
}

# ---------------------------------------------------------------- scenarios
scen_frag_dns() {   # fragmented answers (big TXT, 120 A records) and a fragmented query
    local fam srv
    for fam in v4 v6; do
        [ $fam = v4 ] && srv=$S4 || srv=$S6
        cap_start "frag_dns_$fam" "$CLI" "$VC" "host $srv"
        incli "${DIG[@]}" +bufsize=4096 @"$srv" big.zendesk.com TXT >>"$WORK/dig.log"
        incli "${DIG[@]}" +bufsize=4096 @"$srv" many.helpscout.net A >>"$WORK/dig.log"
        bigquery "$srv" help.acme-corp.example
        cap_stop
    done
}

scen_dns_tcp_split() {   # dig switches a 1.8 KB query to TCP by itself; dig's MSS 1220 splits it over 2 segments
    local srv h
    h=$(python3 -c 'print("00" * 1700)')
    cap_start dns_tcp_split "$CLI" "$VC" "host $S4 or host $S6"
    for srv in "$S4" "$S6"; do
        incli "${DIG[@]}" +ednsopt=65001:"$h" @"$srv" docs.helpscout.net A >>"$WORK/dig.log"
    done
    cap_stop
}

scen_frag_tls() {   # ClientHellos that the router fragments at the IP level (MTU 500, DF not set)
    cap_start frag_tls_v4 "$SRV" "$FS" "host $FC4"
    incli "${CURL[@]}" --resolve acme.zendesk.com:443:"$FS4" https://acme.zendesk.com/
    sclient "$FS4:443" acme.kustomerapp.com -alpn "$LONGALPN"
    cap_stop
}

tunnel_traffic() {   # tunnel_traffic <srv4> <srv6>
    incli "${DIG[@]}" @"$1" acme.zendesk.com A >>"$WORK/dig.log"
    incli "${DIG[@]}" @"$2" widget.intercom.io AAAA >>"$WORK/dig.log"
    incli "${CURL[@]}" --resolve acme.zendesk.com:443:"$1" https://acme.zendesk.com/
    incli "${CURL[@]}" --resolve "docs.helpscout.net:443:[$2]" https://docs.helpscout.net/
    sclient "$1:443" acme.kustomerapp.com -alpn "$LONGALPN"     # ~1.6 KB ClientHello: 2 segments
}

scen_vxlan() {   # real kernel VXLAN, captured on the underlay veth
    cap_start vxlan "$CLI" "$VC" "host $S4 or host $S6"
    tunnel_traffic "$T4S" "$T4S6"
    cap_stop
    cap_start vxlan6 "$CLI" "$VC" "host $S4 or host $S6"
    tunnel_traffic "$T6S" "$T6S6"
    cap_stop
    cap_start vxlan_in_vxlan "$CLI" "$VC" "host $S4 or host $S6"
    tunnel_traffic "$TNS" "$TNS6"
    cap_stop
}

scen_ovs() {   # Open vSwitch userspace tunnels, captured on the underlay veth
    [ -S "$(ovsdir "$CLI")/vswitchd.ctl" ] || { log "OVS is not running"; return 1; }
    local spec name kind set_if
    for spec in "ovs_geneve|l2|type=geneve options:key=4242" \
                "ovs_gretap|l2|type=gre options:key=77" \
                "ovs_erspan2|l2|type=erspan options:key=100 options:erspan_ver=1 options:erspan_idx=7" \
                "ovs_erspan3|l2|type=erspan options:key=200 options:erspan_ver=2 options:erspan_dir=0 options:erspan_hwid=5" \
                "ovs_gre|gre3|type=gre options:packet_type=legacy_l3"; do
        IFS='|' read -r name kind set_if <<<"$spec"
        ovs_tunnel "$kind" "$set_if"
        cap_start "$name" "$CLI" "$OC" "host $OU4S"
        tunnel_traffic "$OTS" "$OTS6"
        cap_stop
    done
    cap_start ovs_mpls "$CLI" "$MC" "mpls"
    tunnel_traffic "$OMS" "$OMS6"
    cap_stop
}

scen_inner() {   # the source of every wrapped capture
    cap_start wrap_inner "$CLI" "$IC" "host $IS4 or host $IS6"
    incli "${DIG[@]}" @"$IS4" acme.zendesk.com A >>"$WORK/dig.log"
    incli "${DIG[@]}" @"$IS6" docs.helpscout.net AAAA >>"$WORK/dig.log"
    incli "${CURL[@]}" --resolve acme.zendesk.com:443:"$IS4" https://acme.zendesk.com/
    incli "${CURL[@]}" --resolve "widget.intercom.io:443:[$IS6]" https://widget.intercom.io/
    sclient "$IS4:443" acme.kustomerapp.com -alpn "$LONGALPN"
    sclient "[$IS6]:443" docs.helpscout.net -alpn "$LONGALPN"
    cap_stop
}

scen_nflog() {   # real NFLOG: iptables/ip6tables NFLOG rules in the client namespace, tcpdump -i nflog:5
    incli iptables -A OUTPUT -d "$S4" -j NFLOG --nflog-group 5
    incli iptables -A INPUT -s "$S4" -j NFLOG --nflog-group 5
    incli ip6tables -A OUTPUT -d "$S6" -j NFLOG --nflog-group 5
    incli ip6tables -A INPUT -s "$S6" -j NFLOG --nflog-group 5
    cap_start nflog "$CLI" nflog:5 ""
    incli "${DIG[@]}" @"$S4" acme.zendesk.com A >>"$WORK/dig.log"
    incli "${DIG[@]}" @"$S6" widget.intercom.io A >>"$WORK/dig.log"
    incli "${CURL[@]}" --resolve acme.zendesk.com:443:"$S4" https://acme.zendesk.com/
    incli "${CURL[@]}" --resolve "docs.helpscout.net:443:[$S6]" https://docs.helpscout.net/
    cap_stop
    incli iptables -F; incli ip6tables -F
}

scen_starttls() {
    cap_start smtp_starttls "$CLI" "$VC" "host $S4"
    printf 'EHLO client.acme-corp.example\r\nQUIT\r\n' | incli timeout 15 openssl s_client -starttls smtp \
        -servername mail.zendesk.com -connect "$S4:25" -crlf -ign_eof >>"$WORK/s_client.log" 2>&1
    cap_stop
    cap_start imap_starttls "$CLI" "$VC" "host $S4"
    printf 'a1 CAPABILITY\r\na2 LOGOUT\r\n' | incli timeout 15 openssl s_client -starttls imap \
        -servername docs.helpscout.net -connect "$S4:143" -crlf -ign_eof >>"$WORK/s_client.log" 2>&1
    cap_stop
    cap_start pop3_stls "$CLI" "$VC" "host $S4"
    printf 'CAPA\r\nQUIT\r\n' | incli timeout 15 openssl s_client -starttls pop3 \
        -servername widget.intercom.io -connect "$S4:110" -crlf -ign_eof >>"$WORK/s_client.log" 2>&1
    cap_stop
}

scen_postgres() {   # SSLRequest, then TLS; libpq sends the host name as SNI (sslsni=1)
    cap_start postgres_ssl "$CLI" "$VC" "host $S4"
    incli psql "host=acme.kustomerapp.com hostaddr=$S4 port=5432 sslmode=require user=postgres dbname=postgres connect_timeout=5" \
        -Atc 'select ssl, version from pg_stat_ssl where pid = pg_backend_pid()' >>"$WORK/psql.log" 2>&1
    grep -q '^t|TLS' "$WORK/psql.log" || { cat "$WORK/psql.log" >&2; cap_stop; return 1; }
    cap_stop
}

scen_proxies() {
    cap_start http_connect "$CLI" "$VC" "host $S4"
    incli "${CURL[@]}" -x "http://$S4:3128" https://acme.zendesk.com/ -w '%{http_code}\n' >>"$WORK/curl.log"
    cap_stop
    cap_start socks5 "$CLI" "$VC" "host $S4"
    incli "${CURL[@]}" --socks5-hostname "$S4:1080" https://docs.helpscout.net/ -w '%{http_code}\n' >>"$WORK/curl.log"
    cap_stop
    cap_start socks4a "$CLI" "$VC" "host $S4B"
    incli "${CURL[@]}" --socks4a "$S4B:1080" https://widget.intercom.io/ -w '%{http_code}\n' >>"$WORK/curl.log"
    cap_stop
}

# ----------------------------------------------------------------- derived
derive_wrapped() {
    local m src=$WORK/wrap_inner.pcap
    [ -s "$src" ] || { log "no inner recording, nothing to wrap"; return 1; }
    for m in gre gretap ipip sit geneve mpls pppoe gtpu teredo erspan2 erspan3 capwap ppp wlan radiotap; do
        python3 "$WRAP" "$m" "$src" "$WORK/$m.pcap" --client "$IC4,$IC6" >&2
    done
    python3 "$WRAP" ip6tnl4in6 "$src" "$WORK/ip6tnl_4in6.pcap" --client "$IC4,$IC6" >&2
    python3 "$WRAP" ip6tnl6in6 "$src" "$WORK/ip6tnl_6in6.pcap" --client "$IC4,$IC6" >&2
    mv "$WORK/sit.pcap" "$WORK/sit_6in4.pcap"
    # GRE around the real VXLAN recording (outer GRE endpoints 10.99.100.1/2)
    [ -s "$WORK/vxlan.pcap" ] && python3 "$WRAP" gre-ip "$WORK/vxlan.pcap" "$WORK/gre_vxlan.pcap" \
        --client "$C4,$C6" --outer4 10.99.100.1,10.99.100.2 >&2
    return 0
}

# ------------------------------------------------------------------- truth
# describe <file> <tls> <dns> <split> <must-match display filter> <client ips> <server ips> <exercises> <dns names> <sni names> [tshark extra]
# counts: N = exactly N, N+ = at least N
declare -A EXERCISE DNSQ SNIS TSX EXP MUST CIPS SIPS
describe() {
    EXP[$1]="$2 $3 $4"; MUST[$1]=$5; CIPS[$1]=$6; SIPS[$1]=$7; EXERCISE[$1]=$8; DNSQ[$1]=$9; SNIS[$1]=${10}; TSX[$1]=${11:-}
}
SPLITN="acme.kustomerapp.com is a ~1.6 KB openssl s_client ClientHello (long ALPN list) split over 2 TCP segments"
TUNN="acme.zendesk.com A (v4),widget.intercom.io AAAA (v6)"
TUNS="acme.zendesk.com (v4 curl),docs.helpscout.net (v6 curl),acme.kustomerapp.com (v4 s_client; split over 2 segments)"
describe frag_dns_v4.pcap 0 3 0 "ip.flags.mf == 1" "$C4" "$S4" \
    "IPv4 fragmentation by the kernel: dnsmasq answers of 2.9 KB (TXT, 14 strings) and 2.0 KB (120 A records) to dig +bufsize=4096, and a 1.8 KB UDP query (dnspython, 1700-byte EDNS option 65001) sent in 2 fragments by the client; the truth row of that query comes from the reassembled datagram" \
    "big.zendesk.com TXT,many.helpscout.net A,help.acme-corp.example A (fragmented query; CNAME answer)" ""
describe frag_dns_v6.pcap 0 3 0 "ipv6.fraghdr" "$C6" "$S6" \
    "IPv6 fragmentation (Fragment extension header, next header 44) by the kernel: the same big TXT / 120-A answers and the fragmented 1.8 KB query over IPv6" \
    "big.zendesk.com TXT,many.helpscout.net A,help.acme-corp.example A (fragmented query; CNAME answer)" ""
describe frag_tls_v4.pcap 2 0 1 "ip.flags.mf == 1" "$FC4" "$FS4" \
    "TLS ClientHellos fragmented at the IP level by a router namespace (egress MTU $FRAG_MTU, client ip_no_pmtu_disc=1 so DF is clear, server route advmss 1460): curl's 517-byte ClientHello arrives as 2 IPv4 fragments; an openssl s_client ClientHello with a long ALPN list (~1.6 KB) is split over 2 TCP segments and the first segment (1448 bytes) into 4 fragments. Recorded on the server's link" \
    "" "acme.zendesk.com (curl, 2 IP fragments),acme.kustomerapp.com (s_client, TCP split + IP fragments)"
describe dns_tcp_split.pcap 0 2 0 "dns" "$C4,$C6" "$S4,$S6" \
    "dig with a 1700-byte EDNS option switches to TCP by itself; with dig's TCP MSS of 1220 the 1.8 KB query spans 2 TCP segments (IPv4 and IPv6)" \
    "docs.helpscout.net A (v4, v6)" ""
describe vxlan.pcap 3 2 1 "vxlan" "$T4C,$T4C6" "$T4S,$T4S6" \
    "REAL kernel VXLAN (VNI 4242, UDP 4789, IPv4 underlay 10.99.0.1 <-> 10.99.0.2, UDP checksum 0) recorded on the underlay veth; inner DNS v4/v6 and TLS v4/v6; $SPLITN" \
    "$TUNN" "$TUNS"
describe vxlan6.pcap 3 2 1 "vxlan && ipv6" "$T6C,$T6C6" "$T6S,$T6S6" \
    "REAL kernel VXLAN over an IPv6 underlay (VNI 4243, fd00:99::1 <-> fd00:99::2, UDP 4789 with checksum); inner DNS v4/v6 and TLS v4/v6; $SPLITN" \
    "$TUNN" "$TUNS"
describe vxlan_in_vxlan.pcap 3 2 1 "vxlan.vni == 4244" "$TNC,$TNC6" "$TNS,$TNS6" \
    "REAL nested kernel VXLAN: VNI 4244 (10.99.1.1 <-> 10.99.1.2) inside VNI 4242 (10.99.0.1 <-> 10.99.0.2); inner DNS and TLS v4/v6; $SPLITN" \
    "$TUNN" "$TUNS"
describe gre_vxlan.pcap 3 2 1 "gre && vxlan" "$T4C,$T4C6" "$T4S,$T4S6" \
    "WRAPPED nesting: every IP packet of the real vxlan.pcap put in IPv4/GRE (proto 0x0800, 10.99.100.1 <-> 10.99.100.2) by wrap.py gre-ip: Eth/IPv4/GRE/IPv4/UDP/VXLAN/Eth/IP" \
    "$TUNN" "$TUNS"
OVSN="REAL packets from Open vSwitch 3.1 (ovs-vswitchd, userspace netdev datapath, one instance per namespace; this kernel has no such tunnel device), recorded on the underlay veth (10.99.30.1 <-> 10.99.30.2); inner DNS v4/v6 and TLS v4/v6 between 10.99.31.x / fd00:99:31::x; $SPLITN"
OTI="$OTC,$OTC6"; OTR="$OTS,$OTS6"
describe ovs_geneve.pcap 3 2 1 "geneve" "$OTI" "$OTR" \
    "Geneve (UDP 6081, VNI 4242, no options, UDP checksum 0) carrying Ethernet. $OVSN" "$TUNN" "$TUNS"
describe ovs_gretap.pcap 3 2 1 "gre.proto == 0x6558" "$OTI" "$OTR" \
    "GRE with the K flag (key 77) and proto 0x6558 carrying Ethernet (what OVS calls a gre port). $OVSN" "$TUNN" "$TUNS"
describe ovs_gre.pcap 3 2 1 "gre.proto == 0x0800 || gre.proto == 0x86dd" "$OTI" "$OTR" \
    "L3 GRE (OVS gre port with packet_type=legacy_l3): proto 0x0800 / 0x86DD, no Ethernet inside. $OVSN" "$TUNN" "$TUNS"
describe ovs_erspan2.pcap 3 2 1 "erspan.version == 1" "$OTI" "$OTR" \
    "ERSPAN type II (GRE S flag, proto 0x88be, session 100, index 7) used as a two-way tunnel. $OVSN" "$TUNN" "$TUNS"
describe ovs_erspan3.pcap 3 2 1 "erspan.version == 2" "$OTI" "$OTR" \
    "ERSPAN type III (GRE S flag, proto 0x22eb, session 200, hw id 5) used as a two-way tunnel. $OVSN" "$TUNN" "$TUNS"
describe ovs_mpls.pcap 3 2 1 "mpls" "$OMC,$OMC6" "$OMS,$OMS6" \
    "REAL MPLS from Open vSwitch 3.1 OpenFlow push_mpls/pop_mpls on a userspace bridge over a veth: IPv4 with one label (16010, S=1), IPv6 with two labels (16020 S=0 over 24001 S=1), Ethernet 0x8847, no control word; inner DNS v4/v6 and TLS v4/v6 between 10.99.32.x / fd00:99:32::x; $SPLITN" "$TUNN" "$TUNS"
WN="acme.zendesk.com A (v4),docs.helpscout.net AAAA (v6)"
WS="acme.zendesk.com (v4 curl),widget.intercom.io (v6 curl),acme.kustomerapp.com (v4 s_client split),docs.helpscout.net (v6 s_client split)"
WN4="acme.zendesk.com A"; WS4="acme.zendesk.com (curl),acme.kustomerapp.com (s_client split)"
WN6="docs.helpscout.net AAAA"; WS6="widget.intercom.io (curl),docs.helpscout.net (s_client split)"
WI="$IC4,$IC6"; WR="$IS4,$IS6"
WRAPNOTE="inner packets are the real recording wrap_inner.pcap"
describe wrap_inner.pcap 4 2 2 "ip || ipv6" "$WI" "$WR" \
    "source of the wrapped captures: real dig/curl/openssl s_client on an inner veth with MTU 1400 (static neighbours, no ARP/ND); 2 of the ClientHellos (long ALPN list) are split over 2 TCP segments" "$WN" "$WS"
describe gre.pcap 4 2 2 "gre.proto == 0x0800 || gre.proto == 0x86dd" "$WI" "$WR" \
    "WRAPPED (kernel has no GRE): IPv4/GRE (RFC 2784, no flags) with proto 0x0800 / 0x86DD; $WRAPNOTE" "$WN" "$WS"
describe gretap.pcap 4 2 2 "gre.proto == 0x6558" "$WI" "$WR" \
    "WRAPPED (kernel has no gretap): IPv4/GRE proto 0x6558 (transparent Ethernet bridging) carrying the whole inner Ethernet frame; $WRAPNOTE" "$WN" "$WS"
describe ipip.pcap 2 1 1 "ip.proto == 4" "$IC4" "$IS4" \
    "WRAPPED (kernel has no ipip): IPv4 in IPv4 (RFC 2003, protocol 4); only the inner IPv4 packets; $WRAPNOTE" "$WN4" "$WS4"
describe sit_6in4.pcap 2 1 1 "ip.proto == 41" "$IC6" "$IS6" \
    "WRAPPED (kernel has no sit): IPv6 in IPv4 (6in4, RFC 4213, protocol 41); only the inner IPv6 packets; $WRAPNOTE" "$WN6" "$WS6"
describe ip6tnl_4in6.pcap 2 1 1 "ipv6.nxt == 4" "$IC4" "$IS4" \
    "WRAPPED (kernel has no ip6tnl): IPv4 in IPv6 (RFC 2473, next header 4, fd00:99::1 <-> fd00:99::2); $WRAPNOTE" "$WN4" "$WS4"
describe ip6tnl_6in6.pcap 2 1 1 "ipv6.nxt == 41" "$IC6" "$IS6" \
    "WRAPPED (kernel has no ip6tnl): IPv6 in IPv6 (RFC 2473, next header 41); $WRAPNOTE" "$WN6" "$WS6"
describe geneve.pcap 4 2 2 "geneve" "$WI" "$WR" \
    "WRAPPED (kernel has no geneve): IPv4/UDP 6081/Geneve (RFC 8926, VNI 4242, protocol 0x6558, one 4-byte option so the header is 16 bytes: class 0xfff0 type 1) carrying Ethernet; $WRAPNOTE" "$WN" "$WS"
describe mpls.pcap 4 2 2 "mpls" "$WI" "$WR" \
    "WRAPPED: Ethernet 0x8847 / MPLS (RFC 3032), no pseudowire control word; flows alternate between one label (16010, S=1) and two labels (16020 S=0, 24001 S=1); payload IPv4 or IPv6 told apart only by the first nibble; $WRAPNOTE" "$WN" "$WS"
describe pppoe.pcap 4 2 2 "pppoes" "$WI" "$WR" \
    "WRAPPED: Ethernet 0x8864 / PPPoE session (RFC 2516, ver 1 type 1 code 0, session 0x1234) / PPP 0x0021 (IPv4) or 0x0057 (IPv6); session stage only, no discovery frames; $WRAPNOTE" "$WN" "$WS"
describe gtpu.pcap 4 2 2 "gtp" "$WI" "$WR" \
    "WRAPPED: IPv4/UDP 2152/GTPv1-U G-PDU (TS 29.281, type 255); upstream packets (the DNS queries and ClientHellos) have the E flag, 4 optional bytes and a PDU Session Container extension header (0x85, UL, QFI 9) so the header is 16 bytes; downstream packets have the plain 8-byte header; $WRAPNOTE" "$WN" "$WS"
describe teredo.pcap 2 1 1 "teredo" "$IC6" "$IS6" \
    "WRAPPED: IPv4/UDP (client port 40000 <-> 3544)/Teredo (RFC 4380) with IPv6 inside; the DNS flow carries an authentication indicator (13 bytes) plus an origin indication (8 bytes) in front of every packet, the other flows' downstream packets carry an origin indication; inner addresses are fd00:99:10::/64, not 2001::/32; $WRAPNOTE" "$WN6" "$WS6"
describe erspan2.pcap 4 2 2 "erspan.version == 1" "$WI" "$WR" \
    "WRAPPED: IPv4/GRE (S flag, sequence number, proto 0x88be)/ERSPAN type II (8-byte header, session 100)/mirrored Ethernet frame; $WRAPNOTE" "$WN" "$WS"
describe erspan3.pcap 4 2 2 "erspan.version == 2" "$WI" "$WR" \
    "WRAPPED: IPv4/GRE (S flag, proto 0x22eb)/ERSPAN type III (12-byte header, session 200, O=0 so no platform subheader)/mirrored Ethernet frame; $WRAPNOTE" "$WN" "$WS"
describe capwap.pcap 4 2 2 "capwap.data" "$WI" "$WR" \
    "WRAPPED: IPv4/UDP 5247/CAPWAP data (RFC 5415, HLEN 2, RID 1, WBID 1, T=0) carrying a native 802.3 frame; $WRAPNOTE" "$WN" "$WS"
describe ppp.pcap 4 2 2 "ppp" "$WI" "$WR" \
    "WRAPPED link type PPP (9): flows alternate between HDLC-like framing (ff 03 + protocol, RFC 1662) and a bare 2-byte protocol field (RFC 1661); protocol 0x0021 / 0x0057; $WRAPNOTE" "$WN" "$WS"
describe wlan.pcap 4 2 2 "wlan.fc.type == 2" "$WI" "$WR" \
    "WRAPPED link type IEEE802_11 (105), no FCS: 802.11 data frames (ToDS upstream, FromDS downstream), flows alternate between Data (24-byte header) and QoS Data (26-byte header), LLC/SNAP aa aa 03 00 00 00 + ethertype; $WRAPNOTE" "$WN" "$WS"
describe radiotap.pcap 4 2 2 "radiotap" "$WI" "$WR" \
    "WRAPPED link type IEEE802_11_RADIOTAP (127): 15-byte radiotap header (Flags, Rate, Channel, dBm signal) + the wlan.pcap frames; odd flows set the radiotap FCS flag and end with a real 4-byte CRC-32 FCS that must be stripped; $WRAPNOTE" "$WN" "$WS"
describe nflog.pcap 2 2 0 "nflog" "$C4,$C6" "$S4,$S6" \
    "REAL link type NFLOG (239): iptables/ip6tables -j NFLOG --nflog-group 5 in the client namespace (OUTPUT to and INPUT from the server) and tcpdump -i nflog:5; TLV header, then the IP packet; dig v4/v6 and curl v4/v6" \
    "acme.zendesk.com A (v4),widget.intercom.io A (v6)" "acme.zendesk.com (v4 curl),docs.helpscout.net (v6 curl)"
describe smtp_starttls.pcap 1 0 0 "smtp" "$C4" "$S4" \
    "SMTP on port 25: banner, EHLO, STARTTLS, 220, then the TLS ClientHello (openssl s_client -starttls smtp) against testdata/starttls_server.py; EHLO and QUIT again inside TLS" \
    "" "mail.zendesk.com"
describe imap_starttls.pcap 1 0 0 "imap" "$C4" "$S4" \
    "IMAP on port 143: greeting, CAPABILITY, STARTTLS, then TLS (openssl s_client -starttls imap) against testdata/starttls_server.py" \
    "" "docs.helpscout.net"
describe pop3_stls.pcap 1 0 0 "pop" "$C4" "$S4" \
    "POP3 on port 110: greeting, STLS, then TLS (openssl s_client -starttls pop3) against testdata/starttls_server.py" \
    "" "widget.intercom.io"
describe postgres_ssl.pcap 2 0 0 "pgsql" "$C4" "$S4" \
    "PostgreSQL (Debian postgresql 15, ssl=on) on port 5432: 8-byte SSLRequest, 'S', then TLS from psql/libpq (sslmode=require, SNI from host=, hostaddr=10.99.0.2). The server's default ssl_ecdh_curve (prime256v1) makes it answer libpq's X25519 key share with a HelloRetryRequest, so the one connection has 2 ClientHellos with the same SNI" \
    "" "acme.kustomerapp.com (2 ClientHellos on 1 connection: HelloRetryRequest)"
describe http_connect.pcap 1 0 0 "http.request.method == \"CONNECT\"" "$C4" "$S4" \
    "HTTP CONNECT through tinyproxy on 10.99.0.2:3128 (curl -x): 'CONNECT acme.zendesk.com:443', 200, then the ClientHello inside the tunnel; the proxy resolves the name itself (private /etc/hosts), its upstream leg is on the server's loopback and not in the capture" \
    "" "acme.zendesk.com (also in the CONNECT request line)"
describe socks5.pcap 1 0 0 "socks.version == 5" "$C4" "$S4" \
    "SOCKS5 through dante (danted) on 10.99.0.2:1080 with the host name in the request (curl --socks5-hostname, ATYP 3), then the ClientHello inside" \
    "" "docs.helpscout.net (also the SOCKS5 domain name)"
describe socks4a.pcap 1 0 0 "socks.version == 4" "$C4" "$S4B" \
    "SOCKS4a (curl --socks4a: address 0.0.0.1 + the host name after the user id) through OpenSSH's dynamic forwarding (ssh -D 10.99.0.3:1080 to an sshd on the server's loopback; dante rejects SOCKS4a), then the ClientHello inside" \
    "" "widget.intercom.io (also the SOCKS4a domain name)"

count_ok() { case $2 in *+) [ "$1" -ge "${2%+}" ] ;; *) [ "$1" -eq "$2" ] ;; esac; }

FAILED=()
write_truth() {
    rm -rf "$OUT"; mkdir -p "$OUT"
    local f rows=$WORK/manifest.rows
    : >"$rows"
    for f in $(printf '%s\n' "${!EXERCISE[@]}" | sort); do
        take_capture "$f" || continue
        local json lt fmt np sz tls dns split et ed es must
        json=$(TSHARK_EXTRA="${TSX[$f]}" python3 "$GEN_TRUTH" "$OUT/$f" "$OUT/$f" | sed "s#$OUT/##")
        read -r lt fmt np sz < <(capture_facts "$OUT/$f")
        read -r tls dns split < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["tls"], j["dns"], j["split_ch"])' "$json")
        must=$(tshark -n ${TSX[$f]} -r "$OUT/$f" -Y "${MUST[$f]}" 2>/dev/null | wc -l)
        printf 'more/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$f" "$lt" "$fmt" "$np" "$sz" "$tls" "$dns" "$split" \
            "${EXERCISE[$f]}" "${CIPS[$f]}" "${SIPS[$f]}" "${DNSQ[$f]}" "${SNIS[$f]}" "${TSX[$f]}" >>"$rows"
        read -r et ed es <<<"${EXP[$f]}"
        if count_ok "$tls" "$et" && count_ok "$dns" "$ed" && count_ok "$split" "$es" && [ "$must" -gt 0 ] && [ "$sz" -lt 102400 ]; then
            log "ok   $f: $lt/$fmt, $np packets, $sz bytes, tls=$tls dns=$dns split=$split, '${MUST[$f]}' in $must frames"
        else
            log "BAD  $f: $lt/$fmt, $np packets, $sz bytes, tls=$tls (want $et) dns=$dns (want $ed) split=$split (want $es), '${MUST[$f]}' in $must frames"
            FAILED+=("$f")
        fi
    done
    manifest_replace more "$rows"
}

verify_frag() {   # the fragmented ClientHellos / queries must really be reassembled from fragments
    local f n
    for f in frag_dns_v4.pcap frag_dns_v6.pcap frag_tls_v4.pcap; do
        [ -s "$OUT/$f" ] || continue
        n=$(tshark -n -r "$OUT/$f" -Y "(dns.flags.response == 0 || tls.handshake.type == 1) && (ip.fragments || ipv6.fragments)" 2>/dev/null | wc -l)
        log "  $f: $n DNS query / ClientHello frame(s) whose IP datagram was reassembled from fragments"
        [ "$n" -ge 1 ] || { log "BAD  $f: no query / ClientHello was IP-fragmented"; FAILED+=("$f (not fragmented)"); }
    done
}

# -------------------------------------------------------------------- main
setup_net
probe_kernel_tunnels
run_step setup_ovs || true
start_servers
for s in scen_frag_dns scen_dns_tcp_split scen_frag_tls scen_vxlan scen_ovs scen_inner scen_nflog scen_starttls \
         scen_postgres scen_proxies derive_wrapped; do
    log "== $s"
    run_step "$s"
done
write_truth
verify_frag
du -sh "$OUT" | sed 's/^/[record-more] total /' >&2
exit_if_failed
log "all $(ls "$OUT"/*.pcap | wc -l) captures have their expected truth rows"
