//! Imports: all-or-nothing files, line-numbered errors, idempotent re-imports, and no
//! clear police identifier stored anywhere.

use chrono::NaiveDate;
use outcomes::db::{self, DatabaseUrl, DbConn};
use outcomes::domain::enums::{ImportKind, OrganisationKind};
use outcomes::domain::ids::OrganisationId;
use outcomes::domain::person_key::PersonKeySecret;
use outcomes::imports::{import, ImportContext, ImportError, ImportSummary, Source};
use outcomes::store;

pub struct Db {
    pub conn: DbConn,
    pub _dir: tempfile::TempDir,
}

pub fn fresh_db() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let mut conn = DatabaseUrl::parse(&url).unwrap().connect().unwrap();
    db::migrate(&mut conn).unwrap();
    Db { conn, _dir: dir }
}

pub fn secret() -> PersonKeySecret {
    PersonKeySecret::new(vec![7u8; 32])
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
}

pub fn provider(conn: &mut DbConn, name: &str) -> OrganisationId {
    store::organisations::create(conn, name, OrganisationKind::Provider)
        .unwrap()
        .id
}

pub fn run(
    conn: &mut DbConn,
    org: Option<OrganisationId>,
    kind: ImportKind,
    csv: &str,
) -> Result<ImportSummary, ImportError> {
    let secret = secret();
    let ctx = ImportContext {
        organisation: org,
        user: None,
        secret: &secret,
        today: today(),
        extract_date: NaiveDate::from_ymd_opt(2026, 10, 31),
        confirm_shrink: false,
    };
    import(
        conn,
        &ctx,
        kind,
        "test.csv",
        &Source::Bytes(csv.as_bytes().to_vec()),
        &mut |_| {},
    )
}

pub const PROGRAMMES: &str = "\
name,kind,delivery,min_age,max_age,starts_on,ends_on,description
Mentoring,mentoring,individual,10,18,2024-04-01,,Restorative mentoring
Immediate Justice,immediate_justice,mixed,10,,2024-04-01,,Reparation
";

pub const PARTICIPANTS: &str = "\
reference,police_id,date_of_birth,gender,ethnicity,district
P1,ZZ 0001,2009-05-01,male,white,District A
P2,,2010-02-03,female,black,District B
P3,zz0003,2008-11-30,other,mixed,District A
";

pub const REFERRALS: &str = "\
referral_ref,participant_ref,programme,referred_on,source,reason,decision,decided_on,closure,closed_on,required_hours
R1,P1,Mentoring,2025-05-01,police,,accepted,2025-05-03,completed,2025-08-01,
R2,P2,Immediate Justice,2025-06-01,police,,accepted,2025-06-02,open,,12
R3,P3,Mentoring,2025-06-10,school,,pending,,,,
R4,P3,Immediate Justice,2025-07-01,oocr_hub,,declined,2025-07-02,,,
";

pub fn casework(conn: &mut DbConn, org: OrganisationId) {
    run(conn, Some(org), ImportKind::Programmes, PROGRAMMES).unwrap();
    run(conn, Some(org), ImportKind::Participants, PARTICIPANTS).unwrap();
    run(conn, Some(org), ImportKind::Referrals, REFERRALS).unwrap();
}

fn invalid(r: Result<ImportSummary, ImportError>) -> Vec<outcomes::imports::RowError> {
    match r {
        Err(ImportError::Invalid { errors, .. }) => errors,
        other => panic!("expected the file to be refused, got {other:?}"),
    }
}

#[test]
fn a_referrals_file_with_a_bad_date_on_line_5_imports_nothing_then_imports_fixed_then_adds_nothing()
{
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    run(&mut db.conn, Some(org), ImportKind::Programmes, PROGRAMMES).unwrap();
    run(
        &mut db.conn,
        Some(org),
        ImportKind::Participants,
        PARTICIPANTS,
    )
    .unwrap();
    let bad = REFERRALS.replace("2025-07-01,oocr_hub", "2025-07-32,oocr_hub");
    let errors = invalid(run(&mut db.conn, Some(org), ImportKind::Referrals, &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 5);
    assert_eq!(errors[0].column, "referred_on");
    assert_eq!(errors[0].value, "2025-07-32");
    assert!(errors[0].expected.contains("YYYY-MM-DD"));
    assert!(store::referrals::of_organisation(&mut db.conn, org)
        .unwrap()
        .is_empty());

    let fixed = run(&mut db.conn, Some(org), ImportKind::Referrals, REFERRALS).unwrap();
    assert_eq!((fixed.rows, fixed.inserted), (4, 4));
    assert!(fixed.batch_id.is_some());
    let again = run(&mut db.conn, Some(org), ImportKind::Referrals, REFERRALS).unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 4));
    assert_eq!(again.batch_id, None, "an unchanged file writes no batch");
    assert_eq!(
        store::referrals::of_organisation(&mut db.conn, org)
            .unwrap()
            .len(),
        4
    );
    let batches =
        store::import_batches::list(&mut db.conn, Some(ImportKind::Referrals), None).unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(batches[0].sha256.len(), 64);
}

#[test]
fn every_error_of_a_file_is_listed_with_line_and_column() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    let csv = "\
reference,police_id,date_of_birth,gender,ethnicity,district
P1,,2009-02-30,male,white,
P2,,,f,white,
P1,,,,,
";
    let errors = invalid(run(&mut db.conn, Some(org), ImportKind::Participants, csv));
    let found: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(
        found,
        [(2, "date_of_birth"), (3, "gender"), (4, "reference")],
        "{errors:?}"
    );
    assert!(errors[1]
        .expected
        .contains("female, male, other, not_known"));
    assert!(errors[2].expected.contains("line 2"));
    assert!(store::participants::of_organisation(&mut db.conn, org)
        .unwrap()
        .is_empty());
}

#[test]
fn unknown_and_missing_columns_are_refused_by_name() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    let errors = invalid(run(
        &mut db.conn,
        Some(org),
        ImportKind::Participants,
        "ref,name\nP1,Someone\n",
    ));
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter().any(|t| t.contains("unknown column 'ref'")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("unknown column 'name'")),
        "{text:?}"
    );
    assert!(text
        .iter()
        .any(|t| t.contains("required column 'reference' is missing")));
}

#[test]
fn referral_lifecycle_rules_are_errors_on_the_row() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    run(&mut db.conn, Some(org), ImportKind::Programmes, PROGRAMMES).unwrap();
    run(
        &mut db.conn,
        Some(org),
        ImportKind::Participants,
        PARTICIPANTS,
    )
    .unwrap();
    let csv = "\
referral_ref,participant_ref,programme,referred_on,source,decision,decided_on,closure,closed_on,required_hours
R1,P1,Mentoring,2025-05-01,police,pending,,completed,2025-06-01,
R2,P1,Mentoring,2025-05-01,police,accepted,2025-04-30,,,
R3,P1,Mentoring,2025-05-01,police,accepted,2025-05-02,completed,2027-01-01,
R4,P1,Immediate Justice,2025-05-01,police,accepted,2025-05-02,,,25
R5,P9,Mentoring,2025-05-01,police,,,,,
R6,P1,Football,2025-05-01,police,,,,,
R7,P1,Mentoring,2025-05-01,friend,,,,,
";
    let errors = invalid(run(&mut db.conn, Some(org), ImportKind::Referrals, csv));
    let by_line = |line: u64| {
        errors
            .iter()
            .find(|e| e.line == line)
            .unwrap_or_else(|| panic!("no error on line {line}: {errors:?}"))
    };
    assert_eq!(by_line(2).column, "closure");
    assert!(by_line(2)
        .expected
        .contains("only be closed after it has been accepted"));
    assert_eq!(by_line(3).column, "decided_on");
    assert!(by_line(3).expected.contains("before the referral date"));
    assert_eq!(by_line(4).column, "closed_on");
    assert!(by_line(4).expected.contains("in the future"));
    assert_eq!(by_line(5).column, "required_hours");
    assert!(by_line(5).expected.contains("between 5 and 20"));
    assert_eq!(by_line(6).column, "participant_ref");
    assert_eq!(by_line(7).column, "programme");
    assert_eq!(by_line(8).column, "source");
}

#[test]
fn attendance_at_another_programmes_session_is_refused() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    casework(&mut db.conn, org);
    run(
        &mut db.conn,
        Some(org),
        ImportKind::Sessions,
        "session_ref,programme,date,kind,duration_minutes,headcount,district,venue\n\
         S1,Mentoring,2025-06-15,one_to_one,60,0,District A,Office\n\
         S2,Immediate Justice,2025-06-20,reparation,240,0,District B,Allotment\n",
    )
    .unwrap();
    let errors = invalid(run(
        &mut db.conn,
        Some(org),
        ImportKind::Attendance,
        "session_ref,referral_ref,status,hours\nS2,R1,attended,4\nS1,R1,did_not_attend,3\n",
    ));
    assert_eq!(errors[0].line, 2);
    assert_eq!(errors[0].column, "referral_ref");
    assert!(
        errors[0].expected.contains("'Immediate Justice'"),
        "{errors:?}"
    );
    assert_eq!(errors[1].line, 3);
    assert_eq!(errors[1].column, "hours");
    let ok = run(
        &mut db.conn,
        Some(org),
        ImportKind::Attendance,
        "session_ref,referral_ref,status,hours\nS2,R2,attended,4\nS1,R1,attended,\n",
    )
    .unwrap();
    assert_eq!(ok.inserted, 2);
}

#[test]
fn an_outcome_value_outside_the_measures_range_is_refused() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    casework(&mut db.conn, org);
    run(
        &mut db.conn,
        None,
        ImportKind::Measures,
        "name,min,max,higher_is_better\nFeels safe (1-5),1,5,true\n",
    )
    .unwrap();
    let errors = invalid(run(
        &mut db.conn,
        Some(org),
        ImportKind::Outcomes,
        "referral_ref,measure,timepoint,recorded_on,value\nR1,Feels safe (1-5),baseline,2025-05-03,6\n",
    ));
    assert_eq!((errors[0].line, errors[0].column.as_str()), (2, "value"));
    assert!(errors[0].expected.contains("from 1 to 5"));
}

#[test]
fn references_of_another_provider_are_not_found() {
    let mut db = fresh_db();
    let a = provider(&mut db.conn, "Provider A");
    let b = provider(&mut db.conn, "Provider B");
    casework(&mut db.conn, a);
    run(&mut db.conn, Some(b), ImportKind::Programmes, PROGRAMMES).unwrap();
    // Provider B names A's participant P1: it does not exist for B.
    let errors = invalid(run(
        &mut db.conn,
        Some(b),
        ImportKind::Referrals,
        "referral_ref,participant_ref,programme,referred_on,source\nR1,P1,Mentoring,2025-05-01,police\n",
    ));
    assert_eq!(errors[0].column, "participant_ref");
    // And B's own R1 is a new referral, not A's.
    run(
        &mut db.conn,
        Some(b),
        ImportKind::Participants,
        PARTICIPANTS,
    )
    .unwrap();
    run(&mut db.conn, Some(b), ImportKind::Referrals, REFERRALS).unwrap();
    assert_eq!(
        store::referrals::of_organisation(&mut db.conn, a)
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        store::referrals::of_organisation(&mut db.conn, b)
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn an_offence_extract_replaces_the_previous_one_and_refuses_an_older_one() {
    let mut db = fresh_db();
    let first = "police_id,offence_date,offence_group,proven_on\nZZ0001,2025-09-01,shoplifting,2025-10-01\nZZ0003,2025-10-01,robbery,\n";
    let s = run(&mut db.conn, None, ImportKind::Offences, first).unwrap();
    assert_eq!(s.inserted, 2);
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 2);
    // The same file again changes nothing.
    let again = run(&mut db.conn, None, ImportKind::Offences, first).unwrap();
    assert_eq!((again.inserted, again.batch_id), (0, None));
    // A newer complete extract replaces, never adds to, the records.
    let second = format!("{first}ZZ0002,2025-10-10,public_order,2025-10-20\n");
    run(&mut db.conn, None, ImportKind::Offences, &second).unwrap();
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 3);
    let batches =
        store::import_batches::list(&mut db.conn, Some(ImportKind::Offences), None).unwrap();
    assert_eq!(batches.len(), 2, "earlier batches stay in the history");
    assert!(batches[1].superseded_at.is_some());
}

#[test]
fn an_offence_extract_with_a_bad_row_changes_nothing_and_withholds_identifiers() {
    let mut db = fresh_db();
    let good = "police_id,offence_date,offence_group,proven_on\nZZ0001,2025-09-01,shoplifting,\n";
    run(&mut db.conn, None, ImportKind::Offences, good).unwrap();
    let bad = "police_id,offence_date,offence_group,proven_on\nZZ0002,2025-09-01,shoplifting,\nBAD*ID,2025-09-01,arson,2025-08-01\n";
    let errors = invalid(run(&mut db.conn, None, ImportKind::Offences, bad));
    let cols: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(cols, ["police_id", "offence_group", "proven_on"]);
    assert_eq!(errors[0].value, "(withheld)");
    assert!(!format!("{errors:?}").contains("BAD*ID"));
    assert_eq!(
        store::offences::count(&mut db.conn).unwrap(),
        1,
        "the earlier extract is intact"
    );
}

#[test]
fn no_clear_police_identifier_is_stored_after_imports() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    casework(&mut db.conn, org);
    run(
        &mut db.conn,
        None,
        ImportKind::Offences,
        "police_id,offence_date,offence_group,proven_on\nZZ 0001,2025-09-01,shoplifting,\nzz0003,2025-10-01,robbery,\n",
    )
    .unwrap();
    let dump = crate::helpers::dump_database(&mut db.conn);
    for clear in ["ZZ0001", "ZZ 0001", "zz0003", "ZZ0003"] {
        assert!(!dump.contains(clear), "{clear} found in the database");
    }
    // The same person gets the same key from a casework file and a police extract.
    let keys: Vec<String> = store::participants::of_organisation(&mut db.conn, org)
        .unwrap()
        .into_iter()
        .filter_map(|p| p.fields.person_key)
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(
        dump.matches(&keys[0]).count() >= 2,
        "participant and offence share the key"
    );
}

#[test]
fn import_then_export_then_import_into_an_empty_database_gives_identical_records() {
    use outcomes::exports::export;
    let mut first = fresh_db();
    let org = provider(&mut first.conn, "Provider A");
    casework(&mut first.conn, org);
    run(
        &mut first.conn,
        None,
        ImportKind::Measures,
        "name,min,max,higher_is_better\n=Feels safe (1-5),1,5,true\nAnger (-2..2),-2,2,false\n",
    )
    .unwrap();
    run(
        &mut first.conn,
        Some(org),
        ImportKind::Sessions,
        "session_ref,programme,date,kind,duration_minutes,headcount,district,venue\n\
         S1,Mentoring,2025-06-15,one_to_one,60,0,District A,\"Office, 1st floor\"\n\
         S2,Immediate Justice,2025-06-20,reparation,240,3,District B,@Allotment\n",
    )
    .unwrap();
    run(
        &mut first.conn,
        Some(org),
        ImportKind::Attendance,
        "session_ref,referral_ref,status,hours\nS2,R2,attended,3.5\nS1,R1,cancelled,\n",
    )
    .unwrap();
    run(
        &mut first.conn,
        Some(org),
        ImportKind::Outcomes,
        "referral_ref,measure,timepoint,recorded_on,value\nR1,=Feels safe (1-5),baseline,2025-05-03,2\nR1,Anger (-2..2),exit,2025-07-01,-1.5\n",
    )
    .unwrap();
    let kinds = [
        ImportKind::Programmes,
        ImportKind::Measures,
        ImportKind::Participants,
        ImportKind::Referrals,
        ImportKind::Sessions,
        ImportKind::Attendance,
        ImportKind::Outcomes,
    ];
    let exported: Vec<String> = kinds
        .iter()
        .map(|k| String::from_utf8(export(&mut first.conn, org, *k).unwrap()).unwrap())
        .collect();
    // A formula-like text cell is neutralised in the file.
    assert!(exported[1].contains("'=Feels safe"), "{}", exported[1]);
    assert!(exported[4].contains("'@Allotment"));

    let mut second = fresh_db();
    let org2 = provider(&mut second.conn, "Provider A");
    for (kind, csv) in kinds.iter().zip(&exported) {
        let org = (*kind != ImportKind::Measures).then_some(org2);
        let s = run(&mut second.conn, org, *kind, csv).unwrap();
        assert_eq!(s.updated + s.unchanged, 0, "{kind}: all new");
    }
    let again: Vec<String> = kinds
        .iter()
        .map(|k| String::from_utf8(export(&mut second.conn, org2, *k).unwrap()).unwrap())
        .collect();
    assert_eq!(exported, again);
    let names: Vec<String> = store::measures::all(&mut second.conn)
        .unwrap()
        .into_iter()
        .map(|m| m.fields.name)
        .collect();
    assert!(
        names.contains(&"=Feels safe (1-5)".to_string()),
        "{names:?}"
    );
    // Person keys survive the round trip (the export carries the key, not an identifier).
    let keys = |c: &mut DbConn, o| {
        store::participants::of_organisation(c, o)
            .unwrap()
            .into_iter()
            .map(|p| p.fields)
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&mut first.conn, org), keys(&mut second.conn, org2));
}

#[test]
fn each_import_that_changes_something_is_an_audit_event_and_the_chain_verifies() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    casework(&mut db.conn, org);
    // Unchanged: no batch, no event.
    run(&mut db.conn, Some(org), ImportKind::Referrals, REFERRALS).unwrap();
    let filter = store::audit::Filter {
        action: Some(outcomes::domain::enums::AuditAction::Import),
        ..Default::default()
    };
    let (events, total) = store::audit::list(&mut db.conn, &filter, 1, 50).unwrap();
    assert_eq!(total, 3, "programmes, participants, referrals");
    assert!(events.iter().all(|e| e.organisation_id == Some(org.0)));
    assert!(events
        .iter()
        .any(|e| e.detail.contains("kind=referrals rows=4 added=4")));
    // No police identifier in the trail.
    assert!(events.iter().all(|e| !e.detail.contains("ZZ")));
    let check = store::audit::verify(&mut db.conn).unwrap();
    assert_eq!(check.problem, None);
    // The organisation's creation and the three imports.
    assert_eq!(check.events, 4);
}

#[test]
fn a_bad_row_after_many_written_buffers_still_leaves_the_previous_extract_whole() {
    use std::fmt::Write;
    let mut db = fresh_db();
    let first = "police_id,offence_date,offence_group,proven_on\nZZ0001,2025-09-01,shoplifting,\n";
    run(&mut db.conn, None, ImportKind::Offences, first).unwrap();
    // 25,000 good rows (several buffers are written before the bad one is read).
    let mut big = String::from("police_id,offence_date,offence_group,proven_on\n");
    for i in 0..25_000 {
        writeln!(big, "PN{i:07},2024-01-{:02},public_order,", i % 28 + 1).unwrap();
    }
    big.push_str("PN9999999,2024-02-30,public_order,\n");
    let errors = invalid(run(&mut db.conn, None, ImportKind::Offences, &big));
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].line, errors[0].column.as_str()),
        (25_002, "offence_date")
    );
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 1);
    // The fixed file replaces it, and the person-key index is there afterwards.
    let fixed = big.replace("2024-02-30", "2024-02-28");
    let s = run(&mut db.conn, None, ImportKind::Offences, &fixed).unwrap();
    assert_eq!(s.inserted, 25_001);
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 25_001);
    if let DbConn::Sqlite(c) = &mut db.conn {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let n: N = diesel::sql_query(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND name = 'offence_records_person_date_idx'",
        )
        .get_result(c)
        .unwrap();
        assert_eq!(n.n, 1);
    }
}

/// An offence extract of `rows` rows (person `ZZ{i % people}`), as of 2026-10-31.
fn extract(rows: usize, people: usize) -> String {
    use std::fmt::Write;
    let mut csv = String::from("police_id,offence_date,offence_group,proven_on\n");
    for i in 0..rows {
        writeln!(
            csv,
            "ZZ{:04},2025-{:02}-01,shoplifting,",
            i % people,
            i % 12 + 1
        )
        .unwrap();
    }
    csv
}

fn import_extract(
    conn: &mut DbConn,
    csv: &str,
    confirm_shrink: bool,
) -> Result<ImportSummary, ImportError> {
    let secret = secret();
    let ctx = ImportContext {
        organisation: None,
        user: None,
        secret: &secret,
        today: today(),
        extract_date: NaiveDate::from_ymd_opt(2026, 10, 31),
        confirm_shrink,
    };
    import(
        conn,
        &ctx,
        ImportKind::Offences,
        "extract.csv",
        &Source::Bytes(csv.as_bytes().to_vec()),
        &mut |_| {},
    )
}

fn statuses(conn: &mut DbConn) -> Vec<(i64, bool, bool)> {
    store::import_batches::list(conn, Some(ImportKind::Offences), None)
        .unwrap()
        .into_iter()
        .map(|b| (b.rows_total, b.superseded_at.is_none(), b.restorable))
        .collect()
}

#[test]
fn an_extract_of_fewer_than_half_the_current_rows_is_refused_with_both_counts_unless_confirmed() {
    let mut db = fresh_db();
    let org = provider(&mut db.conn, "Provider A");
    casework(&mut db.conn, org);
    // 10 rows about 5 people; P1 (ZZ 0001) and P3 (zz0003) are participants.
    let s = import_extract(&mut db.conn, &extract(10, 5), false).unwrap();
    let x = s
        .extract
        .expect("an extract import says what the extract holds");
    assert_eq!((x.rows, x.people, x.matched_participants), (10, 5, 2));
    // 4 rows is fewer than half of 10: refused, both counts named, nothing changed.
    let err = import_extract(&mut db.conn, &extract(4, 4), false).unwrap_err();
    let ImportError::Refused(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("has 4 rows"), "{message}");
    assert!(
        message.contains("the 10 rows of the current extract"),
        "{message}"
    );
    assert!(message.contains("--confirm-shrink"), "{message}");
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 10);
    assert_eq!(statuses(&mut db.conn), [(10, true, false)]);
    // Exactly half is not a shrink that needs confirming.
    let half = import_extract(&mut db.conn, &extract(5, 5), false).unwrap();
    assert_eq!(half.rows, 5);
    // Confirmed, a smaller one applies.
    let s = import_extract(&mut db.conn, &extract(2, 2), true).unwrap();
    let x = s.extract.unwrap();
    assert_eq!((x.rows, x.people, x.matched_participants), (2, 2, 1));
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 2);
}

#[test]
fn the_previous_extract_is_restorable_until_the_next_import_and_a_restore_can_be_undone() {
    let mut db = fresh_db();
    // Nothing to restore yet.
    assert!(matches!(
        outcomes::imports::restore(&mut db.conn, None),
        Err(ImportError::Refused(_))
    ));
    import_extract(&mut db.conn, &extract(10, 5), false).unwrap();
    assert!(matches!(
        outcomes::imports::restore(&mut db.conn, None),
        Err(ImportError::Refused(_))
    ));
    import_extract(&mut db.conn, &extract(3, 3), true).unwrap();
    // Newest first: the 3-row extract is current, the 10-row one restorable.
    assert_eq!(
        statuses(&mut db.conn),
        [(3, true, false), (10, false, true)]
    );
    let r = outcomes::imports::restore(&mut db.conn, None).unwrap();
    assert_eq!(r.restored.rows_total, 10);
    assert_eq!((r.stats.rows, r.stats.people), (10, 5));
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 10);
    assert_eq!(
        statuses(&mut db.conn),
        [(3, false, true), (10, true, false)]
    );
    // Undone by restoring again; then a new import keeps only the one it replaces.
    outcomes::imports::restore(&mut db.conn, None).unwrap();
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 3);
    import_extract(&mut db.conn, &extract(6, 6), false).unwrap();
    assert_eq!(
        statuses(&mut db.conn),
        [(6, true, false), (3, false, true), (10, false, false)]
    );
    outcomes::imports::restore(&mut db.conn, None).unwrap();
    assert_eq!(store::offences::count(&mut db.conn).unwrap(), 3);
    // Restores are audited and the chain verifies; the person-key index is in place.
    let filter = store::audit::Filter {
        action: Some(outcomes::domain::enums::AuditAction::Restore),
        ..Default::default()
    };
    let (events, total) = store::audit::list(&mut db.conn, &filter, 1, 50).unwrap();
    assert_eq!(total, 3);
    assert!(
        events[2].detail.contains("rows=10 people=5"),
        "{}",
        events[2].detail
    );
    assert_eq!(store::audit::verify(&mut db.conn).unwrap().problem, None);
    let again = import_extract(&mut db.conn, &extract(3, 3), false).unwrap();
    assert_eq!(
        again.batch_id, None,
        "the restored extract is current again"
    );
}
