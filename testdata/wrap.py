#!/usr/bin/env python3
"""Wraps REAL recorded packets in outer headers that this kernel cannot make.

Used by testdata/record-more.sh.  The input is a classic pcap with linktype 1
(Ethernet) that was recorded from real programs (dig, dnsmasq, curl, openssl).
Every inner packet is copied byte for byte, with its timestamp; only the outer
layers are built here, field by field, following the RFCs / specs named below.
Outer IPv4 header checksums and outer UDP checksums (IPv4 and IPv6) are
computed.  Nothing here sends a packet anywhere.

  wrap.py MODE IN OUT [--client IP,IP...]

--client lists the inner addresses of the client side (default
10.99.10.1,fd00:99:10::1).  A packet whose inner source is one of them goes
"upstream": outer source = the client-side tunnel endpoint (10.99.0.1 /
fd00:99::1, MAC 02:00:0a:63:00:01), outer destination = the server-side
endpoint (10.99.0.2 / fd00:99::2, MAC 02:00:0a:63:00:02); other packets go
the other way.  --outer4 A,B / --outer6 A,B change the outer addresses (used
for nesting).

MODE (output linktype in brackets)
  L3 tunnels: the inner IP packet (Ethernet header removed)
    gre         [1]  IPv4 / GRE (RFC 2784), proto 0x0800 or 0x86DD
    ipip        [1]  IPv4 / IPv4 (RFC 2003, IP proto 4); inner IPv4 only
    sit         [1]  IPv4 / IPv6 (RFC 4213 6in4, IP proto 41); inner IPv6 only
    ip6tnl4in6  [1]  IPv6 / IPv4 (RFC 2473, next header 4); inner IPv4 only
    ip6tnl6in6  [1]  IPv6 / IPv6 (RFC 2473, next header 41); inner IPv6 only
    mpls        [1]  Ethernet 0x8847 / MPLS (RFC 3032).  Flows alternate: even
                     flows one label (16010, S=1), odd flows two labels
                     (outer 16020 S=0, inner 24001 S=1); TTL 64
    pppoe       [1]  Ethernet 0x8864 / PPPoE session (RFC 2516, ver 1 type 1
                     code 0, session 0x1234) / PPP protocol 0x0021 or 0x0057
    gtpu        [1]  IPv4 / UDP 2152 -> 2152 / GTPv1-U G-PDU (3GPP TS 29.281,
                     type 255).  Upstream: E flag + PDU Session Container
                     (ext type 0x85, TS 38.415 UL PDU SESSION INFORMATION,
                     QFI 9), TEID 0x00000101.  Downstream: plain 8-byte
                     header, TEID 0x00000202
    teredo      [1]  IPv4 / UDP / Teredo (RFC 4380): client port 40000, relay
                     port 3544; inner IPv6 only.  Flow 0 carries an
                     authentication indicator (RFC 4380 5.1.1, empty id/auth,
                     nonce, confirmation 0) followed by an origin indication
                     on every packet; downstream packets of the other flows
                     carry an origin indication (8 bytes: 0x0000, ~port,
                     ~IPv4); other upstream packets are bare IPv6
    ppp         [9]  LINKTYPE_PPP: even flows "ff 03" + protocol (RFC 1662
                     HDLC-like framing), odd flows protocol only (RFC 1661,
                     address/control omitted)
    wlan      [105]  LINKTYPE_IEEE802_11, no FCS: 802.11 data frame, ToDS for
                     upstream, FromDS for downstream; even flows Data
                     (subtype 0), odd flows QoS Data (subtype 8, TID 0);
                     LLC/SNAP aa aa 03 00 00 00 + ethertype
    radiotap  [127]  LINKTYPE_IEEE802_11_RADIOTAP: radiotap header (Flags,
                     Rate, Channel 5180 MHz, dBm antenna signal) + the same
                     802.11 frames; odd flows have the radiotap FCS flag (0x10)
                     and a real CRC-32 FCS appended
  L2 tunnels: the whole inner Ethernet frame
    gretap      [1]  IPv4 / GRE proto 0x6558 (transparent Ethernet bridging)
    geneve      [1]  IPv4 / UDP -> 6081 / Geneve (RFC 8926), protocol 0x6558,
                     VNI 4242, one 4-byte option (class 0xfff0 experimental,
                     type 0x01) so the header is 16 bytes
    erspan2     [1]  IPv4 / GRE with S flag (seq) proto 0x88be / ERSPAN type II
                     (8 bytes: ver 1, VLAN 0, COS 0, En 0, T 0, session 100,
                     index 7)
    erspan3     [1]  IPv4 / GRE with S flag proto 0x22eb / ERSPAN type III
                     (12 bytes: ver 2, session 200, timestamp, SGT 0, P 0,
                     FT 0, HW id 5, D = direction (0 upstream, 1
                     downstream), Gra 0 (timestamp in 100 us units), O 0)
    capwap      [1]  IPv4 / UDP -> 5247 / CAPWAP data (RFC 5415): preamble 0,
                     HLEN 2, RID 1, WBID 1, T 0 (native 802.3 frame inside);
                     WTP port 5246+30000=35246 (upstream source), AC port 5247
  Nesting
    gre-ip      [1]  takes the outer IP packet of an Ethernet capture (e.g. a
                     real VXLAN capture) and wraps it in IPv4 / GRE: this
                     gives GRE around the real VXLAN.  Use --outer4 for the
                     GRE endpoints.  --client then lists OUTER addresses of
                     the input capture.
"""
import struct
import sys
import zlib

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
MAC_C = bytes.fromhex("02000a630001")
MAC_S = bytes.fromhex("02000a630002")
AP_BSSID = bytes.fromhex("02000a6300aa")


# ------------------------------------------------------------------ pcap io
def read_pcap(path):
    data = open(path, "rb").read()
    m_le = struct.unpack("<I", data[:4])[0]
    m_be = struct.unpack(">I", data[:4])[0]
    if m_le in (MAGIC_US, MAGIC_NS):
        e, magic = "<", m_le
    elif m_be in (MAGIC_US, MAGIC_NS):
        e, magic = ">", m_be
    else:
        raise SystemExit("%s: not a classic pcap file" % path)
    lt = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    off, pkts = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if incl != orig:
            raise SystemExit("%s: truncated packet (snaplen); record with -s 0" % path)
        pkts.append((sec, frac, data[off:off + incl]))
        off += incl
    return magic == MAGIC_NS, lt, pkts


def write_pcap(path, nsec, linktype, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", MAGIC_NS if nsec else MAGIC_US, 2, 4, 0, 0, 262144, linktype))
        for sec, frac, body in pkts:
            f.write(struct.pack("<IIII", sec, frac, len(body), len(body)))
            f.write(body)


# ----------------------------------------------------------------- helpers
def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


class Outer:
    """Builds outer Ethernet / IPv4 / IPv6 / UDP headers for one direction."""

    def __init__(self, o4, o6):
        self.o4 = [ip4(x) for x in o4]
        self.o6 = [ip6(x) for x in o6]
        self.ipid = [0x1000, 0x2000]

    def eth(self, up, ethertype, payload):
        dst, src = (MAC_S, MAC_C) if up else (MAC_C, MAC_S)
        return dst + src + struct.pack("!H", ethertype) + payload

    def ipv4(self, up, proto, payload):
        src, dst = (self.o4[0], self.o4[1]) if up else (self.o4[1], self.o4[0])
        d = 0 if up else 1
        self.ipid[d] = (self.ipid[d] + 1) & 0xFFFF
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), self.ipid[d], 0x4000, 64, proto, 0, src, dst)
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        return self.eth(up, 0x0800, hdr + payload)

    def ipv6(self, up, nh, payload):
        src, dst = (self.o6[0], self.o6[1]) if up else (self.o6[1], self.o6[0])
        hdr = struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, src, dst)
        return self.eth(up, 0x86DD, hdr + payload)

    def udp4(self, up, sport, dport, payload):
        src, dst = (self.o4[0], self.o4[1]) if up else (self.o4[1], self.o4[0])
        ln = 8 + len(payload)
        u = struct.pack("!HHHH", sport, dport, ln, 0) + payload
        c = csum(src + dst + struct.pack("!BBH", 0, 17, ln) + u) or 0xFFFF
        return self.ipv4(up, 17, u[:6] + struct.pack("!H", c) + u[8:])


def eth_split(frame):
    et = struct.unpack("!H", frame[12:14])[0]
    off = 14
    while et in (0x8100, 0x88A8) and len(frame) >= off + 4:
        et = struct.unpack("!H", frame[off + 2:off + 4])[0]
        off += 4
    return et, off


def inner_ip(frame):
    """(version, src bytes, flow key, ip packet) or None for non-IP / ND."""
    et, off = eth_split(frame)
    pkt = frame[off:]
    if et == 0x0800:
        ihl = (pkt[0] & 0x0F) * 4
        proto = pkt[9]
        src, dst = pkt[12:16], pkt[16:20]
        l4 = pkt[ihl:]
        v = 4
    elif et == 0x86DD:
        proto = pkt[6]
        src, dst = pkt[8:24], pkt[24:40]
        l4 = pkt[40:]
        v = 6
        if proto == 58 and l4 and l4[0] in (133, 134, 135, 136, 137):
            return None  # neighbour discovery of the recording link
    else:
        return None
    ports = struct.unpack("!HH", l4[:4]) if proto in (6, 17) and len(l4) >= 4 else (0, 0)
    a, b = sorted([(src, ports[0]), (dst, ports[1])])
    return v, src, (v, proto, a, b), pkt


# ---------------------------------------------------------------- wrappers
def gre(flags_ver, proto, extra=b""):
    return struct.pack("!HH", flags_ver, proto) + extra


def wifi_frame(up, qos, src_mac, dst_mac, seq, ethertype, payload):
    # Frame Control: protocol 0, type 2 (data), subtype 0 (Data) or 8 (QoS Data)
    fc0 = 0x88 if qos else 0x08
    fc1 = 0x01 if up else 0x02       # ToDS / FromDS
    if up:     # ToDS: A1 = BSSID, A2 = SA, A3 = DA
        a1, a2, a3 = AP_BSSID, src_mac, dst_mac
    else:      # FromDS: A1 = DA, A2 = BSSID, A3 = SA
        a1, a2, a3 = dst_mac, AP_BSSID, src_mac
    hdr = struct.pack("<BBH", fc0, fc1, 44) + a1 + a2 + a3 + struct.pack("<H", (seq & 0xFFF) << 4)
    if qos:
        hdr += struct.pack("<H", 0)   # QoS control: TID 0
    llc = bytes.fromhex("aaaa03000000") + struct.pack("!H", ethertype)
    return hdr + llc + payload


def radiotap(fcs):
    # present: Flags(1) Rate(2) Channel(3) dBm_AntSignal(5)
    present = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5)
    flags = 0x10 if fcs else 0x00
    body = struct.pack("<BB", flags, 12)              # flags, rate 6 Mb/s (units of 500 kb/s)
    body += struct.pack("<HH", 5180, 0x0140)          # channel 36: 5180 MHz, OFDM + 5 GHz
    body += struct.pack("<b", -42)                    # antenna signal dBm
    return struct.pack("<BBHI", 0, 0, 8 + len(body), present) + body


V4_ONLY = {"ipip", "ip6tnl4in6"}
V6_ONLY = {"sit", "ip6tnl6in6", "teredo"}
L2_MODES = {"gretap", "geneve", "erspan2", "erspan3", "capwap"}
LINKTYPE = {"ppp": 9, "wlan": 105, "radiotap": 127}


def main():
    args = sys.argv[1:]
    opts = {"--client": "10.99.10.1,fd00:99:10::1", "--outer4": "10.99.0.1,10.99.0.2",
            "--outer6": "fd00:99::1,fd00:99::2"}
    pos = []
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = args[i + 1]
            i += 2
        else:
            pos.append(args[i])
            i += 1
    if len(pos) != 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    mode, src, dst = pos
    clients = set()
    for a in opts["--client"].split(","):
        clients.add(ip6(a) if ":" in a else ip4(a))
    outer = Outer(opts["--outer4"].split(","), opts["--outer6"].split(","))
    nsec, lt, pkts = read_pcap(src)
    if lt != 1:
        raise SystemExit("%s: linktype %d, expected 1 (Ethernet)" % (src, lt))

    flows = {}
    seq = {0: 0, 1: 0}
    gre_seq = 0
    out = []
    skipped = 0
    for sec, frac, frame in pkts:
        info = inner_ip(frame)
        if info is None:
            skipped += 1
            continue
        v, isrc, fkey, ip = info
        if (mode in V4_ONLY and v != 4) or (mode in V6_ONLY and v != 6):
            skipped += 1
            continue
        up = isrc in clients
        fi = flows.setdefault(fkey, len(flows))   # flow index among the wrapped packets
        et_in = 0x0800 if v == 4 else 0x86DD
        ppp_proto = 0x0021 if v == 4 else 0x0057
        body = None
        if mode == "gre":
            body = outer.ipv4(up, 47, gre(0, et_in) + ip)
        elif mode == "gre-ip":
            body = outer.ipv4(up, 47, gre(0, et_in) + ip)
        elif mode == "ipip":
            body = outer.ipv4(up, 4, ip)
        elif mode == "sit":
            body = outer.ipv4(up, 41, ip)
        elif mode == "ip6tnl4in6":
            body = outer.ipv6(up, 4, ip)
        elif mode == "ip6tnl6in6":
            body = outer.ipv6(up, 41, ip)
        elif mode == "mpls":
            if fi % 2 == 0:
                stack = struct.pack("!I", (16010 << 12) | (0 << 9) | (1 << 8) | 64)
            else:
                stack = struct.pack("!I", (16020 << 12) | (0 << 9) | (0 << 8) | 64)
                stack += struct.pack("!I", (24001 << 12) | (0 << 9) | (1 << 8) | 64)
            body = outer.eth(up, 0x8847, stack + ip)
        elif mode == "pppoe":
            ppp = struct.pack("!H", ppp_proto) + ip
            hdr = struct.pack("!BBHH", 0x11, 0x00, 0x1234, len(ppp))
            body = outer.eth(up, 0x8864, hdr + ppp)
        elif mode == "gtpu":
            if up:
                # flags: version 1, PT 1, E 1 -> 0x34; type 255 (G-PDU)
                # optional fields: seq 0, N-PDU 0, next ext type 0x85 (PDU Session Container)
                ext = struct.pack("!BBBB", 1, 0x10, 9, 0)   # len 1 (x4 bytes), PDU type 1 (UL), QFI 9, next 0
                opt = struct.pack("!HBB", 0, 0, 0x85)
                payload = opt + ext + ip
                hdr = struct.pack("!BBHI", 0x34, 255, len(payload), 0x00000101)
            else:
                payload = ip
                hdr = struct.pack("!BBHI", 0x30, 255, len(payload), 0x00000202)
            body = outer.udp4(up, 2152, 2152, hdr + payload)
        elif mode == "teredo":
            cport, sport = 40000, 3544
            o4c = outer.o4[0]
            origin = struct.pack("!HH4s", 0x0000, cport ^ 0xFFFF, bytes(b ^ 0xFF for b in o4c))
            if fi == 0:
                auth = struct.pack("!HBB", 0x0001, 0, 0) + bytes.fromhex("5d0e1a9c33f1a2b4") + b"\x00"
                payload = auth + origin + ip
            elif not up:
                payload = origin + ip
            else:
                payload = ip
            body = outer.udp4(up, cport if up else sport, sport if up else cport, payload)
        elif mode in ("ppp",):
            hdr = (b"\xff\x03" if fi % 2 == 0 else b"") + struct.pack("!H", ppp_proto)
            body = hdr + ip
        elif mode in ("wlan", "radiotap"):
            d = 0 if up else 1
            seq[d] += 1
            smac, dmac = frame[6:12], frame[0:6]
            wf = wifi_frame(up, fi % 2 == 1, smac, dmac, seq[d], et_in, ip)
            if mode == "wlan":
                body = wf
            else:
                fcs = fi % 2 == 1
                body = radiotap(fcs) + wf + (struct.pack("<I", zlib.crc32(wf) & 0xFFFFFFFF) if fcs else b"")
        elif mode == "gretap":
            body = outer.ipv4(up, 47, gre(0, 0x6558) + frame)
        elif mode == "geneve":
            opt = struct.pack("!HBB", 0xFFF0, 0x01, 1) + b"\x00\x00\x00\x2a"   # length 1 x 4 bytes
            hdr = struct.pack("!BBH", (0 << 6) | (len(opt) // 4), 0x00, 0x6558) + struct.pack("!I", 4242 << 8)
            sport = 49152 + (fi * 7919) % 16384
            body = outer.udp4(up, sport, 6081, hdr + opt + frame)
        elif mode in ("erspan2", "erspan3"):
            gre_seq += 1
            if mode == "erspan2":
                # Ver 1 | VLAN 0 ; COS 0 | En 0 | T 0 | Session 100 ; Reserved 0 | Index 7
                eh = struct.pack("!HHI", (1 << 12) | 0, 100, 7)
                g = gre(0x1000, 0x88BE, struct.pack("!I", gre_seq))
            else:
                ts = ((sec * 1_000_000 + (frac // 1000 if nsec else frac)) // 100) & 0xFFFFFFFF
                # Ver 2 | VLAN 0 ; COS 0 | BSO 0 | T 0 | Session 200 ; Timestamp ;
                # SGT 0 | P 0 | FT 0 | HW ID 5 | D | Gra 0 | O 0
                low = (0 << 15) | (0 << 10) | (5 << 4) | ((0 if up else 1) << 3) | (0 << 1) | 0
                eh = struct.pack("!HHIHH", (2 << 12) | 0, 200, ts, 0, low)
                g = gre(0x1000, 0x22EB, struct.pack("!I", gre_seq))
            body = outer.ipv4(up, 47, g + eh + frame)
        elif mode == "capwap":
            # preamble: version 0, type 0
            # HLEN 2 (8 bytes), RID 1, WBID 1, T 0, F 0, L 0, W 0, M 0, K 0, flags 0
            # 24 bits after the preamble byte: HLEN(5) RID(5) WBID(5) T F L W M K Flags(3)
            w = (2 << 19) | (1 << 14) | (1 << 9) | (0 << 8)
            hdr = b"\x00" + struct.pack("!I", w)[1:] + struct.pack("!HH", 0, 0)   # fragment id 0, offset 0
            body = outer.udp4(up, 35246 if up else 5247, 5247 if up else 35246, hdr + frame)
        else:
            raise SystemExit("unknown mode " + mode)
        out.append((sec, frac, body))
    write_pcap(dst, nsec, LINKTYPE.get(mode, 1), out)
    print("%s: %s, %d of %d packets wrapped (%d non-matching skipped), %d flows, linktype %d"
          % (dst, mode, len(out), len(pkts), skipped, len(flows), LINKTYPE.get(mode, 1)))


if __name__ == "__main__":
    main()
