//! Two instances of the service on one database, as behind a load balancer: on
//! PostgreSQL in the PostgreSQL pass, on one SQLite file otherwise (so the test always
//! runs). Sessions, CSRF tokens, sign-in throttling and records live in the database;
//! the secrets come from the shared configuration.

use serde_json::{json, Value};

use crate::casework::{accepted_referral, call, session, world};
use crate::helpers::spawn_instance_on;
use outcomes::domain::enums::Role;

/// The report without the moment it was computed.
pub fn without_generated_at(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("generated_at");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[tokio::test]
async fn two_instances_on_one_database_share_sign_ins_records_throttling_and_reports() {
    let w = world().await;
    let a = &w.app;
    let b = spawn_instance_on(&a.database_url).await;
    assert_ne!(a.address, b.address);

    // Signed in through instance A's sign-in form: signed in on B with the same cookie.
    let user = a.create_user(Role::Caseworker, w.provider);
    let on_a = a.login(&user).await;
    let mut on_b = b.session_with_cookie(&on_a.cookie);
    let res = on_b.get("/api/v1/me").await;
    assert_eq!(res.status().as_u16(), 200, "the session is known to B");
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["user_id"], user.id);
    let page = on_b.get("/participants").await;
    assert_eq!(page.status().as_u16(), 200);
    // A form posted to B with the CSRF token A's page carried is accepted.
    on_b.csrf = on_a.csrf.clone();
    let res = on_b
        .post_form(
            "/participants/new",
            &[
                ("reference", "TWIN-1"),
                ("gender", "female"),
                ("ethnicity", "not_stated"),
            ],
        )
        .await;
    assert_eq!(
        res.status().as_u16(),
        303,
        "B accepts A's session's CSRF token"
    );
    let location = res.headers()["location"].to_str().unwrap().to_string();
    // ...and A shows what B wrote.
    let res = on_a.get(&location).await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.text().await.unwrap().contains("TWIN-1"));

    // A record written through A's API is read through B's.
    let (status, created) = call(
        a,
        "POST",
        &w.token,
        "/api/v1/participants",
        Some(json!({"reference": "TWIN-2", "gender": "male", "date_of_birth": "2010-01-02"})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, read) = call(
        &b,
        "GET",
        &w.token,
        &format!("/api/v1/participants/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read, created);

    // Casework through both, then the same report from both.
    let referral = accepted_referral(&w, w.mentoring, None).await;
    let s = session(&w, w.mentoring).await;
    let (status, body) = call(
        &b,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{s}/attendance"),
        Some(json!({"attendance": [{"referral_id": referral, "status": "attended", "hours": 2}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let path = format!("/api/v1/reports/programmes/{}?period=2025-26", w.mentoring);
    let (status, from_a) = call(a, "GET", &w.admin_token, &path, None).await;
    assert_eq!(status, 200, "{from_a}");
    let (status, from_b) = call(&b, "GET", &w.admin_token, &path, None).await;
    assert_eq!(status, 200, "{from_b}");
    assert_eq!(
        without_generated_at(from_a.clone()),
        without_generated_at(from_b)
    );
    assert_eq!(
        from_a["engagement"]["referrals_received"], 1,
        "the report counts the referral: {}",
        from_a["engagement"]
    );

    // Signing out through B ends the session on A too.
    let res = on_b.post_form("/logout", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let res = on_a.get("/api/v1/me").await;
    assert_eq!(res.status().as_u16(), 401, "signed out everywhere");

    // Failed sign-ins count across instances: ten wrong passwords, half through each,
    // and then the right one is refused on either.
    let victim = a.create_user(Role::Caseworker, w.provider);
    for i in 0..10 {
        let instance = if i % 2 == 0 { a } else { &b };
        let (res, _) = instance.try_login(&victim.email, "not-the-password").await;
        assert_eq!(res.status().as_u16(), 401);
    }
    for instance in [a, &b] {
        let (res, _) = instance.try_login(&victim.email, &victim.password).await;
        assert_ne!(
            res.status().as_u16(),
            303,
            "the account is throttled on every instance"
        );
    }
}
