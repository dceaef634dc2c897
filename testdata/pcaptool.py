#!/usr/bin/env python3
"""Small pcap re-framing helper for testdata/record.sh.

It never builds packets: it only moves real recorded packets between link
types (rewriting the per-packet link header) or reorders / duplicates them.

Input must be a classic pcap (usec or nsec magic, either byte order) with
linktype 1 (Ethernet).  Output is a classic pcap in the same timestamp
precision, written little-endian.

  pcaptool.py relink MODE IN OUT
      MODE = raw   -> linktype 101 (LINKTYPE_RAW), IPv4 + IPv6 packets
             raw4  -> linktype 228 (LINKTYPE_IPV4), only the IPv4 packets
             raw6  -> linktype 229 (LINKTYPE_IPV6), only the IPv6 packets
             null  -> linktype 0 (LINKTYPE_NULL, BSD loopback), 4-byte
                      address-family header in the writer's (little-endian)
                      byte order: AF_INET=2, AF_INET6=30 (Darwin value)
             pktap -> linktype 258 (Apple PKTAP, macOS `tcpdump -i any`), a
                      156-byte header naming DLT 1 before each whole frame
             arcnet_bsd, arcnet_linux -> linktype 7 / 129 (ARCNET, RFC 1201
                      headers, protocol id 0xd4 IPv4 / 0xc4 IPv6, unsplit)
             qinq  -> linktype 1, 802.1ad outer tag (TPID 0x88a8, VID 100)
                      in front of an existing 802.1Q tag (input must already
                      carry one 802.1Q tag, e.g. from tcprewrite)
      Ethernet frames that carry neither IPv4 nor IPv6 (ARP) are dropped
      for all modes except qinq.

  pcaptool.py reorder IN OUT A B
      A and B are 1-based frame numbers of two TCP segments (A before B).
      Writes the capture with the contents of A and B swapped and an exact
      copy of A (a retransmission) inserted right after it:
          ... B, A, A(dup) ...
      Timestamps stay in file order: B takes A's time slot, A takes B's,
      the duplicate gets the midpoint between B's time and the next packet's
      time (or B's time + 200 us when B was the last packet).
"""
import struct
import sys

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D


def read_pcap(path):
    data = open(path, "rb").read()
    magic_le = struct.unpack("<I", data[:4])[0]
    magic_be = struct.unpack(">I", data[:4])[0]
    if magic_le in (MAGIC_US, MAGIC_NS):
        e = "<"; magic = magic_le
    elif magic_be in (MAGIC_US, MAGIC_NS):
        e = ">"; magic = magic_be
    else:
        raise SystemExit("%s: not a classic pcap file" % path)
    vmaj, vmin, tz, sig, snap, lt = struct.unpack(e + "HHiIII", data[4:24])
    off = 24
    pkts = []
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        pkts.append([sec, frac, orig, data[off:off + incl]])
        off += incl
    nsec = magic == MAGIC_NS
    return nsec, snap, lt & 0xFFFF, pkts


def write_pcap(path, nsec, snap, linktype, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", MAGIC_NS if nsec else MAGIC_US, 2, 4, 0, 0, snap, linktype))
        for sec, frac, orig, body in pkts:
            f.write(struct.pack("<IIII", sec, frac, len(body), orig))
            f.write(body)


def eth_split(frame):
    """Return (ethertype, payload offset) after skipping any VLAN tags."""
    et = struct.unpack(">H", frame[12:14])[0]
    off = 14
    while et in (0x8100, 0x88A8, 0x9100) and len(frame) >= off + 4:
        et = struct.unpack(">H", frame[off + 2:off + 4])[0]
        off += 4
    return et, off


def relink(mode, src, dst):
    nsec, snap, lt, pkts = read_pcap(src)
    if lt != 1:
        raise SystemExit("%s: linktype %d, expected 1 (Ethernet)" % (src, lt))
    out = []
    for sec, frac, orig, frame in pkts:
        et, off = eth_split(frame)
        hdr_len = off
        if mode == "qinq":
            if struct.unpack(">H", frame[12:14])[0] != 0x8100:
                raise SystemExit("qinq: frame without an 802.1Q tag; run tcprewrite --enet-vlan=add first")
            body = frame[:12] + struct.pack(">HH", 0x88A8, 100) + frame[12:]
            out.append([sec, frac, orig + 4, body])
            continue
        if et not in (0x0800, 0x86DD):
            continue
        payload = frame[off:]
        if mode == "raw":
            body = payload
        elif mode == "raw4":
            if et != 0x0800:
                continue
            body = payload
        elif mode == "raw6":
            if et != 0x86DD:
                continue
            body = payload
        elif mode == "null":
            body = struct.pack("<I", 2 if et == 0x0800 else 30) + payload
        elif mode == "pktap":
            # xnu's struct pktap_header (156 bytes, little-endian): pth_length,
            # pth_type_next = 1 (packet), pth_dlt = 1 (Ethernet), pth_ifname; the frame whole.
            hdr = bytearray(156)
            struct.pack_into("<III", hdr, 0, 156, 1, 1)
            hdr[12:15] = b"en0"
            body = bytes(hdr) + frame
            payload = frame
            hdr_len = 0
        elif mode in ("arcnet_bsd", "arcnet_linux"):
            # RFC 1201: source 1, destination 2, (Linux: a 2-byte offset), protocol id 0xd4
            # (IPv4) or 0xc4 (IPv6), split flag 0 (whole packet), sequence number.
            pid = 0xD4 if et == 0x0800 else 0xC4
            seq = len(out) + 1
            head = b"\x01\x02" + (b"\x00\x00" if mode == "arcnet_linux" else b"")
            body = head + struct.pack(">BBH", pid, 0, seq) + payload
        else:
            raise SystemExit("unknown mode " + mode)
        out.append([sec, frac, orig - hdr_len + (len(body) - len(payload)), body])
    linktype = {"raw": 101, "raw4": 228, "raw6": 229, "null": 0, "qinq": 1, "pktap": 258,
                "arcnet_bsd": 7, "arcnet_linux": 129}[mode]
    write_pcap(dst, nsec, snap + (4 if mode == "qinq" else 0), linktype, out)
    print("%s: %d of %d packets, linktype %d" % (dst, len(out), len(pkts), linktype))


def reorder(src, dst, a, b):
    nsec, snap, lt, pkts = read_pcap(src)
    a -= 1; b -= 1
    if not (0 <= a < b < len(pkts)):
        raise SystemExit("bad frame numbers")
    unit = 1_000_000_000 if nsec else 1_000_000
    def t(p): return p[0] * unit + p[1]
    def st(p, v): p[0], p[1] = divmod(v, unit)
    pa, pb = list(pkts[a]), list(pkts[b])
    ta, tb = t(pa), t(pb)
    st(pb, ta); st(pa, tb)
    dup = list(pa)
    if b + 1 < len(pkts):
        tn = t(pkts[b + 1])
        st(dup, tb + max(0, (tn - tb) // 2))
    else:
        st(dup, tb + 200 * (unit // 1_000_000))
    out = pkts[:a] + [pb] + pkts[a + 1:b] + [pa, dup] + pkts[b + 1:]
    write_pcap(dst, nsec, snap, lt, out)
    print("%s: %d packets (frames %d and %d swapped, frame %d duplicated)" % (dst, len(out), a + 1, b + 1, a + 1))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "relink" and len(sys.argv) == 5:
        relink(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 2 and sys.argv[1] == "reorder" and len(sys.argv) == 6:
        reorder(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
