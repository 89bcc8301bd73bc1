//! Casework through the JSON API and the pages: every validation rule of DESIGN.md shown
//! to the user, whole registers, uploads, no clear police identifier anywhere, and no
//! way for one provider to see another's records.

use serde_json::{json, Value};

use crate::helpers::{dump_database, spawn_app, TestApp};
use outcomes::domain::enums::{OrganisationKind, Role};

/// A provider with a caseworker (token), two programmes (Mentoring, Immediate Justice),
/// a participant, an accepted referral to each programme, and a measure.
pub struct World {
    pub app: TestApp,
    #[allow(dead_code)]
    pub provider: i64,
    pub token: String,
    pub admin_token: String,
    pub mentoring: i64,
    pub ij: i64,
    pub participant: i64,
    pub measure: i64,
}

pub async fn call(
    app: &TestApp,
    method: &str,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = app
        .client
        .request(method, format!("{}{}", app.address, path))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn post(w: &World, path: &str, body: Value) -> (u16, Value) {
    call(&w.app, "POST", &w.token, path, Some(body)).await
}

pub async fn get(w: &World, path: &str) -> (u16, Value) {
    call(&w.app, "GET", &w.token, path, None).await
}

/// The messages of a problem's field errors for `field`.
pub fn messages(problem: &Value, field: &str) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter(|e| e["field"] == field)
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

pub fn future_date() -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(10)).to_string()
}

pub async fn world() -> World {
    world_on(spawn_app().await).await
}

/// The world on an application started by the caller (e.g. `spawn_app_small`).
pub async fn world_on(app: crate::helpers::TestApp) -> World {
    let provider = app.provider("Provider A");
    let opcc = app.org("OPCC", OrganisationKind::Commissioner);
    let commissioner = app.create_user(Role::Commissioner, opcc);
    let commissioner_token = app.bearer(&commissioner);
    let admin = app.create_user(Role::Admin, opcc);
    let admin_token = app.bearer(&admin);
    let caseworker = app.create_user(Role::Caseworker, provider);
    let token = app.bearer(&caseworker);
    let mut ids = Vec::new();
    for (name, kind) in [
        ("Mentoring", "mentoring"),
        ("Immediate Justice", "immediate_justice"),
    ] {
        let (status, body) = call(
            &app,
            "POST",
            &commissioner_token,
            "/api/v1/programmes",
            Some(
                json!({"organisation_id": provider, "name": name, "kind": kind,
                        "delivery": "individual", "starts_on": "2024-04-01"}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    let (status, body) = call(
        &app,
        "POST",
        &commissioner_token,
        "/api/v1/measures",
        Some(json!({"name": "Feels safe", "min": 1, "max": 5, "higher_is_better": true})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let measure = body["id"].as_i64().unwrap();
    let (status, body) = call(
        &app,
        "POST",
        &token,
        "/api/v1/participants",
        Some(json!({"reference": "P1", "gender": "female", "date_of_birth": "2009-05-01"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    World {
        participant: body["id"].as_i64().unwrap(),
        app,
        provider,
        token,
        admin_token,
        mentoring: ids[0],
        ij: ids[1],
        measure,
    }
}

/// A referral of the world's participant, accepted on 2025-05-02.
pub async fn accepted_referral(w: &World, programme: i64, hours: Option<f64>) -> i64 {
    let mut body = json!({"participant_id": w.participant, "programme_id": programme,
                          "referred_on": "2025-05-01", "source": "police"});
    if let Some(h) = hours {
        body["required_hours"] = json!(h);
    }
    let (status, r) = post(w, "/api/v1/referrals", body).await;
    assert_eq!(status, 201, "{r}");
    let id = r["id"].as_i64().unwrap();
    assert_eq!(r["reference"], format!("R-{id}"));
    let (status, r) = post(
        w,
        &format!("/api/v1/referrals/{id}/decision"),
        json!({"decision": "accepted", "decided_on": "2025-05-02"}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    id
}

pub async fn session(w: &World, programme: i64) -> i64 {
    let (status, s) = post(
        w,
        "/api/v1/sessions",
        json!({"programme_id": programme, "date": "2025-06-01", "kind": "group"}),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    let id = s["id"].as_i64().unwrap();
    assert_eq!(
        s["reference"],
        format!("S-{id}"),
        "a session gets a reference"
    );
    id
}

#[tokio::test]
async fn casework_api_shows_every_validation_rule_as_a_422_naming_the_field() {
    let w = world().await;
    // An unknown gender.
    let (status, p) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "P2", "gender": "unknown"}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert!(
        messages(&p, "gender")[0].contains("'unknown' is not a valid gender"),
        "{p}"
    );
    // Immediate Justice hours outside 5–20, and missing.
    for hours in [json!(25), json!(4), Value::Null] {
        let (status, p) = post(&w, "/api/v1/referrals", json!({"participant_id": w.participant,
            "programme_id": w.ij, "referred_on": "2025-05-01", "source": "police", "required_hours": hours})).await;
        assert_eq!(status, 422, "{p}");
        assert!(
            messages(&p, "required_hours")[0].contains("from 5 to 20"),
            "{p}"
        );
    }
    // Closing a referral before it was accepted.
    let (_, r) = post(
        &w,
        "/api/v1/referrals",
        json!({"participant_id": w.participant,
        "programme_id": w.mentoring, "referred_on": "2025-05-01", "source": "school"}),
    )
    .await;
    let pending = r["id"].as_i64().unwrap();
    let (status, p) = post(
        &w,
        &format!("/api/v1/referrals/{pending}/closure"),
        json!({"closure": "completed", "closed_on": "2025-06-01"}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        messages(&p, "closure"),
        ["A referral can only be closed after it has been accepted (it is pending)"]
    );
    // A date before referred_on.
    let (status, p) = post(
        &w,
        &format!("/api/v1/referrals/{pending}/decision"),
        json!({"decision": "accepted", "decided_on": "2025-04-30"}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        messages(&p, "decided_on"),
        ["The date 2025-04-30 is before the referral date 2025-05-01"]
    );
    // A closure date in the future.
    let accepted = accepted_referral(&w, w.mentoring, None).await;
    let (status, p) = post(
        &w,
        &format!("/api/v1/referrals/{accepted}/closure"),
        json!({"closure": "completed", "closed_on": future_date()}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert!(
        messages(&p, "closed_on")[0].contains("is in the future"),
        "{p}"
    );
    // Attendance of a referral at another programme's session.
    let ij_session = session(&w, w.ij).await;
    let (status, p) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{ij_session}/attendance"),
        Some(json!({"attendance": [{"referral_id": accepted, "status": "attended", "hours": 2}]})),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    let m = &messages(&p, &format!("status_{accepted}"))[0];
    assert!(
        m.contains(&format!("R-{accepted}"))
            && m.contains("'Mentoring'")
            && m.contains("'Immediate Justice'"),
        "{m}"
    );
    // A value outside a measure's range.
    let (status, p) = post(
        &w,
        "/api/v1/outcomes",
        json!({"referral_id": accepted, "measure_id": w.measure,
        "timepoint": "baseline", "recorded_on": "2025-05-03", "value": 7}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(
        messages(&p, "value"),
        ["Enter a value from 1 to 5 (the range of 'Feels safe')"]
    );
    // Nothing of the refused changes was recorded.
    let (_, r) = get(&w, &format!("/api/v1/referrals/{pending}")).await;
    assert_eq!(
        (r["decision"].as_str(), r["closure"].as_str()),
        (Some("pending"), Some("open"))
    );
    let (_, o) = get(&w, "/api/v1/outcomes").await;
    assert_eq!(o["count"], 0);
}

#[tokio::test]
async fn casework_api_records_a_referral_through_its_whole_lifecycle_with_outcomes() {
    let w = world().await;
    let id = accepted_referral(&w, w.ij, Some(12.0)).await;
    let s = session(&w, w.ij).await;
    let (status, reg) = call(&w.app, "PUT", &w.token, &format!("/api/v1/sessions/{s}/attendance"),
        Some(json!({"attendance": [{"referral_id": id, "status": "attended", "hours": 5}], "headcount": 3}))).await;
    assert_eq!(status, 200, "{reg}");
    assert_eq!(reg["headcount"], 3);
    let (status, o) = post(
        &w,
        "/api/v1/outcomes",
        json!({"referral_id": id, "measure_id": w.measure,
        "timepoint": "baseline", "recorded_on": "2025-05-03", "value": 2}),
    )
    .await;
    assert_eq!(status, 201, "{o}");
    let (status, c) = post(
        &w,
        &format!("/api/v1/referrals/{id}/closure"),
        json!({"closure": "completed", "closed_on": "2025-07-01"}),
    )
    .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["closure"], "completed");
    let (_, r) = get(&w, &format!("/api/v1/referrals/{id}")).await;
    assert_eq!(r["hours_delivered"], 5.0);
    assert_eq!(r["required_hours"], 12.0);
    assert_eq!(r["attendance"][0]["status"], "attended");
    assert_eq!(r["outcomes"][0]["value"], 2.0);
    // A group survey of the session.
    let (status, g) = post(
        &w,
        "/api/v1/group-surveys",
        json!({"session_id": s, "measure_id": w.measure,
        "timepoint": "exit", "counts": {"4": 6, "5": 3}}),
    )
    .await;
    assert_eq!(status, 201, "{g}");
    assert_eq!(g["respondents"], 9);
    // Lists filter by programme, date and status.
    let (_, l) = get(
        &w,
        &format!("/api/v1/referrals?programme_id={}&status=completed", w.ij),
    )
    .await;
    assert_eq!(l["count"], 1);
    let (_, l) = get(&w, "/api/v1/referrals?status=open").await;
    assert_eq!(l["count"], 0);
    let (_, l) = get(&w, "/api/v1/sessions?from=2025-06-02").await;
    assert_eq!(l["count"], 0);
    let (_, l) = get(&w, "/api/v1/sessions?from=2025-06-01&to=2025-06-01&limit=1").await;
    assert_eq!(
        (l["count"].as_i64(), l["items"].as_array().map(Vec::len)),
        (Some(1), Some(1))
    );
    let (status, p) = get(&w, "/api/v1/referrals?status=lost").await;
    assert_eq!(status, 422, "{p}");
    // Every change is in the audit trail, naming fields, never values.
    let fields = w.app.column("changed_fields", "audit_events").join("\n");
    assert!(
        fields.contains("closure") && fields.contains("attendance.hours"),
        "{fields}"
    );
    assert!(!w
        .app
        .column("detail", "audit_events")
        .join("\n")
        .contains("P1"));
}

#[tokio::test]
async fn casework_a_whole_register_of_30_referrals_and_a_headcount_is_recorded_in_one_put() {
    let w = world().await;
    let mut referrals = Vec::new();
    for i in 0..30 {
        let (_, p) = post(
            &w,
            "/api/v1/participants",
            json!({"reference": format!("Q{i}")}),
        )
        .await;
        let (status, r) = post(
            &w,
            "/api/v1/referrals",
            json!({"participant_id": p["id"],
            "programme_id": w.mentoring, "referred_on": "2025-05-01", "source": "school"}),
        )
        .await;
        assert_eq!(status, 201, "{r}");
        referrals.push(r["id"].as_i64().unwrap());
    }
    let s = session(&w, w.mentoring).await;
    let lines: Vec<Value> = referrals
        .iter()
        .enumerate()
        .map(|(i, id)| match i % 3 {
            0 => json!({"referral_id": id, "status": "attended", "hours": 1.5}),
            1 => json!({"referral_id": id, "status": "did_not_attend"}),
            _ => json!({"referral_id": id, "status": "cancelled"}),
        })
        .collect();
    let (status, reg) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{s}/attendance"),
        Some(json!({"attendance": lines, "headcount": 12})),
    )
    .await;
    assert_eq!(status, 200, "{reg}");
    assert_eq!(reg["register"].as_array().unwrap().len(), 30);
    assert_eq!(reg["headcount"], 12);
    for (i, id) in referrals.iter().enumerate() {
        let (_, r) = get(&w, &format!("/api/v1/referrals/{id}")).await;
        let want = ["attended", "did_not_attend", "cancelled"][i % 3];
        assert_eq!(r["attendance"][0]["status"], want, "{r}");
    }
}

const BAD_REFERRALS: &str = "\
referral_ref,participant_ref,programme,referred_on,source
R1,P1,Mentoring,2025-05-01,police
R2,P1,Mentoring,2025-05-02,police
R3,P1,Mentoring,2025-05-03,police
R4,P1,Mentoring,2025-13-01,police
";

async fn upload(w: &World, kind: &str, csv: &str) -> (u16, Value) {
    let res = w
        .app
        .client
        .post(format!(
            "{}/api/v1/imports/{kind}?file_name=referrals.csv",
            w.app.address
        ))
        .bearer_auth(&w.token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn casework_api_upload_with_a_bad_5th_line_imports_nothing_then_the_fixed_file_imports_once()
{
    let w = world().await;
    let (status, p) = upload(&w, "referrals", BAD_REFERRALS).await;
    assert_eq!(status, 422, "{p}");
    let e = &p["errors"][0];
    assert_eq!(
        (e["line"].as_u64(), e["field"].as_str()),
        (Some(5), Some("referred_on")),
        "{p}"
    );
    assert!(
        e["message"].as_str().unwrap().contains("'2025-13-01'"),
        "{p}"
    );
    let (_, l) = get(&w, "/api/v1/referrals").await;
    assert_eq!(l["count"], 0, "nothing was imported");
    let fixed = BAD_REFERRALS.replace("2025-13-01", "2025-05-04");
    let (status, s) = upload(&w, "referrals", &fixed).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["inserted"], 4);
    let (status, s) = upload(&w, "referrals", &fixed).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (
            s["inserted"].as_u64(),
            s["unchanged"].as_u64(),
            &s["batch_id"]
        ),
        (Some(0), Some(4), &Value::Null)
    );
    let (_, l) = get(&w, "/api/v1/referrals").await;
    assert_eq!(l["count"], 4);
    let (_, b) = get(&w, "/api/v1/imports").await;
    assert_eq!(b["count"], 1, "{b}");
    // Offence extracts are for analysts and admins, with an extract date.
    let (status, _) = upload(&w, "offences", "police_id,offence_date,offence_group\n").await;
    assert_eq!(status, 403);
    // The export is the import format, and is audited.
    let res = w
        .app
        .client
        .get(format!("{}/api/v1/exports/referrals", w.app.address))
        .bearer_auth(&w.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("referral_ref,participant_ref,programme,referred_on"),
        "{csv}"
    );
    assert!(w
        .app
        .column("action", "audit_events")
        .contains(&"export".to_string()));
}

#[tokio::test]
async fn casework_api_takes_a_file_larger_than_actix_default_body_limit_up_to_50_mib() {
    let w = world().await;
    // 20,000 rows, about 800 KB: over actix's default of 256 KiB for a body read whole.
    let mut csv = String::from("police_id,offence_date,offence_group,proven_on\n");
    for i in 0..20_000 {
        csv.push_str(&format!("ZZ{i:07},2025-09-01,shoplifting,\n"));
    }
    assert!(csv.len() > 256 * 1024);
    let url = format!(
        "{}/api/v1/imports/offences?extract_date=2025-10-31",
        w.app.address
    );
    let res = w
        .app
        .client
        .post(&url)
        .bearer_auth(&w.admin_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["rows"], 20_000, "{body}");
    // Over the upload limit (as on the upload page) the body is refused unread.
    let res = w
        .app
        .client
        .post(&url)
        .bearer_auth(&w.admin_token)
        .header("content-type", "text/csv")
        .body(vec![b'x'; 50 * 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
}

#[tokio::test]
async fn casework_a_participant_with_a_known_police_id_is_a_possible_duplicate() {
    let w = world().await;
    let (status, _) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "D1", "police_id": "ab 123/45"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, p) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "D2", "police_id": "AB123/45"}),
    )
    .await;
    assert_eq!(status, 409, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("reference D1"),
        "{p}"
    );
    assert!(
        !p.to_string().contains("AB123"),
        "the identifier is never echoed"
    );
    let (status, _) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "D2", "police_id": "AB123/45", "allow_duplicate": true}),
    )
    .await;
    assert_eq!(status, 201);
    let (_, found) = get(&w, "/api/v1/participants?reference=D2").await;
    assert_eq!(found["count"], 1);
    assert_eq!(found["items"][0]["has_person_key"], true);
    let (status, p) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "D3", "police_id": "SECRET!99"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(!p.to_string().contains("SECRET"), "{p}");
}

#[tokio::test]
async fn casework_another_provider_cannot_read_list_count_or_change_a_providers_records() {
    let w = world().await;
    let referral = accepted_referral(&w, w.mentoring, None).await;
    let s = session(&w, w.mentoring).await;
    let (_, o) = post(
        &w,
        "/api/v1/outcomes",
        json!({"referral_id": referral, "measure_id": w.measure,
        "timepoint": "baseline", "recorded_on": "2025-05-03", "value": 2}),
    )
    .await;
    assert!(o["id"].is_i64(), "{o}");
    upload(&w, "participants", "reference\nZ1\n").await;
    // Provider B.
    let b = w.app.provider("Provider B");
    let other = w.app.create_user(Role::Caseworker, b);
    let t = w.app.bearer(&other);
    for path in [
        "/api/v1/referrals",
        "/api/v1/sessions",
        "/api/v1/outcomes",
        "/api/v1/participants",
        "/api/v1/group-surveys",
        "/api/v1/imports",
        "/api/v1/programmes",
    ] {
        let (status, l) = call(&w.app, "GET", &t, path, None).await;
        assert_eq!((status, l["count"].as_i64()), (200, Some(0)), "{path}: {l}");
        assert_eq!(l["items"], json!([]), "{path}");
    }
    for (method, path, body) in [
        ("GET", format!("/api/v1/referrals/{referral}"), None),
        ("GET", format!("/api/v1/sessions/{s}"), None),
        (
            "GET",
            format!("/api/v1/participants/{}", w.participant),
            None,
        ),
        ("GET", format!("/api/v1/programmes/{}", w.mentoring), None),
        (
            "POST",
            format!("/api/v1/referrals/{referral}/closure"),
            Some(json!({"closure": "completed", "closed_on": "2025-06-01"})),
        ),
        (
            "PUT",
            format!("/api/v1/sessions/{s}/attendance"),
            Some(json!({"attendance": []})),
        ),
    ] {
        let (status, p) = call(&w.app, method, &t, &path, body).await;
        assert_eq!(status, 404, "{method} {path}: {p}");
    }
    // Naming A's records in B's own requests reads exactly like naming nothing.
    let own_programme = w.app.add_programme(b, "B mentoring");
    let own_participant = w.app.add_participant(b, "B1");
    let (_, own_session) = w
        .app
        .add_referral_and_session(b, own_participant, own_programme);
    let (status, p1) = call(
        &w.app,
        "PUT",
        &t,
        &format!("/api/v1/sessions/{own_session}/attendance"),
        Some(json!({"attendance": [{"referral_id": referral, "status": "attended"}]})),
    )
    .await;
    let (_, p2) = call(
        &w.app,
        "PUT",
        &t,
        &format!("/api/v1/sessions/{own_session}/attendance"),
        Some(json!({"attendance": [{"referral_id": 999999, "status": "attended"}]})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        p1["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace(&referral.to_string(), "N"),
        p2["errors"][0]["message"]
            .as_str()
            .unwrap()
            .replace("999999", "N")
    );
    for body in [
        json!({"participant_id": w.participant, "programme_id": own_programme, "referred_on": "2025-05-01", "source": "police"}),
        json!({"participant_id": own_participant, "programme_id": w.mentoring, "referred_on": "2025-05-01", "source": "police"}),
    ] {
        let (status, p) = call(&w.app, "POST", &t, "/api/v1/referrals", Some(body)).await;
        assert_eq!(status, 422, "{p}");
    }
    let (status, _) = call(
        &w.app,
        "POST",
        &t,
        "/api/v1/outcomes",
        Some(json!({"referral_id": referral,
        "measure_id": w.measure, "timepoint": "exit", "recorded_on": "2025-06-01", "value": 3})),
    )
    .await;
    assert_eq!(status, 422);
    // B's import cannot reach A's participants: P1 is "not found" for B.
    let res = w.app.client.post(format!("{}/api/v1/imports/referrals", w.app.address)).bearer_auth(&t)
        .body("referral_ref,participant_ref,programme,referred_on,source\nX1,P1,B mentoring,2025-05-01,police\n")
        .send().await.unwrap();
    assert_eq!(res.status().as_u16(), 422);
    // The export of B holds none of A's rows.
    let csv = w
        .app
        .client
        .get(format!("{}/api/v1/exports/participants", w.app.address))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("P1") && !csv.contains("Z1"), "{csv}");
    // And an admin sees both.
    let (_, l) = call(&w.app, "GET", &w.admin_token, "/api/v1/participants", None).await;
    assert_eq!(l["count"], 3);
}

/// What a generated client needs (issue 13): every response described, unique operation
/// ids, a report's period required and its 200 typed, file bodies a client can send, and
/// paging bounds that are refused rather than clamped. (scripts/api-client validates the
/// whole document with openapi-spec-validator and runs a generated client.)
#[tokio::test]
async fn casework_the_openapi_document_is_one_a_client_can_be_generated_from() {
    let w = world().await;
    let (_, doc) = get(&w, "/api/openapi.json").await;
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(ids.insert(id.clone()), "operationId {id} is used twice");
            for (status, response) in op["responses"].as_object().unwrap() {
                let description = response["description"].as_str().unwrap_or("");
                assert!(
                    !description.is_empty(),
                    "{method} {path} {status} has no description"
                );
            }
            if op.get("requestBody").is_some() {
                assert!(op["responses"]["413"].is_object(), "{method} {path}: 413");
                assert!(op["responses"]["409"].is_object(), "{method} {path}: 409");
            }
        }
    }
    let report = &doc["paths"]["/api/v1/reports/programmes/{id}"]["get"];
    let period = report["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "period")
        .unwrap();
    assert_eq!(period["required"], true);
    assert_eq!(
        report["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Report"
    );
    let import = &doc["paths"]["/api/v1/imports/{kind}"]["post"]["requestBody"]["content"];
    assert!(import["text/csv"].is_object());
    assert_eq!(
        import["application/octet-stream"]["schema"]["format"],
        "binary"
    );
    let limit = doc["paths"]["/api/v1/referrals"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert!(doc["paths"]["/api/v1/programmes"]["get"]["responses"]["422"].is_object());
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 1000);
    // A limit outside them is refused, naming the field, not silently clamped.
    for bad in ["0", "1001", "-5"] {
        let (status, body) = get(&w, &format!("/api/v1/referrals?limit={bad}")).await;
        assert_eq!(status, 422, "limit={bad}: {body}");
        assert_eq!(body["errors"][0]["field"], "limit", "{body}");
    }
    let (status, body) = get(&w, "/api/v1/participants?offset=-1").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "offset", "{body}");
    let (status, _) = get(&w, "/api/v1/referrals?limit=1000").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn casework_every_api_route_is_in_the_openapi_document() {
    let w = world().await;
    let (status, doc) = get(&w, "/api/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().unwrap();
    for spec in outcomes::web::routes::all() {
        if !spec.path.starts_with("/api/") {
            continue;
        }
        let path = spec.path.replace("{file:.*}", "{file}");
        if path == "/api/docs" {
            continue; // a redirect to /api/docs/
        }
        let method = spec.method.as_str().to_lowercase();
        assert!(
            paths.get(&path).and_then(|p| p.get(&method)).is_some(),
            "{} {} is not in the OpenAPI document",
            spec.method,
            path
        );
    }
    // A few operations, checked in detail.
    let put = &doc["paths"]["/api/v1/sessions/{id}/attendance"]["put"];
    assert_eq!(
        put["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Register"
    );
    assert!(put["responses"]["422"].is_object());
    let list = &doc["paths"]["/api/v1/referrals"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in ["programme_id", "from", "to", "status", "limit", "offset"] {
        assert!(params.contains(&p), "{params:?}");
    }
    let gender = &doc["components"]["schemas"]["Gender"]["enum"];
    assert_eq!(gender, &json!(["female", "male", "other", "not_known"]));
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Swagger UI is served from the binary, with a policy of its own.
    let res = w
        .app
        .client
        .get(format!("{}/api/docs/", w.app.address))
        .bearer_auth(&w.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("style-src 'self' 'unsafe-inline'")
            && !csp.contains("script-src 'self' 'unsafe-inline'"),
        "{csp}"
    );
    assert!(res.text().await.unwrap().contains("swagger"));
    let home = w.app.get("/").await;
    assert!(!home.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("unsafe-inline"));
}

#[tokio::test]
async fn casework_no_clear_police_identifier_is_stored_or_logged() {
    let logs = crate::helpers::capture_logs();
    let w = world().await;
    let (status, _) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "K1", "police_id": "CLEARID 771"}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = post(
        &w,
        "/api/v1/participants",
        json!({"reference": "K2", "police_id": "CLEARID771"}),
    )
    .await;
    assert_eq!(status, 409);
    let (status, _) = upload(
        &w,
        "participants",
        "reference,police_id\nK3,clearid 772\nK4,CLEAR!ID773\n",
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = upload(&w, "participants", "reference,police_id\nK3,clearid 772\n").await;
    assert_eq!(status, 200);
    let dump = dump_database(&mut w.app.db()).to_uppercase();
    let captured = logs.text().to_uppercase();
    assert!(
        captured.contains("/API/V1/PARTICIPANTS"),
        "logs were captured"
    );
    for clear in [
        "CLEARID771",
        "CLEARID 771",
        "CLEARID772",
        "CLEARID 772",
        "CLEAR!ID773",
    ] {
        assert!(!dump.contains(clear), "{clear} is in the database");
        assert!(!captured.contains(clear), "{clear} is in the logs");
    }
}

/// The API contract as a snapshot (as crates.io keeps theirs): any change to a path, a
/// parameter, a schema or a response shows in review as a change to
/// `tests/api/snapshots/api__casework__openapi_document.snap`. After a deliberate change:
/// `INSTA_UPDATE=always cargo test --test api openapi_document`, then review the diff.
#[test]
fn openapi_document() {
    let doc = serde_json::to_value(outcomes::web::api::openapi::document()).unwrap();
    insta::assert_json_snapshot!("openapi_document", doc);
}
