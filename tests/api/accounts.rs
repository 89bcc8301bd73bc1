//! Accounts (issue 16): two-factor sign-in, "Your account", the password policy and
//! token expiry, through the real pages as a browser uses them.

use diesel::prelude::*;
use outcomes::db::schema::{audit_events, login_sessions, users};
use outcomes::domain::enums::{OrganisationKind, Role};
use outcomes::domain::ids::UserId;
use outcomes::domain::two_factor::Policy;

use crate::helpers::{
    code_for, csrf_in, location, spawn_app, spawn_app_with, totp_secret_in, TestApp, TestUser,
};

/// Posts a form from a signed-in (or half signed-in) browser, reading the CSRF token from
/// the page first.
async fn post_from_page(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = client
        .get(format!("{}{page}", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html).unwrap_or_else(|| panic!("a form token on {page}: {html}"));
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &csrf));
    client
        .post(format!("{}{action}", app.address))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
}

fn admin(app: &TestApp) -> TestUser {
    let opcc = app.org("OPCC", OrganisationKind::Commissioner);
    app.create_user(Role::Admin, opcc)
}

/// Enrols through the page: returns the secret read off the page and the recovery codes.
async fn enrol(app: &TestApp, client: &reqwest::Client) -> (Vec<u8>, Vec<String>) {
    let page = get(app, client, "/account/two-factor")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data:image/png;base64,"), "a QR code: {page}");
    let secret = totp_secret_in(&page).expect("the key on the page");
    let csrf = csrf_in(&page).unwrap();
    let res = client
        .post(format!("{}/account/two-factor", app.address))
        .form(&[
            ("code", code_for(&secret, None).as_str()),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    let codes: Vec<String> = html
        .split("<code class=\"app-secret\">")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_string())
        .collect();
    (secret, codes)
}

fn audit_details(app: &TestApp, user: i64) -> Vec<String> {
    audit_events::table
        .filter(audit_events::entity_id.eq(user.to_string()))
        .order(audit_events::id)
        .select(audit_events::detail)
        .load(&mut app.db())
        .unwrap()
}

#[tokio::test]
async fn an_admin_without_a_second_factor_is_taken_to_enrolment_after_the_password_and_reaches_nothing_else(
) {
    let app = spawn_app().await;
    let user = admin(&app);
    let (res, client) = app.try_login(&user.email, &user.password).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/account/two-factor");
    // Every other page sends the half signed-in session back to its step.
    for path in ["/admin/users", "/account", "/dashboard"] {
        let res = get(&app, &client, path).await;
        assert_eq!(res.status().as_u16(), 303, "{path}");
        assert_eq!(location(&res), "/account/two-factor", "{path}");
    }
    // The API does not take it either.
    let res = get(&app, &client, "/api/v1/programmes").await;
    assert_eq!(res.status().as_u16(), 401);
    // The session records no second factor yet.
    let passed: Vec<Option<chrono::NaiveDateTime>> = login_sessions::table
        .filter(login_sessions::user_id.eq(user.id))
        .select(login_sessions::second_factor_at)
        .load(&mut app.db())
        .unwrap();
    assert_eq!(passed, vec![None]);

    let (_, codes) = enrol(&app, &client).await;
    assert_eq!(codes.len(), 10);
    assert_eq!(
        get(&app, &client, "/admin/users").await.status().as_u16(),
        200
    );
    let passed: Vec<Option<chrono::NaiveDateTime>> = login_sessions::table
        .filter(login_sessions::user_id.eq(user.id))
        .select(login_sessions::second_factor_at)
        .load(&mut app.db())
        .unwrap();
    assert!(passed[0].is_some(), "the session records the second factor");
}

#[tokio::test]
async fn an_enrolled_user_signs_in_with_the_code_after_the_password_and_a_code_works_once() {
    let app = spawn_app().await;
    let user = admin(&app);
    let first = app.login(&user).await; // enrols on the way
    drop(first);
    let (secret, last) = app.totp_secret(user.id);

    let (res, client) = app.try_login(&user.email, &user.password).await;
    assert_eq!(location(&res), "/login/two-factor");
    assert_eq!(
        get(&app, &client, "/admin/users").await.status().as_u16(),
        303
    );
    // A wrong code is refused and audited.
    let res = post_from_page(
        &app,
        &client,
        "/login/two-factor",
        "/login/two-factor",
        &[("code", "000000")],
    )
    .await;
    let wrong_code = code_for(&secret, last) == "000000";
    if !wrong_code {
        assert_eq!(res.status().as_u16(), 401);
        assert!(res.text().await.unwrap().contains("The code is not right"));
    }
    // The code of the enrolment's step was used: it is refused again.
    let now_step = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 30) as i64;
    let used = last.unwrap();
    if used >= now_step - 1 {
        let replay = outcomes::domain::two_factor::code_at(&secret, used as u64 * 30).unwrap();
        let res = post_from_page(
            &app,
            &client,
            "/login/two-factor",
            "/login/two-factor",
            &[("code", &replay)],
        )
        .await;
        assert_eq!(res.status().as_u16(), 401, "a used code works once");
    }
    let code = code_for(&secret, last);
    let res = post_from_page(
        &app,
        &client,
        "/login/two-factor",
        "/login/two-factor",
        &[("code", &code)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/");
    assert_eq!(
        get(&app, &client, "/admin/users").await.status().as_u16(),
        200
    );
    let details = audit_details(&app, user.id);
    assert!(
        details.iter().any(|d| d == "second factor passed (code)"),
        "{details:?}"
    );
    if !wrong_code {
        assert!(
            details.iter().any(|d| d == "wrong second factor"),
            "{details:?}"
        );
    }
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_and_not_twice() {
    let app = spawn_app().await;
    let user = admin(&app);
    let (res, client) = app.try_login(&user.email, &user.password).await;
    assert_eq!(location(&res), "/account/two-factor");
    let (_, codes) = enrol(&app, &client).await;

    for (attempt, want) in [(1, 303), (2, 401)] {
        let (res, client) = app.try_login(&user.email, &user.password).await;
        assert_eq!(location(&res), "/login/two-factor");
        // Typed loosely: upper case, no hyphen.
        let typed = codes[3].replace('-', " ").to_uppercase();
        let res = post_from_page(
            &app,
            &client,
            "/login/two-factor",
            "/login/two-factor",
            &[("code", &typed)],
        )
        .await;
        assert_eq!(res.status().as_u16(), want, "attempt {attempt}");
    }
    let details = audit_details(&app, user.id);
    assert!(
        details
            .iter()
            .any(|d| d == "second factor passed (recovery code)"),
        "{details:?}"
    );
    // The account page counts what is left.
    let session = app.session_for(&user);
    let page = session.get("/account").await.text().await.unwrap();
    assert!(page.contains("9 recovery codes left"), "{page}");
}

#[tokio::test]
async fn provider_staff_are_not_asked_for_a_second_factor_unless_every_user_must() {
    let app = spawn_app().await;
    let a = app.provider("Provider A");
    let caseworker = app.create_user(Role::Caseworker, a);
    let (res, _) = app.try_login(&caseworker.email, &caseworker.password).await;
    assert_eq!(location(&res), "/");

    let strict = spawn_app_with(|s| s.require_2fa = Policy::All).await;
    let a = strict.provider("Provider A");
    let caseworker = strict.create_user(Role::Caseworker, a);
    let (res, _) = strict
        .try_login(&caseworker.email, &caseworker.password)
        .await;
    assert_eq!(location(&res), "/account/two-factor");

    // And with `off`, not even an admin (the demo).
    let demo = spawn_app_with(|s| s.require_2fa = Policy::Off).await;
    let user = admin(&demo);
    let (res, _) = demo.try_login(&user.email, &user.password).await;
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn a_caseworker_may_turn_on_two_factor_sign_in_from_their_account() {
    let app = spawn_app().await;
    let a = app.provider("Provider A");
    let user = app.create_user(Role::Caseworker, a);
    let session = app.login(&user).await;
    let page = session.get("/account").await.text().await.unwrap();
    assert!(page.contains("Two-factor sign-in"));
    enrol(&app, &session.client).await;
    let (res, _) = app.try_login(&user.email, &user.password).await;
    assert_eq!(location(&res), "/login/two-factor");
}

#[tokio::test]
async fn the_totp_secret_is_stored_encrypted() {
    let app = spawn_app().await;
    let user = admin(&app);
    app.login(&user).await;
    let (secret, _) = app.totp_secret(user.id);
    let stored: Option<String> = users::table
        .filter(users::id.eq(user.id))
        .select(users::totp_secret)
        .first(&mut app.db())
        .unwrap();
    let stored = stored.unwrap();
    assert!(stored.starts_with("v1:"), "{stored}");
    let b32 = outcomes::domain::two_factor::secret_base32(&secret);
    assert!(!stored.contains(&b32) && !stored.contains(&hex::encode(&secret)));
    // With another key it does not open.
    let other = outcomes::domain::two_factor::derive_key(&[0x33; 32]);
    assert!(outcomes::domain::two_factor::open(&other, &stored).is_err());
}

#[tokio::test]
async fn an_admin_resets_a_second_factor_through_a_confirmation_page_and_it_is_audited() {
    let app = spawn_app().await;
    let analyst = app.create_user(Role::Analyst, app.org("VRU", OrganisationKind::Vru));
    let analyst_session = app.login(&analyst).await;
    let boss = app.session_for(&admin(&app));

    let page = boss
        .get(&format!("/admin/users/{}/reset-two-factor", analyst.id))
        .await;
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("Reset two-factor sign-in for {}?", analyst.email)));
    // Looking at the question changes nothing.
    assert!(app.totp_secret(analyst.id).0.len() == 20);

    let res = boss
        .post_form(
            &format!("/admin/users/{}/reset-two-factor", analyst.id),
            &[],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let tf = outcomes::store::users::two_factor(&mut app.db(), UserId(analyst.id)).unwrap();
    assert!(!tf.enabled && tf.sealed_secret.is_none() && tf.recovery_codes_left == 0);
    // Their sessions ended, and the next sign-in enrols again.
    assert_eq!(
        analyst_session.get("/dashboard").await.status().as_u16(),
        303
    );
    let (res, _) = app.try_login(&analyst.email, &analyst.password).await;
    assert_eq!(location(&res), "/account/two-factor");
    let details = audit_details(&app, analyst.id);
    assert!(
        details.iter().any(|d| d == "second factor reset"),
        "{details:?}"
    );
}

#[tokio::test]
async fn a_user_changes_their_own_password_with_the_current_one_and_the_policy_applies() {
    let app = spawn_app().await;
    let a = app.provider("Provider A");
    let user = app.create_user(Role::Caseworker, a);
    let session = app.login(&user).await;
    let other = app.login(&user).await;
    let local = user.email.split('@').next().unwrap().to_string();
    let with_email = format!("{local}-garden");
    for (current, new, message) in [
        (
            "not my password",
            "violet kettle harbour",
            "Your current password is not right",
        ),
        (
            user.password.as_str(),
            "password1234",
            "list of common passwords",
        ),
        (
            user.password.as_str(),
            "aaaaaaaaaaaa",
            "list of common passwords",
        ),
        (
            user.password.as_str(),
            with_email.as_str(),
            "must not contain your email",
        ),
        (user.password.as_str(), "short", "at least 12 characters"),
    ] {
        let res = session
            .post_form(
                "/account/password",
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", new),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422, "{new}");
        assert!(res.text().await.unwrap().contains(message), "{new}");
    }
    let res = session
        .post_form(
            "/account/password",
            &[
                ("current_password", &user.password),
                ("new_password", "violet kettle harbour"),
                ("confirm_password", "violet kettle harbour"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/account");
    // This session goes on; the other one ended.
    assert_eq!(session.get("/account").await.status().as_u16(), 200);
    assert_eq!(other.get("/account").await.status().as_u16(), 303);
    let (res, _) = app.try_login(&user.email, &user.password).await;
    assert_eq!(res.status().as_u16(), 401);
    let (res, _) = app.try_login(&user.email, "violet kettle harbour").await;
    assert_eq!(res.status().as_u16(), 303);
}

#[tokio::test]
async fn the_first_sign_in_after_an_admin_set_the_password_asks_for_a_new_one() {
    let app = spawn_app_with(|s| s.require_2fa = Policy::Off).await;
    let a = app.provider("Provider A");
    let user = app.create_user(Role::Caseworker, a);
    let boss = app.session_for(&admin(&app));
    let res = boss
        .post_form(&format!("/admin/users/{}/reset-password", user.id), &[])
        .await;
    let page = res.text().await.unwrap();
    let start = page.find("<code class=\"app-secret\">").unwrap() + 25;
    let password = page[start..start + page[start..].find('<').unwrap()].to_string();

    let (res, client) = app.try_login(&user.email, &password).await;
    assert_eq!(location(&res), "/account/password");
    let res = get(&app, &client, "/participants").await;
    assert_eq!(location(&res), "/account/password");
    let res = post_from_page(
        &app,
        &client,
        "/account/password",
        "/account/password",
        &[
            ("current_password", &password),
            ("new_password", "violet kettle harbour"),
            ("confirm_password", "violet kettle harbour"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        get(&app, &client, "/participants").await.status().as_u16(),
        200
    );
    let (res, _) = app.try_login(&user.email, "violet kettle harbour").await;
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn your_account_lists_your_sessions_and_tokens_and_ends_them() {
    let app = spawn_app().await;
    let a = app.provider("Provider A");
    let user = app.create_user(Role::ProviderManager, a);
    let someone = app.create_user(Role::ProviderManager, a);
    let session = app.login(&user).await;
    let other = app.login(&user).await;
    let token = app.bearer(&user);
    let theirs = app.bearer(&someone);
    assert_eq!(
        app.get_with_token("/api/v1/programmes", &token)
            .await
            .status()
            .as_u16(),
        200
    );
    let page = session.get("/account").await.text().await.unwrap();
    assert!(page.contains("This browser"));
    assert_eq!(page.matches("/account/sessions/end").count(), 2, "{page}");
    assert!(page.contains("Revoke<span class=\"govuk-visually-hidden\"> token test"));
    assert!(
        !page.contains("Never</td>\n      <td class=\"govuk-table__cell\">Never"),
        "the token's last use is shown"
    );

    // End the other browser's session.
    let other_id: i64 = login_sessions::table
        .filter(
            login_sessions::id_hash.eq(outcomes::domain::credentials::sha256_hex(&other.cookie)),
        )
        .select(login_sessions::id)
        .first(&mut app.db())
        .unwrap();
    let res = session
        .post_form("/account/sessions/end", &[("id", &other_id.to_string())])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(other.get("/participants").await.status().as_u16(), 303);
    assert_eq!(session.get("/participants").await.status().as_u16(), 200);

    // Revoke their own token; someone else's is not theirs to revoke.
    let ids: Vec<(i64, i64)> = outcomes::db::schema::api_tokens::table
        .select((
            outcomes::db::schema::api_tokens::id,
            outcomes::db::schema::api_tokens::user_id,
        ))
        .load(&mut app.db())
        .unwrap();
    let mine = ids.iter().find(|(_, u)| *u == user.id).unwrap().0;
    let not_mine = ids.iter().find(|(_, u)| *u == someone.id).unwrap().0;
    let res = session
        .post_form("/account/tokens/revoke", &[("id", &not_mine.to_string())])
        .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        app.get_with_token("/api/v1/programmes", &theirs)
            .await
            .status()
            .as_u16(),
        200
    );
    let res = session
        .post_form("/account/tokens/revoke", &[("id", &mine.to_string())])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(
        app.get_with_token("/api/v1/programmes", &token)
            .await
            .status()
            .as_u16(),
        401
    );
}

#[tokio::test]
async fn an_expired_token_is_refused_and_tokens_show_their_expiry_and_last_use() {
    let app = spawn_app().await;
    let a = app.provider("Provider A");
    let user = app.create_user(Role::ProviderManager, a);
    let mut conn = app.db();
    let now = outcomes::store::now();
    let (_, live) = outcomes::store::tokens::create_expiring(
        &mut conn,
        UserId(user.id),
        "live",
        Some(now + chrono::Duration::days(90)),
        None,
    )
    .unwrap();
    let (_, expired) = outcomes::store::tokens::create_expiring(
        &mut conn,
        UserId(user.id),
        "expired",
        Some(now - chrono::Duration::minutes(1)),
        None,
    )
    .unwrap();
    assert_eq!(
        app.get_with_token("/api/v1/programmes", &live)
            .await
            .status()
            .as_u16(),
        200
    );
    let res = app.get_with_token("/api/v1/programmes", &expired).await;
    assert_eq!(res.status().as_u16(), 401);
    let tokens = outcomes::store::tokens::list_for(&mut conn, UserId(user.id)).unwrap();
    let live_info = tokens.iter().find(|t| t.label == "live").unwrap();
    assert!(live_info.last_used_at.is_some() && live_info.live());
    let expired_info = tokens.iter().find(|t| t.label == "expired").unwrap();
    assert!(expired_info.last_used_at.is_none() && !expired_info.live());
    let boss = app.session_for(&admin(&app));
    let page = boss.get("/admin/users").await.text().await.unwrap();
    assert!(page.contains("expires "), "{page}");
    assert!(page.contains("last used "), "{page}");
}

#[test]
fn token_add_takes_an_expiry_and_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::helpers::fresh_database(&dir);
    let run = |args: &[&str]| crate::cli::outcomes(args, &url, dir.path());
    assert!(run(&["migrate"]).status.success());
    assert!(
        run(&["org", "add", "--name", "Remedi", "--kind", "provider"])
            .status
            .success()
    );
    let out = run(&[
        "user",
        "add",
        "--email",
        "jo@remedi.org",
        "--role",
        "caseworker",
        "--organisation",
        "Remedi",
        "--generate-password",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "token",
        "add",
        "--email",
        "jo@remedi.org",
        "--expires-in",
        "90d",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = (chrono::Utc::now() + chrono::Duration::days(90))
        .format("%-d %B %Y")
        .to_string();
    assert!(stderr.contains(&format!("expires {expected}")), "{stderr}");
    let out = run(&[
        "token",
        "add",
        "--email",
        "jo@remedi.org",
        "--expires-in",
        "90 days",
    ]);
    assert!(!out.status.success());
}

#[tokio::test]
async fn changes_to_access_are_confirmed_first_and_no_admin_can_remove_the_last_admin() {
    let app = spawn_app().await;
    let opcc = app.org("OPCC", OrganisationKind::Commissioner);
    let provider = app.provider("Provider A");
    let admin = app.create_user(Role::Admin, opcc);
    let caseworker = app.create_user(Role::Caseworker, provider);
    let session = app.session_for(&admin);
    // The users page links to a question; asking changes nothing.
    let users_page = session.get("/admin/users").await.text().await.unwrap();
    assert!(users_page.contains(&format!(
        "href=\"/admin/users/{}/deactivate\"",
        caseworker.id
    )));
    assert!(users_page.contains(&format!(
        "href=\"/admin/users/{}/reset-password\"",
        caseworker.id
    )));
    for (path, words) in [
        (
            format!("/admin/users/{}/deactivate", caseworker.id),
            format!("Deactivate {}?", caseworker.email),
        ),
        (
            format!("/admin/users/{}/reset-password", caseworker.id),
            format!("Reset the password of {}?", caseworker.email),
        ),
    ] {
        let page = session.get(&path).await;
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains(&words), "{path}: {html}");
        assert!(html.contains(&format!("action=\"{path}\"")), "{path}");
    }
    let active = |id: i64| -> bool {
        let mut conn = app.db();
        users::table
            .filter(users::id.eq(id))
            .select(users::active)
            .first(&mut conn)
            .unwrap()
    };
    assert!(active(caseworker.id), "asking deactivated nobody");
    // The only admin cannot deactivate themselves (and so is never the last one gone).
    let res = session
        .post_form(&format!("/admin/users/{}/deactivate", admin.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    let page = session.get("/admin/users").await.text().await.unwrap();
    assert!(
        page.contains("You cannot deactivate your own account"),
        "{page}"
    );
    assert!(active(admin.id));
    // With a second admin, neither can deactivate themselves, and the one who is left
    // cannot deactivate the other once they are the last.
    let second = app.create_user(Role::Admin, opcc);
    let res = session
        .post_form(&format!("/admin/users/{}/deactivate", second.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert!(!active(second.id), "one of two admins can be deactivated");
    let other = app.session_for(&app.create_user(Role::Admin, opcc));
    let res = other
        .post_form(&format!("/admin/users/{}/deactivate", admin.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        !active(admin.id),
        "one of two active admins can be deactivated"
    );
    // `other` is now the last active admin: another admin session cannot exist to ask,
    // so the store's rule is checked directly as the pages call it.
    let mut conn = app.db();
    let last = UserId(
        users::table
            .filter(users::role.eq("admin"))
            .filter(users::active.eq(true))
            .select(users::id)
            .first::<i64>(&mut conn)
            .unwrap(),
    );
    let err = outcomes::store::users::deactivate(&mut conn, last, None).unwrap_err();
    assert!(err.to_string().contains("last active admin"), "{err}");
}
