#!/usr/bin/env python3
"""An independent implementation of the reoffending comparisons (docs/methodology.md,
"Comparison with another cohort" and "Matched comparison"), written from the definitions
and not from the Rust code. tests/api/comparisons.rs feeds it the same CSV files it
imports into the service and compares every field of `reoffending.comparison`.

Usage: comparison_oracle.py DIR PERIOD_FROM PERIOD_TO AS_OF F W TREATMENT COMPARE
  DIR holds participants.csv, referrals.csv, offences.csv and group.csv (the files the
  test imports); TREATMENT is the programme name; COMPARE is `programme:NAME`,
  `group` or `matched`. Prints the comparison as JSON.
"""

import csv
import json
import math
import sys
from collections import defaultdict
from datetime import date

from scipy import stats

Z = 1.959963984540054


def d(s):
    return date.fromisoformat(s) if s else None


def add_months(day, months):
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    m += 1
    last = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31,
            30, 31, 31, 30, 31, 30, 31][m - 1]
    return date(y, m, min(day.day, last))


def norm_id(s):
    return "".join(s.split()).upper() if s and s.strip() else None


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def wilson(k, n):
    if n == 0:
        return None
    p = k / n
    den = n + Z * Z
    centre = (k + Z * Z / 2) / den
    half = Z / den * math.sqrt(k * (n - k) / n + Z * Z / 4)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def main():
    folder, p_from, p_to, as_of, F, W, treatment, compare = sys.argv[1:9]
    p_from, p_to, as_of, F, W = d(p_from), d(p_to), d(as_of), int(F), int(W)
    people = {r["reference"]: r for r in read(f"{folder}/participants.csv")}
    referrals = read(f"{folder}/referrals.csv")
    offences = defaultdict(list)
    extract = read(f"{folder}/offences.csv")
    for i, r in enumerate(extract):
        offences[norm_id(r["police_id"])].append(
            (d(r["offence_date"]), d(r["proven_on"]), i, r.get("date_of_birth", ""),
             r.get("gender", "")))

    def measurable(index):
        return add_months(index, F + W) <= as_of

    def reoffended(key, index):
        end, proven_by = add_months(index, F), add_months(index, F + W)
        return any(index < od <= end and pv is not None and pv <= proven_by
                   for od, pv, *_ in offences.get(key, []))

    def cohort(programme):
        """Measurable members of a programme's cohort: (key, index, participant)."""
        first = {}
        for n, r in enumerate(referrals):
            on = d(r["referred_on"])
            if r["programme"] != programme or not (p_from <= on <= p_to):
                continue
            k = r["participant_ref"]
            if k not in first or (on, n) < first[k][:2]:
                first[k] = (on, n, r)
        out = []
        for ref, (on, _, _) in first.items():
            key = norm_id(people[ref].get("police_id", ""))
            if key is not None and measurable(on):
                out.append((key, on, people[ref]))
        return out

    treated = cohort(treatment)
    t_n = len(treated)
    t_k = sum(reoffended(k, i) for k, i, _ in treated)

    def simple(label, method, c_n, c_k):
        p1 = t_k / t_n if t_n else None
        p2 = c_k / c_n if c_n else None
        out = {"method": method, "comparison_label": label,
               "treatment_measurable": t_n, "treatment_reoffenders": t_k,
               "treatment_rate": p1, "treatment_rate_ci": wilson(t_k, t_n),
               "comparison_measurable": c_n, "comparison_reoffenders": c_k,
               "comparison_rate": p2, "comparison_rate_ci": wilson(c_k, c_n)}
        diff = p1 - p2
        l1, u1 = wilson(t_k, t_n)
        l2, u2 = wilson(c_k, c_n)
        out["difference"] = diff
        out["difference_ci"] = [diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
                                diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)]
        pooled = (t_k + c_k) / (t_n + c_n)
        se = math.sqrt(pooled * (1 - pooled) * (1 / t_n + 1 / c_n))
        z = diff / se
        out["z"] = z
        out["p_value"] = 2 * stats.norm.sf(abs(z))
        out["fisher_p_value"] = stats.fisher_exact([[t_k, t_n - t_k], [c_k, c_n - c_k]]).pvalue
        big = t_n >= 60 and c_n >= 60
        out["verdict"] = ("too_small" if not big else
                          "significant" if out["p_value"] <= 0.05 and t_k >= 30 else
                          "inconclusive")
        return out

    if compare.startswith("programme:"):
        other = cohort(compare.split(":", 1)[1])
        c_k = sum(reoffended(k, i) for k, i, _ in other)
        result = simple(compare.split(":", 1)[1], "programme", len(other), c_k)
    elif compare == "group":
        rows = read(f"{folder}/group.csv")
        members = [(norm_id(r["police_id"]), d(r["index_date"])) for r in rows]
        members = [(k, i) for k, i in members if measurable(i)]
        c_k = sum(reoffended(k, i) for k, i in members)
        result = simple("the group", "group", len(members), c_k)
    else:
        result = matched(treated, people, referrals, offences, extract, p_from, p_to,
                         measurable, reoffended)
    print(json.dumps(result))


def age_band(born, on):
    if born is None:
        return "unknown"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return ("10-13" if age <= 13 else "14-15" if age <= 15 else "16-17" if age <= 17 else
            "18-24" if age <= 24 else "25+")


def gender_band(g):
    return g if g in ("female", "male", "other") else "unknown"


def prior_band(n):
    return "0" if n == 0 else "1" if n == 1 else "2-3" if n <= 3 else "4-6" if n <= 6 else "7+"


def fin_year(day):
    y = day.year if day.month >= 4 else day.year - 1
    return f"{y}-{(y + 1) % 100:02d}"


def matched(treated, people, referrals, offences, extract, p_from, p_to, measurable,
            reoffended):
    def prior(key, index):
        start = add_months(index, -24)
        return sum(1 for od, pv, *_ in offences.get(key, [])
                   if start <= od < index and pv is not None and pv <= index)

    referred = {norm_id(people[r["participant_ref"]].get("police_id", ""))
                for r in referrals}
    has_birth = any(r.get("date_of_birth") for r in extract)
    has_gender = any(r.get("gender") for r in extract)
    variables = ([0] if has_birth else []) + ([1] if has_gender else []) + [2, 3]

    def latest(rows, field):
        best = None
        for od, pv, i, dob, g in rows:
            value = dob if field == "dob" else g
            if value and (best is None or (od, i) > best[0]):
                best = ((od, i), value)
        return best[1] if best else None

    def subject(index, born, gender, key, y):
        values = [age_band(born, index), gender_band(gender), prior_band(prior(key, index)),
                  fin_year(index)]
        return tuple(values[v] for v in variables), values, y

    t_subjects = [subject(i, d(p["date_of_birth"]), p["gender"], k, reoffended(k, i))
                  for k, i, p in treated]
    pool = []
    for key, rows in offences.items():
        if key in referred:
            continue
        in_period = [od for od, *_ in rows if p_from <= od <= p_to]
        if not in_period:
            continue
        index = min(in_period)
        if not measurable(index):
            continue
        dob = latest(rows, "dob")
        born = date(int(dob[:4]), int(dob[5:7]), 1) if dob else None
        pool.append(subject(index, born, latest(rows, "gender"), key, reoffended(key, index)))
    t = defaultdict(list)
    c = defaultdict(list)
    for s, _, y in t_subjects:
        t[s].append(y)
    for s, _, y in pool:
        c[s].append(y)
    strata = [s for s in t if s in c]
    n_t = sum(len(t[s]) for s in strata)
    k_t = sum(sum(t[s]) for s in strata)
    p_t = k_t / n_t
    p_c = sum(len(t[s]) * sum(c[s]) / len(c[s]) for s in strata) / n_t
    var_c = sum((len(t[s]) / n_t) ** 2 * (sum(c[s]) / len(c[s])) * (1 - sum(c[s]) / len(c[s]))
                / len(c[s]) for s in strata)
    se = math.sqrt(p_t * (1 - p_t) / n_t + var_c)
    diff = p_t - p_c
    z = diff / se
    p = 2 * stats.norm.sf(abs(z))
    ess = n_t ** 2 / sum(len(t[s]) ** 2 / len(c[s]) for s in strata)
    verdict = ("too_small" if n_t < 60 or ess < 60 else
               "significant" if p <= 0.05 and k_t >= 30 else "inconclusive")
    names = ["age_band", "gender", "prior_proven_offences", "financial_year"]
    balance = []
    for position, v in enumerate(variables):
        cats = sorted({vals[v] for _, vals, _ in t_subjects} | {vals[v] for _, vals, _ in pool})
        for cat in cats:
            ts = sum(1 for _, vals, _ in t_subjects if vals[v] == cat) / len(t_subjects)
            ps = sum(1 for _, vals, _ in pool if vals[v] == cat) / len(pool)
            cs = sum(len(t[s]) for s in strata if s[position] == cat) / n_t
            balance.append({"variable": names[v], "category": cat, "treated_share": ts,
                            "pool_share": ps, "comparison_share": cs})
    return {"method": "matched", "treatment_measurable": n_t, "treatment_reoffenders": k_t,
            "treatment_rate": p_t, "treatment_rate_ci": wilson(k_t, n_t),
            "comparison_measurable": sum(len(c[s]) for s in strata),
            "comparison_reoffenders": sum(sum(c[s]) for s in strata),
            "comparison_rate": p_c,
            "comparison_rate_ci": [max(0.0, p_c - 1.959964 * math.sqrt(var_c)),
                                   min(1.0, p_c + 1.959964 * math.sqrt(var_c))],
            "difference": diff,
            "difference_ci": [diff - 1.959964 * se, diff + 1.959964 * se],
            "z": z, "p_value": p, "fisher_p_value": None, "verdict": verdict,
            "matching": {"treated_unmatched": len(t_subjects) - n_t, "pool_size": len(pool),
                         "pool_used": sum(len(c[s]) for s in strata),
                         "effective_comparison_size": ess,
                         "variables": [names[v] for v in variables],
                         "balance": balance}}


if __name__ == "__main__":
    main()
