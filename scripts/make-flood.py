#!/usr/bin/env python3
"""Write one adversarial flood capture for scripts/flood.sh, with well-formed traffic mixed in.

    scripts/make-flood.py CASE UNITS OUT.pcap        # prints the counts as JSON on stdout
    scripts/make-flood.py --self-test                # RFC 9001 Appendix A vectors
    scripts/make-flood.py --list                     # the cases, one a line

Every `every` flood units (fixed per case) one well-formed client is mixed in, from its own
address in 172.16.0.0/12: a TCP handshake start plus a complete ClientHello for t<K>.zendesk.com,
a DNS query for w<K>.intercom.io and a QUIC Initial (validly protected) carrying a complete
ClientHello for q<K>.zendesk.com. The JSON on stdout says how many of each were written, so the
caller can check that the analyzer still reports every one of them under the flood. Flood units
whose own names could be decoded (hellos, queries) use names under flood.example, counted as
`flood_names`.

Generated packets: Ethernet/IPv4, TCP/UDP checksums left zero (analyzers do not check them),
timestamps 1 us apart. QUIC Initials are protected as RFC 9001 §5 says (AES-128-GCM payload,
AES header protection, keys from the Destination Connection ID), so an analyzer has to do the
full decryption; --self-test checks that code against the RFC's vectors.
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import struct
import sys

# ---------------------------------------------------------------- packets


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident, frag=0x4000):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, frag, 64, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


ETH = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
SYN, PSH_ACK = 0x02, 0x18


def tcp(sport, dport, seq, flags, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0, 5 << 4, flags, 65535, 0, 0) + data


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def flood_ip(i):
    """A distinct client address per flood unit: 10.0.0.0/8 below 10.250/16 (the servers)."""
    i += 1
    assert i < 250 << 16, "too many units for 10/8"
    return bytes([10, i >> 16, (i >> 8) & 0xFF, i & 0xFF])


def port_of(i):
    return 1024 + i % 60000


SERVER = bytes([10, 250, 0, 1])
RESOLVER = bytes([10, 250, 0, 53])


def ext(t, body):
    return struct.pack("!HH", t, len(body)) + body


def client_hello(sni=None, pad_to=0, quic=False):
    """A TLS 1.3 ClientHello handshake message (no record header)."""
    exts = b""
    if sni is not None:
        name = sni.encode()
        exts += ext(0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name)
    exts += ext(10, b"\x00\x02\x00\x1d")  # supported_groups: x25519
    exts += ext(13, b"\x00\x02\x04\x03")  # signature_algorithms
    exts += ext(43, b"\x02\x03\x04")  # supported_versions: TLS 1.3
    exts += ext(51, b"\x00\x24\x00\x1d\x00\x20" + bytes(range(32)))  # key_share
    if quic:
        exts += ext(16, b"\x00\x03\x02h3")  # ALPN
        exts += ext(0x39, b"\x01\x04\x80\x00\x75\x30")  # quic_transport_parameters
    head = b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    size = 4 + len(head) + 2 + len(exts)
    if pad_to > size + 4:
        exts += ext(21, bytes(pad_to - size - 4))  # padding
    body = head + struct.pack("!H", len(exts)) + exts
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def record(hs):
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def dns_query(qid, name):
    q = struct.pack("!HHHHHH", qid & 0xFFFF, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0\0\x01\0\x01"


# ---------------------------------------------------------------- QUIC Initial protection (RFC 9001 §5)

INITIAL_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def hkdf_expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    out, block, n = b"", b"", 1
    while len(out) < length:
        block = hmac.digest(secret, block + info + bytes([n]), "sha256")
        out += block
        n += 1
    return out[:length]


def initial_keys(dcid, side=b"client in"):
    initial = hmac.digest(INITIAL_SALT_V1, dcid, "sha256")  # HKDF-Extract
    secret = hkdf_expand_label(initial, side, 32)
    return (
        hkdf_expand_label(secret, b"quic key", 16),
        hkdf_expand_label(secret, b"quic iv", 12),
        hkdf_expand_label(secret, b"quic hp", 16),
    )


def varint(v):
    if v < 1 << 6:
        return bytes([v])
    if v < 1 << 14:
        return struct.pack("!H", v | 0x4000)
    if v < 1 << 30:
        return struct.pack("!I", v | 0x80000000)
    return struct.pack("!Q", v | 0xC000000000000000)


class Protector:
    """Seals long-header packets for one set of Initial keys."""

    def __init__(self, dcid, side=b"client in"):
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key, self.iv, hp = initial_keys(dcid, side)
        self.aead = AESGCM(key)
        self.hp = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()

    def seal(self, header, pn_len, pn, payload):
        """`header` ends with the (unprotected) packet number of `pn_len` bytes."""
        nonce = (int.from_bytes(self.iv, "big") ^ pn).to_bytes(12, "big")
        ct = self.aead.encrypt(nonce, payload, header)
        pn_off = len(header) - pn_len
        sample = ct[4 - pn_len : 20 - pn_len]
        mask = self.hp.update(sample)
        h = bytearray(header)
        h[0] ^= mask[0] & 0x0F
        for j in range(pn_len):
            h[pn_off + j] ^= mask[1 + j]
        return bytes(h) + ct


def client_initial(prot, dcid, frames, pn=0, scid=b"", size=1200):
    """A client Initial of version 1 padded (PADDING frames) to a `size`-byte datagram."""
    pn_len = 4
    fixed = 1 + 4 + 1 + len(dcid) + 1 + len(scid) + 1 + 2 + pn_len
    plen = size - fixed - 16
    assert len(frames) <= plen, "frames do not fit the datagram"
    payload = frames + bytes(plen - len(frames))
    header = (
        bytes([0xC0 | (pn_len - 1)])
        + struct.pack("!I", 1)
        + bytes([len(dcid)]) + dcid
        + bytes([len(scid)]) + scid
        + b"\x00"
        + struct.pack("!H", 0x4000 | (pn_len + plen + 16))
        + struct.pack("!I", pn)
    )
    return prot.seal(header, pn_len, pn, payload)


def crypto_frame(off, data):
    return b"\x06" + varint(off) + varint(len(data)) + data


def self_test():
    """RFC 9001 Appendix A: client keys (A.1), the header mask of A.2, and A.3's whole server
    Initial (AEAD and header protection), byte for byte."""
    dcid = bytes.fromhex("8394c8f03e515708")
    key, iv, hp = initial_keys(dcid)
    assert key.hex() == "1f369613dd76d5467730efcbe3b1a22d", key.hex()
    assert iv.hex() == "fa044b2f42a3fd3b46fb255c", iv.hex()
    assert hp.hex() == "9f50449e04a0e810283a1e9933adedd2", hp.hex()
    mask = Protector(dcid).hp.update(bytes.fromhex("d1b1c98dd7689fb8ec11d242b123dc9b"))
    assert mask[:5].hex() == "437b9aec36", mask.hex()
    skey, siv, shp = initial_keys(dcid, b"server in")
    assert (skey.hex(), siv.hex(), shp.hex()) == (
        "cf3a5331653c364c88f0f379b6067e37",
        "0ac1493ca1905853b0bba03e",
        "c206b8d9b9f0f37644430b490eeaa314",
    )
    payload = bytes.fromhex(
        "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a1200"
        "130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00"
        "020304"
    )
    header = bytes.fromhex("c1000000010008f067a5502a4262b50040750001")
    want = bytes.fromhex(
        "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a5816b6394100f37a1c69797554780bb3"
        "8cc5a99f5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84"
        "022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc42158407dd074ee"
    )
    got = Protector(dcid, b"server in").seal(header, 2, 1, payload)
    assert got == want, got.hex()
    # Our own client Initial must open again with the same keys (round trip of the layout).
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    p = Protector(b"\x01" * 8)
    pkt = client_initial(p, b"\x01" * 8, crypto_frame(0, b"abc"), pn=7)
    assert len(pkt) == 1200
    pn_off = 1 + 4 + 1 + 8 + 1 + 0 + 1 + 2
    mask = Protector(b"\x01" * 8).hp.update(pkt[pn_off + 4 : pn_off + 20])
    pn = int.from_bytes(bytes(a ^ b for a, b in zip(pkt[pn_off : pn_off + 4], mask[1:5])), "big")
    assert pn == 7 and (pkt[0] ^ (mask[0] & 0x0F)) == 0xC3
    k, iv2, _ = initial_keys(b"\x01" * 8)
    hdr = bytes([0xC3]) + pkt[1:pn_off] + struct.pack("!I", 7)
    plain = AESGCM(k).decrypt((int.from_bytes(iv2, "big") ^ 7).to_bytes(12, "big"), pkt[pn_off + 4 :], hdr)
    assert plain.startswith(crypto_frame(0, b"abc"))
    print("RFC 9001 Appendix A vectors: ok", file=sys.stderr)


# ---------------------------------------------------------------- the capture


class Pcap:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.n = 0
        self.ts = 1_700_000_000 * 1_000_000

    def put(self, ip_packet):
        frame = ETH + ip_packet
        self.ts += 1
        self.f.write(struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000, len(frame), len(frame)))
        self.f.write(frame)
        self.n += 1

    def close(self):
        self.f.close()


class Flood:
    def __init__(self, out):
        self.pcap = Pcap(out)
        self.counts = {"units": 0, "wellformed_tls": 0, "wellformed_dns": 0, "wellformed_quic": 0, "flood_names": 0}
        self.k = 0

    def put(self, p):
        self.pcap.put(p)

    def wellformed(self):
        """One well-formed client: a complete TLS hello, a DNS query, a complete QUIC hello."""
        k = self.k = self.k + 1
        ip = bytes([172, 16 | ((k >> 16) & 0x0F), (k >> 8) & 0xFF, k & 0xFF])
        sport = 20000 + k % 40000
        self.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 7000, SYN), k))
        self.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 7001, PSH_ACK, record(client_hello(f"t{k}.zendesk.com"))), k))
        self.put(ipv4(ip, RESOLVER, 17, udp(sport, 53, dns_query(k, f"w{k}.intercom.io")), k))
        dcid = struct.pack("!Q", 0x5EED000000000000 | k)
        hello = client_hello(f"q{k}.zendesk.com", quic=True)
        self.put(ipv4(ip, SERVER, 17, udp(sport + 1, 443, client_initial(Protector(dcid), dcid, crypto_frame(0, hello))), k))
        self.counts["wellformed_tls"] += 1
        self.counts["wellformed_dns"] += 1
        self.counts["wellformed_quic"] += 1

    def finish(self):
        self.pcap.close()
        self.counts["packets"] = self.pcap.n
        return self.counts


def each_unit(fl, units, every):
    for i in range(units):
        if i % every == every // 2:
            fl.wellformed()
        fl.counts["units"] += 1
        yield i


def case_quic_zero_crypto(fl, units):
    """One QUIC connection, `units` Initials, each full of zero-length CRYPTO frames at
    offsets never used before in the connection."""
    dcid = bytes.fromhex("c0ffee00c0ffee00")
    prot = Protector(dcid)
    ip, sport = flood_ip(0), 40001
    off = 1
    room = 1200 - (1 + 4 + 1 + 8 + 1 + 1 + 2 + 4) - 16
    for i in each_unit(fl, units, 50):
        frames = []
        size = 0
        while True:
            f = b"\x06" + varint(off) + b"\x00"
            if size + len(f) > room:
                break
            frames.append(f)
            size += len(f)
            off += 1
        fl.put(ipv4(ip, SERVER, 17, udp(sport, 443, client_initial(prot, dcid, b"".join(frames), pn=i)), i))


OOO_SEGMENTS, MSS = 32, 1460


def case_tcp_ooo(fl, units):
    """Flows that open and then send 32 full segments past a hole of one segment."""
    data = bytes(MSS)
    for i in each_unit(fl, units, 200):
        ip, sport = flood_ip(i), port_of(i)
        fl.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 1000, SYN), i))
        for j in range(OOO_SEGMENTS):
            fl.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 1001 + (j + 1) * MSS, PSH_ACK, data), i))


DNS_TCP_SEGMENTS = 4


def case_dns_tcp_partial(fl, units):
    """DNS-over-TCP flows whose length prefix announces 65,535 bytes; 4 full segments follow."""
    first = b"\xff\xff" + dns_query(1, "partial.flood.example")
    first += bytes(MSS - len(first))
    rest = bytes(MSS)
    for i in each_unit(fl, units, 200):
        ip, sport = flood_ip(i), port_of(i)
        fl.put(ipv4(ip, RESOLVER, 6, tcp(sport, 53, 1000, SYN), i))
        for j in range(DNS_TCP_SEGMENTS):
            fl.put(ipv4(ip, RESOLVER, 6, tcp(sport, 53, 1001 + j * MSS, PSH_ACK, first if j == 0 else rest), i))


def case_quic_partial_hello(fl, units):
    """Each unit a new QUIC connection (own DCID and 4-tuple) whose one Initial carries the
    first 1,000 bytes of a 1,500-byte ClientHello."""
    hello = client_hello("partial.flood.example", pad_to=1500, quic=True)
    frames = crypto_frame(0, hello[:1000])
    for i in each_unit(fl, units, 1000):
        dcid = struct.pack("!Q", 0xDC1D000000000000 | i)
        fl.put(ipv4(flood_ip(i), SERVER, 17, udp(port_of(i), 443, client_initial(Protector(dcid), dcid, frames)), i))


TLS_1BYTE_HELLO = 4096


def case_tls_1byte_records(fl, units):
    """A complete 4 KiB ClientHello per flow (a padding extension; post-quantum key shares make
    real ones a few KB), sent as 1-byte TLS records, one record per segment."""
    for i in each_unit(fl, units, 10):
        ip, sport = flood_ip(i), port_of(i)
        fl.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 1000, SYN), i))
        hs = client_hello(f"f{i}.flood.example", pad_to=TLS_1BYTE_HELLO)
        # Every segment has the same IP header: build it once per flow.
        iph = ipv4(ip, SERVER, 6, bytes(20 + 6), i)[:20]
        head = struct.pack("!HH", sport, 443)
        tail = struct.pack("!IBBHHH", 0, 5 << 4, PSH_ACK, 65535, 0, 0) + b"\x16\x03\x01\x00\x01"
        seq = 1001
        put = fl.put
        for b in hs:
            put(iph + head + struct.pack("!I", seq) + tail + bytes((b,)))
            seq += 6
        fl.counts["flood_names"] += 1


def case_sni_less(fl, units):
    """A complete ClientHello without the SNI extension, each from a new host."""
    hello = record(client_hello(None))
    for i in each_unit(fl, units, 1000):
        ip, sport = flood_ip(i), port_of(i)
        fl.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 1000, SYN), i))
        fl.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 1001, PSH_ACK, hello), i))


def case_syn_partial_dns(fl, units):
    """Per client: a SYN, the first 60 bytes of a ClientHello that never completes, and a DNS
    query for a name of its own (the original scripts/flood.sh case)."""
    partial = record(client_hello("never-finished.flood.example"))[:60]
    for i in each_unit(fl, units, 1000):
        ip, sport = flood_ip(i), port_of(i)
        fl.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 5000, SYN), i))
        fl.put(ipv4(ip, SERVER, 6, tcp(sport, 443, 5001, PSH_ACK, partial), i))
        fl.put(ipv4(ip, RESOLVER, 17, udp(sport, 53, dns_query(i, f"n{i}.flood.example")), i))
        fl.counts["flood_names"] += 1


def case_syn(fl, units):
    """SYNs from distinct clients, nothing after."""
    for i in each_unit(fl, units, 1000):
        fl.put(ipv4(flood_ip(i), SERVER, 6, tcp(port_of(i), 443, 1000, SYN), i))


def case_first_fragment(fl, units):
    """IPv4 first fragments (MF set, offset 0) of UDP datagrams whose rest never comes."""
    body = udp(5353, 443, bytes(1000))
    body = body[:4] + struct.pack("!H", 8 + 3000) + body[6:]  # the datagram claims more
    for i in each_unit(fl, units, 1000):
        fl.put(ipv4(flood_ip(i), SERVER, 17, body, i, frag=0x2000))


def case_dns_unique(fl, units):
    """DNS queries, each for a name never asked before, each from a new client."""
    for i in each_unit(fl, units, 1000):
        fl.put(ipv4(flood_ip(i), RESOLVER, 17, udp(port_of(i), 53, dns_query(i, f"u{i}.flood.example")), i))
        fl.counts["flood_names"] += 1


def case_quic_random(fl, units):
    """1,200-byte datagrams to UDP 443 that pass as a QUIC v1 Initial (long header, version 1,
    8-byte random DCID) followed by random bytes: each costs a key derivation and a failed
    decryption."""
    rnd = random.Random(443)
    for i in each_unit(fl, units, 1000):
        head = b"\xc3\x00\x00\x00\x01\x08" + rnd.randbytes(8) + b"\x00\x00" + struct.pack("!H", 0x4000 | 1176)
        fl.put(ipv4(flood_ip(i), SERVER, 17, udp(port_of(i), 443, head + rnd.randbytes(1200 - len(head))), i))


# ---------------------------------------------------------------- per-host state (session 6)

SYN_ACK = 0x12


def dns_response(qid, name, addr, flags=0x8180, qd=True):
    """A DNS (or mDNS, flags 0x8400 and no question) answer: `name` A `addr`, TTL 120."""
    enc = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    q = struct.pack("!HHHHHH", qid & 0xFFFF, flags, 1 if qd else 0, 1, 0, 0)
    if qd:
        q += enc + b"\0\x01\0\x01"
        return q + b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 120, 4) + addr
    return q + enc + struct.pack("!HHIH", 1, 0x8001, 120, 4) + addr


def tcp_exchange(fl, cip, sip, sport, dport, ident, client_bytes, server_bytes=b"", seg=MSS):
    """SYN, SYN-ACK, the client's bytes (cut into `seg`-byte segments), the server's bytes."""
    fl.put(ipv4(cip, sip, 6, tcp(sport, dport, 1000, SYN), ident))
    fl.put(ipv4(sip, cip, 6, tcp(dport, sport, 9000, SYN_ACK), ident))
    for off in range(0, len(client_bytes), seg):
        fl.put(ipv4(cip, sip, 6, tcp(sport, dport, 1001 + off, PSH_ACK, client_bytes[off : off + seg]), ident))
    for off in range(0, len(server_bytes), MSS):
        fl.put(ipv4(sip, cip, 6, tcp(dport, sport, 9001 + off, PSH_ACK, server_bytes[off : off + MSS]), ident))


HTTP_SERVER = bytes([10, 250, 0, 80])
EXPOSURES_PER_CLIENT = 64


def case_http_exposure(fl, units):
    """Plain-HTTP requests to vendor hosts, each with credentials in clear (Basic auth, an API
    key header, a session cookie, a key in the query) and a path never used before: 64 per
    client on one keep-alive connection (twice the per-host-vendor exposure cap), from many
    clients, to 8 vendor names."""
    vendors = ["zendesk.com", "intercom.io", "freshdesk.com", "helpscout.net"]
    conn = []
    for i in each_unit(fl, units, 1000):
        host = f"api{i % 2}.{vendors[(i // EXPOSURES_PER_CLIENT) % len(vendors)]}"
        conn.append(
            f"GET /api/v2/tickets/{i}.json?api_key=k{i}&page={i} HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Basic dXNlcjpwYXNz{i:08d}\r\nX-Api-Key: {i:016x}\r\n"
            f"Cookie: sess{i}={i:x}\r\nUser-Agent: flood/{i}\r\n\r\n".encode()
        )
        if len(conn) == EXPOSURES_PER_CLIENT or i == units - 1:
            c = i // EXPOSURES_PER_CLIENT
            tcp_exchange(fl, flood_ip(c), HTTP_SERVER, port_of(c), 80, c, b"".join(conn))
            conn = []


# What each self-hosted product shows (fingerprints/selfhosted.signatures): a request path and
# a response's Set-Cookie name and title.
SELFHOSTED = [
    ("/", "_zammad_session_a138cfd0f37", "Zammad"),
    ("/otrs/index.pl", "OTRSAgentInterface", "Login"),
    ("/scp/login.php", "OSTSESSID", "osTicket :: Agent Login"),
    ("/NoAuth/Login.html", "RT_SID_example.com.80", "Login"),
    ("/login", "laravel_session", "Login - FreeScout"),
    ("/front/login.php", "glpi_40e4d3bc0c5d7d8a", "GLPI"),
    ("/en/member/login", "uvdesk", "Login"),
    ("/app/login", "_chatwoot_session", "Chatwoot"),
]


def case_selfhosted(fl, units):
    """HTTP servers answering with a self-hosted help desk's signature (path, cookie, title; the
    8 products in turn): even units each a server never seen before (its own address and port,
    past the 1,024-instance cap), odd units all the same server reached by a new Host name from
    a new client (past the 16-name and 256-client caps)."""
    for i in each_unit(fl, units, 1000):
        path, cookie, title = SELFHOSTED[i % len(SELFHOSTED)]
        if i % 2 == 0:
            j = i // 2
            sip, dport = bytes([198, 18 + ((j >> 16) & 1), (j >> 8) & 0xFF, j & 0xFF]), 8000 + (j >> 17)
        else:
            sip, dport = bytes([198, 19, 255, 254]), 80
        req = f"GET {path} HTTP/1.1\r\nHost: desk{i}.corp.example\r\nAccept: text/html\r\n\r\n".encode()
        body = f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{i}</body></html>"
        resp = (
            f"HTTP/1.1 200 OK\r\nServer: nginx\r\nSet-Cookie: {cookie}={i:x}; path=/; HttpOnly\r\n"
            f"Content-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        tcp_exchange(fl, flood_ip(i), sip, port_of(i), dport, i, req, resp)


NAMES_PER_HOST = 256


def case_evidence_names(fl, units):
    """Per unit a DNS query and answer for a vendor name never seen before, then a TLS hello for
    it to the answered address: 256 names per host (past the 8 names an evidence chain keeps
    per host and vendor), from many hosts."""
    for i in each_unit(fl, units, 1000):
        c = i // NAMES_PER_HOST
        cip, sport = flood_ip(c), port_of(i)
        name = f"e{i}.zendesk.com"
        sip = bytes([10, 251, (i >> 8) & 0xFF, i & 0xFF])
        fl.put(ipv4(cip, RESOLVER, 17, udp(sport, 53, dns_query(i, name)), i))
        fl.put(ipv4(RESOLVER, cip, 17, udp(53, sport, dns_response(i, name, sip)), i))
        fl.put(ipv4(cip, sip, 6, tcp(sport, 443, 1000, SYN), i))
        fl.put(ipv4(cip, sip, 6, tcp(sport, 443, 1001, PSH_ACK, record(client_hello(name))), i))


NAMES_PER_MAC = 16
DHCP_SERVER = bytes([10, 250, 0, 67])
BROADCAST = bytes([255, 255, 255, 255])


def dhcp(op, msg_type, xid, mac, yiaddr, hostname=None):
    b = struct.pack("!BBBBIHH4s4s4s4s16s", op, 1, 6, 0, xid, 0, 0x8000, bytes(4), yiaddr, bytes(4), bytes(4), mac)
    b += bytes(64 + 128) + bytes([99, 130, 83, 99]) + bytes([53, 1, msg_type])
    if hostname:
        b += bytes([12, len(hostname)]) + hostname.encode()
    if msg_type == 5:
        b += bytes([51, 4]) + struct.pack("!I", 86400) + bytes([54, 4]) + DHCP_SERVER
    else:
        b += bytes([50, 4]) + yiaddr
    return b + b"\xff"


def nbns_name(name, suffix=0):
    raw = name.upper().ljust(15)[:15].encode() + bytes([suffix])
    return bytes([32]) + bytes(x for c in raw for x in (0x41 + (c >> 4), 0x41 + (c & 0x0F))) + b"\0"


def nbns_registration(qid, name, addr):
    """RFC 1002 §4.2.2: opcode 5, RD, broadcast; the question and one NB record for it."""
    return (
        struct.pack("!HHHHHH", qid & 0xFFFF, 0x2910, 1, 0, 0, 1)
        + nbns_name(name)
        + b"\0\x20\0\x01"
        + b"\xc0\x0c\0\x20\0\x01\0\x04\x93\xe0\0\x06\0\0"
        + addr
    )


def case_identity(fl, units):
    """Host names for addresses, 16 distinct ones per MAC address and address, from many MACs:
    DHCP REQUEST + ACK (option 12), an NBNS name registration and an mDNS answer in turn."""
    for i in each_unit(fl, units, 1000):
        m = i // NAMES_PER_MAC
        ip, mac = flood_ip(m), b"\x02\x00" + struct.pack("!I", m)
        name = f"h{i}"
        kind = i % 3
        if kind == 0:
            fl.put(ipv4(bytes(4), BROADCAST, 17, udp(68, 67, dhcp(1, 3, i, mac, ip, name)), i))
            fl.put(ipv4(DHCP_SERVER, ip, 17, udp(67, 68, dhcp(2, 5, i, mac, ip)), i))
        elif kind == 1:
            fl.put(ipv4(ip, bytes([10, 255, 255, 255]), 17, udp(137, 137, nbns_registration(i, name, ip)), i))
        else:
            resp = dns_response(0, f"{name}.local", ip, flags=0x8400, qd=False)
            fl.put(ipv4(ip, bytes([224, 0, 0, 251]), 17, udp(5353, 5353, resp), i))


HEADER_KINDS = 4


def case_http_headers(fl, units):
    """Plain-HTTP requests to a vendor host with an API key in clear, in turn: 60 KiB of
    headers (600 of them), one 32 KiB header line, a 1 KiB head cut into 3-byte segments, and
    a head that never ends (16 KiB without the blank line)."""
    for i in each_unit(fl, units, 200):
        kind = i % HEADER_KINDS
        start = f"GET /v{i}?token=x HTTP/1.1\r\nHost: api.zendesk.com\r\nX-Api-Key: {i:x}\r\n"
        seg = MSS
        if kind == 0:
            head = start + "".join(f"X-H{n}: {'v' * 90}\r\n" for n in range(600)) + "\r\n"
        elif kind == 1:
            head = start + "X-Long: " + "L" * 32768 + "\r\n\r\n"
        elif kind == 2:
            head = start + "".join(f"X-S{n}: {'s' * 40}\r\n" for n in range(20)) + "\r\n"
            seg = 3
        else:
            head = start + "".join(f"X-N{n}: {'n' * 90}\r\n" for n in range(160))
        tcp_exchange(fl, flood_ip(i), HTTP_SERVER, port_of(i), 80, i, head.encode(), seg=seg)


LONG_HOST_REQUESTS = 40


def case_http_long_host(fl, units):
    """Plain-HTTP requests to a vendor whose Host is 7 KB of 63-byte labels under zendesk.com
    (legal in an HTTP head of 8 KiB, never a DNS name), each with a cookie name of its own:
    40 per client on one keep-alive connection (past the 32 exposures kept per host and
    vendor), from many clients."""
    label = "a" * 62
    conn = []
    for i in each_unit(fl, units, 1000):
        host = f"x{i % 10}" + "".join(f"{label}." for _ in range(110)) + "zendesk.com"
        conn.append(f"GET /l{i} HTTP/1.1\r\nHost: {host}\r\nCookie: c{i}=1\r\n\r\n".encode())
        if len(conn) == LONG_HOST_REQUESTS or i == units - 1:
            c = i // LONG_HOST_REQUESTS
            tcp_exchange(fl, flood_ip(c), HTTP_SERVER, port_of(c), 80, c, b"".join(conn))
            conn = []


CASES = {
    "quic-zero-crypto": case_quic_zero_crypto,
    "tcp-ooo": case_tcp_ooo,
    "dns-tcp-partial": case_dns_tcp_partial,
    "quic-partial-hello": case_quic_partial_hello,
    "tls-1byte-records": case_tls_1byte_records,
    "sni-less": case_sni_less,
    "syn-partial-dns": case_syn_partial_dns,
    "syn": case_syn,
    "first-fragment": case_first_fragment,
    "dns-unique": case_dns_unique,
    "quic-random": case_quic_random,
    "http-exposure": case_http_exposure,
    "selfhosted": case_selfhosted,
    "evidence-names": case_evidence_names,
    "identity": case_identity,
    "http-headers": case_http_headers,
    "http-long-host": case_http_long_host,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", nargs="?", choices=sorted(CASES))
    ap.add_argument("units", nargs="?", type=int)
    ap.add_argument("out", nargs="?")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(CASES))
        return
    self_test()  # every run: a capture made with broken protection must never be cached
    if a.self_test:
        return
    if not (a.case and a.units and a.out):
        ap.error("CASE UNITS OUT.pcap are required")
    fl = Flood(a.out)
    CASES[a.case](fl, a.units)
    json.dump(fl.finish(), sys.stdout)
    print()


if __name__ == "__main__":
    main()
