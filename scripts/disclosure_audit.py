#!/usr/bin/env python3
"""Independent auditor of published disclosure control (issue 21).

Written apart from the suppressor (src/evaluation/disclosure.rs): it reads a report's
published system of equations, as exported by `Report::disclosure_system` (JSON), and
solves, with SciPy's `milp` (HiGHS), the integer program a reader can set up from
everything published at once:

  * a shown count is its value; a "<t" count is a whole number from 1 to t - 1;
  * a "[c]" count, or a count shown nowhere but implied by published sums ("implied",
    e.g. the people who did not reoffend), is a whole number of at least 0;
  * every published sum (row, column, nested and cross-section totals) holds.

For each hidden count it computes the smallest and largest value the reader can deduce
and reports a leak when

  1. a hidden cell ("<t" or "[c]") can be worked out exactly; or
  2. a count from 1 to t - 1 (hidden or implied) has fewer than three possible values
     (at threshold 3, fewer than the two that "<3" itself allows); or
  3. a count from 1 to t - 1 is shown; or
  4. a derived figure (rate, share, mean, statistic) is shown while a count it is
     computed from is hidden; or
  5. a declared sum does not hold on the true values (the export is wrong).

Input: a file holding one system (a JSON object), a JSON array of systems, or JSON
lines (one system per line). Each system:
  {"threshold": 5, "published": true,   (false: internal mode, only the sums are checked)
   "cells": [{"name": "...", "value": 3, "shown": "value" | "<5" | "[c]" | "implied"}],
   "equations": [{"total": 0, "parts": [1, 2]}],
   "derived": [{"name": "...", "from": [0, 1], "shown": true}]}

Usage: scripts/disclosure_audit.py FILE [--label TEXT]
Prints one line per leak and a summary; exits 1 if there is any leak, 2 on bad input.
"""

import json
import math
import sys

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    stripped = text.strip()
    if not stripped:
        return []
    try:
        data = json.loads(stripped)
        return data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def components(unknown, equations):
    """Groups of unknown cells linked by equations (union-find)."""
    parent = {u: u for u in unknown}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for eq in equations:
        members = [m for m in [eq["total"], *eq["parts"]] if m in parent]
        for m in members[1:]:
            parent[find(m)] = find(members[0])
    groups = {}
    for u in unknown:
        groups.setdefault(find(u), []).append(u)
    return list(groups.values())


class Component:
    """The reader's integer program over one group of unknown cells."""

    def __init__(self, cells, members, equations, threshold):
        self.members = members
        cap = 10 * sum(c["value"] for c in cells) + 1000
        self.cap = cap
        self.index = {m: i for i, m in enumerate(members)}
        rows, rhs = [], []
        for eq in equations:
            terms = [(eq["total"], -1.0)] + [(p, 1.0) for p in eq["parts"]]
            if not any(m in self.index for m, _ in terms):
                continue
            row = np.zeros(len(members))
            b = 0.0
            for m, c in terms:
                if m in self.index:
                    row[self.index[m]] += c
                else:
                    b -= c * cells[m]["value"]
            rows.append(row)
            rhs.append(b)
        lo, hi = [], []
        for m in members:
            if cells[m]["shown"].startswith("<"):
                lo.append(1.0)
                hi.append(float(threshold - 1))
            else:
                # No upper limit for the reader; a generous finite one keeps HiGHS from
                # answering "infeasible or unbounded", and only makes the audit stricter.
                lo.append(0.0)
                hi.append(float(cap))
        self.lo, self.hi = np.array(lo), np.array(hi)
        self.constraints = (
            [LinearConstraint(np.array(rows), np.array(rhs), np.array(rhs))] if rows else []
        )

    def optimum(self, member, sign, lo=None, hi=None):
        """min (sign=1) or max (sign=-1) of one cell; None if infeasible, inf if unbounded."""
        c = np.zeros(len(self.members))
        i = self.index[member]
        c[i] = sign
        lower, upper = self.lo.copy(), self.hi.copy()
        if lo is not None:
            lower[i], upper[i] = lo, hi
        res = milp(
            c,
            constraints=self.constraints,
            integrality=np.ones(len(self.members)),
            bounds=Bounds(lower, upper),
        )
        if res.status != 0:
            return None
        value = round(sign * res.fun)
        return math.inf if value >= self.cap else value


def witnesses(systems, rounds=8, batch=200, seed=21):
    """Feasible points of many systems at once, to prove cheaply that most hidden counts
    have enough possible values: for each batch of systems, one block-diagonal integer
    programme with every reader's constraints, minimised along random directions. Every
    point is checked against the constraints before it counts; a count not proved this way
    gets its exact smallest and largest value in `audit`. Returns, per system, the set of
    values seen for each unknown cell."""
    from scipy.sparse import block_diag, csr_matrix

    rng = np.random.default_rng(seed)
    seen = [dict() for _ in systems]
    for start in range(0, len(systems), batch):
        blocks, rhs, lo, hi, owners = [], [], [], [], []
        for k in range(start, min(start + batch, len(systems))):
            system = systems[k]
            if not system.get("published", True):
                continue
            cells = system["cells"]
            unknown = [i for i, c in enumerate(cells) if c["shown"] != "value"]
            if not unknown:
                continue
            comp = Component(cells, unknown, system["equations"], system["threshold"])
            rows = comp.constraints[0].A if comp.constraints else np.zeros((0, len(unknown)))
            b = comp.constraints[0].lb if comp.constraints else np.zeros(0)
            blocks.append(csr_matrix(rows) if rows.shape[0] else csr_matrix((0, len(unknown))))
            rhs.extend(b)
            lo.extend(comp.lo)
            hi.extend(comp.hi)
            owners.extend((k, u) for u in unknown)
        if not owners:
            continue
        a = block_diag(blocks, format="csr") if blocks else None
        rhs, lo, hi = np.array(rhs), np.array(lo), np.array(hi)
        constraints = [LinearConstraint(a, rhs, rhs)] if a is not None and a.shape[0] else []
        for _ in range(rounds):
            c = rng.normal(size=len(owners))
            res = milp(c, constraints=constraints, integrality=np.ones(len(owners)),
                       bounds=Bounds(lo, hi))
            if res.status != 0:
                continue
            x = np.round(res.x)
            if np.any(x < lo - 1e-9) or np.any(x > hi + 1e-9):
                continue
            if constraints and np.max(np.abs(a @ x - rhs), initial=0) > 1e-6:
                continue
            for (k, u), v in zip(owners, x):
                seen[k].setdefault(u, set()).add(int(v))
    return seen


def audit(system, label, seen=None):
    """Every leak in one system, as text lines."""
    threshold = system["threshold"]
    cells = system["cells"]
    equations = system["equations"]
    leaks = []
    checked = 0

    def small(v):
        return 1 <= v < threshold

    for eq in equations:
        total = cells[eq["total"]]["value"]
        parts = sum(cells[p]["value"] for p in eq["parts"])
        if total != parts:
            leaks.append(f"{label}: the sum {cells[eq['total']]['name']} does not hold ({total} ≠ {parts})")
    for cell in cells if system.get("published", True) else []:
        if cell["shown"] == "value" and small(cell["value"]):
            leaks.append(f"{label}: {cell['name']} = {cell['value']} is shown")
        if cell["shown"].startswith("<") and not small(cell["value"]):
            leaks.append(f"{label}: {cell['name']} = {cell['value']} is shown as {cell['shown']}")
    for d in system.get("derived", []) if system.get("published", True) else []:
        hidden = [cells[i]["name"] for i in d["from"] if cells[i]["shown"] != "value"]
        if d["shown"] and hidden:
            leaks.append(f"{label}: {d['name']} is shown but depends on hidden {', '.join(hidden)}")

    if not system.get("published", True):
        # Internal mode: exact figures by design; only the sums are checked, and that
        # nothing is hidden.
        hidden = [c["name"] for c in cells if c["shown"] not in ("value", "implied")]
        if hidden:
            leaks.append(f"{label}: internal mode hides {', '.join(hidden)}")
        return leaks, checked
    unknown = [i for i, c in enumerate(cells) if c["shown"] != "value"]
    needed = min(3, threshold - 1)
    for members in components(unknown, equations):
        comp = None
        for m in members:
            cell = cells[m]
            published = cell["shown"] != "implied"
            if not (published or small(cell["value"])):
                continue
            checked += 1
            values = set((seen or {}).get(m, set())) | {cell["value"]}
            required = needed if small(cell["value"]) else 2
            if len(values) >= required:
                continue  # proved by feasible points: enough possible values
            comp = comp or Component(cells, members, equations, threshold)
            low = comp.optimum(m, 1)
            high = comp.optimum(m, -1)
            if low is None or high is None:
                leaks.append(f"{label}: {cell['name']}: the published system has no solution")
                continue
            if low == high:
                leaks.append(f"{label}: {cell['name']} is worked out exactly: {low}")
                continue
            if small(cell["value"]) and needed >= 3:
                v = cell["value"]
                three = high - low >= 2 and (
                    low < v < high or comp.optimum(m, 1, low + 1, min(high - 1, comp.cap)) is not None
                )
                if not three:
                    leaks.append(f"{label}: {cell['name']} is narrowed to {low}..{high}")
    return leaks, checked


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[1]
    label = argv[3] if len(argv) > 3 and argv[2] == "--label" else path
    try:
        systems = load(path)
    except (OSError, json.JSONDecodeError) as e:
        print(f"{path}: cannot read the systems: {e}", file=sys.stderr)
        return 2
    leaks, checked, hidden = [], 0, 0
    seen = witnesses(systems)
    for n, system in enumerate(systems):
        name = system.get("label", f"{label}#{n}")
        found, c = audit(system, name, seen[n])
        leaks += found
        checked += c
        hidden += sum(1 for cell in system["cells"] if cell["shown"] not in ("value", "implied"))
    for line in leaks:
        print(line)
    print(
        f"audited {len(systems)} systems: {hidden} hidden cells, {checked} counts solved, "
        f"{len(leaks)} leaks"
    )
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
