#!/usr/bin/env python3
"""`scripts/soak replica`: reports read from a real streaming replica (issue 20).

    soak_replica.py OUTCOMES_BINARY

Makes a hot standby of the local PostgreSQL (the test server, 127.0.0.1:5432) on a
second cluster of its own on another port (`pg_basebackup -R` into a temporary folder,
run with `pg_ctl` as the postgres user), seeds the small demo into a fresh database on
the primary, waits for the standby to replay it, and runs two instances of the service:
A on the primary alone, B with `REPORTING_DATABASE_URL` pointing at the standby. Then:

  1. B's reports (JSON, every programme and provider, several periods) equal A's apart
     from `generated_at` and `read_from`, and every one of B's was read from the replica;
     `outcomes report` with the replica gives the operator's report unchanged too;
  2. a write on the primary through the API (a participant and a referral) is in B's
     report once the standby has replayed it (the time it took is printed);
  3. B's provenance records the standby's last replay time
     (`pg_last_xact_replay_timestamp()`): between the values read just before and just
     after the request; the HTML and PDF reports have the "Case records as of" line;
  4. with replay paused for longer than `REPORTING_MAX_LAG_SECONDS` (3 here), B reads the
     primary (the provenance says so, and the write made meanwhile is in the report) with
     one warning line; resumed, B reads the replica again;
  5. with the standby stopped, B answers from the primary (one warning line, no personal
     data), in about `CONNECT_WAIT` (2 s) and at once for the next report.

Prints one PASS or FAIL line per check with its figures, and exits 1 if any failed.
Everything it made is removed however it ends: both services, the standby (stopped and
its folder deleted), its replication slot and the database. The primary must allow
replication connections from 127.0.0.1: a `host replication all 127.0.0.1/32` line is
appended to its pg_hba.conf (and the configuration reloaded) when no line allows them,
with the authentication method of its `host all all 127.0.0.1/32` line; it is kept
afterwards (it changes nothing for other connections).

Environment: PGURL_BASE (postgres://postgres@127.0.0.1:5432), SOAK_REPLICA_PORT (the
first free port from 5433), SOAK_REPLICA_SCALE (small).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timezone

BIN = os.path.abspath(sys.argv[1])
BASE = os.environ.get("PGURL_BASE", "postgres://postgres@127.0.0.1:5432")
m = re.match(r"postgres(?:ql)?://([^@/:]+)@([^:/]+):?(\d*)$", BASE)
if not m:
    sys.exit(f"PGURL_BASE must look like postgres://USER@HOST:PORT, not {BASE}")
PGUSER, PGHOST, PGPORT = m.group(1), m.group(2), int(m.group(3) or 5432)
SCALE = os.environ.get("SOAK_REPLICA_SCALE", "small")
DB = "outcomes_soak_replica"
SLOT = "outcomes_soak_replica"
MAX_LAG = 3
CONNECT_WAIT = 2.0
FALLBACK_LINE = "reports fall back to the primary database"
AGAIN_LINE = "reports are read from the replica again"
SECRETS = {"OUTCOMES_SESSION_KEY": "5a" * 32, "OUTCOMES_HMAC_KEY": "a5" * 32,
           "OUTCOMES_AUDIT_KEY": "3c" * 32}

results = []
made = {}  # what cleanup must undo


def report(ok, text):
    print(f"{'PASS' if ok else 'FAIL'} {text}", flush=True)
    results.append(bool(ok))
    return ok


def note(text):
    print(f"  {text}", flush=True)


def psql(sql, port=PGPORT, db="postgres", check=True):
    out = subprocess.run(
        ["psql", "-h", PGHOST, "-p", str(port), "-U", PGUSER, "-d", db, "-XAtq",
         "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True, text=True, timeout=120)
    if check and out.returncode != 0:
        raise RuntimeError(f"psql on port {port}: {sql[:80]}: {out.stderr.strip()}")
    return out.stdout.strip()


def as_postgres(*cmd, check=True, timeout=600):
    out = subprocess.run(["runuser", "-u", "postgres", "--", *cmd],
                         capture_output=True, text=True, timeout=timeout)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])}: {out.stderr.strip() or out.stdout.strip()}")
    return out


def free_port(start):
    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def outcomes(*args, env=None, check=True, timeout=900):
    out = subprocess.run([BIN, *args], capture_output=True, text=True, env=env,
                         timeout=timeout)
    if check and out.returncode != 0:
        raise RuntimeError(f"outcomes {' '.join(args[:2])}: {out.stderr.strip()[-800:]}")
    return out


def replica_lsn_reached(port, lsn):
    return psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn", port=port) == "t"


def wait_for_replay(port, timeout=300):
    """Waits until the standby has replayed the primary's current WAL position; returns
    (seconds, bytes behind at the start)."""
    lsn = psql("SELECT pg_current_wal_lsn()")
    behind = int(float(psql(
        f"SELECT coalesce(pg_wal_lsn_diff('{lsn}', pg_last_wal_replay_lsn()), 0)", port=port)))
    started = time.monotonic()
    while not replica_lsn_reached(port, lsn):
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"the standby did not reach {lsn} in {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - started, max(behind, 0)


def http(base, path, token, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read().decode(errors="replace")
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


class LagSampler(threading.Thread):
    """Samples the standby's lag on the primary every 50 ms: bytes not yet replayed and
    `pg_stat_replication.replay_lag`."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.max_bytes, self.max_seconds, self.samples = 0, 0.0, 0

    def run(self):
        sql = ("SELECT coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), 0), "
               "coalesce(extract(epoch FROM r.replay_lag), 0) FROM pg_stat_replication r "
               f"JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = '{SLOT}'")
        while not self.stop.is_set():
            out = psql(sql, check=False)
            if "|" in out:
                b, sec = out.split("|")
                self.max_bytes = max(self.max_bytes, int(float(b)))
                self.max_seconds = max(self.max_seconds, float(sec))
                self.samples += 1
            self.stop.wait(0.05)

    def take(self):
        self.stop.set()
        self.join()
        return self.max_bytes, self.max_seconds, self.samples


def figures(report):
    """The report without the moment it was computed and where it was read."""
    r = json.loads(json.dumps(report))
    r["provenance"].pop("generated_at", None)
    r["provenance"].pop("read_from", None)
    return r


def start_service(name, port, env, log_path):
    log = open(log_path, "w")
    proc = subprocess.Popen([BIN, "serve", "--bind", f"127.0.0.1:{port}"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    made.setdefault("services", []).append(proc)
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"service {name} exited: {open(log_path).read()[-800:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"service {name} did not answer /health")


def count_lines(path, text):
    """The lines of the log at `path` that contain `text`, without colour codes."""
    with open(path, errors="replace") as f:
        return [re.sub(r"\x1b\[[0-9;]*m", "", l) for l in f if text in l]


def cleanup():
    ok = True
    for proc in made.get("services", []):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    datadir = made.get("datadir")
    if datadir and os.path.exists(os.path.join(datadir, "postmaster.pid")):
        as_postgres(made["pg_ctl"], "-D", datadir, "-m", "immediate", "-w", "stop",
                    check=False)
    # The slot would keep WAL on the primary for ever: dropped once nothing uses it.
    for _ in range(50):
        active = psql(f"SELECT active FROM pg_replication_slots WHERE slot_name = '{SLOT}'",
                      check=False)
        if active == "":
            break
        if active == "f":
            psql(f"SELECT pg_drop_replication_slot('{SLOT}')", check=False)
        time.sleep(0.2)
    else:
        ok = False
        print(f"  cleanup: the replication slot {SLOT} is still there", flush=True)
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)", check=False)
    if psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB}'", check=False) == "1":
        ok = False
        print(f"  cleanup: the database {DB} is still there", flush=True)
    for key in ("datadir", "work"):
        if made.get(key):
            shutil.rmtree(made[key], ignore_errors=True)
            if os.path.exists(made[key]):
                ok = False
    print(f"  cleanup: services stopped, standby stopped and removed, slot and database "
          f"dropped{'' if ok else ' — INCOMPLETE'}", flush=True)
    return ok


def on_signal(signum, _frame):
    raise SystemExit(f"stopped by signal {signum}")


def allow_replication():
    """Adds a replication line for 127.0.0.1 to the primary's pg_hba.conf if none allows
    it (idempotent)."""
    rules = psql("SELECT count(*) FROM pg_hba_file_rules WHERE error IS NULL "
                 "AND type IN ('host', 'hostnossl') AND 'replication' = ANY(database) "
                 "AND (address IN ('127.0.0.1', 'all', 'samehost') "
                 "OR (address = '0.0.0.0' AND netmask = '0.0.0.0'))")
    if int(rules) > 0:
        note("pg_hba.conf already allows replication connections from 127.0.0.1")
        return
    method = psql("SELECT auth_method FROM pg_hba_file_rules WHERE error IS NULL "
                  "AND type = 'host' AND 'all' = ANY(database) AND address = '127.0.0.1' "
                  "ORDER BY line_number LIMIT 1") or "trust"
    hba = psql("SHOW hba_file")
    with open(hba, "a") as f:
        f.write(f"host    replication     all             127.0.0.1/32            {method}"
                "  # outcomes scripts/soak replica\n")
    psql("SELECT pg_reload_conf()")
    time.sleep(0.5)
    note(f"pg_hba.conf: added 'host replication all 127.0.0.1/32 {method}' to {hba} "
         "and reloaded")


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # --- the primary ---
    level = psql("SHOW wal_level")
    senders = int(psql("SHOW max_wal_senders"))
    if level not in ("replica", "logical") or senders < 1:
        report(False, f"replica: the primary has wal_level={level}, max_wal_senders={senders}; "
               "a standby needs wal_level=replica and max_wal_senders >= 1 (a restart)")
        return
    major = psql("SHOW server_version_num")[:2]
    pg_bin = f"/usr/lib/postgresql/{major}/bin"
    made["pg_ctl"] = f"{pg_bin}/pg_ctl"
    allow_replication()
    # Leftovers of an interrupted run.
    psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
         f"WHERE slot_name = '{SLOT}' AND NOT active")
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    cluster = psql("SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database")

    # --- the standby ---
    work = tempfile.mkdtemp(prefix="outcomes-soak-replica-")
    made["work"] = work
    datadir = tempfile.mkdtemp(prefix="outcomes-standby-")
    made["datadir"] = datadir
    os.rmdir(datadir)  # pg_basebackup makes it, as postgres, mode 0700
    port = int(os.environ.get("SOAK_REPLICA_PORT") or free_port(5433))
    t = time.monotonic()
    as_postgres(f"{pg_bin}/pg_basebackup", "-h", PGHOST, "-p", str(PGPORT), "-U", PGUSER,
                "-D", datadir, "-R", "-X", "stream", "-c", "fast", "-C", "-S", SLOT)
    backup_s = time.monotonic() - t
    # Debian keeps the primary's configuration outside its data folder: the standby gets
    # its own. A hot standby needs these at least as large as on the primary.
    same = {k: psql(f"SHOW {k}") for k in ("max_connections", "max_worker_processes",
                                          "max_wal_senders", "max_prepared_transactions",
                                          "max_locks_per_transaction")}
    conf = "\n".join([
        f"port = {port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{datadir}'",
        "hot_standby = on",
        # Long report queries are not cancelled by replay of the vacuum they would need.
        "hot_standby_feedback = on",
        f"hba_file = '{datadir}/pg_hba.conf'",
        f"ident_file = '{datadir}/pg_ident.conf'",
        *[f"{k} = {v}" for k, v in same.items()],
        "",
    ])
    for name, text in [("postgresql.conf", conf),
                       ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
                       ("pg_ident.conf", "")]:
        path = os.path.join(datadir, name)
        with open(path, "w") as f:
            f.write(text)
        shutil.chown(path, "postgres", "postgres")
    t = time.monotonic()
    as_postgres(made["pg_ctl"], "-D", datadir, "-l", os.path.join(datadir, "standby.log"),
                "-w", "-t", "120", "start")
    start_s = time.monotonic() - t
    in_recovery = psql("SELECT pg_is_in_recovery()", port=port)
    streaming = ""
    for _ in range(100):
        streaming = psql("SELECT status FROM pg_stat_wal_receiver", port=port)
        if streaming == "streaming":
            break
        time.sleep(0.1)
    report(in_recovery == "t" and streaming == "streaming",
           f"standby: pg_basebackup of the {cluster} cluster in {backup_s:.1f} s, started on "
           f"port {port} in {start_s:.1f} s, in recovery={in_recovery}, WAL receiver "
           f"{streaming or 'absent'}, slot {SLOT}")

    # --- the demo, on the primary ---
    psql(f"CREATE DATABASE {DB}")
    primary_url = f"postgres://{PGUSER}@{PGHOST}:{PGPORT}/{DB}"
    replica_url = f"postgres://{PGUSER}@127.0.0.1:{port}/{DB}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OUTCOMES_", "REPORTING_", "DATABASE_URL"))}
    env.update(SECRETS)
    env.update({"DATABASE_URL": primary_url, "OUTCOMES_KEY_FILE": f"{work}/outcomes.key",
                "OUTCOMES_LOG": "info"})
    sampler = LagSampler()
    sampler.start()
    t = time.monotonic()
    outcomes("demo", "--scale", SCALE, env=env)
    seed_s = time.monotonic() - t
    catch_up_s, behind = wait_for_replay(port)
    seeding_lag = sampler.take()
    counts = {}
    for table in ("referrals", "attendance", "offence_records", "audit_events"):
        counts[table] = (psql(f"SELECT count(*) FROM {table}", db=DB),
                         psql(f"SELECT count(*) FROM {table}", port=port, db=DB))
    same_rows = all(a == b for a, b in counts.values())
    report(same_rows,
           f"replay: the {SCALE} demo seeded on the primary in {seed_s:.1f} s; while it ran "
           f"the standby was at most {seeding_lag[0] / 1e6:.1f} MB and "
           f"{seeding_lag[1] * 1000:.0f} ms (pg_stat_replication.replay_lag) behind "
           f"({seeding_lag[2]} samples); {behind / 1e3:.1f} kB behind when seeding ended, "
           f"caught up {catch_up_s * 1000:.0f} ms later; rows equal: "
           + ", ".join(f"{t} {a}/{b}" for t, (a, b) in counts.items()))

    # --- accounts ---
    opcc = psql("SELECT name FROM organisations WHERE kind = 'commissioner' ORDER BY id LIMIT 1",
                db=DB)
    programme_id, provider = psql(
        "SELECT p.id, o.name FROM programmes p JOIN organisations o ON o.id = p.organisation_id "
        "WHERE p.kind <> 'immediate_justice' ORDER BY p.id LIMIT 1", db=DB).split("|")
    tokens = {}
    for role, org in (("admin", opcc), ("caseworker", provider)):
        email = f"soak-{role}@replica.invalid"
        outcomes("user", "add", "--email", email, "--role", role, "--organisation", org,
                 "--generate-password", env=env)
        tokens[role] = outcomes("token", "add", "--email", email, "--label", "soak replica",
                                env=env).stdout.strip()
    admin = tokens["admin"]

    # --- the services ---
    pa, pb = free_port(18300), None
    a = f"http://127.0.0.1:{pa}"
    start_service("A", pa, env, f"{work}/a.log")
    pb = free_port(pa + 1)
    b = f"http://127.0.0.1:{pb}"
    env_b = dict(env, REPORTING_DATABASE_URL=replica_url, REPORTING_MAX_LAG_SECONDS=str(MAX_LAG),
                 OUTCOMES_KEY_FILE=f"{work}/outcomes.key")
    b_log = f"{work}/b.log"
    start_service("B", pb, env_b, b_log)

    # 1. B's reports equal A's.
    programmes = psql("SELECT id FROM programmes ORDER BY id", db=DB).split()
    providers = psql("SELECT DISTINCT organisation_id FROM programmes ORDER BY 1", db=DB).split()
    periods = ["2024-25", "2025-26", "2025-26-Q3"]
    paths = [f"/api/v1/reports/programmes/{p}?period={period}"
             for p in programmes for period in periods]
    paths += [f"/api/v1/reports/providers/{p}?period=2024-25" for p in providers]
    paths += [f"/api/v1/reports/programmes/{programmes[0]}?period=2024-25&published=true"]
    equal, from_replica, lags, unequal = 0, 0, [], []
    for path in paths:
        sa, ra = http(a, path, admin)
        sb, rb = http(b, path, admin)
        if sa != 200 or sb != 200:
            unequal.append(f"{path}: {sa}/{sb}")
            continue
        read_from = rb["provenance"].get("read_from") or {}
        if read_from.get("database") == "replica":
            from_replica += 1
            lags.append(read_from.get("lag_seconds") or 0.0)
        if figures(ra) == figures(rb):
            equal += 1
        else:
            unequal.append(path)
    report(equal == len(paths) and from_replica == len(paths),
           f"equal reports: {equal}/{len(paths)} of B's reports (from the replica: "
           f"{from_replica}/{len(paths)}) equal A's ({len(programmes)} programmes x "
           f"{len(periods)} periods, {len(providers)} providers, 1 published), apart from "
           f"generated_at and read_from; replica lag at each report: max "
           f"{max(lags, default=0):.3f} s, mean {sum(lags) / max(len(lags), 1):.3f} s"
           + (f"; differ: {unequal[:5]}" if unequal else ""))

    name = psql(f"SELECT name FROM programmes WHERE id = {programme_id}", db=DB)
    cli_env = dict(env, REPORTING_DATABASE_URL=replica_url)
    cli_args = ["report", "--programme", name, "--organisation", provider, "--period", "2024-25"]
    on_primary = json.loads(outcomes(*cli_args, env=env).stdout)
    on_replica = json.loads(outcomes(*cli_args, env=cli_env).stdout)
    report(figures(on_primary) == figures(on_replica)
           and on_replica["provenance"].get("read_from", {}).get("database") == "replica"
           and "read_from" not in on_primary["provenance"],
           f"outcomes report: the same figures with REPORTING_DATABASE_URL as without, read "
           f"from {on_replica['provenance'].get('read_from', {}).get('database')}")

    # 3. The provenance records the standby's last replay time.
    replay_epoch = ("SELECT extract(epoch FROM pg_last_xact_replay_timestamp())")
    path = f"/api/v1/reports/programmes/{programme_id}?period=2024-25"
    before = float(psql(replay_epoch, port=port))
    status, rb = http(b, path, admin)
    after = float(psql(replay_epoch, port=port))
    read_from = rb["provenance"].get("read_from") or {}
    replayed = read_from.get("replayed_at")
    replayed_epoch = datetime.fromisoformat(replayed.replace("Z", "+00:00")).timestamp() \
        if replayed else None
    html = outcomes(*cli_args, "--format", "html", env=cli_env).stdout
    html_line = re.search(r"Case records as of.*?</t[hd]>\s*<t[hd][^>]*>([^<]*)", html, re.S)
    pdf_ok, pdf_note = None, "PDF not checked (no pdftotext)"
    if shutil.which("pdftotext"):
        pdf = f"{work}/report.pdf"
        out = outcomes(*cli_args, "--format", "pdf", "--output", pdf, env=cli_env, check=False)
        if out.returncode == 0:
            text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                                  text=True).stdout
            pdf_ok = "Case records as of" in text
            pdf_note = f"PDF line: {'present' if pdf_ok else 'MISSING'}"
        else:
            pdf_note = "PDF not checked (this binary has no PDF support)"
    report(status == 200 and read_from.get("database") == "replica"
           and replayed_epoch is not None and before - 1e-6 <= replayed_epoch <= after + 1e-6
           and html_line is not None and pdf_ok is not False,
           f"provenance: read_from.replayed_at {replayed} lies between the standby's "
           f"pg_last_xact_replay_timestamp() before ({datetime.fromtimestamp(before, timezone.utc):%H:%M:%S.%f}) "
           f"and after ({datetime.fromtimestamp(after, timezone.utc):%H:%M:%S.%f}) the request; "
           f"lag {read_from.get('lag_seconds')} s; HTML line: "
           f"{html_line.group(1).strip() if html_line else 'MISSING'}; {pdf_note}")

    # 2. A write on the primary is in B's report after replay.
    year = date.today().year if date.today().month >= 4 else date.today().year - 1
    current = f"{year}-{(year + 1) % 100:02d}"
    path = f"/api/v1/reports/programmes/{programme_id}?period={current}"
    caseworker = tokens["caseworker"]

    def referrals_received(base):
        s, r = http(base, path, admin)
        if s != 200:
            raise RuntimeError(f"GET {path}: {s} {r}")
        return r["engagement"]["referrals_received"], r["provenance"].get("read_from") or {}

    def write(reference):
        s, p = http(a, "/api/v1/participants", caseworker, "POST",
                    {"reference": reference, "gender": "female", "date_of_birth": "2009-03-04"})
        if s != 201:
            raise RuntimeError(f"POST participant: {s} {p}")
        s, r = http(a, "/api/v1/referrals", caseworker, "POST",
                    {"participant_id": p["id"], "programme_id": int(programme_id),
                     "referred_on": date.today().isoformat(), "source": "police"})
        if s != 201:
            raise RuntimeError(f"POST referral: {s} {r}")

    wait_for_replay(port)
    before_n, _ = referrals_received(b)
    write("SOAK-REPLICA-1")
    written = time.monotonic()
    lsn = psql("SELECT pg_current_wal_lsn()")
    replayed_s = None
    seen, polls, read_from = before_n, 0, {}
    while time.monotonic() - written < 30:
        if replayed_s is None and replica_lsn_reached(port, lsn):
            replayed_s = time.monotonic() - written
        seen, read_from = referrals_received(b)
        polls += 1
        if seen == before_n + 1:
            break
    reflected_s = time.monotonic() - written
    if replayed_s is None:
        wait_for_replay(port)
        replayed_s = time.monotonic() - written
    report(seen == before_n + 1 and read_from.get("database") == "replica",
           f"write then read: a referral written through A ({before_n} -> {seen} referrals "
           f"in {current}) was in B's report from the replica {reflected_s * 1000:.0f} ms "
           f"after the write ({polls} reports asked); the standby replayed it within "
           f"{replayed_s * 1000:.0f} ms")

    # 4. Lagging past REPORTING_MAX_LAG_SECONDS: B reads the primary, then the replica again.
    warnings_before = len(count_lines(b_log, FALLBACK_LINE))
    psql("SELECT pg_wal_replay_pause()", port=port)
    paused_at = time.monotonic()
    write("SOAK-REPLICA-2")
    time.sleep(MAX_LAG + 1.5)
    n_lag, rf_lag = referrals_received(b)
    lag_at = float(psql("SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())",
                        port=port))
    n_lag2, rf_lag2 = referrals_received(b)
    psql("SELECT pg_wal_replay_resume()", port=port)
    resumed = time.monotonic()
    back = None
    while time.monotonic() - resumed < 30:
        n_back, rf_back = referrals_received(b)
        if rf_back.get("database") == "replica" and n_back == before_n + 2:
            back = time.monotonic() - resumed
            break
        time.sleep(0.05)
    time.sleep(0.2)
    warnings = count_lines(b_log, FALLBACK_LINE)[warnings_before:]
    again = count_lines(b_log, AGAIN_LINE)
    report(rf_lag.get("database") == "primary" and "behind" in (rf_lag.get("fallback") or "")
           and n_lag == before_n + 2 and n_lag2 == before_n + 2
           and rf_lag2.get("database") == "primary" and back is not None
           and len(warnings) == 1 and len(again) >= 1,
           f"lag: replay paused {MAX_LAG + 1.5:.1f} s (the standby {lag_at:.1f} s behind) -> "
           f"B read the primary ({rf_lag.get('fallback')}; the new referral counted: "
           f"{n_lag} and {n_lag2}); {len(warnings)} warning line for 2 reports; resumed, "
           f"B read the replica again after {back * 1000 if back else float('nan'):.0f} ms "
           f"('{AGAIN_LINE}' logged: {len(again)})")
    del paused_at

    # 5. The standby stops: B answers from the primary.
    warnings_before = len(count_lines(b_log, FALLBACK_LINE))
    as_postgres(made["pg_ctl"], "-D", datadir, "-m", "fast", "-w", "stop")
    t = time.monotonic()
    status1, r1 = http(b, path, admin)
    first_s = time.monotonic() - t
    t = time.monotonic()
    status2, r2 = http(b, path, admin)
    second_s = time.monotonic() - t
    time.sleep(0.2)
    warnings = count_lines(b_log, FALLBACK_LINE)[warnings_before:]
    personal = [w for w in warnings if "SOAK-REPLICA" in w or "soak-" in w or "SELECT" in w]
    rf1 = (r1.get("provenance", {}).get("read_from") or {}) if status1 == 200 else {}
    rf2 = (r2.get("provenance", {}).get("read_from") or {}) if status2 == 200 else {}
    report(status1 == 200 and status2 == 200 and rf1.get("database") == "primary"
           and rf2.get("database") == "primary"
           and r1["engagement"]["referrals_received"] == before_n + 2
           and len(warnings) == 1 and not personal and second_s < CONNECT_WAIT,
           f"standby down: B answered 200 from the primary ('{rf1.get('fallback')}') in "
           f"{first_s:.2f} s, the next report in {second_s:.2f} s; {len(warnings)} warning "
           f"line, personal data in it: {'yes' if personal else 'none'}: "
           f"{warnings[0].strip()[-160:] if warnings else ''}")


if __name__ == "__main__":
    started = time.monotonic()
    try:
        main()
    except BaseException as e:  # noqa: BLE001 - every failure is a FAIL line, then cleanup
        report(False, f"replica: {type(e).__name__}: {e}")
    finally:
        if not cleanup():
            report(False, "replica: cleanup incomplete")
    passed = sum(results)
    print(f"replica: {passed} passed, {len(results) - passed} failed "
          f"({time.monotonic() - started:.0f} s)")
    sys.exit(0 if results and all(results) else 1)
