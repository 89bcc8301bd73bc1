#!/usr/bin/env python3
"""Writes a synthetic police offence extract (the import format of docs/data-formats.md).

Usage: gen_offences.py ROWS OUT.csv [SEED]

Identifiers are synthetic ("PN" + 7 digits, 300,000 people per million rows); dates run
from 2017 to 2025 so that every proven_on is before the extract date used by the
benchmarks (2026-10-31). About 20% of offences are unproven.
"""
import datetime
import random
import sys

GROUPS = [
    ("violence_without_injury", 22), ("violence_with_injury", 12), ("shoplifting", 14),
    ("other_theft", 10), ("criminal_damage_other", 9), ("public_order", 9),
    ("drug_offences", 7), ("vehicle_offences", 5), ("robbery", 2), ("miscellaneous", 4),
    ("possession_of_weapons", 2), ("domestic_burglary", 2), ("theft_from_person", 1),
    ("other_sexual_offences", 1),
]


def main() -> None:
    rows = int(sys.argv[1])
    out = sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    people = max(1, rows * 3 // 10)
    names = [g for g, _ in GROUPS]
    weights = [w for _, w in GROUPS]
    base = datetime.date(2017, 1, 1)
    with open(out, "w", newline="") as f:
        f.write("police_id,offence_date,offence_group,proven_on\n")
        for _ in range(rows):
            pid = "PN%07d" % rng.randrange(people)
            d = base + datetime.timedelta(days=rng.randrange(3200))
            proven = "" if rng.random() < 0.2 else (d + datetime.timedelta(days=rng.randrange(120))).isoformat()
            f.write(f"{pid},{d.isoformat()},{rng.choices(names, weights)[0]},{proven}\n")


if __name__ == "__main__":
    main()
