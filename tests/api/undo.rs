//! Preview, confirm and undo (issue 17): `outcomes import --dry-run` and `?dry_run=true`
//! change nothing and say what would change; `outcomes revert-import` puts every export
//! back byte for byte, and refuses, saying why, when later changes depend on the batch.

use crate::cli::outcomes;
use crate::imports::{PARTICIPANTS, PROGRAMMES, REFERRALS};

/// The kinds `outcomes export` writes for an organisation.
const EXPORTED: &[&str] = &[
    "programmes",
    "measures",
    "participants",
    "referrals",
    "sessions",
    "attendance",
    "outcomes",
];

/// R1 and R4 as they are; R2 closed as completed and R3 accepted (2 updates, each of two
/// fields); R5 to R10 new (6 additions).
const NEXT_REFERRALS: &str = "\
referral_ref,participant_ref,programme,referred_on,source,reason,decision,decided_on,closure,closed_on,required_hours
R1,P1,Mentoring,2025-05-01,police,,accepted,2025-05-03,completed,2025-08-01,
R2,P2,Immediate Justice,2025-06-01,police,,accepted,2025-06-02,completed,2025-09-01,12
R3,P3,Mentoring,2025-06-10,school,,accepted,2025-06-12,,,
R4,P3,Immediate Justice,2025-07-01,oocr_hub,,declined,2025-07-02,,,
R5,P1,Mentoring,2025-09-01,police,,pending,,,,
R6,P2,Mentoring,2025-09-02,school,,pending,,,,
R7,P3,Mentoring,2025-09-03,self,,accepted,2025-09-04,,,
R8,P1,Mentoring,2025-10-01,police,,pending,,,,
R9,P2,Mentoring,2025-10-02,police,,declined,2025-10-03,,,
R10,P3,Mentoring,2025-10-04,health,,pending,,,,
";

struct Cli {
    dir: tempfile::TempDir,
    url: String,
}

impl Cli {
    /// A database with Provider A's programmes, participants and referrals R1 to R4.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::helpers::fresh_database(&dir);
        let cli = Cli { dir, url };
        cli.ok(&["migrate"]);
        cli.ok(&["org", "add", "--name", "Provider A", "--kind", "provider"]);
        for (kind, csv) in [
            ("programmes", PROGRAMMES),
            ("participants", PARTICIPANTS),
            ("referrals", REFERRALS),
        ] {
            cli.import(kind, csv, &[]);
        }
        cli
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        outcomes(args, &self.url, self.dir.path())
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Imports `csv` as `kind` for Provider A; returns what the command printed.
    fn import(&self, kind: &str, csv: &str, extra: &[&str]) -> String {
        let file = self.dir.path().join(format!("{kind}.csv"));
        std::fs::write(&file, csv).unwrap();
        let file = file.to_string_lossy().into_owned();
        let mut args = vec!["import", kind, &file, "--organisation", "Provider A"];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// Every export of Provider A, as bytes.
    fn exports(&self) -> Vec<(String, Vec<u8>)> {
        EXPORTED
            .iter()
            .map(|kind| {
                let out = self.run(&["export", kind, "--organisation", "Provider A"]);
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                (kind.to_string(), out.stdout)
            })
            .collect()
    }
}

/// The batch number `outcomes import` prints ("… batch 7").
fn batch_in(printed: &str) -> String {
    let at = printed.find("batch ").expect("the import names its batch") + "batch ".len();
    printed[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect()
}

#[test]
fn a_dry_run_says_it_would_add_6_and_update_2_and_changes_nothing() {
    let cli = Cli::new();
    let before = cli.exports();
    let printed = cli.import("referrals", NEXT_REFERRALS, &["--dry-run"]);
    assert!(
        printed.contains("would add 6, update 2, leave 2 unchanged"),
        "{printed}"
    );
    // R2: closure and closed_on; R3: decision and decided_on (one record each).
    for field in ["closure", "closed_on", "decision", "decided_on"] {
        assert!(
            printed.contains(&format!("{field} would change on 1 record")),
            "{field}: {printed}"
        );
    }
    assert!(!printed.contains("reason would change"), "{printed}");
    assert_eq!(cli.exports(), before, "the dry run changed an export");
    // The real import then does exactly that.
    let printed = cli.import("referrals", NEXT_REFERRALS, &[]);
    assert!(
        printed.contains("6 added, 2 updated, 2 unchanged"),
        "{printed}"
    );
}

#[test]
fn reverting_an_import_returns_every_export_to_what_it_was_and_is_recorded() {
    let cli = Cli::new();
    let before = cli.exports();
    let printed = cli.import("referrals", NEXT_REFERRALS, &[]);
    let batch = batch_in(&printed);
    assert_ne!(cli.exports(), before);
    let undone = cli.ok(&["revert-import", &batch]);
    assert!(
        undone.contains("6 records removed, 2 put back as they were"),
        "{undone}"
    );
    assert_eq!(cli.exports(), before, "an export differs after the undo");
    // Undone once only.
    let again = cli.run(&["revert-import", &batch]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already undone"));
    // The same file imports again as it did the first time.
    let printed = cli.import("referrals", NEXT_REFERRALS, &[]);
    assert!(
        printed.contains("6 added, 2 updated, 2 unchanged"),
        "{printed}"
    );
}

#[test]
fn reverting_is_refused_naming_the_attendance_and_the_later_edit_that_depend_on_it() {
    let cli = Cli::new();
    let sessions = "\
session_ref,programme,date,kind,duration_minutes,headcount,district,venue
S1,Mentoring,2025-06-20,one_to_one,60,0,,
S2,Mentoring,2025-06-27,one_to_one,60,0,,
";
    let sessions_batch = batch_in(&cli.import("sessions", sessions, &[]));
    cli.import(
        "attendance",
        "session_ref,referral_ref,status,hours\nS2,R3,attended,\n",
        &[],
    );
    let refused = cli.run(&["revert-import", &sessions_batch]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains(
            "session S2, which the upload added, now has 1 attendance marks recorded after it"
        ),
        "{why}"
    );
    assert!(
        !why.contains("session S1"),
        "S1 has nothing depending on it: {why}"
    );

    // A later upload edits a record the first one changed: the first cannot be undone
    // until the second is.
    let first = batch_in(&cli.import("referrals", NEXT_REFERRALS, &[]));
    let later = NEXT_REFERRALS.replace(
        "R3,P3,Mentoring,2025-06-10,school,,accepted,2025-06-12,,,",
        "R3,P3,Mentoring,2025-06-10,school,,accepted,2025-06-15,,,",
    );
    let second = batch_in(&cli.import("referrals", &later, &[]));
    let refused = cli.run(&["revert-import", &first]);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("referral R3 was changed after the upload"),
        "{why}"
    );
    cli.ok(&["revert-import", &second]);
    cli.ok(&["revert-import", &first]);
}

// --- the API and the upload page --------------------------------------------------------

use outcomes::domain::enums::Role;

async fn post_csv(
    app: &crate::helpers::TestApp,
    token: &str,
    path: &str,
    csv: &str,
) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(format!("{}{}", app.address, path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn export(app: &crate::helpers::TestApp, token: &str) -> String {
    app.client
        .get(format!("{}/api/v1/exports/referrals", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

const TWO_PEOPLE: &str = "reference,gender\nP1,male\nP2,female\n";
const TWO_REFERRALS: &str = "\
referral_ref,participant_ref,programme,referred_on,source,decision,decided_on
R1,P1,Mentoring,2025-05-01,police,pending,
R2,P2,Mentoring,2025-05-02,school,pending,
";
/// R1 accepted (one update of two fields), R2 as it is, R3 new.
const THREE_REFERRALS: &str = "\
referral_ref,participant_ref,programme,referred_on,source,decision,decided_on
R1,P1,Mentoring,2025-05-01,police,accepted,2025-05-03
R2,P2,Mentoring,2025-05-02,school,pending,
R3,P2,Mentoring,2025-06-01,self,pending,
";

#[tokio::test]
async fn the_api_dry_run_answers_what_the_import_would_do_and_changes_nothing() {
    let app = crate::helpers::spawn_app().await;
    let a = app.provider("Provider A");
    app.add_programme(a, "Mentoring");
    let token = app.bearer(&app.create_user(Role::Caseworker, a));
    post_csv(&app, &token, "/api/v1/imports/participants", TWO_PEOPLE).await;
    post_csv(&app, &token, "/api/v1/imports/referrals", TWO_REFERRALS).await;
    let before = export(&app, &token).await;
    let batches = app.column("id", "import_batches").len();
    let (status, body) = post_csv(
        &app,
        &token,
        "/api/v1/imports/referrals?dry_run=true",
        THREE_REFERRALS,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["dry_run"], true);
    assert_eq!(
        (&body["inserted"], &body["updated"], &body["unchanged"]),
        (&1.into(), &1.into(), &1.into())
    );
    assert_eq!(body["batch_id"], serde_json::Value::Null);
    assert_eq!(
        body["fields"],
        serde_json::json!([{"field": "decided_on", "records": 1}, {"field": "decision", "records": 1}])
    );
    assert_eq!(export(&app, &token).await, before);
    assert_eq!(app.column("id", "import_batches").len(), batches);
    // A refused dry run is a 422 like the import, and is not kept as a failed upload.
    let bad = THREE_REFERRALS.replace("2025-06-01", "2025-06-31");
    let (status, _) = post_csv(&app, &token, "/api/v1/imports/referrals?dry_run=true", &bad).await;
    assert_eq!(status, 422);
    assert!(app.column("id", "failed_uploads").is_empty());
}

#[tokio::test]
async fn a_manager_previews_confirms_and_undoes_an_upload_and_sees_refused_uploads() {
    let app = crate::helpers::spawn_app().await;
    let a = app.provider("Provider A");
    app.add_programme(a, "Mentoring");
    let manager = app.create_user(Role::ProviderManager, a);
    let token = app.bearer(&manager);
    post_csv(&app, &token, "/api/v1/imports/participants", TWO_PEOPLE).await;
    post_csv(&app, &token, "/api/v1/imports/referrals", TWO_REFERRALS).await;
    let before = export(&app, &token).await;
    let s = app.login(&manager).await;
    let form = |csv: &str| {
        s.upload_form().text("kind", "referrals").part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("next.csv"),
        )
    };
    // The preview says what would happen, and nothing is written until confirmed.
    let res = s
        .client
        .post(format!("{}/uploads", app.address))
        .multipart(form(THREE_REFERRALS))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let preview = res.text().await.unwrap();
    assert!(
        preview.contains("Check what the upload will do"),
        "{preview}"
    );
    assert_eq!(export(&app, &token).await, before);
    let id = crate::helpers::held_upload_in(&preview).expect("the preview holds the file");
    // The held file is this session's only.
    let other = app.login(&manager).await;
    let res = other
        .post_form("/uploads/confirm", &[("upload", &id)])
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(export(&app, &token).await, before);
    let res = s.post_form("/uploads/confirm", &[("upload", &id)]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_ne!(export(&app, &token).await, before);
    // Confirmed once: the id is spent.
    let res = s.post_form("/uploads/confirm", &[("upload", &id)]).await;
    assert_eq!(res.status().as_u16(), 422);

    let batch = app.column("id", "import_batches").pop().unwrap();
    let history = s.get("/uploads").await.text().await.unwrap();
    assert!(
        history.contains(&format!("href=\"/uploads/{batch}/undo\"")),
        "{history}"
    );
    let page = s
        .get(&format!("/uploads/{batch}/undo"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Undo this upload?"), "{page}");
    let res = s.post_form(&format!("/uploads/{batch}/undo"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(export(&app, &token).await, before);
    let history = s.get("/uploads").await.text().await.unwrap();
    assert!(history.contains("Undone"), "{history}");
    // R1's own history shows the upload's change and its undo, by whom.
    let (_, list) = crate::casework::call(&app, "GET", &token, "/api/v1/referrals", None).await;
    let r1 = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reference"] == "R1")
        .unwrap()["id"]
        .clone();
    let (_, h) = crate::casework::call(
        &app,
        "GET",
        &token,
        &format!("/api/v1/referrals/{r1}/history"),
        None,
    )
    .await;
    let last = h["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "revert", "{h}");
    assert_eq!(last["via"], "revert", "{h}");
    assert_eq!(
        last["fields"],
        serde_json::json!(["decided_on", "decision"]),
        "{h}"
    );
    let page = s
        .get(&format!("/referrals/{r1}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Upload undone"), "{page}");
    assert!(!history.contains(&format!("href=\"/uploads/{batch}/undo\"")));

    // A refused upload is in the history with its error count and report, no token in
    // any link.
    let bad = THREE_REFERRALS.replace("2025-06-01", "2025-06-31");
    let (status, _, _) = s.upload_and_confirm(form(&bad)).await;
    assert_eq!(status, 422);
    let history = s.get("/uploads").await.text().await.unwrap();
    assert!(history.contains("Uploads refused for errors"), "{history}");
    assert!(!history.contains("csrf_token="), "{history}");
    let failed = app.column("id", "failed_uploads").pop().unwrap();
    assert!(history.contains(&format!("href=\"/uploads/failed/{failed}\"")));
    let report = s
        .get(&format!("/uploads/failed/{failed}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(report.contains("line 4, column referred_on"), "{report}");
}
