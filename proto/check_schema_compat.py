#!/usr/bin/env python3
"""Fails when a change to an event schema would break an existing consumer.

Compares every published schema in proto/events/baseline/ (the committed
snapshot of what consumers were promised) with its current version in
proto/events/. A consumer written against the baseline must still read every
event valid under the current schema, and old events already in the topics
must stay valid. So these are breaking:
  - a schema file removed;
  - a property removed or renamed (a rename is a removal plus an addition);
  - a property's type changed, other than widening (integer → number, or a
    type added to a list of types);
  - a property newly required;
  - an enum narrowed (a value removed), an enum or const put on a property
    that had none, a const changed;
  - an object closed (additionalProperties: false, or a narrower schema for
    additional properties);
  - a constraint tightened or added: minLength, maxLength, minimum, maximum,
    exclusiveMinimum, exclusiveMaximum, minItems, maxItems, pattern, format
    (a changed pattern or format counts as tightened);
  - a property forbidden (a `not` that requires a property the schema had).
And these pass: a new optional property, a new schema, a widened enum or type,
a loosened constraint, a description or title changed.

Usage: check_schema_compat.py [--baseline DIR] [--current DIR] [--update-baseline]
--update-baseline copies the current schemas into the baseline, and only when
the change is compatible (publish an additive change that way). A breaking
change is a new event type with its own schema (see proto/topics.md,
Evolution), never an edit of a published one.
Exit 0 compatible, 1 breaking (each break printed), 2 usage or unreadable input.
"""
import argparse
import json
import pathlib
import shutil
import sys

PROTO = pathlib.Path(__file__).resolve().parent
SUFFIX = ".schema.json"
# keyword → True when a larger value is looser (a maximum), False when smaller is looser
BOUNDS = {"minLength": False, "maxLength": True, "minimum": False, "maximum": True,
          "exclusiveMinimum": False, "exclusiveMaximum": True, "minItems": False,
          "maxItems": True, "minProperties": False, "maxProperties": True}


def types_of(schema):
    t = schema.get("type")
    if t is None:
        return None  # any type
    return {t} if isinstance(t, str) else set(t)


def type_widened(old, new):
    """True when every value of the old types is allowed by the new ones."""
    if new is None:
        return True
    if old is None:
        return False
    widened = set(new)
    if "number" in widened:
        widened.add("integer")
    return old <= widened


def forbidden_names(schema):
    """Property names a `not: {anyOf: [{required: [...]}, ...]}` forbids, or None when the
    `not` has another shape (then any change to it counts as breaking)."""
    neg = schema.get("not")
    if neg is None:
        return set()
    alternatives = neg.get("anyOf", [neg]) if isinstance(neg, dict) else None
    names = set()
    for alt in alternatives or []:
        if not isinstance(alt, dict) or set(alt) - {"required", "description"} or \
                not isinstance(alt.get("required"), list):
            return None
        names.update(alt["required"])
    return names if alternatives else None


def compare(old, new, where, breaks):
    """Appends to breaks every way `new` is narrower than `old` (both JSON Schemas)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        if old != new:
            breaks.append(f"{where}: schema changed from {old!r} to {new!r}")
        return
    if old.get("$ref") != new.get("$ref"):
        breaks.append(f"{where}: $ref changed from {old.get('$ref')} to {new.get('$ref')}")

    old_types, new_types = types_of(old), types_of(new)
    if not type_widened(old_types, new_types):
        breaks.append(f"{where}: type changed from {sorted(old_types or ['any'])} "
                      f"to {sorted(new_types)}")

    if "const" in new and old.get("const") != new["const"]:
        breaks.append(f"{where}: const {new['const']!r} (was {old.get('const', 'none')!r})")
    if "enum" in new:
        if "enum" not in old:
            if "const" not in old:
                breaks.append(f"{where}: enum {new['enum']} put on a value that had none")
            elif old["const"] not in new["enum"]:
                breaks.append(f"{where}: enum {new['enum']} drops the old const {old['const']!r}")
        else:
            dropped = [v for v in old["enum"] if v not in new["enum"]]
            if dropped:
                breaks.append(f"{where}: enum narrowed, {dropped} removed")

    for key, larger_is_looser in BOUNDS.items():
        if key not in new:
            continue
        if key not in old:
            breaks.append(f"{where}: {key} {new[key]} added")
        elif (new[key] < old[key]) if larger_is_looser else (new[key] > old[key]):
            breaks.append(f"{where}: {key} tightened from {old[key]} to {new[key]}")
    for key in ("pattern", "format"):
        if key in new and old.get(key) != new[key]:
            breaks.append(f"{where}: {key} {new[key]!r} (was {old.get(key, 'none')!r})")

    # objects: every old property stays, with a compatible schema; nothing newly required
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            breaks.append(f"{where}.{name}: property removed or renamed")
        else:
            compare(old_prop, new_props[name], f"{where}.{name}", breaks)
    for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
        breaks.append(f"{where}.{name}: newly required")
    old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if new_extra is False and old_extra is not False:
        breaks.append(f"{where}: closed to additional properties")
    elif isinstance(new_extra, dict) and old_extra is not False:
        compare(old_extra if isinstance(old_extra, dict) else {}, new_extra,
                f"{where}.<additional>", breaks)

    old_forbidden, new_forbidden = forbidden_names(old), forbidden_names(new)
    if old_forbidden is None or new_forbidden is None:
        if old.get("not") != new.get("not"):
            breaks.append(f"{where}: `not` changed")
    else:
        for name in sorted((new_forbidden - old_forbidden) & set(old_props)):
            breaks.append(f"{where}.{name}: property now forbidden")

    if "items" in old or "items" in new:
        compare(old.get("items", {}), new.get("items", {}), f"{where}[]", breaks)
    for key in ("anyOf", "oneOf", "allOf"):
        if old.get(key) != new.get(key):
            breaks.append(f"{where}: {key} changed")


def load(directory):
    schemas = {}
    for path in sorted(pathlib.Path(directory).glob("*" + SUFFIX)):
        schemas[path.name[:-len(SUFFIX)]] = json.loads(path.read_text())
    return schemas


def check(baseline_dir, current_dir):
    """The list of breaking changes from baseline_dir to current_dir."""
    baseline, current = load(baseline_dir), load(current_dir)
    breaks = []
    for name, old in baseline.items():
        if name not in current:
            breaks.append(f"{name}: published schema removed")
        else:
            compare(old, current[name], name, breaks)
    return breaks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default=PROTO / "events" / "baseline")
    ap.add_argument("--current", default=PROTO / "events")
    ap.add_argument("--update-baseline", action="store_true")
    args = ap.parse_args(argv)
    try:
        if not load(args.baseline):
            print(f"no baseline schemas in {args.baseline}", file=sys.stderr)
            return 2
        breaks = check(args.baseline, args.current)
    except (OSError, ValueError) as e:
        print(f"cannot read the schemas: {e}", file=sys.stderr)
        return 2
    for b in breaks:
        print(f"BREAKING {b}")
    if breaks:
        print(f"{len(breaks)} breaking change(s): publish a new event type instead "
              "(proto/topics.md, Evolution)")
        return 1
    if args.update_baseline:
        for path in pathlib.Path(args.current).glob("*" + SUFFIX):
            shutil.copyfile(path, pathlib.Path(args.baseline) / path.name)
        print("baseline updated")
    print(f"{len(load(args.current))} schemas compatible with the published baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
