//! Issue 16, "Limits and headers": each test is a finding of the December 2026 probe
//! (docs/security.md) that failed before the fix.

use outcomes::domain::enums::Role;
use outcomes::web::session::SESSION_COOKIE;

use crate::helpers::{csrf_in, no_redirect_client, spawn_app, spawn_app_with};

/// M1: `/login` refuses a form over 64 KiB by its Content-Length, before reading it, and
/// without signing in; a JSON API body over 1 MiB is refused with 413 too.
#[tokio::test]
async fn large_bodies_are_refused_with_413_before_they_are_read() {
    let app = spawn_app().await;
    let client = no_redirect_client().build().unwrap();
    let body = format!("email=a%40b.org&password={}", "x".repeat(65 * 1024));
    let res = client
        .post(format!("{}/login", app.address))
        .header("cookie", "outcomes_csrf=x")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    let org = app.provider("Remedi");
    let token = app.bearer(&app.create_user(Role::Caseworker, org));
    let big = format!(
        "{{\"reference\":\"R1\",\"district\":\"{}\"}}",
        "x".repeat(1024 * 1024 + 10)
    );
    let res = client
        .post(format!("{}/api/v1/participants", app.address))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    // An import upload may be larger (up to the upload limit), but only once signed in.
    let csv = format!(
        "reference,date_of_birth\n{}",
        "R,2010-01-01\n".repeat(120_000)
    );
    assert!(csv.len() > 1024 * 1024);
    let res = client
        .post(format!("{}/api/v1/imports/participants", app.address))
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = client
        .post(format!("{}/api/v1/imports/participants", app.address))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_ne!(res.status().as_u16(), 413, "imports take large files");
}

/// L3: every API response (and every signed-in page) is `Cache-Control: no-store`.
#[tokio::test]
async fn api_and_signed_in_responses_are_not_stored() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let user = app.create_user(Role::Caseworker, org);
    let token = app.bearer(&user);
    for (path, auth) in [
        ("/api/v1/participants", true),
        ("/api/openapi.json", true),
        ("/api/v1/participants", false),
        ("/api/v1/participants/999999", true),
    ] {
        let res = if auth {
            app.get_with_token(path, &token).await
        } else {
            app.get(path).await
        };
        assert_eq!(
            res.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_string()),
            Some("no-store".to_string()),
            "{path} (token: {auth}) status {}",
            res.status()
        );
    }
    let session = app.session_for(&user);
    let res = session.get("/participants").await;
    assert_eq!(res.headers()["cache-control"], "no-store");
}

/// L7 and I3: the session cookie is SameSite=Strict, and a browser that still holds a
/// live session but was shown the sign-in form (it came from another site) can sign in.
#[tokio::test]
async fn the_session_cookie_is_strict_and_sign_in_works_with_a_stale_session_cookie() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let user = app.create_user(Role::Caseworker, org);
    let (res, _) = app.try_login(&user.email, &user.password).await;
    assert_eq!(res.status().as_u16(), 303);
    let set_cookie: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with(SESSION_COOKIE))
        .expect("the session cookie");
    assert!(session.contains("SameSite=Strict"), "{session}");
    let live = session
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches(&format!("{SESSION_COOKIE}="))
        .to_string();

    // The sign-in form as shown without the session cookie, then posted with it.
    let client = no_redirect_client().build().unwrap();
    let page = client
        .get(format!("{}/login", app.address))
        .send()
        .await
        .unwrap();
    let pre = page
        .cookies()
        .find(|c| c.name() == "outcomes_csrf")
        .unwrap()
        .value()
        .to_string();
    let token = csrf_in(&page.text().await.unwrap()).unwrap();
    let res = client
        .post(format!("{}/login", app.address))
        .header(
            "cookie",
            format!("outcomes_csrf={pre}; {SESSION_COOKIE}={live}"),
        )
        .form(&[
            ("email", user.email.as_str()),
            ("password", user.password.as_str()),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

/// I1: the CSRF Origin check believes `X-Forwarded-Host` only from a trusted proxy.
#[tokio::test]
async fn a_forwarded_host_from_an_untrusted_peer_does_not_pass_the_origin_check() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let session = app.session_for(&app.create_user(Role::Caseworker, org));
    let res = session
        .client
        .post(format!("{}/logout", app.address))
        .header("origin", "https://evil.example")
        .header("x-forwarded-host", "evil.example")
        .form(&[("csrf_token", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // From a trusted proxy the forwarded host is the host.
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let org = app.provider("Remedi");
    let session = app.session_for(&app.create_user(Role::Caseworker, org));
    let res = session
        .client
        .post(format!("{}/logout", app.address))
        .header("origin", "https://outcomes.example")
        .header("x-forwarded-host", "outcomes.example")
        .form(&[("csrf_token", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

/// L8: a new SQLite database is 0600 (and its WAL), in a folder made 0700.
#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_database_and_its_folder_are_private() {
    use std::os::unix::fs::PermissionsExt;
    // (A SQLite file whatever the suite's backend: the modes are SQLite's.)
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("private/outcomes.db");
    let url = format!("sqlite://{}", path.display());
    let out = crate::cli::outcomes(
        &["org", "add", "--name", "Remedi", "--kind", "provider"],
        &url,
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let wal = dir.path().join("private/outcomes.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
    // An existing file readable by others is tightened when opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = crate::cli::outcomes(&["audit", "verify"], &url, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&path), 0o600);
}

/// M3: the debug log of a whole casework journey — signing in through the form,
/// registering a participant with a date of birth, district and police identifier,
/// listing and reading them on pages, the admin's user list — holds no case reference,
/// date of birth, district, email, police identifier, session id or CSRF token.
#[tokio::test]
async fn a_debug_log_of_a_casework_journey_holds_no_personal_data_or_secrets() {
    let logs = crate::helpers::capture_logs();
    let w = crate::casework::world().await;
    let caseworker = w.app.create_user(Role::Caseworker, w.provider);
    let admin = w.app.create_user(Role::Admin, w.provider);
    let session = w.app.login(&caseworker).await;
    let token = w.app.bearer(&caseworker);
    let res = w
        .app
        .client
        .post(format!("{}/api/v1/participants", w.app.address))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "reference": "LOGREF-7731",
            "date_of_birth": "2009-03-17",
            "district": "Zebrafield",
            "police_id": "LOGPID 4411",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    for path in [
        "/participants".to_string(),
        format!("/participants/{id}"),
        "/participants?reference=LOGREF-7731".to_string(),
    ] {
        let page = session.get(&path).await;
        assert_eq!(page.status().as_u16(), 200, "{path}");
        assert!(page.text().await.unwrap().contains("LOGREF-7731"));
    }
    let admin_session = w.app.login(&admin).await;
    let users = admin_session
        .get("/admin/users")
        .await
        .text()
        .await
        .unwrap();
    assert!(users.contains(&caseworker.email));
    let res = session.post_form("/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 303);

    let text = logs.text();
    assert!(text.contains("/participants"), "the journey was logged");
    for secret in [
        "LOGREF-7731",
        "2009-03-17",
        "Zebrafield",
        "LOGPID",
        "logpid",
        caseworker.email.as_str(),
        admin.email.as_str(),
        session.cookie.as_str(),
        session.csrf.as_str(),
        admin_session.csrf.as_str(),
        token.as_str(),
    ] {
        assert!(!text.contains(secret), "the log holds {secret}");
    }
}

/// L1: after ten wrong passwords, an admin's unlock — or password reset — lets the user
/// sign in at once (the account's slow-down is cleared; it was left for 15 minutes
/// before).
#[tokio::test]
async fn an_unlock_or_a_reset_takes_effect_at_once() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let opcc = app.org(
        "OPCC",
        outcomes::domain::enums::OrganisationKind::Commissioner,
    );
    let admin = app.session_for(&app.create_user(Role::Admin, opcc));
    let user = app.create_user(Role::Caseworker, org);
    for _ in 0..10 {
        let (res, _) = app.try_login(&user.email, "not the password!").await;
        assert_eq!(res.status().as_u16(), 401);
    }
    let (res, _) = app.try_login(&user.email, &user.password).await;
    assert_eq!(res.status().as_u16(), 429, "slowed down");
    let res = admin
        .post_form(&format!("/admin/users/{}/unlock", user.id), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (res, _) = app.try_login(&user.email, &user.password).await;
    assert_eq!(
        res.status().as_u16(),
        303,
        "signs in at once after the unlock"
    );

    for _ in 0..10 {
        app.try_login(&user.email, "not the password!").await;
    }
    let res = admin
        .post_form(&format!("/admin/users/{}/reset-password", user.id), &[])
        .await;
    let html = res.text().await.unwrap();
    let password = html
        .split("<code class=\"app-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    let (res, _) = app.try_login(&user.email, &password).await;
    assert_eq!(res.status().as_u16(), 303, "signs in at once after a reset");
}

/// L6: a sign-in refused with 429 says when to retry and is in the audit trail.
#[tokio::test]
async fn a_throttled_sign_in_carries_retry_after_and_is_audited() {
    let app = spawn_app().await;
    // Fifty failures from this address in the window (as the throttle counts them).
    let client = outcomes::web::session::client_key(
        &hex::decode("11".repeat(32)).unwrap(),
        Some("127.0.0.1".parse().unwrap()),
    );
    for _ in 0..50 {
        app.execute(&format!(
            "INSERT INTO login_attempts (account_key, client_addr, succeeded, attempted_at) \
             VALUES ('x', '{client}', false, CURRENT_TIMESTAMP)"
        ));
    }
    let (res, _) = app
        .try_login("someone@example.org", "any password at all")
        .await;
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(res.headers()["retry-after"], "900");
    use diesel::prelude::*;
    use outcomes::db::schema::audit_events::dsl as a;
    let details: Vec<String> = a::audit_events
        .filter(a::action.eq("sign_in_failed"))
        .select(a::detail)
        .load(&mut app.db())
        .unwrap();
    assert!(
        details.iter().any(|d| d.starts_with("throttled account=")),
        "{details:?}"
    );
    assert!(!details.iter().any(|d| d.contains("someone")));
}
