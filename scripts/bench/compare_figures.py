#!/usr/bin/env python3
"""Checks that the key figures of an `outcomes report --format json` agree with those
computed by report_duckdb.py and report_pandas.py.

Usage: compare_figures.py REPORT.json DUCKDB.json PANDAS.json

Exits non-zero, listing every difference, unless all three agree (floats to 1e-9).
"""
import json
import math
import sys

ENGAGEMENT = ["referrals_received", "referrals_accepted", "referrals_declined",
              "referrals_pending", "engaged", "completed", "withdrawn", "disengaged",
              "median_days_to_first_session", "sessions_delivered", "participants_reached",
              "anonymous_headcount", "hours_delivered", "hours_required", "attendance_rate"]
GROUP = ["cohort", "measurable", "unmatched", "awaiting_follow_up", "reoffenders",
         "reoffences", "mean_days_to_first_reoffence", "median_days_to_first_reoffence"]
MEASURE = ["pairs", "mean_baseline", "mean_exit", "improved", "unchanged", "worsened"]


def from_report(report):
    out = {}
    e = report["engagement"]
    for k in ENGAGEMENT:
        out[f"engagement.{k}"] = e[k]
    for g in ("all", "engaged", "completed"):
        for k in GROUP:
            out[f"reoffending.{g}.{k}"] = report["reoffending"]["groups"][g][k]
    ba = report["reoffending"]["before_after"]
    for k in ("members", "offences_before", "offences_after"):
        out[f"before_after.{k}"] = ba[k]
    for m in report["outcomes"]:
        if m["pairs"]:
            for k in MEASURE:
                out[f"outcomes.{m['measure']}.{k}"] = m[k]
    return out


def from_script(figures):
    out = {}
    e = dict(figures["engagement"])
    marked = e.pop("attended") + e.pop("did_not_attend")
    e["attendance_rate"] = None if marked == 0 else figures["engagement"]["attended"] / marked
    for k in ENGAGEMENT:
        out[f"engagement.{k}"] = e[k]
    for g in ("all", "engaged", "completed"):
        for k in GROUP:
            out[f"reoffending.{g}.{k}"] = figures["reoffending"][g][k]
    for k in ("members", "offences_before", "offences_after"):
        out[f"before_after.{k}"] = figures["before_after"][k]
    for name, m in figures["outcomes"].items():
        if m["pairs"]:
            for k in MEASURE:
                out[f"outcomes.{name}.{k}"] = m[k]
    return out


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def main():
    with open(sys.argv[1]) as f:
        report = from_report(json.load(f))
    others = {}
    for label, path in (("duckdb", sys.argv[2]), ("pandas", sys.argv[3])):
        with open(path) as f:
            others[label] = from_script(json.load(f))
    problems = []
    for label, figures in others.items():
        for key in sorted(set(report) | set(figures)):
            a, b = report.get(key, "(missing)"), figures.get(key, "(missing)")
            if "(missing)" in (a, b) or not same(a, b):
                problems.append(f"  {key}: outcomes {a!r}, {label} {b!r}")
    if problems:
        print("FIGURES DIFFER:\n" + "\n".join(problems))
        sys.exit(1)
    print(f"  all three agree on {len(report)} figures "
          f"(referrals {report['engagement.referrals_received']}, "
          f"cohort {report['reoffending.all.cohort']}, "
          f"measurable {report['reoffending.all.measurable']}, "
          f"reoffenders {report['reoffending.all.reoffenders']})")


if __name__ == "__main__":
    main()
