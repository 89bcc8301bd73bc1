//! Erasure, retention, the report archive and subject access (issue 18, second part;
//! docs/erasure-and-retention.md), on the demo dataset, on SQLite and PostgreSQL.

use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Text};
use diesel::RunQueryDsl;
use outcomes::casework::erasure::{self, Eraser};
use outcomes::db::DbConn;
use outcomes::demo::{self, DemoOptions, Scale, Silent};
use outcomes::domain::enums::ErasureReason;
use outcomes::domain::ids::ParticipantId;
use outcomes::evaluation::cost::CostTables;
use outcomes::reports::{build, ReportRequest};
use outcomes::store::{self, report_rows::ReportScope};
use serde_json::Value;

use crate::imports::{fresh_db, secret};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn seed(conn: &mut DbConn) {
    let options = DemoOptions {
        scale: Scale::Small,
        seed: 1,
        as_of: as_of(),
    };
    demo::seed(conn, &options, &secret(), today(), &mut Silent).unwrap();
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
}

fn ids(conn: &mut DbConn, sql: &str) -> Vec<i64> {
    let mut v: Vec<i64> = diesel::sql_query(sql)
        .load::<Id>(conn)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    v.sort_unstable();
    v
}

fn count(conn: &mut DbConn, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

/// Every column of every table the database holds (from its own catalogue, so that a
/// table added later is searched too), with its type.
fn columns(conn: &mut DbConn) -> Vec<Column> {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT m.name AS table_name, c.name AS column_name, upper(c.type) AS data_type \
             FROM sqlite_master m, pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        DbConn::Postgres(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             upper(data_type::text) AS data_type FROM information_schema.columns \
             WHERE table_schema = current_schema()"
        }
    };
    diesel::sql_query(sql).load(conn).unwrap()
}

/// Where the database still names participant `id` (with `reference`, `key` and
/// `referrals`): a line per table and column holding a match. Text columns of every table
/// are searched for the reference (as a whole value or as a JSON string inside one) and
/// for the key anywhere in them; integer columns that can refer to a participant or a
/// referral (`participant_id`, `merged_into`, `referral_id`, and the tables' own `id`) for
/// their ids. Other integer columns hold numbers that equal an id by chance (a headcount
/// of 12), so they cannot name anyone. The audit trail's `entity_id` names records by
/// number: the erasure's own event names the erased id, by design
/// (docs/erasure-and-retention.md).
fn still_naming(
    conn: &mut DbConn,
    id: i64,
    reference: &str,
    key: &str,
    referrals: &[i64],
) -> Vec<String> {
    let list = |v: &[i64]| {
        if v.is_empty() {
            "NULL".to_string()
        } else {
            v.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        }
    };
    let mut found = Vec::new();
    let cols = columns(conn);
    assert!(
        cols.iter()
            .any(|c| c.table_name == "offence_records_previous"),
        "the catalogue lists tables outside schema.rs too"
    );
    for c in &cols {
        let (t, col) = (&c.table_name, &c.column_name);
        let text = c.data_type.contains("TEXT") || c.data_type.contains("CHAR");
        let int = c.data_type.contains("INT");
        let condition = if text {
            format!(
                "\"{col}\" = '{reference}' OR \"{col}\" LIKE '%\"{reference}\"%' OR \"{col}\" LIKE '%{key}%'"
            )
        } else if int && (col == "participant_id" || col == "merged_into")
            || (int && col == "id" && t == "participants")
        {
            format!("\"{col}\" = {id}")
        } else if int && (col == "referral_id" || (col == "id" && t == "referrals")) {
            format!("\"{col}\" IN ({})", list(referrals))
        } else {
            continue;
        };
        let n = count(
            conn,
            &format!("SELECT COUNT(*) AS n FROM \"{t}\" WHERE {condition}"),
        );
        if n > 0 {
            found.push(format!("{t}.{col}: {n} row(s)"));
        }
    }
    found
}

fn report(conn: &mut DbConn, programme: i64, period: &str) -> Value {
    let mut request = ReportRequest::new(
        ReportScope::Programme(outcomes::domain::ids::ProgrammeId(programme)),
        "p".into(),
        period.parse().unwrap(),
    );
    request.report_date = Some(as_of());
    let mut json = build(conn, &request, &CostTables::embedded().unwrap())
        .unwrap()
        .to_json();
    json["provenance"]
        .as_object_mut()
        .unwrap()
        .remove("generated_at");
    json
}

/// A demo participant with everything: referrals, attendance, outcome records, and a
/// person key of their own with police offence records under it.
fn a_participant_with_everything(conn: &mut DbConn) -> i64 {
    ids(
        conn,
        "SELECT p.id AS id FROM participants p WHERE p.person_key IS NOT NULL \
         AND (SELECT COUNT(*) FROM participants q WHERE q.person_key = p.person_key) = 1 \
         AND EXISTS (SELECT 1 FROM offence_records o WHERE o.person_key = p.person_key) \
         AND EXISTS (SELECT 1 FROM referrals r JOIN attendance a ON a.referral_id = r.id WHERE r.participant_id = p.id) \
         AND EXISTS (SELECT 1 FROM referrals r JOIN outcome_records x ON x.referral_id = r.id WHERE r.participant_id = p.id)",
    )[0]
}

#[test]
fn erasing_a_participant_removes_every_row_that_names_them_and_the_audit_trail_still_verifies() {
    let mut db = fresh_db();
    let conn = &mut db.conn;
    seed(conn);
    let id = a_participant_with_everything(conn);
    let p = store::subject_access::participant(conn, ParticipantId(id)).unwrap();
    let key = p.person_key.clone().unwrap();
    let referrals = ids(
        conn,
        &format!("SELECT id FROM referrals WHERE participant_id = {id}"),
    );
    let list = referrals
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    // Before: the search finds them (so it can fail).
    let before = still_naming(conn, id, &p.reference, &key, &referrals);
    for table in [
        "participants.reference",
        "participants.person_key",
        "referrals.participant_id",
        "attendance.referral_id",
        "outcome_records.referral_id",
        "offence_records.person_key",
    ] {
        assert!(
            before.iter().any(|f| f.starts_with(table)),
            "{table} in {before:?}"
        );
    }
    let lines = count(
        conn,
        &format!("SELECT COUNT(*) AS n FROM attendance WHERE referral_id IN ({list})"),
    );
    let outcomes = count(
        conn,
        &format!("SELECT COUNT(*) AS n FROM outcome_records WHERE referral_id IN ({list})"),
    );
    let offences = count(
        conn,
        &format!("SELECT COUNT(*) AS n FROM offence_records WHERE person_key = '{key}'"),
    );
    let totals = |conn: &mut DbConn| {
        [
            "participants",
            "referrals",
            "attendance",
            "outcome_records",
            "offence_records",
        ]
        .map(|t| count(conn, &format!("SELECT COUNT(*) AS n FROM {t} AS n")))
    };
    let totals_before = totals(conn);

    // The held-out figures: every programme they were never referred to, and their own
    // programme in the financial years they were not referred in.
    let theirs = ids(
        conn,
        &format!("SELECT DISTINCT programme_id AS id FROM referrals WHERE participant_id = {id}"),
    );
    let others: Vec<i64> = ids(conn, "SELECT id FROM programmes")
        .into_iter()
        .filter(|p| !theirs.contains(p))
        .collect();
    assert!(!others.is_empty());
    let years = ["2023-24", "2024-25", "2025-26"];
    let held_out: Vec<Value> = others
        .iter()
        .flat_map(|p| years.map(|y| (*p, y)))
        .map(|(p, y)| report(conn, p, y))
        .collect();
    let referred_on: Vec<(i64, NaiveDate)> = store::subject_access::referrals(conn, &[id])
        .unwrap()
        .iter()
        .map(|r| (r.programme_id, r.referred_on))
        .collect();
    let (programme, first) = referred_on[0];
    let year = outcomes::domain::period::FinancialYear::containing(first).to_string();
    let in_year = referred_on
        .iter()
        .filter(|(p, d)| {
            *p == programme
                && outcomes::domain::period::FinancialYear::containing(*d).to_string() == year
        })
        .count() as i64;
    let own_before = report(conn, programme, &year);

    let done = erasure::erase(
        conn,
        Eraser::Operator,
        ParticipantId(id),
        ErasureReason::Request,
        None,
        today(),
    )
    .unwrap();

    let after = still_naming(conn, id, &p.reference, &key, &referrals);
    assert!(after.is_empty(), "still named: {after:?}");
    // The counts, by hand from the rows before.
    assert_eq!(done.counts.participants, 1);
    assert_eq!(done.counts.referrals, referrals.len() as i64);
    assert_eq!(done.counts.attendance, lines);
    assert_eq!(done.counts.outcome_records, outcomes);
    assert_eq!(done.counts.offence_records, offences);
    assert_eq!(
        totals(conn),
        [
            totals_before[0] - 1,
            totals_before[1] - referrals.len() as i64,
            totals_before[2] - lines,
            totals_before[3] - outcomes,
            totals_before[4] - offences,
        ]
    );
    // What remains: the erasure record, counts only.
    let records = store::erasures::since(conn, None).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].reason, ErasureReason::Request);
    assert_eq!(records[0].via, "cli");
    // The audit trail still verifies, and records the erasure.
    let v = store::audit::verify(conn).unwrap();
    assert_eq!(v.problem, None);
    let trail = store::audit::of_record(conn, "participant", &id.to_string()).unwrap();
    assert_eq!(trail.last().unwrap().action, "erase");
    // Everyone else's figures are as they were; their own programme's are not.
    let held_out_after: Vec<Value> = others
        .iter()
        .flat_map(|p| years.map(|y| (*p, y)))
        .map(|(p, y)| report(conn, p, y))
        .collect();
    assert_eq!(held_out, held_out_after);
    let own_after = report(conn, programme, &year);
    assert_eq!(
        own_after["engagement"]["referrals_received"]
            .as_i64()
            .unwrap(),
        own_before["engagement"]["referrals_received"]
            .as_i64()
            .unwrap()
            - in_year
    );
}

#[test]
fn erasure_waits_for_an_evaluation_hold_unless_the_hold_is_overridden_with_a_reason() {
    let mut db = fresh_db();
    let conn = &mut db.conn;
    seed(conn);
    // A participant referred within 18 months of the data's "as of" date, whose
    // reoffending follow-up is not over.
    let as_of = store::retention::data_as_of(conn, today()).unwrap();
    let since = outcomes::domain::calendar::add_months(as_of, -17);
    let id = ids(
        conn,
        &format!(
            "SELECT participant_id AS id FROM referrals WHERE referred_on > '{since}' AND voided_at IS NULL"
        ),
    )[0];
    let programme = ids(
        conn,
        &format!("SELECT programme_id AS id FROM referrals WHERE participant_id = {id}"),
    )[0];
    let programme = outcomes::domain::ids::ProgrammeId(programme);
    outcomes::casework::holds::set(conn, None, programme, today(), "2025-26 evaluation").unwrap();
    let refused = erasure::erase(
        conn,
        Eraser::Retention,
        ParticipantId(id),
        ErasureReason::Retention,
        Some("no"),
        today(),
    );
    let Err(outcomes::casework::CaseError::Invalid(errors)) = refused else {
        panic!("a hold refuses the erasure: {refused:?}");
    };
    assert!(errors[0].message.contains("evaluation hold"), "{errors:?}");
    assert_eq!(
        count(
            conn,
            &format!("SELECT COUNT(*) AS n FROM participants WHERE id = {id}")
        ),
        1
    );
    // The operator overrides it with a reason, kept in the erasure record.
    let done = erasure::erase(
        conn,
        Eraser::Operator,
        ParticipantId(id),
        ErasureReason::Request,
        Some("the person's request cannot wait for the evaluation"),
        today(),
    )
    .unwrap();
    assert_eq!(
        done.override_reason.as_deref(),
        Some("the person's request cannot wait for the evaluation")
    );
    assert_eq!(
        count(
            conn,
            &format!("SELECT COUNT(*) AS n FROM participants WHERE id = {id}")
        ),
        0
    );
}

fn run(args: &[&str], url: &str, dir: &std::path::Path) -> String {
    let out = crate::cli::outcomes_as_app(args, url, dir);
    assert!(
        out.status.success(),
        "outcomes {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn connect(url: &str) -> DbConn {
    outcomes::db::DatabaseUrl::parse(url)
        .unwrap()
        .connect()
        .unwrap()
}

/// (organisation, reference) of the lines of `retention` output starting with `what`.
fn listed(text: &str, what: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = text
        .lines()
        .filter(|l| l.starts_with(&format!("{what}\t")))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1].to_string(), f[2].to_string())
        })
        .collect();
    v.sort();
    v
}

fn remaining(conn: &mut DbConn) -> Vec<(String, String)> {
    #[derive(diesel::QueryableByName)]
    struct Who {
        #[diesel(sql_type = Text)]
        organisation: String,
        #[diesel(sql_type = Text)]
        reference: String,
    }
    let mut v: Vec<(String, String)> = diesel::sql_query(
        "SELECT o.name AS organisation, p.reference AS reference FROM participants p \
         JOIN organisations o ON o.id = p.organisation_id",
    )
    .load::<Who>(conn)
    .unwrap()
    .into_iter()
    .map(|w| (w.organisation, w.reference))
    .collect();
    v.sort();
    v
}

#[test]
fn retention_dry_run_then_apply_on_the_demo_with_one_year_erases_exactly_the_participants_listed() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    run(&["demo", "--as-of", "2026-11-01"], &url, dir.path());
    let mut conn = connect(&url);
    // A one-year retention for every programme, and one programme under a hold.
    for p in ids(&mut conn, "SELECT id FROM programmes") {
        store::retention::set_period(&mut conn, outcomes::domain::ids::ProgrammeId(p), 12, None)
            .unwrap();
    }
    run(
        &[
            "hold",
            "set",
            "--programme",
            "Serious Violence Mentoring",
            "--until",
            "2099-12-31",
            "--reason",
            "2025-26 evaluation",
        ],
        &url,
        dir.path(),
    );
    let before = remaining(&mut conn);
    let plan = run(&["retention", "--dry-run"], &url, dir.path());
    let would = listed(&plan, "erase");
    let held = listed(&plan, "held");
    assert!(!would.is_empty() && would.len() < before.len(), "{plan}");
    // A dry run changes nothing.
    assert_eq!(remaining(&mut conn), before);

    let applied = run(&["retention", "--apply"], &url, dir.path());
    assert_eq!(listed(&applied, "erased"), would, "{applied}");
    assert_eq!(listed(&applied, "held"), held);
    let after = remaining(&mut conn);
    let gone: Vec<_> = before
        .iter()
        .filter(|p| !after.contains(p))
        .cloned()
        .collect();
    assert_eq!(gone, would, "exactly the participants listed are erased");
    for h in &held {
        assert!(after.contains(h), "{h:?} is kept by the hold");
    }
    // One erasure record and one audit event per participant, reason retention.
    let records = store::erasures::since(&mut conn, None).unwrap();
    assert_eq!(records.len(), would.len());
    assert!(records
        .iter()
        .all(|r| r.reason == ErasureReason::Retention && r.via == "retention"));
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'erase'"
        ),
        would.len() as i64
    );
    run(&["audit", "verify"], &url, dir.path());
    // Nothing is due any more.
    let again = run(&["retention", "--dry-run"], &url, dir.path());
    assert!(listed(&again, "erase").is_empty(), "{again}");
}

#[test]
fn a_report_archived_before_an_erasure_keeps_its_figures_and_archive_show_names_the_erasure() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    run(&["demo", "--as-of", "2026-11-01"], &url, dir.path());
    let mut conn = connect(&url);
    let programme = "Serious Violence Mentoring";
    let first = dir.path().join("first.json");
    let args = |out: &std::path::Path| {
        vec![
            "report".to_string(),
            "--programme".into(),
            programme.into(),
            "--period".into(),
            "2024-25".into(),
            "--published".into(),
            "--output".into(),
            out.display().to_string(),
        ]
    };
    let a = args(&first);
    run(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &url,
        dir.path(),
    );
    let published: Value = serde_json::from_slice(&std::fs::read(&first).unwrap()).unwrap();
    let list = run(&["report", "archive", "list"], &url, dir.path());
    assert!(list.starts_with("1\t"), "{list}");
    assert!(
        list.contains(programme) && list.contains("published"),
        "{list}"
    );

    // Erase one participant referred to it in 2024-25.
    #[derive(diesel::QueryableByName)]
    struct Who {
        #[diesel(sql_type = Text)]
        organisation: String,
        #[diesel(sql_type = Text)]
        reference: String,
        #[diesel(sql_type = BigInt)]
        referrals: i64,
    }
    let who: Who = diesel::sql_query(
        "SELECT o.name AS organisation, p.reference AS reference, \
         (SELECT COUNT(*) FROM referrals x WHERE x.participant_id = p.id AND x.programme_id = g.id \
          AND x.referred_on BETWEEN '2024-04-01' AND '2025-03-31') AS referrals \
         FROM participants p JOIN organisations o ON o.id = p.organisation_id \
         JOIN referrals r ON r.participant_id = p.id JOIN programmes g ON g.id = r.programme_id \
         WHERE g.name = 'Serious Violence Mentoring' AND r.referred_on BETWEEN '2024-04-01' AND '2025-03-31' \
         ORDER BY p.id LIMIT 1",
    )
    .get_result(&mut conn)
    .unwrap();
    run(
        &[
            "participant",
            "erase",
            "--organisation",
            &who.organisation,
            "--reference",
            &who.reference,
            "--reason",
            "request",
        ],
        &url,
        dir.path(),
    );

    // Regenerated, the figures differ: one person fewer referred.
    let second = dir.path().join("second.json");
    let b = args(&second);
    run(
        &b.iter().map(String::as_str).collect::<Vec<_>>(),
        &url,
        dir.path(),
    );
    let now: Value = serde_json::from_slice(&std::fs::read(&second).unwrap()).unwrap();
    let received = |r: &Value| r["engagement"]["referrals_received"].clone();
    assert_ne!(received(&published), received(&now));
    if let (Some(a), Some(b)) = (received(&published).as_i64(), received(&now).as_i64()) {
        assert_eq!(b, a - who.referrals);
    }
    assert_ne!(
        published["provenance"]["input_sha256"],
        now["provenance"]["input_sha256"]
    );
    // The archive keeps what was given out, and says why it differs now.
    let entry = store::report_archive::find(&mut conn, 1).unwrap();
    assert_eq!(entry.figures, published);
    assert_eq!(
        entry.input_sha256,
        published["provenance"]["input_sha256"].as_str().unwrap()
    );
    let show = run(&["report", "archive", "show", "1"], &url, dir.path());
    assert!(
        show.contains("erasures since it was archived: 1 (1 touching its programmes)"),
        "{show}"
    );
    let n = who.referrals;
    let referrals = if n == 1 {
        "1 referral".to_string()
    } else {
        format!("{n} referrals")
    };
    assert!(show.contains("erasure 1 on "), "{show}");
    assert!(
        show.contains(&format!("{referrals} of this report's programmes")),
        "{show}"
    );
    assert!(
        !show.contains(&who.reference),
        "the archive names no one: {show}"
    );
    let show_new = run(&["report", "archive", "show", "2"], &url, dir.path());
    assert!(
        show_new.contains("no erasures since it was archived"),
        "{show_new}"
    );
}

#[tokio::test]
async fn a_subject_access_export_holds_every_record_of_the_participant_and_nothing_of_anyone_else()
{
    use outcomes::domain::enums::Role;
    let app = crate::helpers::spawn_app().await;
    let mut conn = app.db();
    seed(&mut conn);
    let id = a_participant_with_everything(&mut conn);
    let org = ids(
        &mut conn,
        &format!("SELECT organisation_id AS id FROM participants WHERE id = {id}"),
    )[0];
    let manager = app.create_user(Role::ProviderManager, org);
    // A correction, so that the participant has a history.
    let token = app.bearer(&manager);
    let (status, body) = crate::casework::call(
        &app,
        "PATCH",
        &token,
        &format!("/api/v1/participants/{id}"),
        Some(serde_json::json!({"district": "Elsewhere", "reason": "typed in the wrong box"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let referrals = ids(
        &mut conn,
        &format!("SELECT id FROM referrals WHERE participant_id = {id}"),
    );
    let list = referrals
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let attendance = ids(
        &mut conn,
        &format!("SELECT id FROM attendance WHERE referral_id IN ({list})"),
    );
    let outcome_ids = ids(
        &mut conn,
        &format!("SELECT id FROM outcome_records WHERE referral_id IN ({list})"),
    );
    let quoted = |v: &[i64]| {
        v.iter()
            .map(|i| format!("'{i}'"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let history = ids(
        &mut conn,
        &format!(
            "SELECT id FROM audit_events WHERE (entity = 'participant' AND entity_id = '{id}') \
             OR (entity = 'referral' AND entity_id IN ({})) \
             OR (entity = 'outcome_record' AND entity_id IN ({}))",
            quoted(&referrals),
            quoted(&outcome_ids)
        ),
    );
    assert!(!history.is_empty() && !attendance.is_empty() && !outcome_ids.is_empty());
    // The first referral's person objected to linkage: the export says so (it is data
    // held about them), and the others say they did not.
    store::referrals::set_linkage_objection(
        &mut conn,
        outcomes::domain::ids::ReferralId(referrals[0]),
        true,
    )
    .unwrap();

    let session = app.session_for(&manager);
    let res = session
        .get(&format!("/participants/{id}/export?format=json"))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let export: Value = res.json().await.unwrap();
    let got = |list: &str, key: &str| {
        let mut v: Vec<i64> = export[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[key].as_i64().unwrap())
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(got("participants", "id"), vec![id]);
    assert_eq!(got("referrals", "id"), referrals);
    assert_eq!(got("attendance", "id"), attendance);
    assert_eq!(got("outcome_records", "id"), outcome_ids);
    assert_eq!(got("history", "event_id"), history);
    // Nothing of another person: every line belongs to these referrals.
    for list in ["attendance", "outcome_records"] {
        for line in export[list].as_array().unwrap() {
            assert!(referrals.contains(&line["referral_id"].as_i64().unwrap()));
        }
    }
    // A provider manager sees no police data, and never the key itself.
    for r in export["referrals"].as_array().unwrap() {
        assert_eq!(
            r["objected_to_linkage"],
            r["id"] == referrals[0],
            "referral {}",
            r["id"]
        );
    }
    assert!(export["police_offence_records"].is_null());
    assert_eq!(export["police_identifier_held"], true);
    let key = store::subject_access::participant(&mut conn, ParticipantId(id))
        .unwrap()
        .person_key
        .unwrap();
    assert!(!export.to_string().contains(&key));
    // The export is audited.
    assert_eq!(
        count(
            &mut conn,
            &format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'export' AND entity = 'participant' AND entity_id = '{id}'")
        ),
        1
    );
    let pdf = session
        .get(&format!("/participants/{id}/export?format=pdf"))
        .await;
    assert_eq!(pdf.status().as_u16(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    // A caseworker may not.
    let caseworker = app.session_for(&app.create_user(Role::Caseworker, org));
    let res = caseworker
        .get(&format!("/participants/{id}/export?format=json"))
        .await;
    assert_eq!(res.status().as_u16(), 403);
}

#[tokio::test]
async fn a_provider_manager_erases_a_participant_from_their_page_after_giving_the_reason() {
    use outcomes::domain::enums::Role;
    let app = crate::helpers::spawn_app().await;
    let org = app.provider("Provider A");
    let id = app.add_participant(org, "ERASE-ME-1");
    let manager = app.session_for(&app.create_user(Role::ProviderManager, org));
    let page = manager
        .get(&format!("/participants/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("/participants/{id}/erase")),
        "{page}"
    );
    let confirm = manager.get(&format!("/participants/{id}/erase")).await;
    assert_eq!(confirm.status().as_u16(), 200);
    let without = manager
        .post_form(&format!("/participants/{id}/erase"), &[])
        .await;
    assert_eq!(without.status().as_u16(), 422);
    assert!(without
        .text()
        .await
        .unwrap()
        .contains("Select why this participant is being erased"));
    let done = manager
        .post_form(
            &format!("/participants/{id}/erase"),
            &[("reason", "request")],
        )
        .await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(crate::helpers::location(&done), "/participants");
    assert_eq!(
        manager
            .get(&format!("/participants/{id}"))
            .await
            .status()
            .as_u16(),
        404
    );
    let list = manager.get("/participants").await.text().await.unwrap();
    assert!(list.contains("The participant was erased"), "{list}");
    assert!(!list.contains("ERASE-ME-1"));
    assert!(app.column("reference", "participants").is_empty());
    assert_eq!(
        app.column("reason", "erasures"),
        vec!["request".to_string()]
    );
    // A caseworker sees no Erase button, and may not erase.
    let caseworker = app.session_for(&app.create_user(Role::Caseworker, org));
    let other = app.add_participant(org, "KEEP-ME-1");
    let page = caseworker
        .get(&format!("/participants/{other}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/erase"));
    let refused = caseworker
        .post_form(
            &format!("/participants/{other}/erase"),
            &[("reason", "request")],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
}

#[tokio::test]
async fn through_the_api_an_analyst_holds_a_programme_a_manager_is_refused_and_an_admin_overrides()
{
    use crate::casework::call;
    use outcomes::domain::enums::Role;
    use serde_json::json;
    let app = crate::helpers::spawn_app().await;
    let org = app.provider("Provider A");
    let programme = app.add_programme(org, "Mentoring");
    let id = app.add_participant(org, "HELD-1");
    // A referral this year: its follow-up is far from over.
    let today = chrono::Utc::now().date_naive();
    app.execute(&format!(
        "INSERT INTO referrals (organisation_id, reference, participant_id, programme_id, referred_on, source, reason, decision, closure, created_at, updated_at) \
         VALUES ({org}, 'HELD-R1', {id}, {programme}, '{today}', 'police', '', 'pending', 'open', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    ));
    let analyst = app.bearer(&app.create_user(Role::Analyst, org));
    let manager = app.bearer(&app.create_user(Role::ProviderManager, org));
    let admin = app.bearer(&app.create_user(Role::Admin, org));
    let hold = format!("/api/v1/programmes/{programme}/evaluation-hold");
    let (status, body) = call(
        &app,
        "PUT",
        &analyst,
        &hold,
        Some(json!({"ends_on": "2099-03-31", "reason": "2025-26 evaluation"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ends_on"], "2099-03-31");
    // A provider manager cannot set one.
    let (status, _) = call(
        &app,
        "PUT",
        &manager,
        &hold,
        Some(json!({"ends_on": "2099-03-31", "reason": "x"})),
    )
    .await;
    assert_eq!(status, 403);

    let erase = format!("/api/v1/participants/{id}/erase");
    let (status, body) = call(
        &app,
        "POST",
        &manager,
        &erase,
        Some(json!({"reason": "request"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("evaluation hold"), "{body}");
    assert!(
        body.to_string().contains("An admin can override the hold"),
        "{body}"
    );
    // A manager's override is not honoured.
    let (status, _) = call(
        &app,
        "POST",
        &manager,
        &erase,
        Some(json!({"reason": "request", "override_reason": "please"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, body) = call(
        &app,
        "POST",
        &admin,
        &erase,
        Some(json!({"reason": "request"})),
    )
    .await;
    assert_eq!(
        status, 422,
        "an admin too must give a reason to override: {body}"
    );
    let (status, body) = call(
        &app,
        "POST",
        &admin,
        &erase,
        Some(json!({"reason": "request", "override_reason": "the request cannot wait"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reason"], "request");
    assert_eq!(body["via"], "api");
    assert_eq!(body["override_reason"], "the request cannot wait");
    assert_eq!(body["counts"]["participants"], 1);
    assert_eq!(body["counts"]["referrals"], 1);
    assert!(!body.to_string().contains("HELD-1"));
    let (status, _) = call(
        &app,
        "GET",
        &admin,
        &format!("/api/v1/participants/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // The hold is lifted; lifting again is no error.
    for _ in 0..2 {
        let (status, _) = call(&app, "DELETE", &analyst, &hold, None).await;
        assert_eq!(status, 204);
    }
    assert!(app.column("id", "evaluation_holds").is_empty());
}

#[tokio::test]
async fn a_report_downloaded_through_the_api_is_archived_and_its_page_lists_later_erasures() {
    use outcomes::domain::enums::Role;
    let app = crate::helpers::spawn_app().await;
    let org = app.provider("Provider A");
    let programme = app.add_programme(org, "Mentoring");
    let id = app.add_participant(org, "ARCHIVED-1");
    app.add_referral_and_session(org, id, programme);
    let admin = app.create_user(Role::Admin, org);
    let token = app.bearer(&admin);
    let path = format!("/api/v1/reports/programmes/{programme}?period=2025-26");
    let (status, report) = crate::casework::call(&app, "GET", &token, &path, None).await;
    assert_eq!(status, 200, "{report}");
    // The same report again is not archived twice.
    crate::casework::call(&app, "GET", &token, &path, None).await;
    assert_eq!(app.column("id", "report_archive"), vec!["1".to_string()]);
    let session = app.session_for(&admin);
    let list = session
        .get("/admin/report-archive")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("/admin/report-archive/1"), "{list}");
    let entry = session
        .get("/admin/report-archive/1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        entry.contains("None: regenerated from the same data"),
        "{entry}"
    );

    let (status, body) = crate::casework::call(
        &app,
        "POST",
        &token,
        &format!("/api/v1/participants/{id}/erase"),
        Some(serde_json::json!({"reason": "request"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let entry = session
        .get("/admin/report-archive/1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        entry.contains("1 participant record, 1 referral"),
        "{entry}"
    );
    assert!(
        entry.contains("Right to erasure (the person asked)"),
        "{entry}"
    );
    assert!(!entry.contains("ARCHIVED-1"));
    // The archived figures are what the API gave out.
    let archived: Value =
        serde_json::from_str(&app.column("figures", "report_archive")[0]).unwrap();
    assert_eq!(archived, report);
}

#[test]
fn serve_names_the_daily_retention_switch_and_retention_needs_a_mode() {
    let dir = tempfile::tempdir().unwrap();
    let help = crate::cli::outcomes(&["serve", "--help"], "sqlite://x.db", dir.path());
    assert!(String::from_utf8_lossy(&help.stdout).contains("OUTCOMES_RETENTION"));
    let bad = crate::cli::outcomes(
        &["serve", "--retention", "daily"],
        "sqlite://x.db",
        dir.path(),
    );
    assert!(!bad.status.success());
    let url = crate::helpers::fresh_database(&dir);
    let none = crate::cli::outcomes(&["retention"], &url, dir.path());
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("--dry-run"));
    let both = crate::cli::outcomes(&["retention", "--dry-run", "--apply"], &url, dir.path());
    assert!(
        !both.status.success(),
        "--dry-run and --apply exclude each other"
    );
}
