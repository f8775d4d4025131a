#!/usr/bin/env python3
"""Our Kafka events as other teams read them: with the official CloudEvents SDKs.

Publishes every example event of proto/examples/events/ to a fresh topic on the
real broker through ce_publish (the encoder every producer of ours uses: binary
content mode, keyed by subject, inside a known trace), then reads the topic
  --sdk python: with the CloudEvents Python SDK (cloudevents 2.2) through its
                Kafka entry point from_kafka (JSON format, content mode
                auto-detected) over confluent-kafka;
  --sdk java:   with the CloudEvents Java SDK (io.cloudevents:cloudevents-kafka,
                its CloudEventDeserializer in a KafkaConsumer), by running
                CloudEventsJavaSdk.java with `java` (source launch);
and checks that each event comes out right: id, source, type, subject, time,
dataschema, datacontenttype, the data itself (not the envelope), the
partition key and the distributed tracing extension (traceparent).

Usage: cloudevents_sdks.py --sdk python|java --publisher <ce_publish>
                           [--java-libs <dir of jars>]
Brokers: $KAFKA_BROKERS (default 127.0.0.1:19092). Exit 0 when every event
reads right, 1 otherwise.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import uuid

from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from dateutil.parser import isoparse
from cloudevents.core.bindings import kafka as ce_kafka

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "proto" / "examples" / "events"
JAVA_SOURCE = pathlib.Path(__file__).resolve().parent / "CloudEventsJavaSdk.java"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
WAIT_S = 60


def read_with_python_sdk(brokers, topic, count):
    """Every event of the topic through the SDK's from_kafka, by id."""
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": topic,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    events = {}
    deadline = time.monotonic() + WAIT_S
    try:
        while len(events) < count and time.monotonic() < deadline:
            m = consumer.poll(0.5)
            if m is None:
                continue
            if m.error():
                raise KafkaException(m.error())
            message = ce_kafka.KafkaMessage(headers=dict(m.headers() or []), key=m.key(),
                                            value=m.value())
            event = ce_kafka.from_kafka_event(message)
            events[event.get_id()] = event
    finally:
        consumer.close()
    return events


def check_python(brokers, topic, examples):
    events = read_with_python_sdk(brokers, topic, len(examples))
    problems = []
    for path in examples:
        want = json.loads(path.read_text())
        ev = events.get(want["id"])
        if ev is None:
            problems.append(f"{path.name}: event {want['id']} not read")
            continue
        got = {
            "specversion": ev.get_specversion(),
            "source": ev.get_source(),
            "type": ev.get_type(),
            "subject": ev.get_subject(),
            "time": ev.get_time(),
            "dataschema": ev.get_dataschema(),
            "datacontenttype": ev.get_datacontenttype(),
            "data": ev.get_data(),
            "partitionkey": ev.get_extension("partitionkey"),
            "traceparent": ev.get_extension("traceparent"),
        }
        expected = {
            "specversion": "1.0",
            "source": want["source"],
            "type": want["type"],
            "subject": want["subject"],
            "time": isoparse(want["time"]),
            "dataschema": want["dataschema"],
            "datacontenttype": "application/json",
            "data": want["data"],
            "partitionkey": want["subject"],
            "traceparent": TRACEPARENT,
        }
        for name, value in expected.items():
            if got[name] != value:
                problems.append(f"{path.name}: {name} is {got[name]!r}, expected {value!r}")
    return problems


def check_java(brokers, topic, expected_tsv, java_libs):
    if not java_libs or not pathlib.Path(java_libs).is_dir():
        return [f"the Java SDK's jars are missing ({java_libs}): run deploy/local/setup"]
    run = subprocess.run(["java", "-cp", str(pathlib.Path(java_libs) / "*"), str(JAVA_SOURCE),
                          brokers, topic, str(expected_tsv)],
                         capture_output=True, text=True, timeout=180)
    sys.stdout.write(run.stdout)
    if run.returncode != 0:
        return [f"the Java SDK check failed (exit {run.returncode}):\n{run.stderr[-4000:]}"]
    return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sdk", choices=["python", "java"], required=True)
    ap.add_argument("--publisher", required=True)
    ap.add_argument("--java-libs")
    args = ap.parse_args()
    brokers = os.environ.get("KAFKA_BROKERS", "127.0.0.1:19092")
    topic = f"it_ce_sdk_{args.sdk}_{uuid.uuid4().hex[:12]}"
    examples = sorted(EXAMPLES.glob("*.json"))
    admin = AdminClient({"bootstrap.servers": brokers})
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            expected_tsv = pathlib.Path(tmp) / "expected.tsv"
            subprocess.run([args.publisher, brokers, topic, TRACEPARENT, str(expected_tsv),
                            *map(str, examples)], check=True, timeout=120)
            if args.sdk == "python":
                problems = check_python(brokers, topic, examples)
            else:
                problems = check_java(brokers, topic, expected_tsv, args.java_libs)
    finally:
        admin.delete_topics([topic])[topic].result(30)
    for p in problems:
        print(f"FAIL {p}")
    print(f"{len(examples)} events read with the {args.sdk} SDK, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
