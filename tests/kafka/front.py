#!/usr/bin/python3
"""Two stand-ins in front of a tansu 0.6.0 broker, for tests/kafka/secure-test.sh:

  front.py tls LISTEN_PORT BACKEND_PORT CERT KEY
      Terminates TLS (Python's ssl, i.e. OpenSSL: not the rustls shadowdesk uses) and relays
      the plain bytes to the broker. tansu 0.6.0 takes --cert/--key but never uses them
      (clap rejects the two together, and the broker drops the acceptor it builds), so this
      is the TLS listener a real broker would have.
  front.py admin LISTEN_PORT BACKEND_PORT
      Logs each relayed connection in first, then relays: `tansu topic create` and `tansu
      user create` speak no SASL, and a broker started with --authentication refuses them
      otherwise (which also leaves no way to create the first user). The login is a
      SCRAM-SHA-256 exchange for a user that does not exist: tansu 0.6.0 answers it with
      "e=unknown-user" inside a SaslAuthenticate response of error code 0 and then treats
      the connection as authenticated (a flaw of tansu's: a client that ignores the SCRAM
      server-final error is let in; rskafka and kafka-python do not ignore it).

Prints "ready" once it listens.
"""
import asyncio
import base64
import ssl
import struct
import sys


def request(api_key, version, corr, body):
    client = b"front.py"
    head = struct.pack(">hhih", api_key, version, corr, len(client)) + client
    msg = head + body
    return struct.pack(">i", len(msg)) + msg


async def response(reader):
    (size,) = struct.unpack(">i", await reader.readexactly(4))
    return await reader.readexactly(size)


async def sasl(reader, writer, corr, api_key, body):
    writer.write(request(api_key, 1, corr, body))
    r = await response(reader)
    (err,) = struct.unpack(">h", r[4:6])
    if err:
        raise RuntimeError(f"api key {api_key}: error {err}")
    return r


async def scram_bypass(reader, writer):
    # SaslHandshake v1 (api key 17), then two SaslAuthenticate v1 (api key 36) rounds of
    # SCRAM-SHA-256 as a user that does not exist, with a proof of zeros. tansu 0.6.0
    # answers "e=unknown-user" inside a response whose error code is 0, and from then on
    # serves the connection as authenticated.
    mech = b"SCRAM-SHA-256"
    await sasl(reader, writer, 1, 17, struct.pack(">h", len(mech)) + mech)
    first = b"n,,n=front,r=frontnonce"
    r = await sasl(reader, writer, 2, 36, struct.pack(">i", len(first)) + first)
    # The response: error code, nullable error message, then the server-first message.
    (mlen,) = struct.unpack(">h", r[6:8])
    at = 8 + max(mlen, 0)
    (blen,) = struct.unpack(">i", r[at:at + 4])
    server_first = r[at + 4:at + 4 + blen].decode()
    nonce = dict(kv.split("=", 1) for kv in server_first.split(","))["r"]
    final = f"c=biws,r={nonce},p={base64.b64encode(bytes(32)).decode()}".encode()
    await sasl(reader, writer, 3, 36, struct.pack(">i", len(final)) + final)


async def pipe(src, dst):
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        pass
    finally:
        try:
            dst.close()
        except Exception:
            pass


def main():
    mode, listen, backend = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ctx = None
    if mode == "tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    elif mode != "admin":
        sys.exit(f"front.py: unknown mode {mode}")

    async def handle(creader, cwriter):
        try:
            breader, bwriter = await asyncio.open_connection("127.0.0.1", backend)
            if mode == "admin":
                await scram_bypass(breader, bwriter)
        except (OSError, RuntimeError, asyncio.IncompleteReadError) as e:
            print(f"front.py {mode}: {e}", file=sys.stderr, flush=True)
            cwriter.close()
            return
        await asyncio.gather(pipe(creader, bwriter), pipe(breader, cwriter))

    async def serve():
        server = await asyncio.start_server(handle, "127.0.0.1", listen, ssl=ctx)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
