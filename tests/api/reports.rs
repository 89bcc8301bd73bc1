//! Reports computed from stored rows: hand-computed figures on a small fixture, and the
//! same JSON from SQLite and PostgreSQL.

use chrono::NaiveDate;
use outcomes::db::DbConn;
use outcomes::domain::enums::ImportKind;
use outcomes::evaluation::cost::CostTables;
use outcomes::evaluation::report::Report;
use outcomes::reports::{build, ReportRequest};
use outcomes::store::report_rows::ReportScope;
use serde_json::Value;

use crate::imports::{fresh_db, provider, run};

const PROGRAMMES: &str = "\
name,kind,delivery,min_age,max_age,starts_on,ends_on,description
Mentoring,mentoring,individual,10,18,2023-04-01,,Synthetic fixture
";

// Keys: K1 = ID001 (P1), K2 = ID002 (P2), P3 has no police identifier, K4 = ID004, K5 = ID005.
const PARTICIPANTS: &str = "\
reference,police_id,date_of_birth,gender,ethnicity,district
P1,ID001,2008-05-01,male,white,District A
P2,ID002,2009-02-03,female,black,District B
P3,,2010-11-30,male,mixed,District A
P4,ID004,2007-01-01,female,white,District B
P5,ID005,2006-06-06,male,asian,District A
";

const REFERRALS: &str = "\
referral_ref,participant_ref,programme,referred_on,source,reason,decision,decided_on,closure,closed_on,required_hours
R1,P1,Mentoring,2024-05-10,police,,accepted,2024-05-12,completed,2024-09-01,
R2,P2,Mentoring,2024-06-30,school,,accepted,2024-07-01,open,,
R3,P3,Mentoring,2024-07-15,police,,accepted,2024-07-16,disengaged,2024-08-01,
R4,P1,Mentoring,2024-10-01,police,,accepted,2024-10-02,withdrawn,2024-11-01,
R5,P4,Mentoring,2024-08-31,youth_justice,,declined,2024-09-02,,,
R6,P5,Mentoring,2025-01-31,police,,pending,,,,
R7,P2,Mentoring,2025-04-01,police,,pending,,,,
";

const SESSIONS: &str = "\
session_ref,programme,date,kind,duration_minutes,headcount,district,venue
S1,Mentoring,2024-05-20,one_to_one,60,0,District A,Office
S2,Mentoring,2024-07-10,group,90,12,District A,School hall
S3,Mentoring,2024-07-20,group,90,8,District B,Youth centre
";

const ATTENDANCE: &str = "\
session_ref,referral_ref,status,hours
S1,R1,attended,1.5
S2,R1,attended,1
S2,R2,did_not_attend,
S3,R2,attended,2
S3,R3,cancelled,
";

const MEASURES: &str = "name,min,max,higher_is_better\nFeels safe (1-5),1,5,true\n";

const OUTCOMES: &str = "\
referral_ref,measure,timepoint,recorded_on,value
R1,Feels safe (1-5),baseline,2024-05-12,2
R1,Feels safe (1-5),baseline,2024-05-20,3
R1,Feels safe (1-5),exit,2024-08-30,4
R1,Feels safe (1-5),exit,2024-09-01,5
R2,Feels safe (1-5),baseline,2024-07-01,3
R2,Feels safe (1-5),exit,2024-12-01,3
R3,Feels safe (1-5),baseline,2024-07-16,1
";

const OFFENCES: &str = "\
police_id,offence_date,offence_group,proven_on
ID001,2023-06-01,criminal_damage_other,2023-07-01
ID001,2024-05-10,public_order,2024-06-01
ID001,2025-05-10,violence_without_injury,2025-11-10
ID002,2024-12-01,robbery,2025-01-10
ID002,2025-01-15,shoplifting,2026-01-01
ID004,2024-01-15,shoplifting,2024-02-01
ID004,2025-08-31,shoplifting,2025-09-15
ID005,2026-02-01,other_theft,2026-02-10
";

pub fn load_fixture(conn: &mut DbConn) -> ReportScope {
    let org = provider(conn, "Provider A");
    run(conn, Some(org), ImportKind::Programmes, PROGRAMMES).unwrap();
    run(conn, None, ImportKind::Measures, MEASURES).unwrap();
    run(conn, Some(org), ImportKind::Participants, PARTICIPANTS).unwrap();
    run(conn, Some(org), ImportKind::Referrals, REFERRALS).unwrap();
    run(conn, Some(org), ImportKind::Sessions, SESSIONS).unwrap();
    run(conn, Some(org), ImportKind::Attendance, ATTENDANCE).unwrap();
    run(conn, Some(org), ImportKind::Outcomes, OUTCOMES).unwrap();
    // The import context's extract date is 2026-10-31.
    run(conn, None, ImportKind::Offences, OFFENCES).unwrap();
    let programme = outcomes::store::programmes::by_name(conn, "Mentoring").unwrap();
    ReportScope::Programme(programme[0].id)
}

pub fn fixture_report(conn: &mut DbConn, scope: ReportScope, published: bool) -> Report {
    let mut request = ReportRequest::new(scope, "Mentoring".into(), "2024-25".parse().unwrap());
    request.report_date = NaiveDate::from_ymd_opt(2025, 3, 31);
    request.published = published;
    // Five people: under the default minimum cohort (issue 21), which `units.rs` tests.
    request.minimum_cohort = 1;
    build(conn, &request, &CostTables::embedded().unwrap()).unwrap()
}

fn report_json(conn: &mut DbConn, scope: ReportScope) -> Value {
    let report = fixture_report(conn, scope, false);
    let mut json = report.to_json();
    // The one value that differs between two runs.
    json["provenance"]["generated_at"] = Value::Null;
    json
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

#[test]
fn a_programme_report_gives_the_hand_computed_engagement_figures() {
    let mut db = fresh_db();
    let scope = load_fixture(&mut db.conn);
    let json = report_json(&mut db.conn, scope);
    let e = &json["engagement"];
    // R1..R6 are in 2024-25; R7 (2025-04-01) is not.
    assert_eq!(e["referrals_received"], 6);
    assert_eq!(e["referrals_accepted"], 4);
    assert_eq!(e["referrals_declined"], 1);
    assert_eq!(e["referrals_pending"], 1);
    assert!(close(&e["acceptance_rate"], 4.0 / 5.0));
    // R1 and R2 attended at least once.
    assert_eq!(e["engaged"], 2);
    assert_eq!(
        (
            e["completed"].clone(),
            e["withdrawn"].clone(),
            e["disengaged"].clone()
        ),
        (1.into(), 1.into(), 1.into())
    );
    assert!(close(&e["completion_rate"], 1.0 / 3.0));
    // R1: 05-20 − 05-10 = 10 days; R2: 07-20 − 06-30 = 20 days; median 15.
    assert!(close(&e["median_days_to_first_session"], 15.0));
    assert_eq!(e["sessions_delivered"], 3);
    // attended 3, did not attend 1, cancelled excluded.
    assert!(close(&e["attendance_rate"], 0.75));
    assert_eq!(e["participants_reached"], 2);
    assert_eq!(e["anonymous_headcount"], 20);
    assert!(close(&e["mean_group_headcount"], 10.0));
    assert!(close(&e["hours_delivered"], 4.5));
}

#[test]
fn a_programme_report_gives_the_hand_computed_reoffending_figures() {
    let mut db = fresh_db();
    let scope = load_fixture(&mut db.conn);
    let json = report_json(&mut db.conn, scope);
    let r = &json["reoffending"];
    assert_eq!(r["data_as_of"], "2026-10-31");
    let all = &r["groups"]["all"];
    // P1 once (earliest, R1), P2, P3 (no key), P4, P5.
    assert_eq!(all["cohort"], 5);
    assert_eq!(all["unmatched"], 1);
    assert_eq!(all["awaiting_follow_up"], 0);
    assert_eq!(all["measurable"], 4);
    // K1: 2024-05-10 is the index date (not counted); 2025-05-10 is the last day of
    // follow-up, proven 2025-11-10, the last day of the waiting period (counted).
    // K2: 2024-12-01 proven 2025-01-10 counts; 2025-01-15 proven 2026-01-01, after
    // 2025-12-30, does not. K4: 2025-08-31 is the last day of follow-up. K5: 2026-02-01
    // is after 2026-01-31, outside follow-up.
    assert_eq!(all["reoffenders"], 3);
    assert_eq!(all["reoffences"], 3);
    assert!(close(&all["reoffending_rate"], 0.75));
    // Wilson 95% for 3/4, by the formula in Python: (0.3006418426, 0.9544127392).
    assert!((all["reoffending_rate_ci"][0].as_f64().unwrap() - 0.300_641_842_6).abs() < 1e-9);
    assert!((all["reoffending_rate_ci"][1].as_f64().unwrap() - 0.954_412_739_2).abs() < 1e-9);
    assert!(close(&all["frequency"], 0.75));
    // Days to first: 365, 154, 365.
    assert!(close(&all["mean_days_to_first_reoffence"], 884.0 / 3.0));
    assert!(close(&all["median_days_to_first_reoffence"], 365.0));
    assert_eq!(r["groups"]["engaged"]["cohort"], 2);
    assert_eq!(r["groups"]["engaged"]["reoffenders"], 2);
    assert_eq!(r["groups"]["completed"]["cohort"], 1);
    assert_eq!(r["groups"]["completed"]["reoffenders"], 1);
    // Before: K1 2023-06-01 and K4 2024-01-15 (the index-date offence is neither).
    assert_eq!(r["before_after"]["offences_before"], 2);
    assert_eq!(r["before_after"]["offences_after"], 3);
}

#[test]
fn a_programme_report_pairs_the_earliest_baseline_with_the_latest_exit() {
    let mut db = fresh_db();
    let scope = load_fixture(&mut db.conn);
    let json = report_json(&mut db.conn, scope);
    let m = &json["outcomes"][0];
    assert_eq!(m["measure"], "Feels safe (1-5)");
    // R1: 2 → 5, R2: 3 → 3; R3 has no exit.
    assert_eq!(m["pairs"], 2);
    assert!(close(&m["mean_baseline"], 2.5));
    assert!(close(&m["mean_exit"], 4.0));
    assert!(close(&m["mean_change"], 1.5));
    assert!(close(&m["improved"], 0.5));
    assert!(close(&m["unchanged"], 0.5));
    assert!(close(&m["worsened"], 0.0));
}

#[test]
fn the_same_fixture_gives_the_same_json_on_sqlite_and_postgresql() {
    let mut here = fresh_db();
    let scope = load_fixture(&mut here.conn);
    let json = report_json(&mut here.conn, scope);
    // A second database on the other backend when PostgreSQL is configured, else a
    // second SQLite file: the JSON must not depend on where the rows were stored.
    let dir = tempfile::tempdir().unwrap();
    let other_url = if crate::helpers::postgres_url().is_some() {
        format!("sqlite://{}", dir.path().join("other.db").display())
    } else {
        crate::helpers::fresh_database(&dir)
    };
    let mut other = outcomes::db::DatabaseUrl::parse(&other_url)
        .unwrap()
        .connect()
        .unwrap();
    outcomes::db::migrate(&mut other).unwrap();
    let other_scope = load_fixture(&mut other);
    let other_json = report_json(&mut other, other_scope);
    assert_eq!(json, other_json);
    assert_eq!(
        json["provenance"]["input_sha256"].as_str().unwrap().len(),
        64
    );
}

mod api {
    use super::*;
    use crate::helpers::spawn_app;
    use outcomes::domain::enums::Role;
    use outcomes::domain::ids::OrganisationId;

    /// The fixture loaded into the app's own database, for provider "Provider A".
    fn load(app: &crate::helpers::TestApp) -> (i64, i64) {
        let mut conn = app.db();
        let ReportScope::Programme(programme) = load_fixture(&mut conn) else {
            unreachable!()
        };
        let org = outcomes::store::organisations::find_by_name(&mut conn, "Provider A")
            .unwrap()
            .unwrap()
            .id;
        (programme.0, org.0)
    }

    #[tokio::test]
    async fn a_provider_manager_gets_their_programmes_report_as_json() {
        let app = crate::helpers::spawn_app_small().await;
        let (programme, org) = load(&app);
        let manager = app.create_user(Role::ProviderManager, org);
        let token = app.bearer(&manager);
        let res = app
            .get_with_token(
                &format!("/api/v1/reports/programmes/{programme}?period=2024-25"),
                &token,
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["programme"], "Mentoring");
        // The total may be withheld with it when the published sums would otherwise narrow it.
        let received = &json["engagement"]["referrals_received"];
        assert!(received == 6 || received == "[c]", "{received}");
        assert_eq!(json["reoffending"]["groups"]["all"]["reoffenders"], 3);
        assert_eq!(json["provenance"]["parameters"]["mode"], "internal");
        // The download is in the audit trail.
        let (events, _) = outcomes::store::audit::list(
            &mut app.db(),
            &outcomes::store::audit::Filter {
                action: Some(outcomes::domain::enums::AuditAction::ReportDownload),
                ..Default::default()
            },
            1,
            10,
        )
        .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].user_id, Some(manager.id));
    }

    #[tokio::test]
    async fn another_providers_manager_gets_404_and_a_caseworker_403() {
        let app = spawn_app().await;
        let (programme, _) = load(&app);
        let b = app.provider("Provider B");
        let other = app.bearer(&app.create_user(Role::ProviderManager, b));
        let path = format!("/api/v1/reports/programmes/{programme}?period=2024-25");
        assert_eq!(
            app.get_with_token(&path, &other).await.status().as_u16(),
            404
        );
        // A programme that does not exist answers the same.
        let missing = "/api/v1/reports/programmes/999999?period=2024-25";
        assert_eq!(
            app.get_with_token(missing, &other).await.status().as_u16(),
            404
        );
        let (_, a) = (
            0,
            outcomes::store::organisations::find_by_name(&mut app.db(), "Provider A")
                .unwrap()
                .unwrap()
                .id,
        );
        let caseworker = app.bearer(&app.create_user(Role::Caseworker, a.0));
        assert_eq!(
            app.get_with_token(&path, &caseworker)
                .await
                .status()
                .as_u16(),
            403
        );
        let opcc = app.org(
            "OPCC",
            outcomes::domain::enums::OrganisationKind::Commissioner,
        );
        let commissioner = app.bearer(&app.create_user(Role::Commissioner, opcc));
        assert_eq!(
            app.get_with_token(&path, &commissioner)
                .await
                .status()
                .as_u16(),
            200
        );
        let _ = OrganisationId(b);
    }

    #[tokio::test]
    async fn bad_parameters_answer_422_with_every_field_error() {
        let app = spawn_app().await;
        let (programme, org) = load(&app);
        let token = app.bearer(&app.create_user(Role::ProviderManager, org));
        let res = app
            .get_with_token(
                &format!("/api/v1/reports/programmes/{programme}?period=2024/25&follow_up=7&index=sometime"),
                &token,
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        let body: Value = res.json().await.unwrap();
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["period", "index", "follow_up"]);
        let none = app
            .get_with_token(&format!("/api/v1/reports/programmes/{programme}"), &token)
            .await;
        assert_eq!(none.status().as_u16(), 422);
    }

    #[tokio::test]
    async fn a_published_report_shows_small_counts_as_less_than_the_threshold() {
        let app = spawn_app().await;
        let (programme, org) = load(&app);
        let token = app.bearer(&app.create_user(Role::ProviderManager, org));
        let res = app
            .get_with_token(
                &format!("/api/v1/reports/programmes/{programme}?period=2024-25&published=true"),
                &token,
            )
            .await;
        assert_eq!(res.status().as_u16(), 200);
        let json: Value = res.json().await.unwrap();
        assert_eq!(json["provenance"]["parameters"]["mode"], "published");
        // 4 accepted referrals: shown as "<5"; 6 received: shown.
        // (or "[c]" when its neighbours are small too: docs/methodology.md).
        let accepted = &json["engagement"]["referrals_accepted"];
        assert!(accepted == "<5" || accepted == "[c]", "{accepted}");
        // The total may be withheld with it when the published sums would otherwise narrow it.
        let received = &json["engagement"]["referrals_received"];
        assert!(received == 6 || received == "[c]", "{received}");
        // No count from 1 to 4 appears anywhere in the report (parameters aside).
        let mut small = Vec::new();
        small_counts(&json, String::new(), &mut small);
        assert!(
            small.is_empty(),
            "counts shown in a published report: {small:?}"
        );
    }
}

/// Every whole number from 1 to 4 in `v`, with its JSON pointer, except parameters.
fn small_counts(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if at == "/provenance"
                    || k.ends_with("_months")
                    || k.ends_with("_id")
                    || k == "threshold"
                {
                    continue;
                }
                small_counts(x, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                small_counts(x, format!("{at}/{i}"), out);
            }
        }
        Value::Number(n) => {
            if let Some(i) = n.as_i64().filter(|i| (1..=4).contains(i)) {
                out.push(format!("{at} = {i}"));
            }
        }
        _ => {}
    }
}

#[test]
fn a_report_read_on_three_connections_is_the_report_read_on_one() {
    use outcomes::store::report_rows::Parallel;
    let dir = tempfile::tempdir().unwrap();
    let url = outcomes::db::DatabaseUrl::parse(&crate::helpers::fresh_database(&dir)).unwrap();
    let mut conn = url.connect().unwrap();
    outcomes::db::migrate(&mut conn).unwrap();
    let scope = load_fixture(&mut conn);
    let serial = report_json(&mut conn, scope);
    let (mut reader, mut lock) = (url.connect().unwrap(), url.connect().unwrap());
    let mut request = ReportRequest::new(scope, "Mentoring".into(), "2024-25".parse().unwrap());
    request.report_date = NaiveDate::from_ymd_opt(2025, 3, 31);
    request.minimum_cohort = 1; // as `fixture_report`
    let parallel = Parallel {
        reader: &mut reader,
        lock: Some(&mut lock),
    };
    let report = outcomes::reports::build_in_parallel(
        &mut conn,
        Some(parallel),
        &request,
        &CostTables::embedded().unwrap(),
    )
    .unwrap();
    let mut json = report.to_json();
    json["provenance"]["generated_at"] = Value::Null;
    assert_eq!(json, serial);
    // The fixture's offences were read (on the second connection): the hand-computed
    // 4 measurable members and 3 reoffenders.
    assert_eq!(json["reoffending"]["groups"]["all"]["measurable"], 4);
    assert_eq!(json["reoffending"]["groups"]["all"]["reoffenders"], 3);
    // Nothing is left open: the connections write again.
    outcomes::store::organisations::create(
        &mut lock,
        "Provider Z",
        outcomes::domain::enums::OrganisationKind::Provider,
    )
    .unwrap();
}
