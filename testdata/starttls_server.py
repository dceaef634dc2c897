#!/usr/bin/env python3
"""Tiny SMTP / IMAP / POP3 servers that support STARTTLS (STLS for POP3).

Used by testdata/record-more.sh inside the server network namespace, with a
throwaway certificate.  Only the commands that `openssl s_client -starttls
smtp|imap|pop3` sends are understood; after the upgrade the server keeps
answering over TLS until the client says QUIT / LOGOUT or closes.

  starttls_server.py PROTO ADDR PORT CERT KEY
      PROTO = smtp | imap | pop3
"""
import asyncio
import ssl
import sys


async def lines(reader):
    while True:
        line = await reader.readline()
        if not line:
            return
        yield line.decode("latin-1").rstrip("\r\n")


def make_handler(proto, ctx):
    async def smtp(reader, writer):
        w = writer
        w.write(b"220 mail.acme-corp.example ESMTP shadowdesk-test\r\n")
        tls = False
        async for line in lines(reader):
            cmd = line.split(" ", 1)[0].upper()
            if cmd in ("EHLO", "HELO"):
                caps = [b"mail.acme-corp.example", b"PIPELINING", b"8BITMIME"]
                if not tls:
                    caps.append(b"STARTTLS")
                w.write(b"".join(b"250-" + c + b"\r\n" for c in caps[:-1]) + b"250 " + caps[-1] + b"\r\n")
            elif cmd == "STARTTLS" and not tls:
                w.write(b"220 2.0.0 Ready to start TLS\r\n")
                await w.drain()
                await w.start_tls(ctx)
                tls = True
                continue
            elif cmd == "QUIT":
                w.write(b"221 2.0.0 Bye\r\n")
                await w.drain()
                break
            elif cmd == "NOOP":
                w.write(b"250 2.0.0 OK\r\n")
            else:
                w.write(b"502 5.5.2 Command not recognized\r\n")
            await w.drain()

    async def imap(reader, writer):
        w = writer
        w.write(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] shadowdesk-test ready\r\n")
        tls = False
        async for line in lines(reader):
            parts = line.split(" ", 2)
            if len(parts) < 2:
                w.write(b"* BAD missing tag\r\n")
                await w.drain()
                continue
            tag, cmd = parts[0].encode(), parts[1].upper()
            if cmd == "CAPABILITY":
                caps = b"IMAP4rev1 LOGINDISABLED" if tls else b"IMAP4rev1 STARTTLS LOGINDISABLED"
                w.write(b"* CAPABILITY " + caps + b"\r\n" + tag + b" OK CAPABILITY completed\r\n")
            elif cmd == "STARTTLS" and not tls:
                w.write(tag + b" OK Begin TLS negotiation now\r\n")
                await w.drain()
                await w.start_tls(ctx)
                tls = True
                continue
            elif cmd == "NOOP":
                w.write(tag + b" OK NOOP completed\r\n")
            elif cmd == "LOGOUT":
                w.write(b"* BYE logging out\r\n" + tag + b" OK LOGOUT completed\r\n")
                await w.drain()
                break
            else:
                w.write(tag + b" BAD unknown command\r\n")
            await w.drain()

    async def pop3(reader, writer):
        w = writer
        w.write(b"+OK shadowdesk-test POP3 ready\r\n")
        tls = False
        async for line in lines(reader):
            cmd = line.split(" ", 1)[0].upper()
            if cmd == "CAPA":
                caps = [b"TOP", b"UIDL"] + ([] if tls else [b"STLS"])
                w.write(b"+OK Capability list follows\r\n" + b"".join(c + b"\r\n" for c in caps) + b".\r\n")
            elif cmd == "STLS" and not tls:
                w.write(b"+OK Begin TLS negotiation\r\n")
                await w.drain()
                await w.start_tls(ctx)
                tls = True
                continue
            elif cmd == "QUIT":
                w.write(b"+OK bye\r\n")
                await w.drain()
                break
            elif cmd == "NOOP":
                w.write(b"+OK\r\n")
            else:
                w.write(b"-ERR unknown command\r\n")
            await w.drain()

    impl = {"smtp": smtp, "imap": imap, "pop3": pop3}[proto]

    async def handler(reader, writer):
        try:
            await impl(reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError) as e:
            print("%s: connection ended: %r" % (proto, e), file=sys.stderr, flush=True)
        finally:
            try:
                writer.close()
                await writer.wait_closed()
            except Exception:
                pass
    return handler


async def main():
    if len(sys.argv) != 6 or sys.argv[1] not in ("smtp", "imap", "pop3"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    proto, addr, port, cert, key = sys.argv[1:]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    srv = await asyncio.start_server(make_handler(proto, ctx), addr, int(port))
    print("%s listening on %s:%s" % (proto, addr, port), file=sys.stderr, flush=True)
    async with srv:
        await srv.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
