#!/usr/bin/python3
"""A TLS and SASL terminating front for a tansu 0.6.0 broker, as a Kafka proxy that does the
authentication would be (tests/kafka/secure-test.sh, mode sasl):

  sasl_front.py LISTEN_PORT BACKEND_PORT CERT KEY
      users and passwords: the environment variable FRONT_USERS, a JSON object
      {"user": "password", ...} (not the command line: /proc shows it to everyone).

tansu 0.6.0 offers no SASL PLAIN, and its memory storage forgets SCRAM credentials; this
front answers SaslHandshake (api key 17, v0 and v1) and SaslAuthenticate (api key 36, v0 to
the flexible v2) itself, with the server side of PLAIN (RFC 4616) and SCRAM-SHA-256/512
(RFC 5802, RFC 7677) written here from the RFCs, and relays everything else to the broker
unchanged. ApiVersions (key 18) is relayed, its answer checked to list keys 17 and 36 (tansu
0.6.0 lists 17 v0-1 and 36 v0-2), and added to it if not. Before a login succeeds any
other request closes the connection, as a Kafka broker does. After SaslHandshake v0
(kafka-python 2.0.2 sends v0) the tokens follow as bare int32-sized frames, as Kafka's v0
framing has them. A failed login is answered with SASL_AUTHENTICATION_FAILED (58), or the
connection is closed in the v0 framing, as Kafka does.

The mechanisms are in sasl_mech.py. Before serving, the SCRAM code is checked against the
example exchanges of RFC 7677 §3 (SHA-256) and RFC 5802 §5 (SHA-1), and PLAIN against RFC
4616 §4's. Prints "ready" once it listens.
"""
import asyncio
import json
import os
import ssl
import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
import sasl_mech  # noqa: E402 (after the line above)
from sasl_mech import MECHANISMS, AuthFailed, Login  # noqa: E402

# A request before the login is one of three small messages; a larger size is an attack
# or a client that skipped the login: refused instead of buffered.
MAX_PREAUTH_FRAME = 64 * 1024
ERR_UNSUPPORTED_SASL_MECHANISM = 33
ERR_SASL_AUTHENTICATION_FAILED = 58
SASL_KEYS = {17: (0, 1), 36: (0, 2)}


def self_test():
    """The published example exchanges, byte for byte, and the ApiVersions rewrite."""
    sasl_mech.self_test()
    # ApiVersions: an answer without the SASL keys gets them, v0 and flexible v3 alike.
    for v in (0, 3):
        body = api_versions_body(v, [(0, 0, 9), (18, 0, 4)])
        assert sorted(api_versions_keys(add_sasl_keys(body, v), v)) == [
            (0, 0, 9), (17, 0, 1), (18, 0, 4), (36, 0, 2)], v
        full = api_versions_body(v, [(0, 0, 9), (17, 0, 1), (36, 0, 2)])
        assert add_sasl_keys(full, v) == full


# --- Kafka framing -----------------------------------------------------------------------

def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_uvarint(buf, at):
    n = shift = 0
    while True:
        if at >= len(buf) or shift > 28:
            raise ValueError("bad varint")
        b = buf[at]
        at += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, at
        shift += 7


def skip_tagged(buf, at):
    count, at = read_uvarint(buf, at)
    for _ in range(count):
        _, at = read_uvarint(buf, at)
        size, at = read_uvarint(buf, at)
        at += size
    if at > len(buf):
        raise ValueError("tagged fields past the end")
    return at


def flexible(api_key, version):
    # The versions whose request header is v2 (with tagged fields), from Kafka's message
    # definitions ("flexibleVersions"): ApiVersions 3+, SaslAuthenticate 2+; SaslHandshake none.
    return (api_key == 18 and version >= 3) or (api_key == 36 and version >= 2)


def parse_header(frame):
    """api_key, api_version, correlation_id, offset of the body (request header v1 or v2)."""
    api_key, version, corr, clen = struct.unpack_from(">hhih", frame, 0)
    at = 10 + max(clen, 0)
    if at > len(frame):
        raise ValueError("client id past the end")
    if flexible(api_key, version):
        at = skip_tagged(frame, at)
    return api_key, version, corr, at


def api_versions_body(version, keys):
    """An ApiVersions response body (after the correlation id; header v0 for every version)."""
    if version >= 3:
        out = struct.pack(">h", 0) + uvarint(len(keys) + 1)
        out += b"".join(struct.pack(">hhh", *k) + b"\0" for k in keys)
        return out + struct.pack(">i", 0) + b"\0"
    out = struct.pack(">hi", 0, len(keys)) + b"".join(struct.pack(">hhh", *k) for k in keys)
    return out + (struct.pack(">i", 0) if version >= 1 else b"")


def api_versions_keys(body, version):
    if version >= 3:
        n, at = read_uvarint(body, 2)
        n -= 1
    else:
        (n,) = struct.unpack_from(">i", body, 2)
        at = 6
    keys = []
    for _ in range(max(n, 0)):
        keys.append(struct.unpack_from(">hhh", body, at))
        at += 6
        if version >= 3:
            at = skip_tagged(body, at)
    return keys


def add_sasl_keys(body, version):
    """The broker's ApiVersions answer, with SaslHandshake and SaslAuthenticate added if it
    lacks them: this front serves them whatever the broker does."""
    keys = api_versions_keys(body, version)
    have = {k for k, _, _ in keys}
    missing = [(k, lo, hi) for k, (lo, hi) in SASL_KEYS.items() if k not in have]
    if not missing or struct.unpack_from(">h", body, 0)[0] != 0:
        return body
    if version >= 3:
        _, at = read_uvarint(body, 2)
        entries_at = at
        for _ in keys:
            at = skip_tagged(body, at + 6)
        added = b"".join(struct.pack(">hhh", *k) + b"\0" for k in missing)
        return body[:2] + uvarint(len(keys) + len(missing) + 1) + body[entries_at:at] + added + body[at:]
    at = 6 + 6 * len(keys)
    added = b"".join(struct.pack(">hhh", *k) for k in missing)
    return body[:2] + struct.pack(">i", len(keys) + len(missing)) + body[6:at] + added + body[at:]


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def kstring(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def handshake_response(corr, error):
    mechs = b"".join(kstring(m) for m in MECHANISMS)
    return frame(struct.pack(">ihi", corr, error, len(MECHANISMS)) + mechs)


def authenticate_response(corr, version, error, message, auth):
    if version >= 2:
        msg = uvarint(0) if message is None else uvarint(len(message.encode()) + 1) + message.encode()
        body = (struct.pack(">h", error) + msg + uvarint(len(auth) + 1) + auth
                + struct.pack(">q", 0) + b"\0")
        return frame(struct.pack(">i", corr) + b"\0" + body)
    msg = struct.pack(">h", -1) if message is None else kstring(message)
    body = struct.pack(">h", error) + msg + struct.pack(">i", len(auth)) + auth
    if version >= 1:
        body += struct.pack(">q", 0)  # session_lifetime_ms: no re-authentication
    return frame(struct.pack(">i", corr) + body)


def authenticate_bytes(body, version):
    if version >= 2:
        n, at = read_uvarint(body, 0)
        return body[at:at + n - 1] if n else b""  # 0: null
    (n,) = struct.unpack_from(">i", body, 0)
    return body[4:4 + n]


async def read_frame(reader, cap):
    (size,) = struct.unpack(">i", await reader.readexactly(4))
    if size < 0 or size > cap:
        raise ValueError(f"frame of {size} bytes before the login")
    return await reader.readexactly(size)


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


def log(msg):
    print(f"sasl_front.py: {msg}", file=sys.stderr, flush=True)


async def login(creader, cwriter, breader, bwriter, users):
    """Serves the requests before the login; True once a login succeeded."""
    sasl = None
    raw = False  # after SaslHandshake v0: bare tokens, no SaslAuthenticate framing
    while True:
        f = await read_frame(creader, MAX_PREAUTH_FRAME)
        if raw:
            try:
                answer = sasl.step(f)
            except AuthFailed as e:
                log(f"{sasl.mechanism} login of {sasl.user!r} refused (v0 framing): {e}")
                return False
            cwriter.write(frame(answer))
            await cwriter.drain()
            if sasl.done:
                log(f"{sasl.mechanism} login of {sasl.user!r} (v0 framing)")
                return True
            continue
        api_key, version, corr, at = parse_header(f)
        if api_key == 18:
            bwriter.write(frame(f))
            await bwriter.drain()
            (size,) = struct.unpack(">i", await breader.readexactly(4))
            r = await breader.readexactly(size)
            try:
                body = add_sasl_keys(r[4:], version)
            except (ValueError, struct.error):
                body = r[4:]  # not ours to judge: the client reads the broker's answer
            cwriter.write(frame(r[:4] + body))
        elif api_key == 17 and version <= 1 and sasl is None:
            (n,) = struct.unpack_from(">h", f, at)
            mechanism = f[at + 2:at + 2 + n].decode("utf-8", "replace")
            if mechanism not in MECHANISMS:
                cwriter.write(handshake_response(corr, ERR_UNSUPPORTED_SASL_MECHANISM))
                await cwriter.drain()
                log(f"mechanism {mechanism!r} refused")
                return False
            sasl = Login(mechanism, users)
            raw = version == 0
            cwriter.write(handshake_response(corr, 0))
        elif api_key == 36 and version <= 2 and sasl is not None:
            token = authenticate_bytes(f[at:], version)
            try:
                answer = sasl.step(token)
            except AuthFailed as e:
                # Kafka's own wording for a refused login, then the connection closes.
                log(f"{sasl.mechanism} login of {sasl.user!r} refused (SaslAuthenticate v{version}): {e}")
                cwriter.write(authenticate_response(
                    corr, version, ERR_SASL_AUTHENTICATION_FAILED,
                    f"Authentication failed during authentication due to invalid credentials "
                    f"with SASL mechanism {sasl.mechanism}", b""))
                await cwriter.drain()
                return False
            cwriter.write(authenticate_response(corr, version, 0, None, answer))
            if sasl.done:
                await cwriter.drain()
                log(f"{sasl.mechanism} login of {sasl.user!r} (SaslAuthenticate v{version})")
                return True
        else:
            # What a broker requiring SASL does with any other request before the login:
            # close the connection (an out-of-order handshake is ILLEGAL_SASL_STATE there).
            log(f"api key {api_key} v{version} before the login: connection closed")
            return False
        await cwriter.drain()


def main():
    if not __debug__:
        sys.exit("sasl_front.py: the self-test is asserts, which python -O removes")
    self_test()
    listen, backend = int(sys.argv[1]), int(sys.argv[2])
    users = json.loads(os.environ.get("FRONT_USERS", "{}"))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])

    async def handle(creader, cwriter):
        try:
            breader, bwriter = await asyncio.open_connection("127.0.0.1", backend)
        except OSError as e:
            log(f"broker: {e}")
            cwriter.close()
            return
        try:
            ok = await login(creader, cwriter, breader, bwriter, users)
        except (ValueError, struct.error, UnicodeDecodeError, asyncio.IncompleteReadError,
                ConnectionError, ssl.SSLError) as e:
            log(f"connection closed before the login: {e!r}")
            ok = False
        if not ok:
            for w in (cwriter, bwriter):
                try:
                    w.close()
                except Exception:
                    pass
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
