//! Comparisons ("Compared with what?"), run as a user would: generated files imported with
//! the command line, reports asked for with `--compare-programme`, `--compare-group` and
//! `--compare-matched`, and every field of `reoffending.comparison` checked against an
//! independent implementation of the definitions (scripts/comparison_oracle.py, Python
//! with SciPy), on SQLite and PostgreSQL.

use serde_json::Value;

use crate::cli::outcomes;

/// A small deterministic generator (xorshift64*), so the files are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn day(&mut self, from: &str, days: u64) -> chrono::NaiveDate {
        from.parse::<chrono::NaiveDate>().unwrap() + chrono::Duration::days(self.below(days) as i64)
    }
}

const GENDERS: [&str; 4] = ["female", "male", "other", "not_known"];
const GROUPS: [&str; 4] = [
    "robbery",
    "shoplifting",
    "public_order",
    "violence_with_injury",
];

/// Writes the files of a small world: programmes Alpha and Beta of one provider, their
/// participants and referrals, an offence extract as of 2025-11-30 with months of birth
/// and genders (some missing, some disagreeing between rows), and a comparison group.
fn write_world(dir: &std::path::Path) {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut participants = String::from("reference,police_id,date_of_birth,gender\n");
    let mut referrals = String::from("referral_ref,participant_ref,programme,referred_on,source\n");
    let mut offences =
        String::from("police_id,offence_date,offence_group,proven_on,date_of_birth,gender\n");
    let mut history = |rng: &mut Rng, id: &str, born: &str, gender: &str, rate: u64| {
        let n = rng.below(6) + if rng.chance(rate) { 2 } else { 0 };
        for _ in 0..n {
            let on = rng.day("2021-06-01", 1600);
            if on > "2025-11-30".parse().unwrap() {
                continue;
            }
            let proven = if rng.chance(75) {
                let p = on + chrono::Duration::days(rng.below(240) as i64);
                if p <= "2025-11-30".parse().unwrap() {
                    p.to_string()
                } else {
                    String::new()
                }
            } else {
                String::new()
            };
            // Most rows carry the month of birth and gender; some leave them out, and a
            // few rows of the pool say something else (the latest offence's row wins).
            let (b, g) = match rng.below(20) {
                0 => (String::new(), String::new()),
                1 => (
                    born[..7].to_string(),
                    GENDERS[rng.below(4) as usize].to_string(),
                ),
                _ => (born.to_string(), gender.to_string()),
            };
            offences.push_str(&format!(
                "{id},{on},{},{proven},{b},{g}\n",
                GROUPS[rng.below(4) as usize]
            ));
        }
    };
    let mut n = 0;
    for (programme, people, rate) in [("Alpha", 320, 35), ("Beta", 260, 55)] {
        for _ in 0..people {
            n += 1;
            let born = rng.day("1995-01-01", 6000);
            let gender = GENDERS[rng.below(4) as usize];
            let keyed = rng.chance(92);
            let police_id = if keyed {
                format!("TP{n:05}")
            } else {
                String::new()
            };
            participants.push_str(&format!("P{n:05},{police_id},{born},{gender}\n"));
            let on = rng.day("2023-01-01", 700);
            referrals.push_str(&format!("R{n:05}a,P{n:05},{programme},{on},police\n"));
            if rng.chance(10) {
                let later = on + chrono::Duration::days(1 + rng.below(100) as i64);
                referrals.push_str(&format!("R{n:05}b,P{n:05},{programme},{later},police\n"));
            }
            if keyed {
                history(&mut rng, &police_id, &born.to_string(), gender, rate);
            }
        }
    }
    for i in 0..1_400 {
        let born = rng.day("1990-01-01", 9000);
        let gender = GENDERS[rng.below(4) as usize];
        history(
            &mut rng,
            &format!("PL{i:05}"),
            &born.to_string(),
            gender,
            45,
        );
    }
    let mut group = String::from("police_id,index_date\n");
    for i in 0..240 {
        // Pool people, and a few the extract does not know (measurable, no offences).
        let id = if i % 12 == 0 {
            format!("GX{i:04}")
        } else {
            format!("PL{:05}", i * 5)
        };
        group.push_str(&format!("{id},{}\n", rng.day("2023-04-01", 365)));
    }
    let programmes = "name,kind,delivery,starts_on\n\
        Alpha,mentoring,individual,2022-04-01\n\
        Beta,mentoring,individual,2022-04-01\n";
    for (file, text) in [
        ("programmes.csv", programmes.to_string()),
        ("participants.csv", participants),
        ("referrals.csv", referrals),
        ("offences.csv", offences),
        ("group.csv", group),
    ] {
        std::fs::write(dir.join(file), text).unwrap();
    }
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn import_world(url: &str, d: &std::path::Path) {
    write_world(d);
    ok(outcomes(
        &["org", "add", "--name", "Provider A", "--kind", "provider"],
        url,
        d,
    ));
    for (kind, file) in [
        ("programmes", "programmes.csv"),
        ("participants", "participants.csv"),
        ("referrals", "referrals.csv"),
    ] {
        ok(outcomes(
            &["import", kind, file, "--organisation", "Provider A"],
            url,
            d,
        ));
    }
    ok(outcomes(
        &[
            "import",
            "offences",
            "offences.csv",
            "--extract-date",
            "2025-11-30",
        ],
        url,
        d,
    ));
    let imported = ok(outcomes(
        &[
            "import",
            "comparison-group",
            "group.csv",
            "--name",
            "the group",
        ],
        url,
        d,
    ));
    assert!(imported.contains("imported 240 rows"), "{imported}");
}

fn report(url: &str, d: &std::path::Path, compare: &[&str]) -> Value {
    let mut args = vec![
        "report",
        "--programme",
        "Alpha",
        "--period",
        "2023-24",
        "--format",
        "json",
    ];
    args.extend_from_slice(compare);
    serde_json::from_str(&ok(outcomes(&args, url, d))).unwrap()
}

fn oracle(d: &std::path::Path, compare: &str) -> Value {
    let out = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/comparison_oracle.py"
        ))
        .arg(d)
        .args([
            "2023-04-01",
            "2024-03-31",
            "2025-11-30",
            "12",
            "6",
            "Alpha",
            compare,
        ])
        .output()
        .expect("python3 runs (with SciPy: python3 -m pip install scipy)");
    assert!(
        out.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every field the oracle computes equals the report's: numbers to 1e-9 (relative: statrs' erfc, behind p, agrees with SciPy to about 1e-10), the
/// rest exactly.
fn agree(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-9 * b.abs().max(1e-3),
                "{path}: report {a}, oracle {b}"
            );
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: lengths");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                agree(x, y, &format!("{path}/{i}"));
            }
        }
        (Value::Object(_), Value::Object(b)) => {
            for (k, y) in b {
                agree(&got[k], y, &format!("{path}/{k}"));
            }
        }
        (a, b) => assert_eq!(a, b, "{path}"),
    }
}

fn check_against_the_oracle(url: &str, d: &std::path::Path) {
    // Another programme.
    let json = report(url, d, &["--compare-programme", "Beta"]);
    let c = &json["reoffending"]["comparison"];
    let want = oracle(d, "programme:Beta");
    agree(c, &want, "programme");
    assert_eq!(c["comparison_label"], "Beta");
    assert!(c["statement"].as_str().unwrap().len() > 20, "{c}");
    // The numbers are big enough to say something: the check is not of empty figures.
    assert!(c["treatment_measurable"].as_u64().unwrap() >= 60, "{c}");
    assert!(c["comparison_measurable"].as_u64().unwrap() >= 60, "{c}");
    // The imported group.
    let json = report(url, d, &["--compare-group", "the group"]);
    let c = &json["reoffending"]["comparison"];
    let mut want = oracle(d, "group");
    want["comparison_label"] = "the group".into();
    agree(c, &want, "group");
    // The matched comparison, balance table included.
    let json = report(url, d, &["--compare-matched"]);
    let c = &json["reoffending"]["comparison"];
    let want = oracle(d, "matched");
    let mut without_balance = want.clone();
    without_balance["matching"]
        .as_object_mut()
        .unwrap()
        .remove("balance");
    agree(c, &without_balance, "matched");
    let rows = c["matching"]["balance"].as_array().unwrap();
    let expected = want["matching"]["balance"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len(), "balance rows");
    for (row, e) in rows.iter().zip(expected) {
        agree(row, e, "balance");
    }
    assert!(c["matching"]["pool_size"].as_u64().unwrap() > 100, "{c}");
}

#[test]
fn every_comparison_agrees_with_an_independent_implementation() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    import_world(&url, dir.path());
    check_against_the_oracle(&url, dir.path());
}

#[test]
fn a_comparison_group_file_is_checked_and_replaced_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let d = dir.path();
    ok(outcomes(&["migrate"], &url, d));
    // The same person twice (after normalisation), a bad date and a date to come.
    std::fs::write(
        d.join("bad.csv"),
        "police_id,index_date\nab 1,2024-01-01\nAB1 ,2024-02-01\ncd2,2024-13-01\nef3,2999-01-01\n",
    )
    .unwrap();
    let out = outcomes(
        &["import", "comparison-group", "bad.csv", "--name", "G"],
        &url,
        d,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 3") && err.contains("also on line 2"),
        "{err}"
    );
    assert!(
        err.contains("line 4") && err.contains("index_date"),
        "{err}"
    );
    assert!(err.contains("line 5"), "{err}");
    assert!(
        !err.contains("AB1") && !err.contains("ab 1"),
        "no identifier shown: {err}"
    );
    // A name is required.
    std::fs::write(d.join("g.csv"), "police_id,index_date\nab-1,2024-01-01\n").unwrap();
    let out = outcomes(&["import", "comparison-group", "g.csv"], &url, d);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
    // Imported, the same again (nothing changes), then replaced.
    let first = ok(outcomes(
        &["import", "comparison-group", "g.csv", "--name", "G"],
        &url,
        d,
    ));
    assert!(first.contains("imported 1 rows"), "{first}");
    let again = ok(outcomes(
        &["import", "comparison-group", "g.csv", "--name", "G"],
        &url,
        d,
    ));
    assert!(again.contains("nothing changed"), "{again}");
    std::fs::write(
        d.join("g2.csv"),
        "police_id,index_date\nzz-9,2024-01-01\nyy-8,2024-01-02\n",
    )
    .unwrap();
    ok(outcomes(
        &["import", "comparison-group", "g2.csv", "--name", "G"],
        &url,
        d,
    ));
    let mut conn = outcomes::db::DatabaseUrl::parse(&url)
        .unwrap()
        .connect()
        .unwrap();
    let groups = outcomes::store::comparison_groups::list(&mut conn).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].name.as_str(), groups[0].members), ("G", 2));
    // No identifier in clear anywhere in the database.
    let dump = crate::helpers::dump_database(&mut conn);
    for id in ["ZZ9", "zz-9", "YY8", "AB1"] {
        assert!(!dump.contains(id), "{id} stored in clear");
    }
    // The replacement is in the audit trail with the counts before and after.
    assert!(
        dump.contains("name=G members=2 previous_members=1"),
        "the replacement is audited"
    );
}

#[tokio::test]
async fn the_api_imports_a_group_and_compares_a_report_with_it() {
    use crate::helpers::spawn_app;
    use outcomes::domain::enums::{OrganisationKind, Role};
    let app = spawn_app().await;
    let vru = app.org("VRU", OrganisationKind::Vru);
    let analyst = app.create_user(Role::Analyst, vru);
    let token = app.bearer(&analyst);
    let provider = app.provider("Provider A");
    let programme = app.add_programme(provider, "Alpha");
    let client = reqwest::Client::new();
    let post = |path: String, body: &'static str| {
        client
            .post(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let r = post(
        "/api/v1/imports/comparison-group?name=Matched%20by%20the%20analyst".into(),
        "police_id,index_date\nab-1,2024-01-01\ncd-2,2024-02-01\n",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["rows"], 2);
    // Without a name: refused, naming the field.
    let r = post(
        "/api/v1/imports/comparison-group".into(),
        "police_id,index_date\nab-1,2024-01-01\n",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "name", "{problem}");
    let groups: Value = app
        .get_with_token("/api/v1/comparison-groups", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(groups[0]["name"], "Matched by the analyst");
    assert_eq!(groups[0]["members"], 2);
    let id = groups[0]["id"].as_i64().unwrap();
    // A report compared with it: with no extract nobody is measurable, and a comparison
    // of nobody is left out, saying why.
    let report: Value = app
        .get_with_token(
            &format!("/api/v1/reports/programmes/{programme}?period=2024-25&compare=group:{id}"),
            &token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(report["reoffending"].get("comparison").is_none());
    assert!(
        report["reoffending"]["comparison_left_out"]
            .as_str()
            .unwrap()
            .contains("Matched by the analyst"),
        "{report}"
    );
    // A bad compare value and a group that does not exist are field errors.
    for bad in ["nonsense", "group:0", "group:999", "programme:999"] {
        let r = app
            .get_with_token(
                &format!("/api/v1/reports/programmes/{programme}?period=2024-25&compare={bad}"),
                &token,
            )
            .await;
        assert_eq!(r.status(), 422, "{bad}");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "compare", "{bad}: {problem}");
    }
    // A provider cannot compare with another provider's programme: it does not exist.
    let other = app.provider("Provider B");
    let theirs = app.add_programme(other, "Theirs");
    let manager = app.create_user(Role::ProviderManager, provider);
    let r = app
        .get_with_token(
            &format!(
                "/api/v1/reports/programmes/{programme}?period=2024-25&compare=programme:{theirs}"
            ),
            &app.bearer(&manager),
        )
        .await;
    assert_eq!(r.status(), 422);
    // Groups are police data held as keys: never exported (found by schemathesis: a 500).
    let r = app
        .get_with_token("/api/v1/exports/comparison", &app.bearer(&manager))
        .await;
    assert_eq!(r.status(), 404);
    // A caseworker cannot import a comparison group.
    let caseworker = app.create_user(Role::Caseworker, provider);
    let r = client
        .post(format!(
            "{}/api/v1/imports/comparison-group?name=X",
            app.address
        ))
        .bearer_auth(app.bearer(&caseworker))
        .header("content-type", "text/csv")
        .body("police_id,index_date\nab-1,2024-01-01\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
