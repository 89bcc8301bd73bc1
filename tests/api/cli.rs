//! The command line, run as a user would run it.

use std::process::Command;

pub(crate) fn outcomes(
    args: &[&str],
    database_url: &str,
    dir: &std::path::Path,
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_outcomes"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("OUTCOMES_KEY_FILE", dir.join("outcomes.key"))
        .env("OUTCOMES_LOG", "warn")
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// `outcomes` on a database an in-process test application writes: with the audit key
/// the test applications use (`helpers::test_settings`).
pub(crate) fn outcomes_as_app(
    args: &[&str],
    database_url: &str,
    dir: &std::path::Path,
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_outcomes"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("OUTCOMES_KEY_FILE", dir.join("outcomes.key"))
        .env(
            "OUTCOMES_AUDIT_KEY",
            hex::encode(outcomes::store::audit::UNINSTALLED_KEY),
        )
        .env("OUTCOMES_LOG", "warn")
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

#[test]
fn an_unknown_database_scheme_fails_at_once_with_one_line_naming_the_accepted_forms() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["mysql://x", "nonsense"] {
        let out = outcomes(&["migrate"], url, dir.path());
        assert!(!out.status.success(), "{url} must fail");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("sqlite://PATH"), "{stderr}");
        assert!(stderr.contains("postgres://"), "{stderr}");
        // Never a stray SQLite file named after the URL.
        let stray: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(stray.is_empty(), "nothing is created: {stray:?}");
    }
}

#[test]
fn migrate_creates_the_database_folder_on_first_run_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let url = if url.starts_with("sqlite") {
        format!(
            "sqlite://{}",
            dir.path().join("new/folder/outcomes.db").display()
        )
    } else {
        url
    };
    let first = outcomes(&["migrate"], &url, dir.path());
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // Every migration of the backend's set, on a new database.
    let set = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let migrations = std::fs::read_dir(format!("{}/migrations/{set}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .count();
    assert!(migrations >= 2);
    assert!(
        String::from_utf8_lossy(&first.stdout).starts_with(&format!("{migrations} ")),
        "{}",
        String::from_utf8_lossy(&first.stdout)
    );
    let again = outcomes(&["migrate"], &url, dir.path());
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).starts_with('0'));
    if url.starts_with("sqlite") {
        assert!(dir.path().join("new/folder/outcomes.db").exists());
    }
}

#[test]
fn org_add_adds_once_and_refuses_a_duplicate_name() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let out = outcomes(
        &["org", "add", "--name", "Remedi", "--kind", "provider"],
        &url,
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("added provider 'Remedi'"));
    let dup = outcomes(
        &["org", "add", "--name", "Remedi", "--kind", "provider"],
        &url,
        dir.path(),
    );
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let bad = outcomes(
        &["org", "add", "--name", "X", "--kind", "charity"],
        &url,
        dir.path(),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("provider, commissioner, vru"));
}

#[test]
fn every_command_has_help_naming_its_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let out = outcomes(&["--help"], "sqlite://x.db", dir.path());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["serve", "migrate", "org", "DATABASE_URL", "OUTCOMES_LOG"] {
        assert!(text.contains(needle), "--help mentions {needle}: {text}");
    }
    let serve = outcomes(&["serve", "--help"], "sqlite://x.db", dir.path());
    assert!(String::from_utf8_lossy(&serve.stdout).contains("OUTCOMES_BIND"));
    let org = outcomes(&["org", "add", "--help"], "sqlite://x.db", dir.path());
    assert!(String::from_utf8_lossy(&org.stdout).contains("--kind"));
}

#[test]
fn import_and_report_from_the_command_line_write_a_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let d = dir.path();
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(outcomes(
        &["org", "add", "--name", "Provider A", "--kind", "provider"],
        &url,
        d,
    ));
    std::fs::write(d.join("p.csv"), crate::imports::PROGRAMMES).unwrap();
    std::fs::write(d.join("pt.csv"), crate::imports::PARTICIPANTS).unwrap();
    std::fs::write(d.join("r.csv"), crate::imports::REFERRALS).unwrap();
    for (kind, file) in [
        ("programmes", "p.csv"),
        ("participants", "pt.csv"),
        ("referrals", "r.csv"),
    ] {
        let out = ok(outcomes(
            &["import", kind, file, "--organisation", "Provider A"],
            &url,
            d,
        ));
        assert!(out.contains("imported"), "{out}");
    }
    let again = ok(outcomes(
        &[
            "import",
            "referrals",
            "r.csv",
            "--organisation",
            "Provider A",
        ],
        &url,
        d,
    ));
    assert!(again.contains("nothing changed"), "{again}");
    ok(outcomes(
        &[
            "report",
            "--programme",
            "Mentoring",
            "--period",
            "2025-26",
            "--format",
            "json",
            "--output",
            "report.json",
        ],
        &url,
        d,
    ));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["programme"], "Mentoring");
    assert_eq!(json["period"]["from"], "2025-04-01");
    // R1 (2025-05-01) and R3 (2025-06-10) are Mentoring referrals in 2025-26.
    assert_eq!(json["engagement"]["referrals_received"], 2);
    assert_eq!(json["reoffending"]["follow_up_months"], 12);
    // The other formats: CSV to standard output, XLSX to a file.
    let csv = ok(outcomes(
        &[
            "report",
            "--programme",
            "Mentoring",
            "--period",
            "2025-26",
            "--format",
            "csv",
        ],
        &url,
        d,
    ));
    assert!(csv.starts_with("section,metric,group,value,suppressed\n"));
    assert!(
        csv.contains("\nengagement,referrals_received,,2,false\n"),
        "{csv}"
    );
    ok(outcomes(
        &[
            "report",
            "--programme",
            "Mentoring",
            "--period",
            "2025-26",
            "--format",
            "xlsx",
            "--output",
            "report.xlsx",
        ],
        &url,
        d,
    ));
    assert!(std::fs::read(d.join("report.xlsx"))
        .unwrap()
        .starts_with(b"PK"));
    let unknown = outcomes(
        &[
            "report",
            "--programme",
            "Mentoring",
            "--period",
            "2025-26",
            "--format",
            "docx",
        ],
        &url,
        d,
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("json, csv, xlsx, pdf, html"));
    let bad = outcomes(
        &["report", "--programme", "Mentoring", "--period", "2025/26"],
        &url,
        d,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("like 2025-26"));
}

#[test]
fn the_demo_creates_and_prints_a_login_for_every_role() {
    use outcomes::domain::credentials::Email;
    use outcomes::domain::enums::Role;
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let out = outcomes(&["demo", "--scale", "small"], &url, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(outcomes::cli::DEMO_PASSWORD));
    let mut conn = outcomes::db::DatabaseUrl::parse(&url)
        .unwrap()
        .connect()
        .unwrap();
    let mut roles = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| l.contains(".demo.invalid")) {
        let email = line.split_whitespace().find(|w| w.contains('@')).unwrap();
        let user = outcomes::store::users::find_by_email(&mut conn, &Email::parse(email).unwrap())
            .unwrap()
            .unwrap_or_else(|| panic!("{email} was printed but not created"));
        roles.insert(user.role);
    }
    assert_eq!(
        roles.len(),
        Role::ALL.len(),
        "a login for every role: {roles:?}"
    );
    // Run again: nothing changes, the logins are printed again.
    let again = outcomes(&["demo"], &url, dir.path());
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already in this database"));
}
