#!/usr/bin/env bash
# --kafka-tls, --kafka-ca and --kafka-sasl against a real broker (tansu 0.6.0) on loopback,
# read back by an independent client (kafka-python over Python's ssl, consume.py). Writes
# what it saw into OUT for tests/integration/kafka_secure.rs to check.
#   usage: secure-test.sh SHADOWDESK OUT CAPTURE tls|scram|sasl
# tansu 0.6.0 serves no TLS itself (--cert and --key are refused together by its CLI, and
# its broker drops the acceptor it builds), so front.py terminates TLS in front of it with a
# CA and server certificate made here by openssl, as a load balancer would.
#   tls (the `tansu` on PATH, memory storage):
#     t.a  TLS, the right CA: every event once.
#     t.b  TLS, a CA that did not sign the broker's certificate: refused, said, exit 2.
#     t.c  --kafka-tls against the plaintext listener: said, exit 2.
#     s.a  SCRAM-SHA-256 over TLS against `--authentication`: tansu's memory storage keeps no
#          SCRAM credentials (its upsert is a no-op), so every login is refused, ours and
#          kafka-python's alike (s.a.consume*): said, no password anywhere, exit 2.
#   scram ($TANSU: a tansu built with --features libsql, whose sqlite storage keeps them):
#     sc.a SCRAM-SHA-256 over TLS: every event once, read back with SASL_SSL.
#     sc.b SCRAM-SHA-512 over TLS, another user and topic: every event once.
#     sc.c the right user, a wrong password: refused, said, no password anywhere, exit 2.
#   sasl (the `tansu` on PATH, memory storage, no --authentication): sasl_front.py terminates
#   TLS and SASL before it, as an authenticating proxy would (tansu offers no PLAIN, and its
#   memory storage forgets SCRAM users), with the server side of PLAIN and SCRAM written from
#   the RFCs and checked against their example exchanges before it serves:
#     p.a  PLAIN over TLS: every event once, read back with SASL_SSL PLAIN.
#     sa.a SCRAM-SHA-256 over TLS: every event once, read back with SASL_SSL SCRAM-SHA-256.
#     sa.b SCRAM-SHA-512 over TLS, another user and topic: every event once.
#     p.c, sa.c a wrong password, PLAIN and SCRAM-SHA-256: refused, said, no password
#          anywhere, exit 2 (and kafka-python refused the same, sa.c.consume*).
#     sa.d before a login: ApiVersions answered, Metadata closes the connection.
set -euo pipefail
bin=$1 out=$2 cap=$3 mode=$4
tansu=${TANSU:-tansu}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
mkdir -p "$out"
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
wait_port() {
    for _ in $(seq 100); do
        $py -c "import socket; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "secure-test.sh: nothing listens on $1" >&2
    return 1
}

# The PKI: a CA that signs the broker's certificate (for 127.0.0.1), and another that does not.
pki=$out/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=shadowdesk test CA" \
    -keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
    -keyout "$pki/other.key" -out "$pki/other.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$pki/ext.cnf"
openssl x509 -req -days 2 -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
    -CAcreateserial -extfile "$pki/ext.cnf" -out "$pki/server.pem" 2>/dev/null

# A broker on a plaintext port, advertising the TLS port of its front (so clients that
# follow the metadata come back through TLS); its admin front when it requires SASL.
# Sets plain, tls, admin (ports).
start_broker() {
    local tag=$1 storage=$2
    shift 2
    plain=$(free_port) tls=$(free_port) admin=$(free_port)
    (cd "$out" && exec "$tansu" broker --storage-engine "$storage" --listener-url "tcp://127.0.0.1:$plain" \
        --advertised-listener-url "tcp://127.0.0.1:$tls" "$@" >>"$out/$tag.broker.log" 2>&1) &
    pids+=($!)
    $py "$here/front.py" tls "$tls" "$plain" "$pki/server.pem" "$pki/server.key" >>"$out/$tag.front.log" 2>&1 &
    pids+=($!)
    $py "$here/front.py" admin "$admin" "$plain" >>"$out/$tag.front.log" 2>&1 &
    pids+=($!)
    wait_port "$plain"
    wait_port "$tls"
    wait_port "$admin"
}
topic() { "$tansu" topic create --broker "tcp://127.0.0.1:$1" --partitions "$3" "$2" >>"$out/admin.log" 2>&1; }

# scan TAG [options...]: the capture, published with the options given; exit code in TAG.exit.
scan() {
    local tag=$1
    shift
    set +e
    "$bin" scan "$cap" -q --no-summary --events "$out/$tag.events" --report "$out/$tag.report.json" \
        "$@" >"$out/$tag.stdout" 2>"$out/$tag.stderr"
    echo $? >"$out/$tag.exit"
    set -e
}
consume() {
    local tag=$1 port=$2 topic=$3
    shift 3
    set +e
    env CONSUME_CAFILE="$pki/ca.pem" "$@" $py "$here/consume.py" "127.0.0.1:$port" "$topic" \
        >"$out/$tag.consumed" 2>"$out/$tag.consume.stderr"
    echo $? >"$out/$tag.consume.exit"
    set -e
}

case $mode in
tls)
    start_broker t memory://tansu/
    topic "$plain" events 3
    scan t.a --kafka "127.0.0.1:$tls" --kafka-tls --kafka-ca "$pki/ca.pem" --kafka-topic events
    consume t.a "$tls" events
    scan t.b --kafka "127.0.0.1:$tls" --kafka-tls --kafka-ca "$pki/other.pem" --kafka-flush-secs 5 --kafka-topic events
    # A plaintext listener reads the TLS ClientHello as the length of a huge request and
    # waits for it: only the connect timeout (15 s) ends the attempt.
    scan t.c --kafka "127.0.0.1:$plain" --kafka-tls --kafka-ca "$pki/ca.pem" --kafka-flush-secs 20 --kafka-topic events

    start_broker s memory://tansu/ --authentication
    # Through the admin front (tansu's own CLI speaks no SASL): accepted, and not stored.
    "$tansu" user create --broker "tcp://127.0.0.1:$admin" --mechanism scram256 alice "$KAFKA_PASSWORD" >>"$out/admin.log" 2>&1
    topic "$admin" events 3
    SHADOWDESK_KAFKA_PASSWORD=$KAFKA_PASSWORD scan s.a --kafka "127.0.0.1:$tls" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl scram-sha-256 --kafka-user alice --kafka-flush-secs 10 --kafka-topic events
    consume s.a "$tls" events CONSUME_SASL=SCRAM-SHA-256 CONSUME_USER=alice CONSUME_PASSWORD="$KAFKA_PASSWORD"
    ;;
scram)
    rm -f "$out"/tansu.db*
    start_broker sc sqlite://tansu.db --authentication
    "$tansu" user create --broker "tcp://127.0.0.1:$admin" --mechanism scram256 alice "$KAFKA_PASSWORD" >>"$out/admin.log" 2>&1
    "$tansu" user create --broker "tcp://127.0.0.1:$admin" --mechanism scram512 bob "$KAFKA_PASSWORD-512" >>"$out/admin.log" 2>&1
    topic "$admin" events 3
    topic "$admin" events512 3
    SHADOWDESK_KAFKA_PASSWORD=$KAFKA_PASSWORD scan sc.a --kafka "127.0.0.1:$tls" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl scram-sha-256 --kafka-user alice --kafka-topic events
    consume sc.a "$tls" events CONSUME_SASL=SCRAM-SHA-256 CONSUME_USER=alice CONSUME_PASSWORD="$KAFKA_PASSWORD"
    SHADOWDESK_KAFKA_PASSWORD=$KAFKA_PASSWORD-512 scan sc.b --kafka "127.0.0.1:$tls" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl scram-sha-512 --kafka-user bob --kafka-topic events512
    consume sc.b "$tls" events512 CONSUME_SASL=SCRAM-SHA-512 CONSUME_USER=bob CONSUME_PASSWORD="$KAFKA_PASSWORD-512"
    SHADOWDESK_KAFKA_PASSWORD=not-$KAFKA_PASSWORD scan sc.c --kafka "127.0.0.1:$tls" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl scram-sha-256 --kafka-user alice --kafka-flush-secs 10 --kafka-topic events
    ;;
sasl)
    # tansu without --authentication behind sasl_front.py, which logs clients in (TLS and
    # SASL terminated, as an authenticating proxy would) and relays the rest.
    plain=$(free_port) front=$(free_port)
    (cd "$out" && exec "$tansu" broker --storage-engine memory://tansu/ --listener-url "tcp://127.0.0.1:$plain" \
        --advertised-listener-url "tcp://127.0.0.1:$front" >>"$out/sa.broker.log" 2>&1) &
    pids+=($!)
    # The passwords reach the front through its environment, not its command line.
    FRONT_USERS=$($py -c 'import json, os; p = os.environ["KAFKA_PASSWORD"]
print(json.dumps({"alice": p, "bob": p + "-512", "carol": p + "-plain"}))') \
        $py "$here/sasl_front.py" "$front" "$plain" "$pki/server.pem" "$pki/server.key" >>"$out/sa.front.log" 2>&1 &
    pids+=($!)
    wait_port "$plain"
    wait_port "$front"
    for t in plain scram256 scram512; do topic "$plain" "$t" 3; done
    SHADOWDESK_KAFKA_PASSWORD=$KAFKA_PASSWORD-plain scan p.a --kafka "127.0.0.1:$front" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl plain --kafka-user carol --kafka-topic plain
    consume p.a "$front" plain CONSUME_SASL=PLAIN CONSUME_USER=carol CONSUME_PASSWORD="$KAFKA_PASSWORD-plain"
    SHADOWDESK_KAFKA_PASSWORD=$KAFKA_PASSWORD scan sa.a --kafka "127.0.0.1:$front" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl scram-sha-256 --kafka-user alice --kafka-topic scram256
    consume sa.a "$front" scram256 CONSUME_SASL=SCRAM-SHA-256 CONSUME_USER=alice CONSUME_PASSWORD="$KAFKA_PASSWORD"
    SHADOWDESK_KAFKA_PASSWORD=$KAFKA_PASSWORD-512 scan sa.b --kafka "127.0.0.1:$front" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl scram-sha-512 --kafka-user bob --kafka-topic scram512
    consume sa.b "$front" scram512 CONSUME_SASL=SCRAM-SHA-512 CONSUME_USER=bob CONSUME_PASSWORD="$KAFKA_PASSWORD-512"
    # Wrong passwords: alice's for carol over PLAIN, carol's for alice over SCRAM-SHA-256.
    SHADOWDESK_KAFKA_PASSWORD=$KAFKA_PASSWORD scan p.c --kafka "127.0.0.1:$front" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl plain --kafka-user carol --kafka-flush-secs 5 --kafka-topic plain
    SHADOWDESK_KAFKA_PASSWORD=$KAFKA_PASSWORD-plain scan sa.c --kafka "127.0.0.1:$front" --kafka-tls \
        --kafka-ca "$pki/ca.pem" --kafka-sasl scram-sha-256 --kafka-user alice --kafka-flush-secs 5 --kafka-topic scram256
    consume sa.c "$front" scram256 CONSUME_SASL=SCRAM-SHA-256 CONSUME_USER=alice CONSUME_PASSWORD="$KAFKA_PASSWORD-plain"
    # Before a login: ApiVersions is answered (with keys 17 and 36), Metadata closes the connection.
    $py - "$front" "$pki/ca.pem" >"$out/sa.d.probe" 2>&1 <<'PY' || true
import socket, ssl, struct, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="127.0.0.1")
def req(key, ver, body=b""):
    m = struct.pack(">hhih", key, ver, 9, 5) + b"probe" + body
    s.sendall(struct.pack(">i", len(m)) + m)
    head = s.recv(4)
    if len(head) < 4:
        return None
    (n,) = struct.unpack(">i", head)
    d = b""
    while len(d) < n:
        d += s.recv(n - len(d))
    return d
r = req(18, 0)
(count,) = struct.unpack_from(">i", r, 6)
keys = {struct.unpack_from(">h", r, 10 + 6 * i)[0]: struct.unpack_from(">hh", r, 12 + 6 * i) for i in range(count)}
print("api_versions", "sasl_handshake", keys.get(17), "sasl_authenticate", keys.get(36))
print("metadata", "answered" if req(3, 1, struct.pack(">i", -1)) else "closed")
PY
    ;;
*)
    echo "secure-test.sh: mode is tls, scram or sasl" >&2
    exit 2
    ;;
esac
