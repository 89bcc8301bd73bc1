//! The audit trail: `outcomes audit verify` on a real database, tampering, concurrent
//! appends, and the admin page.

use diesel::prelude::*;
use outcomes::db::schema::audit_events::dsl as a;
use outcomes::db::{DatabaseUrl, DbConn};
use outcomes::domain::enums::{AuditAction, Role};
use outcomes::store::audit::{self, NewEvent};

use crate::cli::outcomes;
use crate::helpers::{fresh_database, spawn_app};

fn connect(url: &str) -> DbConn {
    DatabaseUrl::parse(url).unwrap().connect().unwrap()
}

fn verify(url: &str, dir: &std::path::Path) -> (bool, String) {
    let out = outcomes(&["audit", "verify"], url, dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The audit key the binary derives from the key file in `dir` (made on first use).
fn key_of(dir: &std::path::Path) -> Vec<u8> {
    let text = std::fs::read_to_string(dir.join("outcomes.key")).unwrap();
    let hmac = text
        .lines()
        .find_map(|l| l.strip_prefix("hmac_key="))
        .expect("the key file holds hmac_key=");
    audit::derive_key(&hex::decode(hmac.trim()).unwrap())
}

/// Rewrites every event from `from` on with plain SHA-256 hashes chained from the event
/// before: what someone with the database but not the key can do.
fn rehash_plain_from(conn: &mut DbConn, from: i64) {
    let rows: Vec<audit::AuditEvent> = a::audit_events.order(a::id).load(conn).unwrap();
    let mut prev = audit::GENESIS_HASH.to_string();
    for mut row in rows {
        if row.id >= from {
            row.prev_hash = prev.clone();
            row.hash = audit::plain_hash(&row);
            diesel::update(a::audit_events.filter(a::id.eq(row.id)))
                .set((a::prev_hash.eq(&row.prev_hash), a::hash.eq(&row.hash)))
                .execute(conn)
                .unwrap();
        }
        prev = row.hash;
    }
}

/// A copy of the database at `url` (made in `dir`) in a new folder with a copy of its key
/// file: a new SQLite file, or on PostgreSQL a new schema with the same rows.
fn copy_database(url: &str, dir: &std::path::Path) -> (tempfile::TempDir, String) {
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(dir.join("outcomes.key"), copy.path().join("outcomes.key")).unwrap();
    if crate::helpers::postgres_url().is_none() {
        std::fs::copy(dir.join("outcomes.db"), copy.path().join("outcomes.db")).unwrap();
        let copy_url = format!("sqlite://{}", copy.path().join("outcomes.db").display());
        return (copy, copy_url);
    }
    let copy_url = fresh_database(&copy);
    let mut target = connect(&copy_url);
    outcomes::db::migrate(&mut target).unwrap();
    let rows: Vec<audit::AuditEvent> = a::audit_events
        .order(a::id)
        .load(&mut connect(url))
        .unwrap();
    for r in rows {
        diesel::insert_into(a::audit_events)
            .values((
                a::id.eq(r.id),
                a::occurred_at.eq(r.occurred_at),
                a::user_id.eq(r.user_id),
                a::organisation_id.eq(r.organisation_id),
                a::action.eq(r.action),
                a::entity.eq(r.entity),
                a::entity_id.eq(r.entity_id),
                a::changed_fields.eq(r.changed_fields),
                a::detail.eq(r.detail),
                a::prev_hash.eq(r.prev_hash),
                a::hash.eq(r.hash),
            ))
            .execute(&mut target)
            .unwrap();
    }
    (copy, copy_url)
}

/// Issue 16 / finding M4: with a copy of the database, one event edited and every later
/// hash recomputed with plain SHA-256 no longer verifies; nor does the untouched database
/// under another key file; the untouched database under its own key does.
#[test]
fn a_rewritten_chain_fails_without_the_key_and_another_key_fails_too() {
    let (dir, url) = populated();
    let (copy_dir, copy_url) = copy_database(&url, dir.path());
    let (ok, text) = verify(&copy_url, copy_dir.path());
    assert!(ok, "the copy verifies before it is touched: {text}");

    let mut conn = connect(&copy_url);
    diesel::update(a::audit_events.filter(a::id.eq(3)))
        .set(a::detail.eq("role=admin organisation_id=1"))
        .execute(&mut conn)
        .unwrap();
    rehash_plain_from(&mut conn, 3);
    let (ok, text) = verify(&copy_url, copy_dir.path());
    assert!(!ok, "a re-hashed chain must fail: {text}");
    assert!(text.contains("audit event 3"), "{text}");
    assert!(text.contains("not hashed under the audit key"), "{text}");

    // The untouched database with a different key file.
    let other = tempfile::tempdir().unwrap();
    let (ok, text) = verify(&url, other.path());
    assert!(!ok, "another key must fail: {text}");
    assert!(text.contains("audit event 1"), "{text}");

    // The right key, untouched.
    let (ok, text) = verify(&url, dir.path());
    assert!(ok, "{text}");
    assert!(text.contains("verifies: 5 events"), "{text}");
}

#[test]
fn an_anchored_head_catches_a_removed_tail() {
    let (dir, url) = populated();
    let out = outcomes(&["audit", "anchor"], &url, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(head.starts_with("5:"), "{head}");
    let with_head = |dir: &std::path::Path| {
        let out = outcomes(&["audit", "verify", "--head", &head], &url, dir);
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    assert!(with_head(dir.path()).0, "{}", with_head(dir.path()).1);
    // Later events do not disturb the anchor.
    outcomes(
        &["org", "add", "--name", "VRU", "--kind", "vru"],
        &url,
        dir.path(),
    );
    assert!(with_head(dir.path()).0);
    // Remove the last two events: plain verify cannot tell, the anchor can.
    diesel::delete(a::audit_events.filter(a::id.ge(5)))
        .execute(&mut connect(&url))
        .unwrap();
    assert!(
        verify(&url, dir.path()).0,
        "a removed tail is invisible without an anchor"
    );
    let (ok, text) = with_head(dir.path());
    assert!(!ok);
    assert!(text.contains("is not in the chain"), "{text}");
    // A malformed anchor is refused with the expected form.
    let out = outcomes(&["audit", "verify", "--head", "5:xyz"], &url, dir.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("64 hexadecimal"));
}

#[test]
fn a_chain_from_before_keyed_hashing_is_rekeyed_once_in_an_audited_step() {
    let (dir, url) = populated();
    // What an older version wrote: plain SHA-256 throughout.
    rehash_plain_from(&mut connect(&url), 1);
    let (ok, text) = verify(&url, dir.path());
    assert!(!ok, "{text}");
    assert!(text.contains("audit rekey"), "{text}");

    // A broken legacy chain is refused and left alone.
    let (broken_dir, broken_url) = copy_database(&url, dir.path());
    diesel::update(a::audit_events.filter(a::id.eq(2)))
        .set(a::detail.eq("edited"))
        .execute(&mut connect(&broken_url))
        .unwrap();
    let before: Vec<String> = a::audit_events
        .order(a::id)
        .select(a::hash)
        .load(&mut connect(&broken_url))
        .unwrap();
    let out = outcomes(&["audit", "rekey"], &broken_url, broken_dir.path());
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("audit event 2 has been altered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after: Vec<String> = a::audit_events
        .order(a::id)
        .select(a::hash)
        .load(&mut connect(&broken_url))
        .unwrap();
    assert_eq!(before, after, "nothing changed");

    let out = outcomes(&["audit", "rekey"], &url, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-hashed 5 audit events"));
    let (ok, text) = verify(&url, dir.path());
    assert!(ok, "{text}");
    assert!(text.contains("verifies: 6 events"), "{text}");
    let last: (String, String) = a::audit_events
        .order(a::id.desc())
        .select((a::action, a::detail))
        .first(&mut connect(&url))
        .unwrap();
    assert_eq!(last.0, "audit_rekey");
    assert!(last.1.contains("rehashed=5"), "{}", last.1);
    // Once only.
    let out = outcomes(&["audit", "rekey"], &url, dir.path());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already keyed"));
}

/// A database with a few real events, made by the real binary.
fn populated() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir);
    for args in [
        &["org", "add", "--name", "Remedi", "--kind", "provider"][..],
        &["org", "add", "--name", "OPCC", "--kind", "commissioner"][..],
        &[
            "user",
            "add",
            "--email",
            "Cw@Remedi.org",
            "--role",
            "caseworker",
            "--organisation",
            "Remedi",
        ][..],
        &[
            "token",
            "add",
            "--email",
            "cw@remedi.org",
            "--label",
            "sync",
        ][..],
        &[
            "user",
            "add",
            "--email",
            "admin@opcc.org",
            "--role",
            "admin",
            "--organisation",
            "OPCC",
            "--generate-password",
        ][..],
    ] {
        let out = outcomes(args, &url, dir.path());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (dir, url)
}

#[test]
fn an_untouched_database_verifies_and_an_edited_event_is_named() {
    let (dir, url) = populated();
    let (ok, text) = verify(&url, dir.path());
    assert!(ok, "{text}");
    assert!(text.contains("verifies: 5 events"), "{text}");

    let mut conn = connect(&url);
    let original: String = a::audit_events
        .filter(a::id.eq(3))
        .select(a::detail)
        .first(&mut conn)
        .unwrap();
    diesel::update(a::audit_events.filter(a::id.eq(3)))
        .set(a::detail.eq("role=admin organisation_id=1"))
        .execute(&mut conn)
        .unwrap();
    let (ok, text) = verify(&url, dir.path());
    assert!(!ok, "an edited event fails: {text}");
    assert!(text.contains("audit event 3 has been altered"), "{text}");

    // Edited and re-hashed (even with the key), to hide the edit: the next event's link
    // gives it away.
    let key = key_of(dir.path());
    let mut row: audit::AuditEvent = a::audit_events
        .filter(a::id.eq(3))
        .first(&mut conn)
        .unwrap();
    row.hash = audit::compute_hash_with(&row, &key);
    diesel::update(a::audit_events.filter(a::id.eq(3)))
        .set(a::hash.eq(&row.hash))
        .execute(&mut conn)
        .unwrap();
    let (ok, text) = verify(&url, dir.path());
    assert!(!ok);
    assert!(text.contains("audit event 4 does not chain"), "{text}");
    assert!(text.contains("event 3"), "{text}");

    // Put it back exactly: verifies again.
    row.detail = original;
    row.hash = audit::compute_hash_with(&row, &key);
    diesel::update(a::audit_events.filter(a::id.eq(3)))
        .set((a::detail.eq(&row.detail), a::hash.eq(&row.hash)))
        .execute(&mut conn)
        .unwrap();
    assert!(verify(&url, dir.path()).0);
}

#[test]
fn a_deleted_event_is_named_as_missing() {
    let (dir, url) = populated();
    let mut conn = connect(&url);
    diesel::delete(a::audit_events.filter(a::id.eq(2)))
        .execute(&mut conn)
        .unwrap();
    let (ok, text) = verify(&url, dir.path());
    assert!(!ok);
    assert!(text.contains("audit event 2 is missing"), "{text}");
    // An edited first event (its prev_hash) is caught too.
    let (dir, url) = populated();
    diesel::update(a::audit_events.filter(a::id.eq(1)))
        .set(a::action.eq("delete"))
        .execute(&mut connect(&url))
        .unwrap();
    let (ok, text) = verify(&url, dir.path());
    assert!(!ok);
    assert!(text.contains("audit event 1"), "{text}");
}

#[test]
fn events_name_fields_never_personal_values() {
    let (_dir, url) = populated();
    let rows: Vec<(String, String, Option<String>)> = a::audit_events
        .select((a::changed_fields, a::detail, a::entity_id))
        .load(&mut connect(&url))
        .unwrap();
    let text = format!("{rows:?}");
    assert!(text.contains("email"), "the field is named: {text}");
    assert!(!text.contains("remedi.org"), "{text}");
    assert!(!text.contains("opcc.org"), "{text}");
    let chain: Vec<(String, String)> = a::audit_events
        .order(a::id)
        .select((a::prev_hash, a::hash))
        .load(&mut connect(&url))
        .unwrap();
    assert_eq!(chain[0].0, "0".repeat(64));
    for pair in chain.windows(2) {
        assert_eq!(pair[1].0, pair[0].1, "each event carries the previous hash");
    }
}

#[test]
fn concurrent_appends_keep_one_unbroken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir);
    outcomes::db::migrate(&mut connect(&url)).unwrap();
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = connect(&url);
                for i in 0..10 {
                    audit::record(
                        &mut conn,
                        NewEvent::new(AuditAction::Export, "report").entity_id(format!("{t}-{i}")),
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let v = audit::verify(&mut connect(&url)).unwrap();
    assert_eq!(v.problem, None);
    assert_eq!(v.events, 60);
}

/// Issue 20: events recorded through the group commit (report and dashboard views, from
/// many requests at once) and directly (changes, in their own transactions) at the same
/// time make one unbroken chain, with every event in it once.
#[test]
fn group_commits_and_direct_appends_keep_one_unbroken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir);
    outcomes::db::migrate(&mut connect(&url)).unwrap();
    let group = std::sync::Arc::new(audit::GroupCommit::default());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (url, group) = (url.clone(), group.clone());
            std::thread::spawn(move || {
                let mut conn = connect(&url);
                for i in 0..15 {
                    let event = NewEvent::new(AuditAction::ReportView, "report")
                        .entity_id(format!("{t}-{i}"));
                    if t < 6 {
                        group.record(&mut conn, event).unwrap();
                    } else {
                        audit::record(&mut conn, event).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut conn = connect(&url);
    let v = audit::verify(&mut conn).unwrap();
    assert_eq!(v.problem, None);
    assert_eq!(v.events, 120);
    let mut ids: Vec<String> = a::audit_events
        .select(a::entity_id)
        .load::<Option<String>>(&mut conn)
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 120, "every event is there once");
}

/// Issue 16 / finding L5: a role must fit the organisation's kind on every path; the CLI
/// names the roles allowed, and `outcomes doctor` reports users made before the rule.
#[test]
fn a_role_that_does_not_fit_the_organisation_is_refused_and_doctor_reports_old_ones() {
    let (dir, url) = populated();
    let out = outcomes(
        &[
            "user",
            "add",
            "--email",
            "com@remedi.org",
            "--role",
            "commissioner",
            "--organisation",
            "Remedi",
        ],
        &url,
        dir.path(),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the roles allowed there are caseworker or provider_manager"),
        "{err}"
    );
    let n: i64 = a::audit_events
        .count()
        .get_result(&mut connect(&url))
        .unwrap();
    assert_eq!(n, 5, "nothing was added");

    // The store refuses too (the page and any other path go through it).
    let mut conn = connect(&url);
    let remedi = outcomes::store::organisations::find_by_name(&mut conn, "Remedi")
        .unwrap()
        .unwrap();
    let email = outcomes::domain::credentials::Email::parse("a@remedi.org").unwrap();
    let refused = outcomes::store::users::create(
        &mut conn,
        outcomes::store::users::NewUser {
            email: &email,
            display_name: "",
            role: Role::Admin,
            organisation_id: remedi.id,
            password_hash: "x".into(),
        },
        None,
    );
    assert!(
        matches!(&refused, Err(outcomes::store::StoreError::Refused(m)) if m.contains("caseworker or provider_manager")),
        "{refused:?}"
    );

    let out = outcomes(&["doctor"], &url, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no problems found"));
    // A user made before the rule: the caseworker turned commissioner in the database.
    use outcomes::db::schema::users::dsl as u;
    diesel::update(u::users.filter(u::email.eq("cw@remedi.org")))
        .set(u::role.eq("commissioner"))
        .execute(&mut conn)
        .unwrap();
    let out = outcomes(&["doctor"], &url, dir.path());
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("is a commissioner in 'Remedi'"), "{said}");
    assert!(said.contains("caseworker or provider_manager"), "{said}");
}

#[tokio::test]
async fn the_admin_page_lists_and_filters_events() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let admin = app.create_user(Role::Admin, org);
    app.try_login("nobody@example.org", "wrong password!").await;
    let session = app.login(&admin).await;
    let all = session.get("/admin/audit").await;
    assert_eq!(all.status().as_u16(), 200);
    let all = all.text().await.unwrap();
    assert!(all.contains("sign_in_failed"));
    assert!(all.contains("sign_in"));
    assert!(all.contains("organisation"));
    let failed = session
        .get("/admin/audit?action=sign_in_failed")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(failed.matches("app-audit-event").count(), 1, "{failed}");
    let by_user = session
        .get(&format!(
            "/admin/audit?user={}&from=2000-01-01&to=2999-12-31",
            admin.id
        ))
        .await
        .text()
        .await
        .unwrap();
    let cell = |action: &str| format!("<td class=\"govuk-table__cell\">{action}</td>");
    assert_eq!(by_user.matches(&cell("sign_in")).count(), 1, "{by_user}");
    assert_eq!(by_user.matches(&cell("sign_in_failed")).count(), 0);
    let none = session
        .get("/admin/audit?from=2999-01-01")
        .await
        .text()
        .await
        .unwrap();
    assert!(none.contains("0 events"), "{none}");
}

#[test]
fn user_add_generates_a_password_when_stdin_is_not_a_terminal_and_token_add_prints_a_working_token()
{
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(&dir);
    outcomes(
        &["org", "add", "--name", "Remedi", "--kind", "provider"],
        &url,
        dir.path(),
    );
    let out = outcomes(
        &[
            "user",
            "add",
            "--email",
            " Jo@Remedi.ORG ",
            "--role",
            "provider_manager",
            "--organisation",
            "Remedi",
            "--display-name",
            "Jo",
        ],
        &url,
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains("jo@remedi.org"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once): "))
        .expect("the generated password")
        .to_string();
    let mut conn = connect(&url);
    let email = outcomes::domain::credentials::Email::parse("jo@remedi.org").unwrap();
    let creds = outcomes::store::users::credentials(&mut conn, &email)
        .unwrap()
        .unwrap();
    assert!(outcomes::domain::credentials::verify_password(
        &password,
        &creds.password_hash
    ));
    assert!(creds.password_hash.starts_with("$argon2id$"));
    // Whoever ran the command saw it: the user chooses their own at first sign-in.
    assert!(creds.must_change_password);

    let out = outcomes(
        &["token", "add", "--email", "jo@remedi.org"],
        &url,
        dir.path(),
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (_, actor) = outcomes::store::tokens::find_actor(&mut conn, &token)
        .unwrap()
        .expect("the printed token works");
    assert_eq!(actor.role, Role::ProviderManager);

    let bad = outcomes(
        &[
            "user",
            "add",
            "--email",
            "x@y.org",
            "--role",
            "boss",
            "--organisation",
            "Remedi",
        ],
        &url,
        dir.path(),
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("caseworker, provider_manager"));
    let dup = outcomes(
        &[
            "user",
            "add",
            "--email",
            "jo@remedi.org",
            "--role",
            "caseworker",
            "--organisation",
            "Remedi",
        ],
        &url,
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let no_org = outcomes(
        &[
            "user",
            "add",
            "--email",
            "z@y.org",
            "--role",
            "admin",
            "--organisation",
            "Nope",
        ],
        &url,
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&no_org.stderr).contains("no organisation named 'Nope'"));
}

/// The trail names people by name and email, links each record to its page and to its
/// own history, and filters by one record (issue 16).
#[tokio::test]
async fn the_admin_page_names_people_and_links_and_filters_by_record() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let admin = app.create_user(Role::Admin, org);
    let caseworker = app.create_user(Role::Caseworker, org);
    let token = app.bearer(&caseworker);
    let mut ids = Vec::new();
    for reference in ["AUD-1", "AUD-2"] {
        let res = app
            .client
            .post(format!("{}/api/v1/participants", app.address))
            .bearer_auth(&token)
            .json(&serde_json::json!({"reference": reference}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
        let body: serde_json::Value = res.json().await.unwrap();
        ids.push(body["id"].as_i64().unwrap());
    }
    let session = app.login(&admin).await;
    let page = session
        .get("/admin/audit?entity=participant")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("({})", caseworker.email)),
        "the caseworker by name and email: {page}"
    );
    assert!(
        page.contains(&format!("href=\"/participants/{}\"", ids[0])),
        "{page}"
    );
    // Handlebars writes `=` and `&` in attributes as `&#x3D;` and `&amp;`.
    assert!(
        page.contains(&format!(
            "/admin/audit?entity&#x3D;participant&amp;record&#x3D;{}",
            ids[1]
        )),
        "a link to the record's own history: {page}"
    );
    let one = session
        .get(&format!(
            "/admin/audit?entity=participant&record={}",
            ids[1]
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(one.matches("app-audit-event").count(), 1, "{one}");
    assert!(one.contains(&format!("href=\"/participants/{}\"", ids[1])));
}
