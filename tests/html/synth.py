#!/usr/bin/env python3
"""Synthetic captures for the HTML report's tests and scale measure (issue 15).

    synth.py hostile OUT.pcap OUT.truth.json
        A few hosts (IPv4 and IPv6) querying and connecting to support vendors, some
        under hostile names (`<script>`, `"onmouseover=`, `'onfocus=`): the HTML page must
        show them as text. The truth file says, per host and vendor id, how many events
        (DNS questions and TLS ClientHellos) the capture holds, as written here.

    synth.py scale OUT.pcap OUT.truth.json [--hosts 10000] [--per-host 10] [--seed 1]
        HOSTS hosts over the whole vendor catalog (`shadowdesk vendors --json` on stdin or
        via --vendors FILE), each using about PER_HOST vendors (more popular vendors more
        often), 1-4 events per pair spread over 8 hours.

Packets: Ethernet/IPv4 or IPv6, DNS queries over UDP (one packet each) and TLS
ClientHellos over TCP (a SYN and the hello), checksums zero, timestamps in order.
"""
import argparse
import json
import random
import struct
import sys

ETH4 = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
ETH6 = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x86\xdd"
SERVER4 = bytes([10, 250, 0, 1])
SERVER6 = bytes.fromhex("fd00025000000000000000000000000001".ljust(32, "0")[:32])


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def frame(src, dst, proto, payload):
    if len(src) == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0, src, dst)
        return ETH4 + hdr + payload
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64, src, dst)
    return ETH6 + hdr + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, seq, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + data


def qname(name):
    out = b""
    for label in name.split("."):
        b = label.encode()
        assert 0 < len(b) < 64, label
        out += bytes([len(b)]) + b
    return out + b"\0"


def dns_query(qid, name):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname(name) + struct.pack("!HH", 1, 1)


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    exts = struct.pack("!HH", 0, len(sni_ext)) + sni_ext
    body = b"\x03\x03" + bytes(32) + b"\0" + struct.pack("!H", 2) + b"\x13\x01" + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.port = 20000

    def packet(self, ts_us, data):
        self.f.write(struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, len(data), len(data)))
        self.f.write(data)

    def event(self, ts_us, client, kind, name):
        """One observation: a DNS question or a TLS hello for `name` from `client`."""
        self.port = 20000 + (self.port - 19999) % 40000
        server = SERVER4 if len(client) == 4 else SERVER6
        if kind == "dns":
            self.packet(ts_us, frame(client, server, 17, udp(self.port, 53, dns_query(self.port, name))))
        else:
            self.packet(ts_us, frame(client, server, 6, tcp(self.port, 443, 1000, 0x02)))
            self.packet(ts_us + 1, frame(client, server, 6, tcp(self.port, 443, 1001, 0x18, client_hello(name))))

    def close(self):
        self.f.close()


def write(path, truth_path, events):
    """events: (ts_us, client ip text, kind, name, vendor id)."""
    events.sort(key=lambda e: e[0])
    w = Writer(path)
    truth = {}
    for ts, ip, kind, name, vendor in events:
        w.event(ts, ip4(ip) if "." in ip else ip6(ip), kind, name)
        truth.setdefault(ip, {}).setdefault(vendor, 0)
        truth[ip][vendor] += 1
    w.close()
    with open(truth_path, "w") as f:
        json.dump({"pairs": truth, "events": len(events)}, f, indent=1, sort_keys=True)


T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z, microseconds


def hostile(out, truth):
    names = [
        # (client, kind, name, vendor)
        ("10.1.0.1", "dns", "x<script>alert(1)</script>.zendesk.com", "zendesk"),
        ("10.1.0.1", "tls", "x<script>alert(1)</script>.zendesk.com", "zendesk"),
        ("10.1.0.1", "dns", "docs.helpscout.net", "helpscout"),
        ("10.1.0.2", "tls", 'a"onmouseover="alert(2)".intercom.io', "intercom"),
        ("10.1.0.2", "dns", "b'onfocus='alert(3)'.zendesk.com", "zendesk"),
        ("10.1.0.3", "tls", "acme.kustomerapp.com", "kustomer"),
        ("10.1.0.3", "tls", "acme.kustomerapp.com", "kustomer"),
        ("fd00:1::7", "dns", "widget.intercom.io", "intercom"),
        ("fd00:1::7", "tls", "c</title><img src=x>.helpscout.net", "helpscout"),
    ]
    events = [(T0 + i * 60_000_000, c, k, n, v) for i, (c, k, n, v) in enumerate(names)]
    write(out, truth, events)


def scale(out, truth, vendors, hosts, per_host, seed):
    rnd = random.Random(seed)
    pats = []
    for v in vendors:
        doms = [d for d in v["domains"] if not d["exact"]] or v["domains"]
        strong = [d for d in doms if d["strength"] == "strong"] or doms
        pats.append((v["id"], strong[0]["pattern"], strong[0]["exact"]))
    # Popularity falls off with rank, so a few vendors are everywhere and many are rare.
    weights = [1.0 / (1 + r) ** 0.7 for r in range(len(pats))]
    span = 8 * 3600 * 1_000_000
    events = []
    for h in range(hosts):
        ip = "10.%d.%d.%d" % (20 + h // 65025, (h // 255) % 255, 1 + h % 255)
        k = max(1, min(len(pats), int(rnd.expovariate(1.0 / per_host)) + 1))
        chosen = set()
        while len(chosen) < k:
            chosen.add(rnd.choices(range(len(pats)), weights)[0])
        for vi in chosen:
            vid, pat, exact = pats[vi]
            name = pat if exact else "t%d.%s" % (rnd.randrange(50), pat)
            for _ in range(rnd.randint(1, 4)):
                events.append((T0 + rnd.randrange(span), ip, rnd.choice(("dns", "dns", "tls")), name, vid))
    write(out, truth, events)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["hostile", "scale"])
    ap.add_argument("out")
    ap.add_argument("truth")
    ap.add_argument("--hosts", type=int, default=10000)
    ap.add_argument("--per-host", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--vendors", help="output of `shadowdesk vendors --json` (default: stdin)")
    a = ap.parse_args()
    if a.what == "hostile":
        hostile(a.out, a.truth)
    else:
        src = open(a.vendors) if a.vendors else sys.stdin
        vendors = [json.loads(l) for l in src if l.strip()]
        scale(a.out, a.truth, vendors, a.hosts, a.per_host, a.seed)


if __name__ == "__main__":
    main()
