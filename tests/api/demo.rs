//! `outcomes demo`: the small demo seeds a fresh database, is deterministic, obeys the
//! lifecycle rules, never dates anything after its as-of date, and gives reports with
//! every section filled.

use chrono::NaiveDate;
use diesel::prelude::*;
use outcomes::db::schema::{attendance, offence_records, outcome_records, referrals, sessions};
use outcomes::db::DbConn;
use outcomes::demo::{self, DemoError, DemoOptions, DemoSummary, Scale, Silent};
use outcomes::domain::enums::{Closure, Decision, OrganisationKind};
use outcomes::evaluation::cost::CostTables;
use outcomes::evaluation::report::Report;
use outcomes::reports::view::view;
use outcomes::reports::{build, render, Format, ReportRequest};
use outcomes::store::{self, report_rows::ReportScope};
use serde_json::Value;

use crate::imports::{fresh_db, secret};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn options(seed: u64) -> DemoOptions {
    DemoOptions {
        scale: Scale::Small,
        seed,
        as_of: as_of(),
    }
}

fn seed(conn: &mut DbConn, seed: u64) -> Result<DemoSummary, DemoError> {
    demo::seed(conn, &options(seed), &secret(), today(), &mut Silent)
}

fn report(conn: &mut DbConn, programme: &str, period: &str) -> Value {
    built(conn, programme, period).to_json()
}

fn built(conn: &mut DbConn, programme: &str, period: &str) -> Report {
    let found = store::programmes::by_name(conn, programme).unwrap();
    let mut request = ReportRequest::new(
        ReportScope::Programme(found[0].id),
        programme.into(),
        period.parse().unwrap(),
    );
    request.report_date = Some(as_of());
    build(conn, &request, &CostTables::embedded().unwrap()).unwrap()
}

#[test]
fn the_small_demo_seeds_a_fresh_database_and_a_second_run_changes_nothing() {
    let mut db = fresh_db();
    let summary = seed(&mut db.conn, 1).unwrap();
    assert!(!summary.already_present);
    let c = &summary.counts;
    assert_eq!(c.organisations, 9);
    assert_eq!(c.programmes, 8);
    assert!((1_000..=2_000).contains(&c.referrals), "{c:?}");
    assert_eq!(c.participants, c.referrals);
    for n in [
        c.sessions,
        c.attendance,
        c.outcome_records,
        c.group_surveys,
        c.offence_records,
        c.targets,
        c.allocations,
    ] {
        assert!(n > 0, "{c:?}");
    }
    let kinds: Vec<OrganisationKind> = summary.organisations.iter().map(|o| o.kind).collect();
    assert!(kinds.contains(&OrganisationKind::Commissioner));
    assert!(kinds.contains(&OrganisationKind::Vru));
    assert_eq!(summary.suggested_logins().len(), 17);

    // Quarterly returns: older quarters approved, the last complete one (2026-27-Q2 for
    // an as-of date in November 2026) submitted, the current one (Q3) not yet.
    let programme = &store::programmes::all(&mut db.conn).unwrap()[0];
    let returns = store::quarterly_returns::of_programme(&mut db.conn, programme.id).unwrap();
    assert_eq!(returns[0].quarter, "2026-27-Q2");
    assert_eq!(returns[0].status.as_str(), "submitted");
    assert!(returns.len() > 2, "{returns:?}");
    assert!(returns[1..].iter().all(|r| r.status.as_str() == "approved"));

    // Ordinary inserts continue after the ids the demo assigned (PostgreSQL identities).
    let remedi = store::organisations::find_by_name(&mut db.conn, "Remedi")
        .unwrap()
        .unwrap();
    let fields = store::participants::ParticipantFields {
        reference: "NEW-1".into(),
        person_key: None,
        date_of_birth: None,
        gender: outcomes::domain::enums::Gender::NotKnown,
        ethnicity: outcomes::domain::enums::Ethnicity::NotStated,
        district: None,
    };
    let id = store::participants::insert(&mut db.conn, remedi.id, &fields).unwrap();
    assert_eq!(id.0 as u64, c.participants + 1);

    let again = seed(&mut db.conn, 1).unwrap();
    assert!(again.already_present);
    assert_eq!(again.counts, Default::default());
    assert_eq!(
        store::offences::count(&mut db.conn).unwrap() as u64,
        c.offence_records
    );
}

#[test]
fn the_same_seed_gives_the_same_rows_and_another_seed_does_not() {
    let mut first = fresh_db();
    let mut second = fresh_db();
    let mut third = fresh_db();
    let a = seed(&mut first.conn, 7).unwrap();
    let b = seed(&mut second.conn, 7).unwrap();
    let c = seed(&mut third.conn, 8).unwrap();
    assert_eq!(a.counts, b.counts);
    let programmes = [
        "Immediate Justice",
        "Serious Violence Mentoring",
        "I Can, I Will",
        "IOM Fixed Cohort",
    ];
    for programme in programmes {
        let hash = |conn: &mut DbConn| {
            report(conn, programme, "2024-25")["provenance"]["input_sha256"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(hash(&mut first.conn), hash(&mut second.conn), "{programme}");
        assert_ne!(hash(&mut first.conn), hash(&mut third.conn), "{programme}");
    }
    assert_ne!(a.counts, c.counts);
}

#[test]
fn programme_reports_over_the_demo_have_engagement_reoffending_outcomes_and_surveys() {
    let mut db = fresh_db();
    seed(&mut db.conn, 1).unwrap();

    let ij = report(&mut db.conn, "Immediate Justice", "2024-25");
    assert!(ij["engagement"]["referrals_received"].as_u64().unwrap() > 100);
    assert!(ij["engagement"]["hours_delivered"].as_f64().unwrap() > 0.0);
    assert_eq!(ij["reoffending"]["data_as_of"], "2026-11-01");
    let all = &ij["reoffending"]["groups"]["all"];
    assert!(all["measurable"].as_u64().unwrap() > 100, "{all}");
    // Modelled on "69% have not reoffended" (seed 004): about 30% reoffend.
    let rate = all["reoffending_rate"].as_f64().unwrap();
    assert!((0.18..=0.42).contains(&rate), "{rate}");
    assert!(!ij["money"]["targets"].as_array().unwrap().is_empty());

    let mentoring = report(&mut db.conn, "Serious Violence Mentoring", "2024-25");
    let paired: Vec<&Value> = mentoring["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["pairs"].as_u64().unwrap() > 0)
        .collect();
    assert_eq!(paired.len(), 3, "{paired:?}");
    assert!(paired.iter().all(|m| m["mean_change"].as_f64().is_some()));

    let schools = report(&mut db.conn, "I Can, I Will", "2025-26");
    let surveys = schools["group_surveys"].as_array().unwrap();
    assert_eq!(surveys.len(), 2);
    for s in surveys {
        assert!(s["respondents_baseline"].as_u64().unwrap() > 100);
        assert!(s["mean_exit"].as_f64() > s["mean_baseline"].as_f64());
    }
    assert!(
        schools["engagement"]["anonymous_headcount"]
            .as_u64()
            .unwrap()
            > 1_000
    );
}

#[test]
fn a_demo_report_with_targets_renders_in_every_format_with_distinct_column_headings() {
    let mut db = fresh_db();
    seed(&mut db.conn, 1).unwrap();
    let ij = built(&mut db.conn, "Immediate Justice", "2024-25");
    assert!(!ij.to_json()["money"]["targets"]
        .as_array()
        .unwrap()
        .is_empty());
    // An XLSX table refuses two columns of one name (the targets table once had two
    // "Target" columns, and the XLSX download failed on every report with targets).
    for section in view(&ij).sections {
        for table in section.tables {
            let mut head = table.head.clone();
            head.sort();
            head.dedup();
            assert_eq!(
                head.len(),
                table.head.len(),
                "{}: {:?}",
                table.id,
                table.head
            );
        }
    }
    for format in [Format::Csv, Format::Xlsx, Format::Json, Format::Html] {
        let bytes = render(&ij, format).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert!(bytes.len() > 1000, "{format:?}");
    }
}

#[test]
fn no_demo_date_is_after_the_as_of_date_and_every_referral_obeys_the_lifecycle() {
    use diesel::dsl::max;
    let mut db = fresh_db();
    seed(&mut db.conn, 3).unwrap();
    let conn = &mut db.conn;
    let latest: Vec<Option<NaiveDate>> = vec![
        referrals::table
            .select(max(referrals::referred_on))
            .first(conn)
            .unwrap(),
        referrals::table
            .select(max(referrals::decided_on))
            .first(conn)
            .unwrap(),
        referrals::table
            .select(max(referrals::closed_on))
            .first(conn)
            .unwrap(),
        sessions::table
            .select(max(sessions::date))
            .first(conn)
            .unwrap(),
        outcome_records::table
            .select(max(outcome_records::recorded_on))
            .first(conn)
            .unwrap(),
        offence_records::table
            .select(max(offence_records::offence_date))
            .first(conn)
            .unwrap(),
        offence_records::table
            .select(max(offence_records::proven_on))
            .first(conn)
            .unwrap(),
    ];
    for date in latest {
        assert!(date.unwrap() <= as_of());
    }
    for org in store::organisations::list(conn).unwrap() {
        for r in store::referrals::of_organisation(conn, org.id).unwrap() {
            let f = &r.fields;
            assert_eq!(f.decision == Decision::Pending, f.decided_on.is_none());
            assert!(f.decided_on.is_none_or(|d| d >= f.referred_on));
            assert_eq!(f.closure == Closure::Open, f.closed_on.is_none());
            if f.closure != Closure::Open {
                assert_eq!(f.decision, Decision::Accepted);
                assert!(f.closed_on >= f.decided_on);
            }
        }
    }
    // Attendance only at sessions on or after the decision.
    let early: i64 = attendance::table
        .inner_join(sessions::table)
        .inner_join(referrals::table.on(referrals::id.eq(attendance::referral_id)))
        .filter(sessions::date.lt(referrals::referred_on))
        .count()
        .get_result(conn)
        .unwrap();
    assert_eq!(early, 0);
}

#[test]
fn the_demo_refuses_a_database_that_holds_other_records() {
    let mut db = fresh_db();
    crate::imports::provider(&mut db.conn, "A real provider");
    let err = seed(&mut db.conn, 1).unwrap_err();
    assert!(matches!(err, DemoError::NotEmpty(_)), "{err}");
    assert!(store::programmes::all(&mut db.conn).unwrap().is_empty());
}

#[test]
fn the_demo_refuses_an_as_of_date_in_the_future() {
    let mut db = fresh_db();
    let mut options = options(1);
    options.as_of = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let err = demo::seed(&mut db.conn, &options, &secret(), today(), &mut Silent).unwrap_err();
    assert!(matches!(err, DemoError::AsOfInFuture { .. }));
}
