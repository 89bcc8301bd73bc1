#!/usr/bin/env python3
"""Compare two `outcomes report --format json` outputs: BEFORE and AFTER a change.

    compare_report_json.py BEFORE.json AFTER.json [--ignore KEY ...]

Every value in BEFORE must be in AFTER, unchanged (numbers compared exactly, lists element
by element in order). Keys that AFTER has and BEFORE has not are allowed: they are listed
(as paths, list indexes written [*]) but are not differences. Keys named by --ignore
(default: generated_at, the time the report was computed) are dropped from both sides
wherever they occur.

Prints the differences and the added keys; exits 1 if there is any difference, 0 if the
only changes are added keys.
"""
import argparse
import json
import re
import sys
from collections import Counter

DEFAULT_IGNORE = ["generated_at"]


def strip(value, ignore):
    if isinstance(value, dict):
        return {k: strip(v, ignore) for k, v in value.items() if k not in ignore}
    if isinstance(value, list):
        return [strip(v, ignore) for v in value]
    return value


def show(value, limit=120):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def compare(before, after, path, differences, added):
    if isinstance(before, dict) and isinstance(after, dict):
        for key in before:
            sub = f"{path}.{key}"
            if key not in after:
                differences.append(f"{sub}: removed (was {show(before[key])})")
            else:
                compare(before[key], after[key], sub, differences, added)
        for key in after:
            if key not in before:
                added.append(f"{path}.{key}")
    elif isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            differences.append(f"{path}: {len(before)} items before, {len(after)} after")
        for i, (b, a) in enumerate(zip(before, after)):
            compare(b, a, f"{path}[{i}]", differences, added)
    elif type(before) is not type(after) or before != after:
        # bool is not int, and 1 is not 1.0: a changed JSON type is a difference too.
        differences.append(f"{path}: {show(before)} -> {show(after)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--ignore", nargs="*", default=DEFAULT_IGNORE)
    parser.add_argument("--quiet-added", action="store_true",
                        help="count the added keys instead of listing them")
    args = parser.parse_args()
    ignore = set(args.ignore)
    with open(args.before) as f:
        before = strip(json.load(f), ignore)
    with open(args.after) as f:
        after = strip(json.load(f), ignore)
    differences, added = [], []
    compare(before, after, "$", differences, added)
    patterns = Counter(re.sub(r"\[\d+\]", "[*]", p) for p in added)
    label = f"{args.before} vs {args.after}"
    if differences:
        print(f"DIFFERENT  {label}: {len(differences)} values differ")
        for d in differences[:50]:
            print(f"  {d}")
        if len(differences) > 50:
            print(f"  ... and {len(differences) - 50} more")
    else:
        print(f"same       {label} (ignoring {', '.join(sorted(ignore)) or 'nothing'})")
    if patterns:
        if args.quiet_added:
            print(f"  added keys: {len(patterns)} paths, {len(added)} occurrences")
        else:
            for p, n in sorted(patterns.items()):
                print(f"  added: {p}  (x{n})")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
