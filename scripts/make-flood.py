#!/usr/bin/env python3
"""Write a flood capture for the memory test: many TCP flows that send a SYN and the first
part of a ClientHello that never completes, many distinct DNS names, and, mixed in, a few
well-formed flows (a complete ClientHello with a vendor SNI, and a DNS query for a vendor name)
whose every observation must survive the flood.

    scripts/make-flood.py OUT.pcap PACKETS [--complete-every N]

Generated packets (the issue allows it for this test): Ethernet/IPv4/TCP and UDP with valid
lengths. Prints, as JSON on stdout, how many of each kind it wrote, so the caller can check
that shadowdesk reports every well-formed observation.
"""
import argparse
import json
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def eth(payload):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + payload


def tcp(sport, dport, seq, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(sni_ext)) + sni_ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def dns_query(qid, name):
    q = struct.pack("!HHHHHH", qid & 0xFFFF, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0\0\x01\0\x01"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("packets", type=int)
    ap.add_argument("--complete-every", type=int, default=1000)
    a = ap.parse_args()
    server = bytes([10, 250, 0, 1])
    resolver = bytes([10, 250, 0, 53])
    partial = client_hello("never-finished.example")[:60]  # record header says more follows
    n = 0
    counts = {"partial_flows": 0, "complete_flows": 0, "flood_dns": 0, "vendor_dns": 0}
    ts = 1_700_000_000 * 1_000_000
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(frame):
            nonlocal n, ts
            ts += 1
            f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)))
            f.write(frame)
            n += 1

        i = 0
        while n < a.packets:
            i += 1
            # A distinct client address and port per flow: 10.(i>>16).(i>>8).i
            client = bytes([10, (i >> 16) & 0x7F, (i >> 8) & 0xFF, i & 0xFF])
            sport = 1024 + (i % 60000)
            if i % a.complete_every == 0:
                put(eth(ipv4(client, server, 6, tcp(sport, 443, 1000, 0x02), i)))
                put(eth(ipv4(client, server, 6, tcp(sport, 443, 1001, 0x18, client_hello(f"t{i}.zendesk.com")), i + 1)))
                put(eth(ipv4(client, resolver, 17, udp(sport, 53, dns_query(i, f"w{i}.intercom.io")), i + 2)))
                counts["complete_flows"] += 1
                counts["vendor_dns"] += 1
                continue
            put(eth(ipv4(client, server, 6, tcp(sport, 443, 5000, 0x02), i)))
            put(eth(ipv4(client, server, 6, tcp(sport, 443, 5001, 0x18, partial), i + 1)))
            counts["partial_flows"] += 1
            put(eth(ipv4(client, resolver, 17, udp(sport, 53, dns_query(i, f"n{i}.flood{i % 97}.example")), i + 2)))
            counts["flood_dns"] += 1
    counts["packets"] = n
    json.dump(counts, sys.stdout)
    print()


if __name__ == "__main__":
    main()
