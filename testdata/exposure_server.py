#!/usr/bin/env python3
"""A stand-in web server for testdata/record-exposure.sh.

  exposure_server.py ADDR PORT SITES_DIR [CERT KEY]

Any method on any path answers 200 with a small JSON body, as a vendor API would, unless the
request's Host names a folder of SITES_DIR: then the request is answered with that folder's
saved login page (`body.html`) and headers (`headers.txt`, one `Name: value` a line, taken
from the product's source; see testdata/selfhosted/README.md). With CERT and KEY it speaks
TLS 1.2 at most, so the Certificate message stays visible on the wire.
"""
import http.server
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sites = ""

    def log_message(self, fmt, *args):
        # Request lines carry the query values the capture is made to expose: not logged.
        pass

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        site = os.path.join(self.sites, host)
        if host and os.path.isdir(site):
            with open(os.path.join(site, "body.html"), "rb") as f:
                body = f.read()
            self.send_response(200)
            with open(os.path.join(site, "headers.txt")) as f:
                for line in f:
                    line = line.rstrip("\n")
                    if ":" in line and not line.startswith("#"):
                        k, v = line.split(":", 1)
                        self.send_header(k.strip(), v.strip())
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            body = b'{"ok":true}\n'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = do_PATCH = _answer


def main():
    addr, port, Handler.sites = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    srv = http.server.ThreadingHTTPServer((addr, port), Handler)
    if len(sys.argv) > 5:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
