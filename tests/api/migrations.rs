//! The two migration sets must describe the same tables and columns.

use std::collections::BTreeMap;

use diesel::sql_types::{Bool, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl};
use outcomes::db::{self, DatabaseUrl, DbConn};

#[derive(QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

type Shape = BTreeMap<String, Vec<(String, bool)>>;

fn shape(columns: Vec<Column>) -> Shape {
    let mut out: Shape = BTreeMap::new();
    for c in columns {
        if c.table_name.starts_with("__diesel") {
            continue;
        }
        out.entry(c.table_name)
            .or_default()
            .push((c.column_name, c.nullable));
    }
    for cols in out.values_mut() {
        cols.sort();
    }
    out
}

fn sqlite_shape() -> Shape {
    let dir = tempfile::tempdir().unwrap();
    let url =
        DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("s.db").display())).unwrap();
    let mut conn = url.connect().unwrap();
    db::migrate(&mut conn).unwrap();
    let DbConn::Sqlite(ref mut c) = conn else {
        unreachable!()
    };
    let cols: Vec<Column> = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, \
                (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
    )
    .load(c)
    .unwrap();
    shape(cols)
}

fn postgres_shape(url: &str) -> Shape {
    let mut multi = DbConn::Postgres(diesel::PgConnection::establish(url).unwrap());
    db::migrate(&mut multi).unwrap();
    let DbConn::Postgres(mut conn) = multi else {
        unreachable!()
    };
    let cols: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                (is_nullable = 'YES') AS nullable \
         FROM information_schema.columns WHERE table_schema = current_schema()",
    )
    .load(&mut conn)
    .unwrap();
    shape(cols)
}

/// Tables and columns named in a migration file, for when no PostgreSQL is configured.
fn declared_shape(sql: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in sql.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            current = rest.split_whitespace().next().map(str::to_string);
            out.insert(current.clone().unwrap(), Vec::new());
        } else if line.starts_with(')') {
            current = None;
        } else if let Some(t) = &current {
            let word = line.split_whitespace().next().unwrap_or("");
            if !word.is_empty()
                && !["UNIQUE", "CHECK", "FOREIGN", "--", "PRIMARY"]
                    .iter()
                    .any(|k| word.starts_with(k))
            {
                out.get_mut(t).unwrap().push(word.to_string());
            }
        }
    }
    for cols in out.values_mut() {
        cols.sort();
    }
    out
}

#[test]
fn both_migration_sets_declare_the_same_tables_and_columns() {
    let sqlite_sql = include_str!("../../migrations/sqlite/2026-11-22-000001_initial/up.sql");
    let pg_sql = include_str!("../../migrations/postgres/2026-11-22-000001_initial/up.sql");
    let sqlite = declared_shape(sqlite_sql);
    assert_eq!(sqlite, declared_shape(pg_sql));
    // The whole domain of DESIGN.md section 2 is there.
    for table in [
        "organisations",
        "users",
        "api_tokens",
        "login_sessions",
        "funding_streams",
        "allocations",
        "programmes",
        "targets",
        "participants",
        "referrals",
        "sessions",
        "attendance",
        "outcome_measures",
        "outcome_records",
        "group_surveys",
        "offence_records",
        "import_batches",
        "audit_events",
    ] {
        assert!(sqlite.contains_key(table), "missing table {table}");
    }
    // What SQLite really built matches what the file declares, plus the columns later
    // migrations add.
    let built = sqlite_shape();
    let built_names: BTreeMap<String, Vec<String>> = built
        .iter()
        .map(|(t, cols)| (t.clone(), cols.iter().map(|(c, _)| c.clone()).collect()))
        .collect();
    let mut expected = sqlite;
    let attendance = expected.get_mut("attendance").unwrap();
    attendance.push("session_date".to_string()); // 2026-11-30-000001_report_storage
    attendance.sort();
    let batches = expected.get_mut("import_batches").unwrap();
    batches.push("restorable".to_string()); // 2026-12-06-000001_restorable_extract
    batches.sort();
    // 2026-12-07-000001_corrections: void marks, and the participant a record merged into.
    for table in [
        "participants",
        "referrals",
        "sessions",
        "outcome_records",
        "group_surveys",
    ] {
        let cols = expected.get_mut(table).unwrap();
        cols.extend(["voided_at", "voided_by", "voided_reason"].map(String::from));
        if table == "participants" {
            cols.push("merged_into".to_string());
        }
        cols.sort();
    }
    // 2026-12-08-000001_matching_attributes: month of birth and gender from the extract,
    // on the current and the previous extract's table.
    let offences = expected.get_mut("offence_records").unwrap();
    offences.extend(["birth_month", "gender"].map(String::from));
    offences.sort();
    let previous = offences.clone();
    expected.insert("offence_records_previous".to_string(), previous);
    // 2026-12-08-000002_accounts: two-factor sign-in, forced password changes, the stage
    // of a session's sign-in, token expiry, and the recovery codes.
    for (table, cols) in [
        (
            "users",
            &[
                "totp_secret",
                "totp_enabled_at",
                "totp_last_step",
                "must_change_password",
            ][..],
        ),
        ("login_sessions", &["stage", "second_factor_at"][..]),
        ("api_tokens", &["expires_at"][..]),
    ] {
        let c = expected.get_mut(table).unwrap();
        c.extend(cols.iter().map(|s| s.to_string()));
        c.sort();
    }
    expected.insert(
        "recovery_codes".to_string(),
        ["code_hash", "created_at", "id", "used_at", "user_id"]
            .map(String::from)
            .to_vec(),
    );
    // 2026-12-09-000001_data_protection_a: each programme's lawful basis and police
    // linkage, a referral's objection to linkage, the privacy notice's settings and the
    // access log.
    for (table, cols) in [
        (
            "programmes",
            &["lawful_basis", "offence_data_condition", "police_linkage"][..],
        ),
        ("referrals", &["linkage_objection"][..]),
    ] {
        let c = expected.get_mut(table).unwrap();
        c.extend(cols.iter().map(|s| s.to_string()));
        c.sort();
    }
    expected.insert(
        "service_settings".to_string(),
        ["name", "updated_at", "updated_by", "value"]
            .map(String::from)
            .to_vec(),
    );
    expected.insert(
        "access_log".to_string(),
        [
            "hash",
            "id",
            "occurred_at",
            "organisation_id",
            "page",
            "prev_hash",
            "role",
            "subject",
            "user_id",
        ]
        .map(String::from)
        .to_vec(),
    );
    // 2026-12-09-000002_data_protection_b: retention periods, evaluation holds, erasure
    // records and the report archive, the same on both backends.
    assert_eq!(
        declared_shape(include_str!(
            "../../migrations/sqlite/2026-12-09-000002_data_protection_b/up.sql"
        )),
        declared_shape(include_str!(
            "../../migrations/postgres/2026-12-09-000002_data_protection_b/up.sql"
        ))
    );
    for (table, cols) in [
        (
            "retention_periods",
            &["id", "months", "programme_id", "updated_at", "updated_by"][..],
        ),
        (
            "evaluation_holds",
            &[
                "ends_on",
                "id",
                "programme_id",
                "reason",
                "set_at",
                "set_by",
            ][..],
        ),
        (
            "erasures",
            &[
                "counts",
                "erased_at",
                "erased_by",
                "id",
                "organisation_id",
                "override_reason",
                "reason",
                "via",
            ][..],
        ),
        (
            "report_archive",
            &[
                "archived_at",
                "audience",
                "figures",
                "figures_sha256",
                "format",
                "id",
                "input_sha256",
                "mode",
                "parameters",
                "period_from",
                "period_to",
                "programme_ids",
                "scope",
                "scope_name",
                "user_id",
                "via",
            ][..],
        ),
    ] {
        expected.insert(
            table.to_string(),
            cols.iter().map(|c| c.to_string()).collect(),
        );
    }
    // 2026-12-09-000003_upload_preview: undo, failed uploads, held previews.
    let batches = expected.get_mut("import_batches").unwrap();
    batches.extend(["reverted_at", "reverted_by"].map(String::from));
    batches.sort();
    for (table, cols) in [
        (
            "import_changes",
            &[
                "entity",
                "id",
                "import_batch_id",
                "new_fields",
                "old_fields",
                "record_id",
            ][..],
        ),
        (
            "failed_uploads",
            &[
                "created_at",
                "created_by",
                "error_count",
                "errors",
                "file_name",
                "id",
                "kind",
                "organisation_id",
            ][..],
        ),
        (
            "pending_uploads",
            &[
                "content",
                "created_at",
                "expires_at",
                "file_name",
                "id",
                "id_hash",
                "kind",
                "login_session_id",
                "organisation_id",
            ][..],
        ),
    ] {
        expected.insert(
            table.to_string(),
            cols.iter().map(|c| c.to_string()).collect(),
        );
    }
    // 2026-12-10-000001_return_narrative: the provider's narrative on a quarterly return.
    let returns = expected.get_mut("quarterly_returns").unwrap();
    returns.push("narrative".to_string());
    returns.sort();
    // 2026-12-10-000315_find_search: the people a one-to-one session is for.
    expected.insert(
        "session_participants".to_string(),
        [
            "created_at",
            "id",
            "programme_id",
            "referral_id",
            "session_id",
        ]
        .map(String::from)
        .to_vec(),
    );
    // 2026-12-10-150001_forms_outcome_frameworks: each programme's outcome measures.
    let frameworks = "2026-12-10-150001_forms_outcome_frameworks/up.sql";
    assert_eq!(
        declared_shape(include_str!(
            "../../migrations/sqlite/2026-12-10-150001_forms_outcome_frameworks/up.sql"
        )),
        declared_shape(include_str!(
            "../../migrations/postgres/2026-12-10-150001_forms_outcome_frameworks/up.sql"
        )),
        "{frameworks}"
    );
    expected.insert(
        "programme_measures".to_string(),
        ["measure_id", "position", "programme_id"]
            .map(String::from)
            .to_vec(),
    );
    // 2026-12-11-000900_data_versions: the versions the report cache keys on.
    expected.insert(
        "data_versions".to_string(),
        ["scope", "version"].map(String::from).to_vec(),
    );
    assert_eq!(built_names, expected);
}

/// A new database migrated to the first migration only (as a service of 2026-11-22 left
/// it).
fn database_at_the_first_migration(url: &str) -> DbConn {
    use diesel_migrations::MigrationHarness;
    let mut conn = DatabaseUrl::parse(url).unwrap().connect().unwrap();
    match &mut conn {
        DbConn::Sqlite(c) => {
            c.run_next_migration(db::SQLITE_MIGRATIONS).unwrap();
        }
        DbConn::Postgres(c) => {
            c.run_next_migration(db::POSTGRES_MIGRATIONS).unwrap();
        }
    }
    conn
}

const OLD_RECORDS: &str = "
INSERT INTO organisations (id, name, kind, created_at) VALUES (1, 'Provider A', 'provider', '2025-01-01 00:00:00');
INSERT INTO programmes (id, organisation_id, name, kind, delivery, starts_on, description, created_at, updated_at)
    VALUES (1, 1, 'Mentoring', 'mentoring', 'individual', '2024-04-01', '', '2025-01-01 00:00:00', '2025-01-01 00:00:00');
INSERT INTO participants (id, organisation_id, reference, created_at, updated_at)
    VALUES (1, 1, 'P1', '2025-01-01 00:00:00', '2025-01-01 00:00:00');
INSERT INTO referrals (id, organisation_id, reference, participant_id, programme_id, referred_on, source, decision, decided_on, created_at, updated_at)
    VALUES (1, 1, 'R1', 1, 1, '2024-05-01', 'police', 'accepted', '2024-05-02', '2025-01-01 00:00:00', '2025-01-01 00:00:00');
INSERT INTO sessions (id, organisation_id, reference, programme_id, date, kind, created_at, updated_at)
    VALUES (1, 1, 'S1', 1, '2024-05-10', 'one_to_one', '2025-01-01 00:00:00', '2025-01-01 00:00:00'),
           (2, 1, 'S2', 1, '2024-06-10', 'one_to_one', '2025-01-01 00:00:00', '2025-01-01 00:00:00'),
           (3, 1, 'S3', 1, '2024-07-10', 'one_to_one', '2025-01-01 00:00:00', '2025-01-01 00:00:00');
INSERT INTO attendance (id, session_id, referral_id, programme_id, status, hours, created_at, updated_at)
    VALUES (1, 1, 1, 1, 'attended', 1.0, '2025-01-01 00:00:00', '2025-01-01 00:00:00'),
           (2, 2, 1, 1, 'did_not_attend', NULL, '2025-01-01 00:00:00', '2025-01-01 00:00:00');
";

fn session_dates(conn: &mut DbConn) -> Vec<(i64, String)> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        d: String,
    }
    let sql = match conn {
        DbConn::Sqlite(_) => "SELECT id, session_date AS d FROM attendance ORDER BY id",
        DbConn::Postgres(_) => "SELECT id, session_date::text AS d FROM attendance ORDER BY id",
    };
    diesel::sql_query(sql)
        .load::<Line>(conn)
        .unwrap()
        .into_iter()
        .map(|l| (l.id, l.d))
        .collect()
}

#[test]
fn upgrading_gives_existing_attendance_its_sessions_dates_and_keeps_them_in_step() {
    use diesel::connection::SimpleConnection;
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let mut conn = database_at_the_first_migration(&url);
    match &mut conn {
        DbConn::Sqlite(c) => c.batch_execute(OLD_RECORDS).unwrap(),
        DbConn::Postgres(c) => c.batch_execute(OLD_RECORDS).unwrap(),
    }
    // The report storage migration, and every one after it.
    let later = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count()
        - 1;
    assert_eq!(
        db::migrate(&mut conn).unwrap(),
        later,
        "the report storage migration and those after it"
    );
    assert_eq!(
        session_dates(&mut conn),
        vec![(1, "2024-05-10".to_string()), (2, "2024-06-10".to_string())]
    );
    // A session's new date is its attendance's.
    diesel::sql_query("UPDATE sessions SET date = '2024-05-11' WHERE id = 1")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(session_dates(&mut conn)[0], (1, "2024-05-11".to_string()));
    // Attendance can have no other date than its session's.
    let wrong = diesel::sql_query(
        "INSERT INTO attendance (id, session_id, referral_id, programme_id, status, created_at, updated_at, session_date) \
         VALUES (3, 3, 1, 1, 'attended', '2025-01-01 00:00:00', '2025-01-01 00:00:00', '2024-07-11')",
    )
    .execute(&mut conn);
    assert!(
        matches!(
            wrong,
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _
            ))
        ),
        "{wrong:?}"
    );
    let wrong = diesel::sql_query("UPDATE attendance SET session_date = '2024-06-11' WHERE id = 2")
        .execute(&mut conn);
    assert!(
        matches!(
            wrong,
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _
            ))
        ),
        "{wrong:?}"
    );
}

#[test]
fn sqlite_and_postgres_build_the_same_columns_with_the_same_nullability() {
    let Some(_) = crate::helpers::postgres_url() else {
        // On SQLite-only runs the declared-shape test above covers the files; this one
        // needs a server and runs in the PostgreSQL pass of .ci/run.
        let sqlite = sqlite_shape();
        assert!(sqlite["referrals"]
            .iter()
            .any(|(c, n)| c == "referred_on" && !n));
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    assert_eq!(sqlite_shape(), postgres_shape(&url));
}
