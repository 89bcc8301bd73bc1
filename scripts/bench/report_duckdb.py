#!/usr/bin/env python3
"""The key figures of a programme-year report computed with DuckDB SQL from CSV exports.

Usage: report_duckdb.py CSVDIR PROGRAMME FROM TO DATA_AS_OF [F [W]]

CSVDIR holds the exports of the programme's organisation (`outcomes export KIND`):
referrals.csv, participants.csv, sessions.csv, attendance.csv, outcomes.csv, measures.csv,
and offences.csv, the keyed police extract (person_key, offence_date, offence_group,
proven_on). The definitions are DESIGN.md section 4 / docs/methodology.md: engagement, the
reoffending cohort (each participant's earliest referral in the period), follow-up
index < offence <= index + F months, proven by index + (F + W) months, measurable when
index + (F + W) months <= data as of, before = proven offences in [referred_on - F months,
referred_on), and outcome measures from the earliest baseline and latest exit.

Prints the figures as JSON on stdout (the shape of figures.py) and, on stderr,
`seconds=<time from the first CSV read to the last figure>` (interpreter start-up and
`import duckdb` are left out).
"""
import json
import sys
import time

import duckdb


def main():
    csvdir, programme, start, end, as_of = sys.argv[1:6]
    f = int(sys.argv[6]) if len(sys.argv) > 6 else 12
    w = int(sys.argv[7]) if len(sys.argv) > 7 else 6
    t0 = time.perf_counter()
    con = duckdb.connect()
    # Reading order is kept, so row numbers follow the export's order (outcome records
    # come ordered by referral, measure, date and record id: the tie rule's order).
    read = lambda name, types: (  # noqa: E731
        f"SELECT row_number() OVER () AS rn, * FROM read_csv('{csvdir}/{name}.csv', "
        f"header=true, types={types})"
    )
    con.execute(
        "CREATE TEMP TABLE referrals AS "
        + read("referrals", "{'referral_ref':'VARCHAR','participant_ref':'VARCHAR','programme':'VARCHAR',"
               "'referred_on':'DATE','decision':'VARCHAR','closure':'VARCHAR','closed_on':'DATE',"
               "'decided_on':'DATE','required_hours':'DOUBLE','reason':'VARCHAR','source':'VARCHAR'}")
        + " WHERE programme = $p",
        {"p": programme},
    )
    con.execute(
        "CREATE TEMP TABLE participants AS "
        + read("participants", "{'reference':'VARCHAR','person_key':'VARCHAR','date_of_birth':'DATE',"
               "'gender':'VARCHAR','ethnicity':'VARCHAR','district':'VARCHAR'}")
    )
    con.execute(
        "CREATE TEMP TABLE sessions AS "
        + read("sessions", "{'session_ref':'VARCHAR','programme':'VARCHAR','date':'DATE','kind':'VARCHAR',"
               "'duration_minutes':'INTEGER','headcount':'BIGINT','district':'VARCHAR','venue':'VARCHAR'}")
        + " WHERE programme = $p",
        {"p": programme},
    )
    con.execute(
        "CREATE TEMP TABLE attendance AS "
        + read("attendance", "{'session_ref':'VARCHAR','referral_ref':'VARCHAR','status':'VARCHAR','hours':'DOUBLE'}")
    )
    con.execute(
        "CREATE TEMP TABLE outcomes AS "
        + read("outcomes", "{'referral_ref':'VARCHAR','measure':'VARCHAR','timepoint':'VARCHAR',"
               "'recorded_on':'DATE','value':'DOUBLE'}")
    )
    con.execute(
        "CREATE TEMP TABLE measures AS "
        + read("measures", "{'name':'VARCHAR','min':'DOUBLE','max':'DOUBLE','higher_is_better':'BOOLEAN'}")
    )
    con.execute(
        "CREATE TEMP TABLE offences AS SELECT * FROM read_csv($path, header=true, "
        "types={'person_key':'VARCHAR','offence_date':'DATE','offence_group':'VARCHAR','proven_on':'DATE'})"
        " WHERE proven_on IS NOT NULL",
        {"path": f"{csvdir}/offences.csv"},
    )
    params = {"from": start, "to": end}

    # Attendance of the programme's sessions, with the session date and the participant.
    con.execute(
        """CREATE TEMP TABLE att AS
           SELECT a.referral_ref, a.status, a.hours, s.date, r.participant_ref
           FROM attendance a JOIN sessions s USING (session_ref) JOIN referrals r USING (referral_ref)"""
    )
    con.execute(
        """CREATE TEMP TABLE rp AS
           SELECT r.*, p.person_key, fa.first_attended_on,
                  r.decision = 'accepted' AND fa.first_attended_on IS NOT NULL AS engaged,
                  r.decision = 'accepted' AND r.closure = 'completed' AS completed
           FROM referrals r
           JOIN participants p ON p.reference = r.participant_ref
           LEFT JOIN (SELECT referral_ref, min(date) AS first_attended_on FROM att
                      WHERE status = 'attended' GROUP BY referral_ref) fa USING (referral_ref)
           WHERE r.referred_on BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)""",
        params,
    )
    e = con.execute(
        """SELECT count(*),
                  count(*) FILTER (decision = 'accepted'),
                  count(*) FILTER (decision = 'declined'),
                  count(*) FILTER (decision = 'pending'),
                  count(*) FILTER (engaged),
                  count(*) FILTER (decision = 'accepted' AND closure = 'completed'),
                  count(*) FILTER (decision = 'accepted' AND closure = 'withdrawn'),
                  count(*) FILTER (decision = 'accepted' AND closure = 'disengaged'),
                  median(first_attended_on - referred_on) FILTER (engaged),
                  coalesce(sum(required_hours) FILTER (decision = 'accepted'), 0)
           FROM rp"""
    ).fetchone()
    s = con.execute(
        """SELECT count(*), coalesce(sum(headcount), 0) FROM sessions
           WHERE date BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)""",
        params,
    ).fetchone()
    a = con.execute(
        """SELECT count(*) FILTER (status = 'attended'),
                  count(*) FILTER (status = 'did_not_attend'),
                  count(DISTINCT participant_ref) FILTER (status = 'attended'),
                  coalesce(sum(hours) FILTER (status = 'attended'), 0)
           FROM att WHERE date BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)""",
        params,
    ).fetchone()
    engagement = {
        "referrals_received": e[0], "referrals_accepted": e[1], "referrals_declined": e[2],
        "referrals_pending": e[3], "engaged": e[4], "completed": e[5], "withdrawn": e[6],
        "disengaged": e[7],
        "median_days_to_first_session": None if e[8] is None else float(e[8]),
        "hours_required": float(e[9]), "sessions_delivered": s[0],
        "anonymous_headcount": int(s[1]), "attended": a[0], "did_not_attend": a[1],
        "participants_reached": a[2], "hours_delivered": float(a[3]),
    }

    # The cohort: each participant's earliest referral in the period (ties: export order),
    # evaluated against the proven offences.
    con.execute(
        f"""CREATE TEMP TABLE members AS
            SELECT *,
                   CASE WHEN person_key IS NULL THEN 'unmatched'
                        WHEN CAST(referred_on + INTERVAL {f + w} MONTH AS DATE) <= CAST($as_of AS DATE)
                        THEN 'measurable' ELSE 'awaiting' END AS status
            FROM (SELECT *, row_number() OVER (PARTITION BY participant_ref ORDER BY referred_on, rn) AS k
                  FROM rp) WHERE k = 1""",
        {"as_of": as_of},
    )
    con.execute(
        f"""CREATE TEMP TABLE evaluated AS
            SELECT m.referral_ref, m.referred_on, m.engaged, m.completed, m.status,
                   count(o.offence_date) FILTER (
                       o.offence_date > m.referred_on
                       AND o.offence_date <= CAST(m.referred_on + INTERVAL {f} MONTH AS DATE)
                       AND o.proven_on <= CAST(m.referred_on + INTERVAL {f + w} MONTH AS DATE)) AS reoffences,
                   min(o.offence_date) FILTER (
                       o.offence_date > m.referred_on
                       AND o.offence_date <= CAST(m.referred_on + INTERVAL {f} MONTH AS DATE)
                       AND o.proven_on <= CAST(m.referred_on + INTERVAL {f + w} MONTH AS DATE))
                       - m.referred_on AS days_to_first,
                   count(o.offence_date) FILTER (
                       o.offence_date >= CAST(m.referred_on - INTERVAL {f} MONTH AS DATE)
                       AND o.offence_date < m.referred_on) AS offences_before
            FROM members m LEFT JOIN offences o
              ON m.status = 'measurable' AND o.person_key = m.person_key
            GROUP BY m.referral_ref, m.referred_on, m.engaged, m.completed, m.status"""
    )
    groups = {}
    for group, where in (("all", "true"), ("engaged", "engaged"), ("completed", "completed")):
        g = con.execute(
            f"""SELECT count(*),
                       count(*) FILTER (status = 'measurable'),
                       count(*) FILTER (status = 'unmatched'),
                       count(*) FILTER (status = 'awaiting'),
                       count(*) FILTER (status = 'measurable' AND reoffences > 0),
                       coalesce(sum(reoffences) FILTER (status = 'measurable'), 0),
                       avg(days_to_first) FILTER (status = 'measurable' AND reoffences > 0),
                       median(days_to_first) FILTER (status = 'measurable' AND reoffences > 0),
                       coalesce(sum(offences_before) FILTER (status = 'measurable'), 0)
                FROM evaluated WHERE {where}"""
        ).fetchone()
        groups[group] = {
            "cohort": g[0], "measurable": g[1], "unmatched": g[2], "awaiting_follow_up": g[3],
            "reoffenders": g[4], "reoffences": int(g[5]),
            "mean_days_to_first_reoffence": None if g[6] is None else float(g[6]),
            "median_days_to_first_reoffence": None if g[7] is None else float(g[7]),
        }
        if group == "all":
            before_after = {"members": g[1], "offences_before": int(g[8]), "offences_after": int(g[5])}

    rows = con.execute(
        """WITH o AS (SELECT o.* FROM outcomes o JOIN rp USING (referral_ref)),
                b AS (SELECT referral_ref, measure, arg_min(value, (recorded_on, rn)) AS v
                      FROM o WHERE timepoint = 'baseline' GROUP BY ALL),
                x AS (SELECT referral_ref, measure, arg_max(value, (recorded_on, rn)) AS v
                      FROM o WHERE timepoint = 'exit' GROUP BY ALL)
           SELECT b.measure, count(*), avg(b.v), avg(x.v),
                  count(*) FILTER (CASE WHEN m.higher_is_better THEN x.v > b.v ELSE x.v < b.v END),
                  count(*) FILTER (x.v = b.v),
                  count(*) FILTER (CASE WHEN m.higher_is_better THEN x.v < b.v ELSE x.v > b.v END)
           FROM b JOIN x USING (referral_ref, measure) JOIN measures m ON m.name = b.measure
           GROUP BY b.measure ORDER BY b.measure"""
    ).fetchall()
    outcomes = {
        r[0]: {"pairs": r[1], "mean_baseline": r[2], "mean_exit": r[3],
               "improved": r[4] / r[1], "unchanged": r[5] / r[1], "worsened": r[6] / r[1]}
        for r in rows
    }
    seconds = time.perf_counter() - t0
    json.dump({"engagement": engagement, "reoffending": groups, "before_after": before_after,
               "outcomes": outcomes}, sys.stdout, indent=1, sort_keys=True)
    print(f"seconds={seconds:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
