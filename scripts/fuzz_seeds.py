#!/usr/bin/env python3
"""Builds the seed corpora of fuzz/ from real captures (called by scripts/fuzz-seeds.sh).

  fuzz_seeds.py OUT_DIR CAPTURE...

Whole files go to file_reader and scan (cut to their first MAX_WHOLE bytes: libFuzzer is
slow on megabyte inputs, and the reader must handle a cut file anyway). Every packet is
decoded here (pcap and pcapng; Ethernet with VLAN tags, raw IP, BSD null/loop, Linux SLL
and SLL2; IPv4 and IPv6 without options past the fixed headers) and its payload sorted:
UDP/53 and TCP/53 (length prefix removed) → dns; a client's first TCP bytes starting with a
TLS handshake record → tls, and the ECH extension inside → ech; other first client bytes →
preamble; long-header UDP datagrams → quic (behind the target's 0x00 raw-datagram tag);
frames behind the decode target's link-type byte → decode. Seeds are named by their SHA-1,
so runs are idempotent and duplicates collapse.
"""
import hashlib
import os
import struct
import sys

MAX_WHOLE = 64 * 1024
MAX_PER_KIND_PER_FILE = 40
# Index in fuzz/fuzz_targets/decode.rs LINKTYPES, by link type.
DECODE_INDEX = {0: 0, 1: 1, 9: 2, 50: 3, 12: 4, 14: 5, 101: 6, 105: 7, 108: 8, 127: 9,
                239: 10, 113: 11, 228: 12, 229: 13, 276: 14}


def records(data):
    """(linktype, frame) of every record of a pcap or pcapng file, as far as it parses."""
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xd4, 0x4d) else ">"
        lt = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
        pos = 24
        while pos + 16 <= len(data):
            incl = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
            yield lt, data[pos + 16:pos + 16 + incl]
            pos += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        pos, e, ifaces = 0, "<", []
        while pos + 12 <= len(data):
            btype = struct.unpack(e + "I", data[pos:pos + 4])[0]
            if btype == 0x0A0D0D0A:
                e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
                ifaces = []
            blen = struct.unpack(e + "I", data[pos + 4:pos + 8])[0]
            if blen < 12:
                return
            body = data[pos + 8:pos + blen - 4]
            if btype == 1 and len(body) >= 2:
                ifaces.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, cap = struct.unpack(e + "IIII", body[:16])
                if iface < len(ifaces):
                    yield ifaces[iface], body[20:20 + cap]
            elif btype == 3 and len(body) >= 4 and ifaces:
                yield ifaces[0], body[4:]
            pos += blen


def ip_of(lt, f):
    """The IP packet inside a frame, or None."""
    if lt == 1:
        et, at = struct.unpack(">H", f[12:14])[0] if len(f) >= 14 else 0, 14
        while et in (0x8100, 0x88A8, 0x9100) and len(f) >= at + 4:
            et, at = struct.unpack(">H", f[at + 2:at + 4])[0], at + 4
        return f[at:] if et in (0x0800, 0x86DD) else None
    if lt in (101, 12, 14, 228, 229):
        return f
    if lt in (0, 108):
        return f[4:]
    if lt == 113:
        return f[16:]
    if lt == 276:
        return f[20:]
    return None


def transport(p):
    """(proto, src, dst, sport, dport, tcp_flags, seq, payload) or None."""
    if not p:
        return None
    v = p[0] >> 4
    if v == 4 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        if struct.unpack(">H", p[6:8])[0] & 0x3FFF:
            return None  # fragment
        proto, src, dst, rest = p[9], p[12:16], p[16:20], p[ihl:struct.unpack(">H", p[2:4])[0] or len(p)]
    elif v == 6 and len(p) >= 40:
        proto, src, dst, rest = p[6], p[8:24], p[24:40], p[40:]
    else:
        return None
    if proto == 17 and len(rest) >= 8:
        sp, dp = struct.unpack(">HH", rest[:4])
        return 17, src, dst, sp, dp, 0, 0, rest[8:]
    if proto == 6 and len(rest) >= 20:
        sp, dp, seq = struct.unpack(">HHI", rest[:8])
        off = (rest[12] >> 4) * 4
        return 6, src, dst, sp, dp, rest[13], seq, rest[off:]
    return None


def ech_ext(hello):
    """The encrypted_client_hello extension body of a TLS record holding a ClientHello."""
    try:
        b = hello[5:]
        at = 4 + 2 + 32
        at += 1 + b[at]
        at += 2 + struct.unpack(">H", b[at:at + 2])[0]
        at += 1 + b[at]
        end = at + 2 + struct.unpack(">H", b[at:at + 2])[0]
        at += 2
        while at + 4 <= end:
            t, n = struct.unpack(">HH", b[at:at + 4])
            if t == 0xFE0D:
                return b[at + 4:at + 4 + n]
            at += 4 + n
    except (IndexError, struct.error):
        pass
    return None


def main():
    out, paths = sys.argv[1], sys.argv[2:]
    counts = {}

    def put(kind, data):
        d = os.path.join(out, kind)
        os.makedirs(d, exist_ok=True)
        name = os.path.join(d, hashlib.sha1(data).hexdigest())
        if not os.path.exists(name):
            with open(name, "wb") as f:
                f.write(data)
            counts[kind] = counts.get(kind, 0) + 1

    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        put("file_reader", data[:MAX_WHOLE])
        put("scan", data[:MAX_WHOLE])
        per = {}
        first_seen = set()

        def some(kind, b):
            if b and per.get(kind, 0) < MAX_PER_KIND_PER_FILE:
                per[kind] = per.get(kind, 0) + 1
                put(kind, b)

        for lt, frame in records(data):
            if lt in DECODE_INDEX:
                some("decode", bytes([DECODE_INDEX[lt]]) + frame)
            t = transport(ip_of(lt, frame))
            if not t:
                continue
            proto, src, dst, sp, dp, flags, _, pl = t
            if proto == 17:
                if 53 in (sp, dp) or 5353 in (sp, dp):
                    some("dns", pl)
                elif 67 in (sp, dp) or 68 in (sp, dp):
                    some("dhcp", pl)
                elif 546 in (sp, dp) or 547 in (sp, dp):
                    some("dhcpv6", pl)
                elif 137 in (sp, dp):
                    some("nbns", pl)
                elif 88 in (sp, dp):
                    some("kerberos", pl)
                elif pl and pl[0] & 0x80 and len(pl) >= 1200:
                    some("quic", b"\x00" + pl)
                continue
            if not pl:
                continue
            if 53 in (sp, dp) and len(pl) > 2:
                some("dns", pl[2:])
                continue
            if 88 in (sp, dp) and len(pl) > 4:
                some("kerberos", pl[4:])
                continue
            if b"NTLMSSP" in pl or b"uthorization:" in pl:
                some("ntlm", pl)
            key = (src, dst, sp, dp)
            if key in first_seen:
                continue
            first_seen.add(key)
            if pl[0] == 0x16:
                some("tls", pl)
                e = ech_ext(pl)
                if e:
                    some("ech", e)
            elif dp < sp or dp in (80, 8080, 3128, 1080, 25, 587, 143, 110, 5432, 389, 21):
                some("preamble", pl[:2048])
    for k in sorted(counts):
        print(f"{k:14} {counts[k]:6} new seeds")


main()
