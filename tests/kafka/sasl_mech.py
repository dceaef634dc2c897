"""The server side of the SASL mechanisms tests/kafka/sasl_front.py offers, from the RFCs:
PLAIN (RFC 4616) and SCRAM (RFC 5802, with SHA-256 and SHA-512 as RFC 7677 and Kafka name
them), in hashlib and hmac. `self_test` replays the RFCs' example exchanges.
"""
import base64
import hashlib
import hmac
import secrets

SCRAM_ITERATIONS = 4096  # RFC 7677 §4: at least 4096
MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class AuthFailed(Exception):
    pass


def plain_check(token, users):
    """RFC 4616 §2: [authzid] NUL authcid NUL passwd. Returns the user; an authzid other
    than the user itself (acting as another user) is refused, as Kafka refuses it."""
    parts = token.split(b"\0")
    if len(parts) != 3:
        raise AuthFailed("PLAIN: not authzid NUL authcid NUL passwd")
    authzid, authcid, passwd = (p.decode("utf-8", "strict") for p in parts)
    if authzid and authzid != authcid:
        raise AuthFailed("PLAIN: authorization id differs from the user")
    want = users.get(authcid)
    if want is None or not hmac.compare_digest(want.encode(), passwd.encode()):
        raise AuthFailed("Invalid username or password")
    return authcid


def scram_name(s):
    # RFC 5802 §5.1: "=2C" and "=3D" stand for "," and "="; any other "=" is invalid.
    out = s.replace("=2C", ",").replace("=3D", "=")
    if "=" in s.replace("=2C", "").replace("=3D", ""):
        raise AuthFailed("SCRAM: badly escaped user name")
    return out


def attrs(msg):
    out = []
    for kv in msg.split(","):
        if len(kv) < 2 or kv[1] != "=":
            raise AuthFailed("SCRAM: malformed attribute")
        out.append((kv[0], kv[2:]))
    return out


class Scram:
    """The server side of one SCRAM exchange (RFC 5802 §3, §5), for hashlib's `hash_name`."""

    def __init__(self, hash_name, users, nonce=None, salt=None, iterations=SCRAM_ITERATIONS):
        self.h = hash_name
        self.users = users
        self.snonce = nonce or base64.b64encode(secrets.token_bytes(18)).decode()
        self.salt = salt
        self.iterations = iterations
        self.user = None

    def hmac(self, key, msg):
        return hmac.new(key, msg, self.h).digest()

    def first(self, client_first):
        # gs2-header: "n,," or "y,,": no channel binding; "p=" (binding asked) is refused.
        # An authzid ("a=") is refused, as Kafka's SCRAM server does.
        if not (client_first.startswith("n,,") or client_first.startswith("y,,")):
            raise AuthFailed("SCRAM: unsupported gs2 header")
        self.gs2 = client_first[: 3]
        self.client_first_bare = client_first[3:]
        a = attrs(self.client_first_bare)
        if len(a) < 2 or a[0][0] != "n" or a[1][0] != "r" or not a[1][1]:
            raise AuthFailed("SCRAM: client-first-message lacks n= or r=")
        self.user = scram_name(a[0][1])
        self.nonce = a[1][1] + self.snonce
        password = self.users.get(self.user)
        # An unknown user gets an exchange like any other and fails at the proof, so the
        # answer does not say which users exist (RFC 5802 §5.1, "e=unknown-user" is optional).
        if self.salt is None:
            self.salt = hashlib.sha256(b"salt:" + self.user.encode()).digest()[:16]
        self.salted = hashlib.pbkdf2_hmac(self.h, (password or secrets.token_hex(16)).encode(),
                                          self.salt, self.iterations)
        self.known = password is not None
        self.server_first = (f"r={self.nonce},s={base64.b64encode(self.salt).decode()},"
                             f"i={self.iterations}")
        return self.server_first

    def final(self, client_final):
        if ",p=" not in client_final:
            raise AuthFailed("SCRAM: client-final-message lacks p=")
        without_proof, proof64 = client_final.rsplit(",p=", 1)
        a = dict(attrs(without_proof))
        if a.get("c") != base64.b64encode(self.gs2.encode()).decode():
            raise AuthFailed("SCRAM: channel binding differs from the gs2 header")
        if a.get("r") != self.nonce:
            raise AuthFailed("SCRAM: nonce differs")
        try:
            proof = base64.b64decode(proof64, validate=True)
        except ValueError:
            raise AuthFailed("SCRAM: proof is not base64") from None
        auth_message = ",".join([self.client_first_bare, self.server_first, without_proof]).encode()
        client_key = self.hmac(self.salted, b"Client Key")
        stored_key = hashlib.new(self.h, client_key).digest()
        signature = self.hmac(stored_key, auth_message)
        if len(proof) != len(signature):
            raise AuthFailed("SCRAM: invalid proof")
        recovered = bytes(p ^ s for p, s in zip(proof, signature))
        if not self.known or not hmac.compare_digest(hashlib.new(self.h, recovered).digest(), stored_key):
            raise AuthFailed("SCRAM: invalid proof")
        server_key = self.hmac(self.salted, b"Server Key")
        return "v=" + base64.b64encode(self.hmac(server_key, auth_message)).decode()


class Login:
    """One connection's SASL state: the mechanism chosen, then each token in turn."""

    def __init__(self, mechanism, users):
        self.mechanism = mechanism
        self.users = users
        self.scram = None
        if mechanism.startswith("SCRAM-SHA-"):
            self.scram = Scram({"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mechanism], users)
        self.done = False
        self.user = None

    def step(self, token):
        """The answer to `token`; sets `done` once the client is logged in."""
        if self.mechanism == "PLAIN":
            parts = token.split(b"\0")
            if len(parts) == 3:  # the user, for the log, even when the password is wrong
                self.user = parts[1].decode("utf-8", "replace")
            self.user = plain_check(token, self.users)
            self.done = True
            return b""
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError:
            raise AuthFailed("SCRAM: not UTF-8") from None
        if self.user is None:
            out = self.scram.first(text)
            self.user = self.scram.user
            return out.encode()
        out = self.scram.final(text)
        self.done = True
        return out.encode()


def self_test():
    """The published example exchanges, byte for byte."""
    # RFC 7677 §3: user "user", password "pencil", SCRAM-SHA-256.
    s = Scram("sha256", {"user": "pencil"}, nonce="%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
              salt=base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="), iterations=4096)
    assert s.first("n,,n=user,r=rOprNGfwEbeRWgbNEkqO") == (
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    final = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p="
    assert s.final(final + "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=") == (
        "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
    # The same exchange with one bit of the proof flipped is refused.
    try:
        s.final(final + "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVU=")
        raise AssertionError("a wrong SCRAM-SHA-256 proof was accepted")
    except AuthFailed:
        pass
    # RFC 5802 §5: the SHA-1 example, which exercises the same code with another hash.
    s = Scram("sha1", {"user": "pencil"}, nonce="3rfcNHYJY1ZVvWVs7j",
              salt=base64.b64decode("QSXCR+Q6sek8bf92"), iterations=4096)
    assert s.first("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL") == (
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
    assert s.final("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                   "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=") == "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="
    # RFC 4616 §4: "<NUL>tim<NUL>tanstaaftanstaaf" logs tim in; "Ursel<NUL>Kurt<NUL>..."
    # asks to act as Ursel, which this server (like Kafka) does not allow.
    assert plain_check(b"\0tim\0tanstaaftanstaaf", {"tim": "tanstaaftanstaaf"}) == "tim"
    for bad in [b"Ursel\0Kurt\0xipj3plmq", b"\0tim\0tanstaaf", b"\0tim"]:
        try:
            plain_check(bad, {"tim": "tanstaaftanstaaf", "Kurt": "xipj3plmq"})
            raise AssertionError(f"PLAIN accepted {bad!r}")
        except AuthFailed:
            pass
