#!/usr/bin/env python3
"""Checks proto/asyncapi.yaml:
  1. it is valid against the AsyncAPI 3.0.0 JSON Schema (from the npm package
     @asyncapi/specs that deploy/local/setup caches under .local/cache);
  2. every $ref resolves: local pointers in the document, and the event
     schema files (relative paths, with their own pointers);
  3. every event type we publish is described: a message named after the
     type, on the channel of its topic, whose payload is its data schema and
     whose ce_dataschema is that schema's $id; every topic of proto/topics.md
     is a channel.
Run by ctest (proto_asyncapi_valid) with the project's venv.
Exit 0 when all holds, 1 with each problem printed.
"""
import json
import os
import pathlib
import re
import sys

import jsonschema
import yaml

PROTO = pathlib.Path(__file__).resolve().parent
ROOT = PROTO.parent
SPECS_VERSION = os.environ.get("ASYNCAPI_SPECS_VERSION", "6.11.1")
SPEC_SCHEMA = (ROOT / ".local" / "cache" / f"asyncapi-specs-{SPECS_VERSION}" / "package" /
               "schemas" / "3.0.0-without-$id.json")

sys.path.insert(0, str(PROTO))
from validate_examples import SCHEMA_OF_TYPE  # noqa: E402  (type → data schema, as topics.md)

# event type → the topic it is published on (topics.md)
TOPIC_OF_PREFIX = [
    ("lodging.pms.", "pms.events"),
    ("lodging.sync.requested", "sync.jobs"),
    ("lodging.sync.", "sync.results"),
    ("lodging.booking.compensation.", "booking.compensations"),
    ("lodging.booking.", "booking.events"),
    ("lodging.ops.", "ops.alerts"),
]


def topic_of(event_type):
    return next(topic for prefix, topic in TOPIC_OF_PREFIX if event_type.startswith(prefix))


def pointer(doc, fragment):
    """The node at a JSON pointer ("/a/b"), or raises KeyError."""
    node = doc
    for part in [p for p in fragment.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def refs(node, where="#"):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            else:
                yield from refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from refs(value, f"{where}/{i}")


def resolve(doc, base, ref):
    """The target of a $ref from a document at `base` (a path); raises on failure."""
    target, _, fragment = ref.partition("#")
    if not target:
        return pointer(doc, fragment), doc, base
    path = (base.parent / target).resolve()
    other = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(
        path.read_text())
    return pointer(other, fragment), other, path


def check_refs(doc, base, problems, seen=None):
    seen = seen if seen is not None else set()
    for where, ref in refs(doc):
        try:
            _, target_doc, target_path = resolve(doc, base, ref)
        except (OSError, KeyError, IndexError, ValueError) as e:
            problems.append(f"{base.name} {where}: $ref {ref} does not resolve ({e})")
            continue
        if target_path != base and target_path not in seen:
            seen.add(target_path)
            check_refs(target_doc, target_path, problems, seen)


def topics_in_topics_md():
    text = (PROTO / "topics.md").read_text()
    return {m for m in re.findall(r"^\| `([a-z.]+)` \|", text, re.M)}


def check_coverage(doc, problems):
    channels = doc.get("channels", {})
    addresses = {c.get("address"): name for name, c in channels.items()}
    for topic in sorted(topics_in_topics_md()):
        if topic not in addresses:
            problems.append(f"topic {topic} of topics.md has no channel")
    messages = doc.get("components", {}).get("messages", {})
    for event_type, schema in sorted(SCHEMA_OF_TYPE.items()):
        found = [(k, m) for k, m in messages.items() if m.get("name") == event_type]
        if len(found) != 1:
            problems.append(f"{event_type}: {len(found)} messages named after it (want 1)")
            continue
        key, message = found[0]
        payload = message.get("payload", {}).get("$ref")
        if payload != f"./events/{schema}.schema.json":
            problems.append(f"{event_type}: payload {payload}, want ./events/{schema}.schema.json")
        consts = {}
        for part in message.get("headers", {}).get("allOf", []):
            for name, prop in part.get("properties", {}).items():
                if "const" in prop:
                    consts[name] = prop["const"]
        if consts.get("ce_type") != event_type:
            problems.append(f"{event_type}: headers do not fix ce_type to it")
        schema_id = json.loads((PROTO / "events" / f"{schema}.schema.json").read_text()).get("$id")
        if consts.get("ce_dataschema") != schema_id or not schema_id:
            problems.append(f"{event_type}: ce_dataschema {consts.get('ce_dataschema')} is not "
                            f"the schema's $id {schema_id}")
        channel = channels.get(addresses.get(topic_of(event_type)), {})
        listed = {m.get("$ref") for m in channel.get("messages", {}).values()}
        if f"#/components/messages/{key}" not in listed:
            problems.append(f"{event_type}: not a message of channel {topic_of(event_type)}")


def main():
    problems = []
    path = PROTO / "asyncapi.yaml"
    doc = yaml.safe_load(path.read_text())
    if not SPEC_SCHEMA.is_file():
        print(f"the AsyncAPI JSON Schema is missing ({SPEC_SCHEMA}): run deploy/local/setup",
              file=sys.stderr)
        return 1
    spec = json.loads(SPEC_SCHEMA.read_text())
    for err in sorted(jsonschema.Draft7Validator(spec).iter_errors(doc), key=lambda e: e.path):
        location = "/".join(str(p) for p in err.absolute_path)
        problems.append(f"asyncapi.yaml /{location}: {err.message[:300]}")
    check_refs(doc, path, problems)
    check_coverage(doc, problems)
    for p in problems:
        print(f"FAIL {p}")
    print(f"asyncapi.yaml: {len(doc.get('channels', {}))} channels, "
          f"{len(doc.get('components', {}).get('messages', {}))} messages, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
