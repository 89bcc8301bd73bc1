#!/usr/bin/env python3
"""Crash safety (issue 8): SIGKILL `outcomes serve` in the middle of large imports sent
through the HTTP API, again and again, and check after each kill that the database is
consistent.

Usage: soak_crash.py BINARY BACKEND KILLS   (BACKEND: sqlite or postgres)

One database per backend lives through every cycle, so each cycle starts from the state
the previous kill left. A cycle starts the server (which applies migrations and recovers
the database), uploads a participants file (PARTICIPANTS rows, new references each
cycle) and then a police offence extract (OFFENCES rows, different each cycle, replacing
the previous extract), and kills the server with SIGKILL at a random moment within the
time the two imports take (measured first, in a cycle without a kill). Then, with the
server stopped:

- every import batch owns all of its rows or none: a participants batch's file holds
  exactly its rows_inserted participants, a cycle without a batch holds none; the current
  offence extract's batch owns exactly rows_total offence records, a superseded one none,
  and at most one extract is current;
- every import batch has its audit event and every import event its batch;
- an import whose response (200) arrived before the kill is in the database;
- SQLite: `PRAGMA integrity_check` answers ok and `PRAGMA foreign_key_check` nothing;
  PostgreSQL: amcheck's `verify_heapam` on every table and `bt_index_check` (with
  heapallindexed) on every B-tree index find nothing, and no row refers to a missing one;
- `outcomes audit verify` passes.

Prints one line, e.g. `kill during import (sqlite): 10/10 consistent (...)`, and exits
non-zero if any cycle was inconsistent. Everything stays on 127.0.0.1; every loop is
bounded. The data is synthetic (see scripts/bench/gen_offences.py).
"""
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PG_BASE = os.environ.get("PGURL_BASE", "postgres://postgres@127.0.0.1:5432")
PARTICIPANTS = int(os.environ.get("SOAK_PARTICIPANTS", "20000"))
OFFENCES = int(os.environ.get("SOAK_OFFENCES", "400000"))
EXTRACT_DATE = "2026-10-31"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Soak:
    def __init__(self, binary, backend, work):
        self.binary = binary
        self.backend = backend
        self.work = work
        self.env = dict(os.environ)
        self.env.update(
            OUTCOMES_KEY_FILE=os.path.join(work, "keys"),
            OUTCOMES_LOG="warn",
        )
        if backend == "sqlite":
            self.db_path = os.path.join(work, "soak.db")
            self.url = "sqlite://" + self.db_path
        else:
            self.pg_db = "outcomes_soak_crash"
            self.url = f"{PG_BASE}/{self.pg_db}"
            self.psql_admin(f"DROP DATABASE IF EXISTS {self.pg_db}")
            self.psql_admin(f"CREATE DATABASE {self.pg_db}")
        self.env["DATABASE_URL"] = self.url
        self.server = None
        self.port = None

    # --- helpers -------------------------------------------------------------------
    def cli(self, *args):
        out = subprocess.run(
            [self.binary, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if out.returncode != 0:
            raise RuntimeError(f"outcomes {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def psql_admin(self, sql):
        subprocess.run(
            ["psql", f"{PG_BASE}/postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, timeout=120,
        )

    def query(self, sql):
        """Rows of a query, as lists of strings (None for NULL)."""
        if self.backend == "sqlite":
            con = sqlite3.connect(self.db_path, timeout=60)
            try:
                return [[None if v is None else str(v) for v in row] for row in con.execute(sql)]
            finally:
                con.close()
        out = subprocess.run(
            ["psql", self.url, "-q", "-A", "-t", "-F", "\t", "-P", "null=\\N",
             "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True, timeout=600,
        )
        return [[None if v == "\\N" else v for v in line.split("\t")]
                for line in out.stdout.splitlines() if line != ""]

    def start(self):
        self.port = free_port()
        log = open(os.path.join(self.work, "server.log"), "ab")
        self.server = subprocess.Popen(
            [self.binary, "serve", "--bind", f"127.0.0.1:{self.port}"],
            env=self.env, stdout=log, stderr=log,
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"the server exited with {self.server.returncode} (see {log.name})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            time.sleep(0.1)
        raise RuntimeError("the server did not answer /health within 120 s")

    def kill(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGKILL)
        if self.server:
            self.server.wait(timeout=60)
        self.server = None

    def post(self, path, body, results, name):
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=body, method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "text/csv"},
        )
        started = time.time()
        try:
            with urllib.request.urlopen(req, timeout=600) as r:
                results[name] = ("ok", json.loads(r.read()), time.time() - started)
        except urllib.error.HTTPError as e:
            results[name] = ("http", f"{e.code} {e.read()[:300]!r}", time.time() - started)
        except Exception as e:  # the connection dies with the server
            results[name] = ("cut", repr(e), time.time() - started)

    # --- set-up and data -----------------------------------------------------------
    def set_up(self):
        self.cli("migrate")
        self.cli("org", "add", "--name", "Soak provider", "--kind", "provider")
        self.cli("org", "add", "--name", "Soak VRU", "--kind", "vru")
        self.cli("user", "add", "--email", "admin@soak.invalid", "--role", "admin",
                 "--organisation", "Soak VRU", "--generate-password")
        self.token = self.cli("token", "add", "--email", "admin@soak.invalid").strip().splitlines()[-1]
        self.org_id = int(self.query("SELECT id FROM organisations WHERE name = 'Soak provider'")[0][0])

    def participants(self, cycle):
        lines = ["reference,gender,district"]
        lines += [f"S{cycle:03d}-{i:06d},not_known,District {i % 7}" for i in range(PARTICIPANTS)]
        return ("\n".join(lines) + "\n").encode()

    def offences(self, base, cycle):
        # The synthetic extract plus one row of this cycle: a different file each time.
        return base + f"SOAK{cycle:06d},2025-01-01,shoplifting,\n".encode()

    def cycle(self, cycle, base, kill_at):
        """Runs one cycle; kill_at None means no kill. Returns what each upload got."""
        self.start()
        results = {}

        def uploads():
            self.post(f"/api/v1/imports/participants?organisation_id={self.org_id}"
                      f"&file_name=soak-participants-{cycle:03d}.csv",
                      self.participants(cycle), results, "participants")
            if results["participants"][0] == "cut":
                return
            self.post(f"/api/v1/imports/offences?extract_date={EXTRACT_DATE}"
                      f"&file_name=soak-offences-{cycle:03d}.csv",
                      self.offences(base, cycle), results, "offences")

        t = threading.Thread(target=uploads)
        started = time.time()
        t.start()
        if kill_at is None:
            t.join()
        else:
            t.join(timeout=kill_at)
            killed = time.time() - started
            self.kill()
            t.join(timeout=120)
            results["killed_at"] = killed
        self.kill()
        return results

    # --- checks ----------------------------------------------------------------------
    def check(self, acknowledged):
        problems = []
        batches = self.query(
            "SELECT id, kind, file_name, rows_total, rows_inserted, superseded_at FROM import_batches")
        participants = {}
        for ref, n in self.query(
                "SELECT substr(reference, 1, 4), count(*) FROM participants GROUP BY substr(reference, 1, 4)"):
            participants[ref] = int(n)
        offence_counts = dict((b, int(n)) for b, n in self.query(
            "SELECT import_batch_id, count(*) FROM offence_records GROUP BY import_batch_id"))
        seen_participant_cycles = set()
        current = 0
        for bid, kind, file_name, total, inserted, superseded in batches:
            if kind == "participants":
                cycle = int(file_name.split("-")[2].split(".")[0])
                seen_participant_cycles.add(cycle)
                held = participants.get(f"S{cycle:03d}", 0)
                if held != int(inserted) or held != PARTICIPANTS:
                    problems.append(f"participants batch {bid}: {held} rows held, {inserted} declared")
            elif kind == "offences":
                held = offence_counts.pop(bid, 0)
                if superseded is None:
                    current += 1
                    if held != int(total) or held != OFFENCES + 1:
                        problems.append(f"current offence batch {bid}: {held} rows held, {total} declared")
                elif held != 0:
                    problems.append(f"superseded offence batch {bid} still holds {held} rows")
        if current > 1:
            problems.append(f"{current} offence extracts are current")
        if offence_counts:
            problems.append(f"offence records of no batch: {offence_counts}")
        for prefix, n in participants.items():
            if prefix.startswith("S") and int(prefix[1:]) not in seen_participant_cycles:
                problems.append(f"{n} participants of cycle {prefix} without a batch")
        batch_ids = {b[0] for b in batches}
        events = [r[0] for r in self.query(
            "SELECT entity_id FROM audit_events WHERE action = 'import' AND entity = 'import_batch'")]
        if sorted(events) != sorted(batch_ids):
            problems.append(f"import audit events {sorted(events)} do not match batches {sorted(batch_ids)}")
        for name, file_name in acknowledged:
            if not any(b[2] == file_name for b in batches):
                problems.append(f"{name}: answered 200 but its batch is missing")
        problems += self.storage_checks()
        try:
            self.cli("audit", "verify")
        except RuntimeError as e:
            problems.append(f"audit verify: {e}")
        return problems

    def storage_checks(self):
        if self.backend == "sqlite":
            integrity = self.query("PRAGMA integrity_check")
            problems = [] if integrity == [["ok"]] else [f"integrity_check: {integrity[:5]}"]
            fk = self.query("PRAGMA foreign_key_check")
            if fk:
                problems.append(f"foreign_key_check: {fk[:5]}")
            return problems
        problems = []
        self.query("CREATE EXTENSION IF NOT EXISTS amcheck")
        heap = self.query(
            "SELECT c.relname, v.blkno, v.msg FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace, "
            "LATERAL verify_heapam(c.oid) v "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'")
        if heap:
            problems.append(f"verify_heapam: {heap[:5]}")
        indexes = self.query(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam "
            "WHERE n.nspname = 'public' AND a.amname = 'btree' AND i.indisvalid")
        checked = self.query(
            "SELECT count(*) FROM (SELECT bt_index_check(c.oid, true) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_am a ON a.oid = c.relam WHERE n.nspname = 'public' AND a.amname = 'btree' "
            "AND i.indisvalid) x")
        if int(checked[0][0]) != len(indexes):
            problems.append(f"bt_index_check covered {checked[0][0]} of {len(indexes)} indexes")
        invalid = self.query(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT i.indisvalid")
        if invalid:
            problems.append(f"invalid indexes: {invalid}")
        for expected in ("offence_records_person_date_idx", "offence_records_batch_idx"):
            if [expected] not in indexes:
                problems.append(f"index {expected} is missing")
        orphans = self.query(
            "SELECT count(*) FROM offence_records o LEFT JOIN import_batches b "
            "ON b.id = o.import_batch_id WHERE b.id IS NULL")
        if orphans != [["0"]]:
            problems.append(f"offence records without a batch: {orphans}")
        return problems


def main():
    binary, backend, kills = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rng = random.Random(int(os.environ.get("SOAK_SEED", "0")) or None)
    with tempfile.TemporaryDirectory(prefix=f"soak-crash-{backend}-") as work:
        base_csv = os.path.join(work, "offences.csv")
        subprocess.run([sys.executable, os.path.join(HERE, "bench", "gen_offences.py"),
                        str(OFFENCES), base_csv, "8"], check=True)
        base = open(base_csv, "rb").read()
        soak = Soak(binary, backend, work)
        soak.set_up()
        # Cycle 0 measures how long the two imports take, without a kill.
        first = soak.cycle(0, base, None)
        if first.get("offences", ("",))[0] != "ok" or first["participants"][0] != "ok":
            print(f"kill during import ({backend}): could not import without a kill: {first}")
            sys.exit(1)
        span = first["participants"][2] + first["offences"][2]
        problems = soak.check([("participants", "soak-participants-000.csv"),
                               ("offences", "soak-offences-000.csv")])
        if problems:
            print(f"kill during import ({backend}): inconsistent before any kill: {problems}")
            sys.exit(1)
        consistent = 0
        landed = {"participants": 0, "offences": 0, "after both": 0}
        failures = []
        for cycle in range(1, kills + 1):
            kill_at = rng.uniform(0.05, 1.0) * span
            results = soak.cycle(cycle, base, kill_at)
            acknowledged = [(k, f"soak-{k}-{cycle:03d}.csv") for k in ("participants", "offences")
                            if results.get(k, ("",))[0] == "ok"]
            errors = [f"{k}: {results[k][1]}" for k in ("participants", "offences")
                      if results.get(k, ("",))[0] == "http"]
            if len(acknowledged) == 2:
                landed["after both"] += 1
            elif acknowledged:
                landed["offences"] += 1
            else:
                landed["participants"] += 1
            problems = errors + soak.check(acknowledged)
            if problems:
                failures.append(f"cycle {cycle} (killed at {results['killed_at']:.2f} s): {problems}")
            else:
                consistent += 1
        # The database still serves after the last kill.
        soak.start()
        soak.kill()
        if backend == "postgres":
            soak.psql_admin(f"DROP DATABASE IF EXISTS {soak.pg_db}")
    print(f"kill during import ({backend}): {consistent}/{kills} consistent "
          f"(killed during participants {landed['participants']}, during offences {landed['offences']}, "
          f"after both {landed['after both']}; imports {span:.1f} s; "
          f"{PARTICIPANTS} participants + {OFFENCES + 1} offence rows a cycle)")
    for f in failures:
        print("  " + f)
    sys.exit(0 if consistent == kills else 1)


if __name__ == "__main__":
    main()
