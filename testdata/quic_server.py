#!/usr/bin/env python3
"""Minimal HTTP/3 server and client on aioquic's asyncio API, for record-quic.sh.

    quic_server.py serve --host 10.99.30.2 --port 443 --cert cert.pem --key key.pem
    quic_server.py get   --host 10.99.30.2 --port 443 --sni docs.helpscout.net [--version 1|2]

serve: answers every HTTP/3 request with a small HTML page (ALPN h3).  It
accepts QUIC version 1 and 2.  It also answers HEAD and GET on any path.
get:   one HTTP/3 GET / with the given SNI (server_name), certificate not
checked (the server's is a throwaway self-signed one).  --version 2 makes
QUIC version 2 (RFC 9369) the only offered version, so the very first
Initial is already v2.  Prints the status and body length; exit 1 on failure.

Needs aioquic (pip install aioquic); record-quic.sh installs it into a temp venv.
"""
import argparse
import asyncio
import ssl
import sys

from aioquic.asyncio import QuicConnectionProtocol, connect, serve
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import ProtocolNegotiated, QuicEvent
from aioquic.quic.packet import QuicProtocolVersion

PAGE = (b"<!doctype html><html><head><title>shadowdesk quic test</title></head>"
        b"<body><p>hello over HTTP/3</p></body></html>\n")


class H3Server(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._h3 = None

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, ProtocolNegotiated) and event.alpn_protocol in H3_ALPN:
            self._h3 = H3Connection(self._quic)
        if self._h3 is None:
            return
        for ev in self._h3.handle_event(event):
            if isinstance(ev, HeadersReceived):
                hdr = dict(ev.headers)
                method = hdr.get(b":method", b"GET")
                path = hdr.get(b":path", b"/")
                print("request %s %s %s" % (method.decode(), hdr.get(b":authority", b"").decode(),
                                            path.decode()), flush=True)
                body = PAGE if path in (b"/", b"/index.html") else b"not found\n"
                status = b"200" if body is PAGE else b"404"
                self._h3.send_headers(ev.stream_id, [
                    (b":status", status),
                    (b"server", b"shadowdesk-test-aioquic"),
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ], end_stream=(method == b"HEAD"))
                if method != b"HEAD":
                    self._h3.send_data(ev.stream_id, body, end_stream=True)
                self.transmit()


class H3Client(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._h3 = H3Connection(self._quic)
        self._waiters = {}
        self._resp = {}

    def quic_event_received(self, event: QuicEvent) -> None:
        for ev in self._h3.handle_event(event):
            if isinstance(ev, (HeadersReceived, DataReceived)):
                r = self._resp.setdefault(ev.stream_id, {"headers": [], "body": b""})
                if isinstance(ev, HeadersReceived):
                    r["headers"] += ev.headers
                else:
                    r["body"] += ev.data
                if ev.stream_ended and ev.stream_id in self._waiters:
                    self._waiters.pop(ev.stream_id).set_result(r)

    async def get(self, authority: str, path: str = "/"):
        sid = self._quic.get_next_available_stream_id()
        self._h3.send_headers(sid, [
            (b":method", b"GET"), (b":scheme", b"https"),
            (b":authority", authority.encode()), (b":path", path.encode()),
            (b"user-agent", b"aioquic-shadowdesk-test"),
        ], end_stream=True)
        fut = asyncio.get_running_loop().create_future()
        self._waiters[sid] = fut
        self.transmit()
        return await fut


async def run_serve(a):
    cfg = QuicConfiguration(is_client=False, alpn_protocols=H3_ALPN)
    cfg.supported_versions = [QuicProtocolVersion.VERSION_1, QuicProtocolVersion.VERSION_2]
    cfg.load_cert_chain(a.cert, a.key)
    if a.keylog:
        cfg.secrets_log_file = open(a.keylog, "a", buffering=1)
    await serve(a.host, a.port, configuration=cfg, create_protocol=H3Server)
    print("listening on udp %s:%d" % (a.host, a.port), flush=True)
    await asyncio.Future()


async def run_get(a):
    cfg = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name=a.sni)
    cfg.verify_mode = ssl.CERT_NONE
    if a.version == 2:
        cfg.supported_versions = [QuicProtocolVersion.VERSION_2]
        cfg.original_version = QuicProtocolVersion.VERSION_2
    else:
        cfg.supported_versions = [QuicProtocolVersion.VERSION_1]
    async with connect(a.host, a.port, configuration=cfg, create_protocol=H3Client,
                       wait_connected=True) as client:
        r = await asyncio.wait_for(client.get(a.sni), a.timeout)
        hdr = dict(r["headers"])
        print("status %s, %d body bytes, quic version 0x%08x" % (
            hdr.get(b":status", b"?").decode(), len(r["body"]), client._quic._version), flush=True)
        client.close()
        await client.wait_closed()
        return hdr.get(b":status") == b"200"


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, default=443)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--keylog", help="append TLS secrets (SSLKEYLOGFILE format), for debugging only")
    g = sub.add_parser("get")
    g.add_argument("--host", required=True)
    g.add_argument("--port", type=int, default=443)
    g.add_argument("--sni", required=True)
    g.add_argument("--version", type=int, choices=(1, 2), default=1)
    g.add_argument("--timeout", type=float, default=10.0)
    a = p.parse_args()
    if a.cmd == "serve":
        try:
            asyncio.run(run_serve(a))
        except KeyboardInterrupt:
            pass
    else:
        ok = asyncio.run(asyncio.wait_for(run_get(a), a.timeout + 5))
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
