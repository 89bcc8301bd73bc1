//! The report cache (issue 20): a report served again from the cache is invalidated by
//! every kind of write that can change its figures, on both backends, and by a write
//! through a second instance. After each write the report served is compared, whole, with
//! the same report computed by an instance whose cache is off (a fresh computation from
//! the rows), and its `Cache-Status` must say it was computed again.

use serde_json::{json, Value};

use crate::casework::{call, post, session, world, World};
use crate::helpers::{spawn_instance_on, spawn_instance_on_with, TestApp};
use crate::instances::without_generated_at;
use crate::returns::{approve_q1, people};
use outcomes::domain::enums::Role;

/// The report without the moment it was computed, and whether it came from the cache.
async fn report(app: &TestApp, token: &str, path: &str) -> (Value, String) {
    let res = app
        .client
        .get(format!("{}{}", app.address, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{path}");
    let status = res
        .headers()
        .get("cache-status")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body: Value = res.json().await.unwrap();
    let body = without_generated_at(body);
    (body, status)
}

/// The reports watched: each programme's, the provider's, and a comparison with an
/// imported group, for 2025-26.
struct Watch<'a> {
    w: &'a World,
    /// Computes every report afresh (its cache is off).
    fresh: TestApp,
    paths: Vec<String>,
}

impl Watch<'_> {
    /// Asks for every report twice: the second must come from the cache.
    async fn cached(&self, on: &TestApp) {
        for path in &self.paths {
            let (first, _) = report(on, &self.w.admin_token, path).await;
            let (again, status) = report(on, &self.w.admin_token, path).await;
            assert_eq!(status, "outcomes; hit", "{path} is served from the cache");
            assert_eq!(first, again, "{path}");
        }
    }

    /// After `what`, the report of `path` is computed again and equals a fresh one.
    async fn changed(&self, on: &TestApp, what: &str, path: &str) -> Value {
        let (served, status) = report(on, &self.w.admin_token, path).await;
        assert_eq!(
            status, "outcomes; fwd=miss; stored",
            "{what} invalidates {path}"
        );
        let (fresh, _) = report(&self.fresh, &self.w.admin_token, path).await;
        assert_eq!(served, fresh, "after {what}, {path} is the fresh report");
        served
    }

    /// After `what`: every report served equals a fresh one, and those of `touched`
    /// (indices into `paths`) were computed again.
    async fn after(&self, what: &str, touched: &[usize]) {
        for (i, path) in self.paths.iter().enumerate() {
            if touched.contains(&i) {
                self.changed(&self.w.app, what, path).await;
            } else {
                let (served, _) = report(&self.w.app, &self.w.admin_token, path).await;
                let (fresh, _) = report(&self.fresh, &self.w.admin_token, path).await;
                assert_eq!(served, fresh, "after {what}, {path} is the fresh report");
            }
        }
    }
}

fn mentoring(w: &World) -> String {
    format!("/api/v1/reports/programmes/{}?period=2025-26", w.mentoring)
}

async fn ok(status: u16, body: &Value, what: &str) {
    assert!((200..300).contains(&status), "{what}: {status} {body}");
}

async fn upload(w: &World, token: &str, path: &str, csv: &str) -> Value {
    let res = w
        .app
        .client
        .post(format!("{}{path}", w.app.address))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert!((200..300).contains(&status), "{path}: {status} {body}");
    body
}

#[tokio::test]
async fn a_cached_report_is_invalidated_by_every_kind_of_write_and_through_another_instance() {
    let w = world().await;
    let fresh = spawn_instance_on_with(&w.app.database_url, |s| s.report_cache_mb = 0).await;
    let provider = w.provider;
    let people = people(&w);
    let analyst = w.app.create_user(
        Role::Analyst,
        w.app
            .org("VRU", outcomes::domain::enums::OrganisationKind::Vru),
    );
    let analyst = w.app.bearer(&analyst);
    // A participant with a police identifier, so that the extract reaches the report.
    let (status, body) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "CP1", "gender": "female", "date_of_birth": "2009-05-01",
               "police_id": "CACHE-1"}),
    )
    .await;
    ok(status, &body, "participant").await;
    let cp = body["id"].as_i64().unwrap();
    let (status, body) = post(
        &w,
        "/api/v1/referrals",
        json!({"participant_id": cp, "programme_id": w.mentoring,
               "referred_on": "2025-05-01", "source": "police"}),
    )
    .await;
    ok(status, &body, "referral").await;
    let referral = body["id"].as_i64().unwrap();
    let (status, body) = post(
        &w,
        &format!("/api/v1/referrals/{referral}/decision"),
        json!({"decision": "accepted", "decided_on": "2025-05-02"}),
    )
    .await;
    ok(status, &body, "decision").await;
    upload(
        &w,
        &analyst,
        "/api/v1/imports/comparison-group?name=Cache%20group",
        "police_id,index_date\nCACHE-1,2025-05-01\nCACHE-2,2025-06-01\n",
    )
    .await;
    let (_, groups) = call(&w.app, "GET", &analyst, "/api/v1/comparison-groups", None).await;
    let group = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Cache group")
        .and_then(|g| g["id"].as_i64())
        .unwrap_or_else(|| panic!("the group in {groups}"));
    let watch = Watch {
        w: &w,
        fresh,
        paths: vec![
            mentoring(&w),
            format!("/api/v1/reports/programmes/{}?period=2025-26", w.ij),
            format!("/api/v1/reports/providers/{provider}?period=2025-26"),
            format!(
                "/api/v1/reports/programmes/{}?period=2025-26&compare=group:{group}",
                w.mentoring
            ),
        ],
    };
    const M: usize = 0;
    const IJ: usize = 1;
    const PROVIDER: usize = 2;
    const GROUP: usize = 3;

    // Casework: a referral, its decision, a session, a register, an outcome, a survey, a
    // closure.
    watch.cached(&w.app).await;
    let (status, body) = post(
        &w,
        "/api/v1/referrals",
        json!({"participant_id": cp, "programme_id": w.mentoring,
               "referred_on": "2025-07-01", "source": "school"}),
    )
    .await;
    ok(status, &body, "referral").await;
    let second = body["id"].as_i64().unwrap();
    watch.after("a new referral", &[M, PROVIDER, GROUP]).await;
    // The other programme's report was not touched: still cached.
    let (_, status) = report(&w.app, &w.admin_token, &watch.paths[IJ]).await;
    assert_eq!(
        status, "outcomes; hit",
        "a write to Mentoring leaves IJ cached"
    );

    watch.cached(&w.app).await;
    let (status, body) = post(
        &w,
        &format!("/api/v1/referrals/{second}/decision"),
        json!({"decision": "accepted", "decided_on": "2025-07-02"}),
    )
    .await;
    ok(status, &body, "decision").await;
    watch.after("a decision", &[M, PROVIDER]).await;

    watch.cached(&w.app).await;
    let s = session(&w, w.mentoring).await;
    watch.after("a new session", &[M, PROVIDER]).await;

    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{s}/attendance"),
        Some(json!({"attendance": [{"referral_id": referral, "status": "attended"}], "headcount": 4})),
    )
    .await;
    ok(status, &body, "register").await;
    watch.after("a register", &[M, PROVIDER]).await;

    watch.cached(&w.app).await;
    let (status, body) = post(
        &w,
        "/api/v1/outcomes",
        json!({"referral_id": referral, "measure_id": w.measure,
               "timepoint": "baseline", "recorded_on": "2025-05-03", "value": 2}),
    )
    .await;
    ok(status, &body, "outcome").await;
    let outcome = body["id"].as_i64().unwrap();
    watch.after("an outcome record", &[M, PROVIDER]).await;

    watch.cached(&w.app).await;
    let (status, body) = post(
        &w,
        "/api/v1/group-surveys",
        json!({"session_id": s, "measure_id": w.measure, "timepoint": "exit",
               "counts": {"4": 2, "5": 1}}),
    )
    .await;
    ok(status, &body, "survey").await;
    watch.after("a group survey", &[M, PROVIDER]).await;

    watch.cached(&w.app).await;
    let (status, body) = post(
        &w,
        &format!("/api/v1/referrals/{referral}/closure"),
        json!({"closure": "completed", "closed_on": "2025-08-01"}),
    )
    .await;
    ok(status, &body, "closure").await;
    let after = watch.changed(&w.app, "a closure", &watch.paths[M]).await;
    assert_eq!(after["engagement"]["completed"], 1, "{after}");

    // An import of referrals.
    watch.cached(&w.app).await;
    let res = upload(
        &w,
        &w.token,
        "/api/v1/imports/referrals?file_name=referrals.csv",
        "referral_ref,participant_ref,programme,referred_on,source\nCACHE-R1,CP1,Mentoring,2025-09-01,police\n",
    )
    .await;
    assert_eq!(res["rows"], 1, "{res}");
    watch.after("an import", &[M, PROVIDER]).await;

    // Corrections, a void and its restoring.
    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "PATCH",
        &w.token,
        &format!("/api/v1/referrals/{second}"),
        Some(json!({"referred_on": "2025-06-30", "reason": "typed the wrong day"})),
    )
    .await;
    ok(status, &body, "referral correction").await;
    watch
        .after("a correction of a referral", &[M, PROVIDER])
        .await;

    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "PATCH",
        &w.token,
        &format!("/api/v1/outcomes/{outcome}"),
        Some(json!({"value": 3, "reason": "typed the wrong value"})),
    )
    .await;
    ok(status, &body, "outcome correction").await;
    watch
        .after("a correction of an outcome", &[M, PROVIDER])
        .await;

    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "PATCH",
        &w.token,
        &format!("/api/v1/participants/{cp}"),
        Some(json!({"date_of_birth": "2008-05-01", "reason": "typed the wrong year"})),
    )
    .await;
    ok(status, &body, "participant correction").await;
    // The participant is referred to Mentoring only: IJ is untouched.
    watch
        .after("a correction of a participant", &[M, PROVIDER, GROUP])
        .await;
    let (_, status) = report(&w.app, &w.admin_token, &watch.paths[IJ]).await;
    assert_eq!(status, "outcomes; hit");

    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "DELETE",
        &w.token,
        &format!("/api/v1/referrals/{second}"),
        Some(json!({"reason": "entered twice"})),
    )
    .await;
    ok(status, &body, "void").await;
    watch.after("a void", &[M, PROVIDER]).await;

    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "POST",
        &w.token,
        &format!("/api/v1/referrals/{second}/restore"),
        Some(json!({"reason": "voided by mistake"})),
    )
    .await;
    ok(status, &body, "restore").await;
    watch.after("restoring a void", &[M, PROVIDER]).await;

    // A merge of two records of one person.
    let (status, body) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "P1-DUP", "gender": "female", "date_of_birth": "2008-05-01",
               "allow_duplicate": true}),
    )
    .await;
    ok(status, &body, "duplicate").await;
    let duplicate = body["id"].as_i64().unwrap();
    let (status, body) = post(
        &w,
        "/api/v1/referrals",
        json!({"participant_id": duplicate, "programme_id": w.ij,
               "referred_on": "2025-07-01", "source": "police", "required_hours": 10}),
    )
    .await;
    ok(status, &body, "duplicate's referral").await;
    watch.cached(&w.app).await;
    let (status, body) = post(
        &w,
        &format!("/api/v1/participants/{duplicate}/merge"),
        json!({"into": cp, "reason": "registered twice"}),
    )
    .await;
    ok(status, &body, "merge").await;
    // The duplicate's referral (to IJ) is now the kept record's: Mentoring's figures are
    // unchanged, and its report may stay cached.
    watch.after("a merge", &[IJ, PROVIDER]).await;

    // A quarter locked: a return submitted and approved.
    watch.cached(&w.app).await;
    approve_q1(&w, &people).await;
    watch.after("a quarter locked", &[M, PROVIDER]).await;

    // Set-up: a target, a funding allocation, a new measure.
    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "POST",
        &people.commissioner,
        &format!("/api/v1/programmes/{}/targets", w.ij),
        Some(json!({"financial_year": "2025-26", "metric": "referrals_received", "value": 40})),
    )
    .await;
    ok(status, &body, "target").await;
    watch.after("a target", &[IJ, PROVIDER]).await;
    let (_, status) = report(&w.app, &w.admin_token, &watch.paths[M]).await;
    assert_eq!(
        status, "outcomes; hit",
        "IJ's target leaves Mentoring cached"
    );

    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "POST",
        &people.commissioner,
        "/api/v1/funding-streams",
        Some(
            json!({"name": "Cache fund", "funder": "OPCC", "financial_year": "2025-26",
                    "amount": "10000"}),
        ),
    )
    .await;
    ok(status, &body, "funding stream").await;
    let stream = body["id"].as_i64().unwrap();
    let (status, body) = call(
        &w.app,
        "POST",
        &people.commissioner,
        &format!("/api/v1/funding-streams/{stream}/allocations"),
        Some(json!({"programme_id": w.mentoring, "amount": "5000"})),
    )
    .await;
    ok(status, &body, "allocation").await;
    watch.after("an allocation", &[M, PROVIDER]).await;

    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "POST",
        &people.commissioner,
        "/api/v1/measures",
        Some(json!({"name": "Cache measure", "min": 1, "max": 5, "higher_is_better": true})),
    )
    .await;
    ok(status, &body, "measure").await;
    watch
        .after("a new measure", &[M, IJ, PROVIDER, GROUP])
        .await;

    // The police extract: imported, then the previous one restored.
    watch.cached(&w.app).await;
    upload(
        &w,
        &analyst,
        "/api/v1/imports/offences?extract_date=2026-11-01&file_name=extract.csv",
        "police_id,offence_date,offence_group,proven_on\nCACHE-1,2025-10-01,shoplifting,2025-11-01\n",
    )
    .await;
    let after = watch
        .changed(&w.app, "an offence extract", &watch.paths[M])
        .await;
    assert_eq!(
        after["provenance"]["data_as_of"], "2026-11-01",
        "{}",
        after["provenance"]
    );
    watch
        .after("an offence extract", &[IJ, PROVIDER, GROUP])
        .await;
    watch.cached(&w.app).await;
    upload(
        &w,
        &analyst,
        "/api/v1/imports/offences?extract_date=2026-11-02&file_name=extract.csv",
        "police_id,offence_date,offence_group,proven_on\nCACHE-1,2025-10-02,shoplifting,2025-11-01\n",
    )
    .await;
    watch.after("a second extract", &[M, GROUP]).await;
    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "POST",
        &analyst,
        "/api/v1/imports/offences/restore",
        None,
    )
    .await;
    ok(status, &body, "restore the extract").await;
    watch
        .after("restoring the previous extract", &[M, GROUP])
        .await;

    // Another comparison group: the group comparison's report is computed again.
    watch.cached(&w.app).await;
    upload(
        &w,
        &analyst,
        "/api/v1/imports/comparison-group?name=Another%20group",
        "police_id,index_date\nCACHE-3,2025-05-01\n",
    )
    .await;
    watch.after("a comparison group", &[GROUP]).await;

    // An erasure.
    watch.cached(&w.app).await;
    let (status, body) = call(
        &w.app,
        "POST",
        &w.admin_token,
        &format!("/api/v1/participants/{cp}/erase"),
        Some(json!({"reason": "request"})),
    )
    .await;
    ok(status, &body, "erasure").await;
    watch.after("an erasure", &[M, IJ, PROVIDER, GROUP]).await;

    // A write through a second instance reaches a report the first instance cached,
    // and a write through the first reaches the second's.
    let other = spawn_instance_on(&w.app.database_url).await;
    watch.cached(&w.app).await;
    watch.cached(&other).await;
    let (status, body) = call(
        &other,
        "POST",
        &w.token,
        "/api/v1/sessions",
        Some(json!({"programme_id": w.ij, "date": "2025-06-02", "kind": "group"})),
    )
    .await;
    ok(status, &body, "a session through the other instance").await;
    watch
        .after("a write through another instance", &[IJ, PROVIDER])
        .await;
    watch.cached(&w.app).await;
    let _ = session(&w, w.ij).await;
    watch
        .changed(
            &other,
            "a write through the first instance",
            &watch.paths[IJ],
        )
        .await;
}

/// Readers who ask for a report nobody has computed yet, all at once (the morning of a
/// scrutiny meeting): it is computed once and every reader waits for that one computation
/// (`Cache-Status: …; collapsed`) or, arriving after it, is served from the cache; every
/// reader gets the same report, and every download is in the audit trail, once each, with
/// the figures archived once.
#[tokio::test]
async fn readers_of_a_report_being_computed_wait_for_it_and_each_is_audited() {
    let w = world().await;
    let path = format!("/api/v1/reports/programmes/{}?period=2024-25", w.mentoring);
    let downloads = |app: &TestApp| {
        app.column("action", "audit_events")
            .iter()
            .filter(|a| *a == "report_download")
            .count()
    };
    let before = downloads(&w.app);
    let archived = w.app.column("id", "report_archive").len();
    let readers = 12;
    let answers =
        futures_util::future::join_all((0..readers).map(|_| report(&w.app, &w.admin_token, &path)))
            .await;
    let stored = answers
        .iter()
        .filter(|(_, s)| s == "outcomes; fwd=miss; stored")
        .count();
    assert_eq!(
        stored,
        1,
        "computed once: {:?}",
        answers.iter().map(|a| &a.1).collect::<Vec<_>>()
    );
    for (body, status) in &answers {
        assert!(
            [
                "outcomes; fwd=miss; stored",
                "outcomes; fwd=miss; collapsed",
                "outcomes; hit"
            ]
            .contains(&status.as_str()),
            "{status}"
        );
        assert_eq!(body, &answers[0].0, "every reader gets the same report");
    }
    assert_eq!(downloads(&w.app) - before, readers, "each download audited");
    assert_eq!(
        w.app.column("id", "report_archive").len() - archived,
        1,
        "the figures archived once"
    );
}

/// `REPORT_PREWARM`: an instance started with it computes the commissioners' and
/// analysts' dashboard reports for the current and the last financial year into its cache
/// in the background, so that an analyst's first request for one is served from the cache
/// (the dashboard and the report API ask for the same report).
#[tokio::test]
async fn a_started_instance_warms_the_dashboards_reports() {
    let w = world().await;
    let logs = crate::helpers::capture_logs();
    let analyst = w.app.create_user(
        Role::Analyst,
        w.app
            .org("VRU", outcomes::domain::enums::OrganisationKind::Vru),
    );
    let analyst = w.app.bearer(&analyst);
    let warmed = |text: &str| {
        text.matches("report cache warmed with the dashboard's reports")
            .count()
    };
    let before = warmed(&logs.text());
    let warm = spawn_instance_on_with(&w.app.database_url, |s| s.report_prewarm = true).await;
    let mut waited = 0;
    while warmed(&logs.text()) == before {
        assert!(
            waited < 600,
            "the cache was not warmed in 60 s:\n{}",
            logs.text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    let current =
        outcomes::domain::period::FinancialYear::containing(chrono::Utc::now().date_naive());
    for year in [current, current.previous()] {
        for programme in [w.mentoring, w.ij] {
            let path = format!("/api/v1/reports/programmes/{programme}?period={year}");
            let (served, status) = report(&warm, &analyst, &path).await;
            assert_eq!(status, "outcomes; hit", "{path} was warmed");
            let (fresh, _) = report(&w.app, &analyst, &path).await;
            assert_eq!(served, fresh, "{path}");
        }
    }
}
