#!/usr/bin/env python3
"""Unit tests of check_schema_compat.py: breaking changes fail, additive ones pass."""
import copy
import json
import pathlib
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import check_schema_compat as compat  # noqa: E402

BASE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "urn:lodging:events:example",
    "type": "object",
    "required": ["bookingId", "status"],
    "properties": {
        "bookingId": {"type": "string", "minLength": 1, "maxLength": 64},
        "status": {"enum": ["pending", "confirmed", "cancelled"]},
        "amount": {"type": "integer", "minimum": 0},
        "ratio": {"type": "number"},
        "compensations": {"type": "array", "items": {"enum": ["release_hold", "refund"]}},
        "stay": {"type": "object", "properties": {"checkIn": {"type": "string",
                                                             "pattern": "^[0-9-]+$"}}},
    },
    "not": {"anyOf": [{"required": ["email"]}]},
}


def breaks_of(change):
    """The breaks the checker finds when BASE becomes change(copy of BASE)."""
    new = copy.deepcopy(BASE)
    change(new)
    with tempfile.TemporaryDirectory() as old_dir, tempfile.TemporaryDirectory() as new_dir:
        (pathlib.Path(old_dir) / "example.schema.json").write_text(json.dumps(BASE))
        (pathlib.Path(new_dir) / "example.schema.json").write_text(json.dumps(new))
        return compat.check(old_dir, new_dir)


def set_in(path, value):
    def change(s):
        node = s
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def delete(path):
    def change(s):
        node = s
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


class BreakingChanges(unittest.TestCase):
    CASES = {
        "property removed": delete(["properties", "amount"]),
        "property renamed": lambda s: s["properties"].__setitem__(
            "total", s["properties"].pop("amount")),
        "property retyped": set_in(["properties", "amount", "type"], "string"),
        "number narrowed to integer": set_in(["properties", "ratio", "type"], "integer"),
        "newly required": set_in(["required"], ["bookingId", "status", "amount"]),
        "enum narrowed": set_in(["properties", "status", "enum"], ["pending", "confirmed"]),
        "enum narrowed inside items": set_in(["properties", "compensations", "items", "enum"],
                                             ["refund"]),
        "enum put on a free string": set_in(["properties", "bookingId", "enum"], ["bk_1"]),
        "object closed": set_in(["additionalProperties"], False),
        "nested object closed": set_in(["properties", "stay", "additionalProperties"], False),
        "maxLength tightened": set_in(["properties", "bookingId", "maxLength"], 32),
        "minimum added": set_in(["properties", "bookingId", "minimum"], 1),
        "pattern changed": set_in(["properties", "stay", "properties", "checkIn", "pattern"],
                                  "^[0-9]{4}$"),
        "format added": set_in(["properties", "bookingId", "format"], "uuid"),
        "existing property forbidden": set_in(["not"], {"anyOf": [{"required": ["email"]},
                                                                  {"required": ["amount"]}]}),
    }

    def test_each_breaking_change_fails(self):
        for name, change in self.CASES.items():
            with self.subTest(name):
                self.assertTrue(breaks_of(change), f"{name} was not found breaking")

    def test_a_removed_schema_fails(self):
        with tempfile.TemporaryDirectory() as old, tempfile.TemporaryDirectory() as new:
            (pathlib.Path(old) / "example.schema.json").write_text(json.dumps(BASE))
            self.assertEqual(compat.check(old, new), ["example: published schema removed"])


class CompatibleChanges(unittest.TestCase):
    CASES = {
        "nothing changed": lambda s: None,
        "optional property added": set_in(["properties", "note"], {"type": "string"}),
        "enum widened": set_in(["properties", "status", "enum"],
                               ["pending", "confirmed", "cancelled", "failed"]),
        "type widened to number": set_in(["properties", "amount", "type"], "number"),
        "maxLength loosened": set_in(["properties", "bookingId", "maxLength"], 128),
        "minimum dropped": delete(["properties", "amount", "minimum"]),
        "requirement dropped": set_in(["required"], ["bookingId"]),
        "description changed": set_in(["description"], "now documented"),
        "an absent field forbidden": set_in(["not"], {"anyOf": [{"required": ["email"]},
                                                                {"required": ["phone"]}]}),
    }

    def test_each_additive_change_passes(self):
        for name, change in self.CASES.items():
            with self.subTest(name):
                self.assertEqual(breaks_of(change), [])

    def test_a_new_schema_passes(self):
        with tempfile.TemporaryDirectory() as old, tempfile.TemporaryDirectory() as new:
            (pathlib.Path(old) / "a.schema.json").write_text(json.dumps(BASE))
            (pathlib.Path(new) / "a.schema.json").write_text(json.dumps(BASE))
            (pathlib.Path(new) / "b.schema.json").write_text(json.dumps(BASE))
            self.assertEqual(compat.check(old, new), [])


class CommandLine(unittest.TestCase):
    def test_exit_codes_and_baseline_update(self):
        with tempfile.TemporaryDirectory() as old, tempfile.TemporaryDirectory() as new:
            (pathlib.Path(old) / "example.schema.json").write_text(json.dumps(BASE))
            widened = copy.deepcopy(BASE)
            widened["properties"]["note"] = {"type": "string"}
            (pathlib.Path(new) / "example.schema.json").write_text(json.dumps(widened))
            self.assertEqual(compat.main(["--baseline", old, "--current", new,
                                          "--update-baseline"]), 0)
            updated = json.loads((pathlib.Path(old) / "example.schema.json").read_text())
            self.assertIn("note", updated["properties"])
            del widened["properties"]["note"]
            (pathlib.Path(new) / "example.schema.json").write_text(json.dumps(widened))
            self.assertEqual(compat.main(["--baseline", old, "--current", new,
                                          "--update-baseline"]), 1)
            still = json.loads((pathlib.Path(old) / "example.schema.json").read_text())
            self.assertIn("note", still["properties"])  # a breaking change never updates it

    def test_the_published_schemas_match_the_baseline(self):
        self.assertEqual(compat.main([]), 0)


if __name__ == "__main__":
    unittest.main()
