//! Signing in and out, sessions, tokens, lock-out, throttling and CSRF.

use outcomes::domain::enums::Role;
use outcomes::web::session::{client_key, SESSION_COOKIE};

use crate::helpers::{csrf_in, spawn_app, spawn_app_with, TestApp};

const SIGN_IN_FAILED: &str = "Enter a correct email address and password";

fn locked(app: &TestApp, user_id: i64) -> bool {
    use diesel::prelude::*;
    use outcomes::db::schema::users::dsl as u;
    u::users
        .filter(u::id.eq(user_id))
        .select(u::locked_at)
        .first::<Option<chrono::NaiveDateTime>>(&mut app.db())
        .unwrap()
        .is_some()
}

fn audit_text(app: &TestApp) -> String {
    use diesel::prelude::*;
    use outcomes::db::schema::audit_events::dsl as a;
    a::audit_events
        .select((
            a::action,
            a::entity,
            a::entity_id,
            a::changed_fields,
            a::detail,
        ))
        .load::<(String, String, Option<String>, String, String)>(&mut app.db())
        .unwrap()
        .into_iter()
        .map(|r| format!("{r:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn signing_in_sets_a_rotated_httponly_samesite_session_cookie_and_shows_the_user() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let user = app.create_user(Role::Caseworker, org);
    let (res, _) = app
        .try_login(&user.email.to_uppercase(), &user.password)
        .await;
    assert_eq!(res.status().as_u16(), 303, "emails are case-insensitive");
    let set_cookie: Vec<String> = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with(SESSION_COOKIE))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(!session.contains("Secure"), "no TLS configured: {session}");

    let first = app.login(&user).await;
    let home = first.get("/").await.text().await.unwrap();
    assert!(home.contains("Sign out"));
    assert!(home.contains("Remedi"));
    // Signing in again from the same browser gives a new id and ends the old one.
    let res = first
        .post_form(
            "/login",
            &[("email", &user.email), ("password", &user.password)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let second = res
        .cookies()
        .find(|c| c.name() == SESSION_COOKIE)
        .unwrap()
        .value()
        .to_string();
    assert_ne!(second, first.cookie);
    let old = crate::helpers::no_redirect_client().build().unwrap();
    let res = old
        .get(format!("{}/api/v1/me", app.address))
        .header("cookie", format!("{SESSION_COOKIE}={}", first.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401, "the old session id is dead");
    // The database holds only the hash of the cookie value.
    let hashes = app.column("id_hash", "login_sessions");
    assert!(!hashes.contains(&second));
    assert!(hashes.contains(&outcomes::domain::credentials::sha256_hex(&second)));
}

#[tokio::test]
async fn a_wrong_password_an_unknown_email_and_an_inactive_account_get_the_same_message() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let user = app.create_user(Role::Caseworker, org);
    let inactive = app.create_user(Role::Caseworker, org);
    app.execute(&format!(
        "UPDATE users SET active = false WHERE id = {}",
        inactive.id
    ));
    for (email, password) in [
        (user.email.as_str(), "wrong password!"),
        ("nobody@example.org", "wrong password!"),
        (inactive.email.as_str(), inactive.password.as_str()),
    ] {
        let (res, _) = app.try_login(email, password).await;
        assert_eq!(res.status().as_u16(), 401, "{email}");
        let html = res.text().await.unwrap();
        assert!(html.contains(SIGN_IN_FAILED), "{html}");
        assert!(html.contains("govuk-error-summary"));
    }
    // Failures are audited by keyed hash, never by the typed email.
    let audit = audit_text(&app);
    assert!(audit.contains("sign_in_failed"));
    assert!(!audit.contains("nobody@example.org"), "{audit}");
    assert!(!audit.contains(&user.email), "{audit}");
}

/// Finding: anyone could lock any account with ten requests. Wrong passwords now slow an
/// account's sign-in down — ten are free, then 1, 2, 4… seconds after the latest — and
/// never lock it: once the wait is over, the right password works.
#[tokio::test]
async fn wrong_passwords_slow_an_account_down_and_never_lock_it() {
    use outcomes::web::pages::login::wait_after;
    // The schedule, by hand.
    let schedule: Vec<i64> = [0, 9, 10, 11, 12, 15, 19, 20, 100]
        .iter()
        .map(|&n| wait_after(n))
        .collect();
    assert_eq!(schedule, [0, 0, 1, 2, 4, 32, 512, 900, 900]);
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let user = app.create_user(Role::ProviderManager, org);
    for attempt in 1..=10 {
        let (res, _) = app.try_login(&user.email, "not the password").await;
        assert_eq!(res.status().as_u16(), 401, "attempt {attempt} is checked");
    }
    assert!(!locked(&app, user.id), "ten wrong passwords lock nothing");
    // At once after the tenth: refused unchecked, with the wait; not counted.
    for _ in 0..3 {
        let (res, _) = app.try_login(&user.email, &user.password).await;
        assert_eq!(res.status().as_u16(), 429);
        let retry: i64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(retry, 1, "one second after ten failures");
    }
    assert!(audit_text(&app).contains("slowed account="));
    // The wait is over (the failures are aged out of the window, as time would): the
    // right password signs in, and the account was never locked.
    app.execute(
        "UPDATE login_attempts SET attempted_at = '2000-01-01 00:00:00' WHERE succeeded = false",
    );
    let (res, _) = app.try_login(&user.email, &user.password).await;
    assert_eq!(res.status().as_u16(), 303, "signs in once the wait is over");
    assert!(!locked(&app, user.id));
}

#[tokio::test]
async fn a_right_password_resets_the_run_of_failures() {
    let app = spawn_app().await;
    let user = app.create_user(Role::Caseworker, app.provider("Remedi"));
    for _ in 0..5 {
        app.try_login(&user.email, "not the password").await;
    }
    app.login(&user).await;
    app.execute("UPDATE login_attempts SET attempted_at = '2000-01-01 00:00:00'");
    for _ in 0..5 {
        app.try_login(&user.email, "not the password").await;
    }
    assert!(!locked(&app, user.id), "5 + 5 is not ten in a row");
}

#[tokio::test]
async fn a_session_ends_after_30_idle_minutes_or_12_hours_or_at_sign_out() {
    let app = spawn_app().await;
    let user = app.create_user(Role::Analyst, app.provider("VRU analysts"));
    let idle = app.session_for(&user);
    assert_eq!(idle.get("/api/v1/me").await.status().as_u16(), 200);
    app.execute(&format!(
        "UPDATE login_sessions SET last_seen_at = '2000-01-01 00:00:00' WHERE id_hash = '{}'",
        outcomes::domain::credentials::sha256_hex(&idle.cookie)
    ));
    assert_eq!(idle.get("/api/v1/me").await.status().as_u16(), 401);
    let page = idle.get("/admin/users").await;
    assert_eq!(page.status().as_u16(), 303);
    assert_eq!(page.headers()["location"], "/login");

    let old = app.session_for(&user);
    app.execute(&format!(
        "UPDATE login_sessions SET expires_at = '2000-01-01 00:00:00' WHERE id_hash = '{}'",
        outcomes::domain::credentials::sha256_hex(&old.cookie)
    ));
    assert_eq!(old.get("/api/v1/me").await.status().as_u16(), 401);

    let live = app.login(&user).await;
    let res = live.post_form("/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let again = app.session_with_cookie(&live.cookie);
    assert_eq!(again.get("/api/v1/me").await.status().as_u16(), 401);
}

#[tokio::test]
async fn deactivating_a_user_ends_their_sessions_and_stops_their_tokens() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let user = app.create_user(Role::Caseworker, org);
    let session = app.session_for(&user);
    let token = app.bearer(&user);
    assert_eq!(
        app.get_with_token("/api/v1/me", &token)
            .await
            .status()
            .as_u16(),
        200
    );
    let admin = app.session_for(&app.create_user(Role::Admin, org));
    let res = admin
        .post_form(&format!("/admin/users/{}/deactivate", user.id), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(session.get("/api/v1/me").await.status().as_u16(), 401);
    assert_eq!(
        app.get_with_token("/api/v1/me", &token)
            .await
            .status()
            .as_u16(),
        401
    );
    let (res, _) = app.try_login(&user.email, &user.password).await;
    assert_eq!(res.status().as_u16(), 401);
    // The flash message shows once.
    let page = admin.get("/admin/users").await.text().await.unwrap();
    assert!(page.contains("User deactivated"));
    assert!(page.contains("Deactivated"));
    let again = admin.get("/admin/users").await.text().await.unwrap();
    assert!(!again.contains("User deactivated"));
}

#[tokio::test]
async fn a_revoked_token_stops_working_and_tokens_act_with_their_users_role() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let user = app.create_user(Role::ProviderManager, org);
    let token = app.bearer(&user);
    let me: serde_json::Value = app
        .get_with_token("/api/v1/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "provider_manager");
    assert_eq!(me["organisation_id"], org);
    // Only the hash is stored.
    let stored = app.column("token_hash", "api_tokens");
    assert!(!stored.contains(&token));
    assert!(stored.contains(&outcomes::domain::credentials::sha256_hex(&token)));
    let admin = app.session_for(&app.create_user(Role::Admin, org));
    let page = admin.get("/admin/users").await.text().await.unwrap();
    assert!(page.contains("/revoke"));
    let id = app.column("id", "api_tokens")[0].clone();
    let res = admin
        .post_form(&format!("/admin/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.get_with_token("/api/v1/me", &token)
            .await
            .status()
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn cross_site_form_posts_without_the_token_are_refused_with_403() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let admin = app.login(&app.create_user(Role::Admin, org)).await;
    // No token at all: what a forged form on another site sends.
    let fields = [
        ("email", "new@example.org"),
        ("role", "caseworker"),
        ("organisation_id", &org.to_string()),
    ];
    let res = admin.post_form_without_token("/admin/users", &fields).await;
    assert_eq!(res.status().as_u16(), 403);
    // A wrong token.
    let mut wrong = fields.to_vec();
    wrong.push(("csrf_token", "0000"));
    let res = admin.post_form_without_token("/admin/users", &wrong).await;
    assert_eq!(res.status().as_u16(), 403);
    // The right token from another origin.
    let res = admin
        .client
        .post(format!("{}/logout", app.address))
        .header("origin", "https://evil.example")
        .form(&[("csrf_token", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(!audit_text(&app).contains("new@example.org"));
    // Signing in needs the sign-in form's token too.
    let client = crate::helpers::no_redirect_client().build().unwrap();
    let res = client
        .post(format!("{}/login", app.address))
        .form(&[("email", "a@b.org"), ("password", "whatever password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    // With the token the same post works.
    let res = admin.post_form("/admin/users", &fields).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("User added"), "{html}");
    assert!(html.contains("new@example.org"));
}

#[tokio::test]
async fn an_admin_adds_a_user_whose_shown_password_signs_in() {
    let app = spawn_app().await;
    let org = app.provider("Remedi");
    let admin = app.session_for(&app.create_user(Role::Admin, org));
    let org_s = org.to_string();
    let bad = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "not-an-email"),
                ("role", ""),
                ("organisation_id", &org_s),
            ],
        )
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("govuk-error-summary"));
    assert!(html.contains("Select a role"));
    // Issue 16 / finding L5: a commissioner in a provider is refused on the page, naming
    // the roles allowed there, and nobody is added.
    let misfit = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "com@example.org"),
                ("role", "commissioner"),
                ("organisation_id", &org_s),
            ],
        )
        .await;
    assert_eq!(misfit.status().as_u16(), 422);
    let html = misfit.text().await.unwrap();
    assert!(
        html.contains("the roles allowed there are caseworker or provider_manager"),
        "{html}"
    );
    let (res, _) = app.try_login("com@example.org", "anything at all").await;
    assert_ne!(res.status().as_u16(), 303);
    let res = admin
        .post_form(
            "/admin/users",
            &[
                ("email", " New.Person@Example.org "),
                ("display_name", "New Person"),
                ("role", "caseworker"),
                ("organisation_id", &org_s),
            ],
        )
        .await;
    let html = res.text().await.unwrap();
    let password = html
        .split("<code class=\"app-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert_eq!(password.len(), 20);
    let (res, _) = app.try_login("new.person@example.org", &password).await;
    assert_eq!(res.status().as_u16(), 303);
    // A duplicate is a form error, not a crash.
    let dup = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "new.person@example.org"),
                ("role", "caseworker"),
                ("organisation_id", &org_s),
            ],
        )
        .await;
    assert_eq!(dup.status().as_u16(), 422);
    assert!(dup.text().await.unwrap().contains("already exists"));
    // Reset shows a new password once and ends their sessions.
    let id = {
        use diesel::prelude::*;
        use outcomes::db::schema::users::dsl as u;
        u::users
            .filter(u::email.eq("new.person@example.org"))
            .select(u::id)
            .first::<i64>(&mut app.db())
            .unwrap()
    };
    let res = admin
        .post_form(&format!("/admin/users/{id}/reset-password"), &[])
        .await;
    let html = res.text().await.unwrap();
    assert!(html.contains("Password reset"));
    let (res, _) = app.try_login("new.person@example.org", &password).await;
    assert_eq!(
        res.status().as_u16(),
        401,
        "the old password no longer works"
    );
}

#[tokio::test]
async fn with_tls_configured_cookies_are_secure_and_responses_carry_hsts() {
    let app = spawn_app_with(|s| s.tls = true).await;
    let res = app.get("/login").await;
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    let plain = spawn_app().await;
    assert!(plain
        .get("/")
        .await
        .headers()
        .get("strict-transport-security")
        .is_none());
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let secret = [0x11u8; 32];
    for (trusted, expected) in [(true, "203.0.113.9"), (false, "127.0.0.1")] {
        let app = spawn_app_with(|s| {
            if trusted {
                s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            }
        })
        .await;
        let client = crate::helpers::no_redirect_client()
            .cookie_store(true)
            .build()
            .unwrap();
        let page = client
            .get(format!("{}/login", app.address))
            .send()
            .await
            .unwrap();
        let token = csrf_in(&page.text().await.unwrap()).unwrap();
        client
            .post(format!("{}/login", app.address))
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.9")
            .form(&[
                ("email", "a@b.org"),
                ("password", "wrong password"),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .unwrap();
        let stored = app.column("client_addr", "login_attempts");
        let key = client_key(&secret, Some(expected.parse().unwrap()));
        assert_eq!(stored, vec![key], "trusted={trusted}");
    }
}
