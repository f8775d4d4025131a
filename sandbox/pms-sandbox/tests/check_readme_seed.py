#!/usr/bin/env python3
"""What the documentation says about the pms-sandbox's seed must be what
seed.json holds, so the two cannot drift apart again:

- the Seed table of sandbox/pms-sandbox/README.md: every hotel and room type,
  with city, currency, rooms, guests and base rate, and nothing more;
- the stated API key pattern (cbk_sandbox_<propertyID>);
- the number of hotels wherever a README counts them ("four hotels");
- the demo keys the local stack hands the services (deploy/local/lib.sh):
  each the seed's key of that hotel; a seed hotel without one (left to be
  onboarded from the admin page) is named in deploy/local/README.md.

Exit 0 when everything agrees; otherwise every disagreement is printed, exit 1.
Needs nothing but Python 3."""
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SANDBOX = ROOT / "sandbox" / "pms-sandbox"
COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
               "seven": 7, "eight": 8, "nine": 9, "ten": 10}
# READMEs that count the seeded hotels in words.
COUNTING_READMES = [SANDBOX / "README.md", ROOT / "deploy" / "local" / "README.md"]

problems = []


def seed_rows(seed):
    """(hotel, city, currency, room type, name, rooms, guests, base rate) per room type."""
    rows = set()
    for h in seed["hotels"]:
        for r in h["roomTypes"]:
            rows.add((h["propertyID"], h["address"]["city"], h["currency"]["code"],
                      r["roomTypeID"], r["name"], int(r["units"]), int(r["maxGuests"]),
                      Decimal(str(r["baseRate"]))))
    return rows


def readme_rows(text):
    """The rows of the first table after the "## Seed" heading, parsed."""
    section = text.split("\n## Seed\n", 1)
    if len(section) != 2:
        problems.append("README.md has no '## Seed' section")
        return set()
    rows = set()
    in_table = False
    for line in section[1].splitlines():
        if not line.startswith("|"):
            if in_table:
                break
            continue
        in_table = True
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        if cells[0] in ("hotel", "---") or len(cells) != 8:
            continue
        hotel, city, currency, room, name, rooms, guests, rate = cells
        rows.add((hotel, city, currency, room, name, int(rooms), int(guests),
                  Decimal(rate.replace(",", ""))))
    if not rows:
        problems.append("README.md's Seed section has no table rows")
    return rows


def main():
    seed = json.loads((SANDBOX / "seed.json").read_text(encoding="utf-8"))
    readme = (SANDBOX / "README.md").read_text(encoding="utf-8")

    want, have = seed_rows(seed), readme_rows(readme)
    for row in sorted(want - have, key=str):
        problems.append(f"README.md's Seed table lacks or misstates {row}")
    for row in sorted(have - want, key=str):
        problems.append(f"README.md's Seed table states {row}, which seed.json does not hold")

    if "`cbk_sandbox_<propertyID>`" in readme:
        for h in seed["hotels"]:
            if h["apiKey"] != "cbk_sandbox_" + h["propertyID"]:
                problems.append(f"{h['propertyID']}'s key {h['apiKey']} breaks the stated pattern")

    hotels = len(seed["hotels"])
    for path in COUNTING_READMES:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"\b(\w+) (?:seeded |demo )?hotels\b", text):
            n = COUNT_WORDS.get(m.group(1).lower())
            if n is not None and n != hotels:
                problems.append(f"{path.relative_to(ROOT)} says '{m.group(0)}'; the seed has {hotels}")

    lib = (ROOT / "deploy" / "local" / "lib.sh").read_text(encoding="utf-8")
    stack_keys = dict(re.findall(r"PMS_(\w+?)_API_KEY=(\S+)", lib))
    seed_keys = {h["propertyID"]: h["apiKey"] for h in seed["hotels"]}
    local_readme = (ROOT / "deploy" / "local" / "README.md").read_text(encoding="utf-8")
    for hotel, key in stack_keys.items():
        if seed_keys.get(hotel) != key:
            problems.append(f"deploy/local/lib.sh's demo key of {hotel} is not the seed's")
    for hotel in seed_keys.keys() - stack_keys.keys():
        if f"`{hotel}`" not in local_readme:
            problems.append(f"{hotel} has no demo key in deploy/local/lib.sh and "
                            "deploy/local/README.md does not say it is left to onboard")

    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print(f"ok: {len(want)} room types of {hotels} hotels as documented")
    return 0


if __name__ == "__main__":
    sys.exit(main())
