#!/usr/bin/python3
"""Reads every record of a Kafka topic, from the start to the end offsets at the time of the
call, with kafka-python (an independent client: not the crate shadowdesk publishes with).
Prints one JSON object per record: partition, offset, key, value (UTF-8 text), and the
partition the Java client's default partitioner would pick for the key.

usage: consume.py BROKER TOPIC
  CONSUME_CAFILE=FILE: over TLS, trusting FILE. CONSUME_SASL=MECHANISM, CONSUME_USER,
  CONSUME_PASSWORD: log in with SASL (tests/kafka/secure-test.sh).
"""
import json
import os
import sys
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2

broker, topic = sys.argv[1], sys.argv[2]
security = {}
if os.environ.get("CONSUME_CAFILE"):
    security.update(security_protocol="SSL", ssl_cafile=os.environ["CONSUME_CAFILE"])
if os.environ.get("CONSUME_SASL"):
    security.update(security_protocol="SASL_SSL" if security else "SASL_PLAINTEXT",
                    sasl_mechanism=os.environ["CONSUME_SASL"],
                    sasl_plain_username=os.environ["CONSUME_USER"],
                    sasl_plain_password=os.environ["CONSUME_PASSWORD"])
c = KafkaConsumer(bootstrap_servers=[broker], enable_auto_commit=False,
                  consumer_timeout_ms=2000, api_version_auto_timeout_ms=10000, **security)
parts = None
for _ in range(50):
    parts = c.partitions_for_topic(topic)
    if parts:
        break
    time.sleep(0.2)
if not parts:
    sys.exit(f"consume.py: no topic {topic} on {broker}")
tps = [TopicPartition(topic, p) for p in sorted(parts)]
c.assign(tps)
c.seek_to_beginning(*tps)
end = c.end_offsets(tps)
left = {tp: end[tp] for tp in tps}
deadline = time.time() + 60
while any(c.position(tp) < left[tp] for tp in tps) and time.time() < deadline:
    for tp, records in c.poll(timeout_ms=500).items():
        for r in records:
            print(json.dumps({"partition": r.partition, "offset": r.offset,
                              "key": r.key.decode() if r.key is not None else None,
                              "value": r.value.decode() if r.value is not None else None,
                              # kafka-python's own port of the Java partitioner.
                              "expected_partition": (murmur2(r.key) & 0x7fffffff) % len(tps)
                              if r.key is not None else None}))
missing = {tp.partition: left[tp] - c.position(tp) for tp in tps if c.position(tp) < left[tp]}
if missing:
    sys.exit(f"consume.py: records left unread by partition: {missing}")
