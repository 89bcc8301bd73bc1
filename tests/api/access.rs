//! The access matrix: EVERY route of the application, taken from the route registry
//! (`outcomes::web::routes::all()`, the same list that registers the routes), × every
//! role × a record of the actor's own organisation and one of another, signed out, with
//! a session and with a bearer token. Each answer must be exactly what the rule says:
//! allowed; or signed out → /login (pages) / 401 problem JSON (API); wrong role → 403;
//! another organisation's record → 404.
//!
//! A new route is in this test the moment it is registered. It fails when the route's
//! `{id}` names a kind of record the fixture below does not know, when a path parameter
//! is unknown, when an admin page is not admin-only, or when a route is public without
//! being on the public list.

use std::collections::HashMap;

use outcomes::domain::access::{Access, ADMIN_ONLY};
use outcomes::domain::enums::{OrganisationKind, Role};
use outcomes::web::routes::{all, RouteSpec, Target};
use reqwest::Method;

use crate::helpers::{spawn_app, TestApp, TestUser};

/// The routes that may be reached signed out. Adding one is a decision: make it here.
const PUBLIC: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/assets/{path:.*}"),
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    // Data protection (issue 18): the privacy notice, accessibility statement and cookies.
    ("GET", "/privacy"),
    ("GET", "/accessibility"),
    ("GET", "/cookies"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Own,
    Other,
}

/// Records of each kind, per organisation, that `{id}` can name.
struct Fixture {
    actors: Vec<TestUser>,
    /// (target, organisation id) → record id
    records: HashMap<(Target, i64), i64>,
    /// actor's organisation → the other organisation used for `Side::Other`
    other_org: HashMap<i64, i64>,
}

fn organisation_for(role: Role, a: i64, opcc: i64, vru: i64) -> i64 {
    match role {
        Role::Caseworker | Role::ProviderManager => a,
        Role::Commissioner | Role::Admin => opcc,
        Role::Analyst => vru,
    }
}

async fn fixture(app: &TestApp) -> Fixture {
    let a = app.provider("Provider A");
    let b = app.provider("Provider B");
    let opcc = app.org("OPCC", OrganisationKind::Commissioner);
    let vru = app.org("VRU", OrganisationKind::Vru);
    let mut records = HashMap::new();
    for (i, org) in [a, b, opcc, vru].into_iter().enumerate() {
        records.insert(
            (Target::Participant, org),
            app.add_participant(org, &format!("REF-{i}")),
        );
        // A user who is only ever the object of admin actions, and their token.
        // (Its role fits the organisation's kind, as every user's must.)
        let victim_role = [
            Role::Caseworker,
            Role::Caseworker,
            Role::Commissioner,
            Role::Analyst,
        ][i];
        let victim = app.create_user(victim_role, org);
        let token_id = {
            app.bearer(&victim);
            use diesel::prelude::*;
            use outcomes::db::schema::api_tokens::dsl as t;
            t::api_tokens
                .filter(t::user_id.eq(victim.id))
                .select(t::id)
                .first::<i64>(&mut app.db())
                .unwrap()
        };
        records.insert((Target::User, org), victim.id);
        let programme = app.add_programme(org, "Mentoring");
        records.insert((Target::Programme, org), programme);
        records.insert(
            (Target::QuarterlyReturn, org),
            app.add_return(programme, "2025-26-Q1", victim.id),
        );
        let (referral, session) =
            app.add_referral_and_session(org, records[&(Target::Participant, org)], programme);
        records.insert((Target::Referral, org), referral);
        records.insert((Target::Session, org), session);
        // An outcome record of the referral and a group survey of the session.
        let (measure, outcome, survey) = (100 + i as i64, 200 + i as i64, 300 + i as i64);
        app.execute(&format!(
            "INSERT INTO outcome_measures (id, name, min_value, max_value, higher_is_better, created_at) \
             VALUES ({measure}, 'Measure {i}', 1, 5, TRUE, '2025-01-01 00:00:00')"
        ));
        app.execute(&format!(
            "INSERT INTO outcome_records (id, referral_id, measure_id, timepoint, recorded_on, value, created_at) \
             VALUES ({outcome}, {referral}, {measure}, 'baseline', '2025-05-03', 3, '2025-01-01 00:00:00')"
        ));
        app.execute(&format!(
            "INSERT INTO group_surveys (id, organisation_id, programme_id, session_id, measure_id, timepoint, recorded_on, respondents, created_at) \
             VALUES ({survey}, {org}, {programme}, {session}, {measure}, 'baseline', '2025-06-01', 0, '2025-01-01 00:00:00')"
        ));
        // An import batch (with nothing recorded to undo) and a refused upload.
        let (batch, failed) = (400 + i as i64, 500 + i as i64);
        app.execute(&format!(
            "INSERT INTO import_batches (id, organisation_id, kind, file_name, sha256, rows_total, created_at) \
             VALUES ({batch}, {org}, 'referrals', 'r.csv', '{}', 0, '2025-01-01 00:00:00')",
            "0".repeat(64)
        ));
        app.execute(&format!(
            "INSERT INTO failed_uploads (id, organisation_id, kind, file_name, error_count, errors, created_at) \
             VALUES ({failed}, {org}, 'referrals', 'r.csv', 1, '[]', '2025-01-01 00:00:00')"
        ));
        records.insert((Target::ImportBatch, org), batch);
        records.insert((Target::FailedUpload, org), failed);
        records.insert((Target::OutcomeRecord, org), outcome);
        records.insert((Target::GroupSurvey, org), survey);
        // A provider whose figures to ask for: the organisation itself when it is one.
        let provider = if org == opcc {
            a
        } else if org == vru {
            b
        } else {
            org
        };
        records.insert((Target::Provider, org), provider);
        records.insert(
            (Target::FundingStream, org),
            app.add_funding_stream(&format!("Stream {i}")),
        );
        records.insert((Target::ApiToken, org), token_id);
        // An entry of the report archive (admin pages only).
        let entry = 400 + i as i64;
        app.execute(&format!(
            "INSERT INTO report_archive (id, archived_at, scope, scope_name, programme_ids, period_from, period_to, mode, audience, format, via, parameters, input_sha256, figures, figures_sha256) \
             VALUES ({entry}, '2025-01-01 00:00:00', 'programme:{programme}', 'Mentoring', '[{programme}]', '2024-04-01', '2025-03-31', 'published', 'aggregate', 'json', 'api', '{{}}', '', '{{}}', '')"
        ));
        records.insert((Target::ReportArchiveEntry, org), entry);
    }
    let actors = Role::ALL
        .iter()
        .map(|role| app.create_user(*role, organisation_for(*role, a, opcc, vru)))
        .collect();
    let other_org = HashMap::from([(a, b), (opcc, a), (vru, b)]);
    Fixture {
        actors,
        records,
        other_org,
    }
}

/// The concrete path for a route, an actor and a side.
fn concrete_path(spec: &RouteSpec, fixture: &Fixture, org: i64, side: Side) -> String {
    let mut path = spec.path.to_string();
    if spec.target != Target::None {
        let owner = match side {
            Side::Own => org,
            Side::Other => fixture.other_org[&org],
        };
        let id = fixture
            .records
            .get(&(spec.target, owner))
            .unwrap_or_else(|| {
                panic!(
                    "{spec:?}: the access test has no {:?} record; add one to its fixture",
                    spec.target
                )
            });
        path = path.replace("{id}", &id.to_string());
    }
    path = path
        .replace("{path:.*}", "app.css")
        .replace("{file:.*}", "index.html")
        .replace("{kind}", "referrals");
    assert!(
        !path.contains('{'),
        "{spec:?}: the access test does not know a parameter of this path; teach it"
    );
    path
}

#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    SignIn,
    Forbidden,
    NotFound,
}

fn expected(spec: &RouteSpec, role: Option<Role>, side: Side) -> Expect {
    match (spec.access, role) {
        (Access::Public, _) => Expect::Allowed,
        (_, None) => Expect::SignIn,
        (Access::Roles(roles), Some(r)) if !roles.contains(&r) => Expect::Forbidden,
        (_, Some(r)) => {
            let sees_every_organisation = r == Role::Admin
                || (!spec.target.is_participant_level()
                    && !spec.target.is_private_to_organisation()
                    && matches!(r, Role::Commissioner | Role::Analyst));
            if spec.target.is_organisation_owned()
                && side == Side::Other
                && !sees_every_organisation
            {
                Expect::NotFound
            } else {
                Expect::Allowed
            }
        }
    }
}

async fn observe(spec: &RouteSpec, res: reqwest::Response) -> Expect {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(status < 500, "{spec:?} answered {status}");
    let api = spec.is_api();
    let got = match status {
        401 if api => Expect::SignIn,
        303 if !api && location == "/login" => Expect::SignIn,
        403 => Expect::Forbidden,
        404 => Expect::NotFound,
        _ => Expect::Allowed,
    };
    if api && got != Expect::Allowed {
        assert_eq!(
            content_type, "application/problem+json",
            "{spec:?}: API refusals are problem JSON"
        );
    }
    got
}

async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    spec: &RouteSpec,
    path: &str,
    csrf: Option<&str>,
    bearer: Option<&str>,
) -> reqwest::Response {
    let method = Method::from_bytes(spec.method.as_str().as_bytes()).unwrap();
    let mut req = client.request(method.clone(), format!("{}{}", app.address, path));
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    } else if csrf.is_none() {
        // A signed-out browser that has loaded the sign-in form: it holds the
        // pre-session CSRF cookie and posts its value.
        req = req.header("cookie", "outcomes_csrf=signed-out-form-token");
    }
    let csrf = csrf.or(bearer.is_none().then_some("signed-out-form-token"));
    if method != Method::GET {
        let fields: Vec<(&str, &str)> = csrf.map(|c| vec![("csrf_token", c)]).unwrap_or_default();
        req = req.form(&fields);
    }
    req.send().await.expect("the request is sent")
}

#[tokio::test]
async fn every_route_answers_every_role_and_organisation_exactly_as_its_access_rule_says() {
    let app = spawn_app().await;
    let fixture = fixture(&app).await;
    let anonymous = crate::helpers::no_redirect_client().build().unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for spec in all() {
        // Signed out.
        let path = concrete_path(
            &spec,
            &fixture,
            fixture.actors[0].organisation_id,
            Side::Own,
        );
        let got = observe(
            &spec,
            send(&app, &anonymous, &spec, &path, None, None).await,
        )
        .await;
        let want = expected(&spec, None, Side::Own);
        if got != want {
            failures.push(format!("signed out: {spec:?} → {got:?}, expected {want:?}"));
        }
        checked += 1;
        for actor in &fixture.actors {
            let sides: &[Side] = if spec.target == Target::None {
                &[Side::Own]
            } else {
                &[Side::Own, Side::Other]
            };
            for &side in sides {
                let path = concrete_path(&spec, &fixture, actor.organisation_id, side);
                let want = expected(&spec, Some(actor.role), side);
                // With a browser session (a fresh one each time: some routes sign out).
                let session = app.session_for(actor);
                let res = send(
                    &app,
                    &session.client,
                    &spec,
                    &path,
                    Some(&session.csrf),
                    None,
                )
                .await;
                let got = observe(&spec, res).await;
                if got != want {
                    failures.push(format!(
                        "{:?} session, {side:?} organisation: {spec:?} {path} → {got:?}, expected {want:?}",
                        actor.role
                    ));
                }
                checked += 1;
                // With a bearer token, on the API.
                if spec.is_api() {
                    let token = app.bearer(actor);
                    let res = send(&app, &anonymous, &spec, &path, None, Some(&token)).await;
                    let got = observe(&spec, res).await;
                    if got != want {
                        failures.push(format!(
                            "{:?} token, {side:?} organisation: {spec:?} {path} → {got:?}, expected {want:?}",
                            actor.role
                        ));
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 100, "only {checked} requests were checked");
}

#[test]
fn only_the_listed_routes_are_public_and_every_admin_route_is_admin_only() {
    for spec in all() {
        let key = (spec.method.as_str(), spec.path);
        assert_eq!(
            spec.access == Access::Public,
            PUBLIC.contains(&key),
            "{spec:?}: public routes are exactly those on the PUBLIC list"
        );
        if spec.path.starts_with("/admin") {
            assert_eq!(spec.access, Access::Roles(ADMIN_ONLY), "{spec:?}");
        }
        if spec.target.is_participant_level() {
            let Access::Roles(roles) = spec.access else {
                panic!("{spec:?}: participant-level routes name their roles");
            };
            assert!(
                !roles.contains(&Role::Commissioner) && !roles.contains(&Role::Analyst),
                "{spec:?}: commissioners and analysts see no participant-level rows"
            );
        }
    }
}

#[tokio::test]
async fn a_request_with_a_bad_bearer_token_is_refused_with_401_problem_json() {
    let app = spawn_app().await;
    let res = app.get_with_token("/api/v1/me", "otk_not-a-token").await;
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
}

#[actix_web::test]
async fn a_route_registered_outside_the_registry_is_refused_for_everyone() {
    use actix_web::{middleware::from_fn, test, web, App};
    let app = test::init_service(
        App::new()
            .wrap(from_fn(outcomes::web::auth::authenticate))
            .configure(outcomes::web::routes::configure)
            .route("/sneaky", web::get().to(|| async { "no rule" })),
    )
    .await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/sneaky").to_request()).await;
    assert_eq!(res.status().as_u16(), 403);
    let api = test::init_service(
        App::new()
            .wrap(from_fn(outcomes::web::auth::authenticate))
            .route("/api/v1/sneaky", web::get().to(|| async { "no rule" })),
    )
    .await;
    let res = test::call_service(
        &api,
        test::TestRequest::get().uri("/api/v1/sneaky").to_request(),
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);
}

/// Every import kind × every role, on the API and the upload page: each kind is open to
/// exactly the roles of `import_roles` (the roles of its write route: set-up files to
/// commissioners and admins, offence extracts to analysts and admins, casework files to
/// provider staff and admins), and the page offers each role exactly its kinds.
#[tokio::test]
async fn every_import_kind_answers_each_role_as_its_import_rule_says() {
    use outcomes::domain::access::import_roles;
    use outcomes::domain::enums::ImportKind;
    let app = spawn_app().await;
    let a = app.provider("Provider A");
    let opcc = app.org("OPCC", OrganisationKind::Commissioner);
    let vru = app.org("VRU", OrganisationKind::Vru);
    let mut failures = Vec::new();
    for role in Role::ALL {
        let user = app.create_user(*role, organisation_for(*role, a, opcc, vru));
        let token = app.bearer(&user);
        let session = app.login(&user).await;
        let page = session.get("/uploads").await.text().await.unwrap();
        for kind in ImportKind::ALL {
            let allowed = import_roles(*kind).contains(role);
            // A file with a header only: nothing to write either way.
            let res = app
                .client
                // The API names a kind by `name()`: `comparison-group` for the word
                // `comparison`.
                .post(format!(
                    "{}/api/v1/imports/{}?extract_date=2026-10-31&organisation_id={a}",
                    app.address,
                    kind.name()
                ))
                .bearer_auth(&token)
                .header("content-type", "text/csv")
                .body("x\n")
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            if (status == 403) == allowed || status == 404 || status >= 500 {
                failures.push(format!("API {role:?} {kind}: {status}"));
            }
            let offered = page.contains(&format!("<option value=\"{kind}\""));
            if offered != allowed {
                failures.push(format!("page {role:?} {kind}: offered {offered}"));
            }
            if !allowed {
                let form = session
                    .upload_form()
                    .text("kind", kind.to_string())
                    .text("extract_date", "2026-10-31")
                    .text("organisation_id", a.to_string())
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(b"x\n".to_vec()).file_name("f.csv"),
                    );
                let res = session
                    .client
                    .post(format!("{}/uploads", app.address))
                    .multipart(form)
                    .send()
                    .await
                    .unwrap();
                let body = res.text().await.unwrap();
                if !body.contains("Select what the file holds") {
                    failures.push(format!("page upload {role:?} {kind}: not refused"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        app.column("id", "import_batches").len(),
        0,
        "nothing was imported"
    );
}
