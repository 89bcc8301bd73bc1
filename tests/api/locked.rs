//! "A change to a record in an approved quarter is refused on page, API and import"
//! (issue 14), for the correction paths: `PATCH` (a change, and an undo of a decision or a
//! closure), void and restore on the API, and an import that changes a row dated in the
//! quarter, moves a row into it, or adds one. Each refusal changes nothing; the same
//! change is allowed once an admin unlocks the quarter. (The pages of the corrections are
//! tested with them.)

use serde_json::{json, Value};

use crate::casework::{accepted_referral, call, get, session, world, World};
use crate::returns::{act, approve_q1, assert_locked, people, upload};

async fn send(w: &World, method: &str, path: &str, body: Value) -> (u16, Value) {
    call(&w.app, method, &w.token, path, Some(body)).await
}

/// A referral of the world's participant, accepted (2025-05-02) and closed as completed
/// on `closed_on`.
async fn closed_referral(w: &World, closed_on: &str) -> i64 {
    let id = accepted_referral(w, w.mentoring, None).await;
    let (s, b) = send(
        w,
        "POST",
        &format!("/api/v1/referrals/{id}/closure"),
        json!({"closure": "completed", "closed_on": closed_on}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    id
}

#[tokio::test]
async fn changes_undos_voids_and_restores_of_records_in_an_approved_quarter_are_refused_on_the_api()
{
    let w = world().await;
    let p = people(&w);
    // Q1 is April to June 2025.
    let q1 = closed_referral(&w, "2025-06-20").await;
    let decided_only = accepted_referral(&w, w.mentoring, None).await;
    let q1_session = session(&w, w.mentoring).await; // 2025-06-01
    let (s, outcome) = send(
        &w,
        "POST",
        "/api/v1/outcomes",
        json!({"referral_id": q1, "measure_id": w.measure, "timepoint": "baseline",
               "recorded_on": "2025-06-12", "value": 3}),
    )
    .await;
    assert_eq!(s, 201, "{outcome}");
    let outcome = outcome["id"].as_i64().unwrap();
    let (s, q2) = send(
        &w,
        "POST",
        "/api/v1/referrals",
        json!({"participant_id": w.participant, "programme_id": w.mentoring,
               "referred_on": "2025-07-03", "source": "school"}),
    )
    .await;
    assert_eq!(s, 201, "{q2}");
    let q2 = q2["id"].as_i64().unwrap();
    // Voided before the approval, to be restored after it.
    let (s, voided) = send(
        &w,
        "POST",
        "/api/v1/sessions",
        json!({"programme_id": w.mentoring, "date": "2025-05-20", "kind": "group"}),
    )
    .await;
    assert_eq!(s, 201, "{voided}");
    let voided = voided["id"].as_i64().unwrap();
    let (s, b) = send(
        &w,
        "DELETE",
        &format!("/api/v1/sessions/{voided}"),
        json!({"reason": "recorded twice"}),
    )
    .await;
    assert_eq!(s, 204, "{b}");
    let return_id = approve_q1(&w, &p).await;

    let r = format!("/api/v1/referrals/{q1}");
    let before = get(&w, &r).await.1;
    // A change of the referral's own fields, and a date moved into the quarter.
    let (s, b) = send(
        &w,
        "PATCH",
        &r,
        json!({"source": "school", "reason": "typo"}),
    )
    .await;
    assert_locked(s, &b, "referred_on");
    let (s, b) = send(
        &w,
        "PATCH",
        &format!("/api/v1/referrals/{q2}"),
        json!({"referred_on": "2025-06-30", "reason": "date from the police form"}),
    )
    .await;
    assert_locked(s, &b, "referred_on");
    // Undo a closure (reopen) and a decision, dated in the quarter.
    let (s, b) = send(
        &w,
        "PATCH",
        &r,
        json!({"closure": "open", "closed_on": null, "reason": "closed by mistake"}),
    )
    .await;
    assert_locked(s, &b, "closed_on");
    let (s, b) = send(
        &w,
        "PATCH",
        &format!("/api/v1/referrals/{decided_only}"),
        json!({"decision": "pending", "decided_on": null, "reason": "not decided yet"}),
    )
    .await;
    assert_locked(s, &b, "decided_on");
    let (s, b) = send(
        &w,
        "POST",
        &format!("/api/v1/referrals/{decided_only}/decision"),
        json!({"decision": "declined", "decided_on": "2025-05-02", "reason": "wrong choice"}),
    )
    .await;
    assert_locked(s, &b, "decided_on");
    // A session's and an outcome's own changes.
    let (s, b) = send(
        &w,
        "PATCH",
        &format!("/api/v1/sessions/{q1_session}"),
        json!({"kind": "one_to_one", "reason": "was one to one"}),
    )
    .await;
    assert_locked(s, &b, "date");
    let (s, b) = send(
        &w,
        "PATCH",
        &format!("/api/v1/outcomes/{outcome}"),
        json!({"value": 4, "reason": "misread the form"}),
    )
    .await;
    assert_locked(s, &b, "recorded_on");
    // Voids, and a participant whose referral is in the quarter.
    for path in [
        r.clone(),
        format!("/api/v1/sessions/{q1_session}"),
        format!("/api/v1/outcomes/{outcome}"),
    ] {
        let (s, b) = send(&w, "DELETE", &path, json!({"reason": "recorded twice"})).await;
        assert_eq!(s, 409, "{path}: {b}");
        assert!(b.to_string().contains("(Q1 2025-26)"), "{b}");
    }
    let (s, b) = send(
        &w,
        "DELETE",
        &format!("/api/v1/participants/{}", w.participant),
        json!({"reason": "registered twice", "confirm": true}),
    )
    .await;
    assert_eq!(s, 409, "{b}");
    // A restore back into the quarter.
    let (s, b) = send(
        &w,
        "POST",
        &format!("/api/v1/sessions/{voided}/restore"),
        json!({"reason": "not a duplicate"}),
    )
    .await;
    assert_locked(s, &b, "date");

    // Nothing changed.
    assert_eq!(get(&w, &r).await.1, before);
    let (_, d) = get(&w, &format!("/api/v1/referrals/{decided_only}")).await;
    assert_eq!(
        (&d["decision"], &d["decided_on"]),
        (&json!("accepted"), &json!("2025-05-02"))
    );
    let (_, s2) = get(&w, &format!("/api/v1/referrals/{q2}")).await;
    assert_eq!(s2["referred_on"], "2025-07-03");
    for path in [
        format!("/api/v1/sessions/{q1_session}"),
        format!("/api/v1/participants/{}", w.participant),
    ] {
        assert_eq!(get(&w, &path).await.0, 200, "{path} is not voided");
    }
    let (_, h) = get(&w, &format!("/api/v1/outcomes/{outcome}/history")).await;
    assert_eq!(h["voided"], Value::Null, "{h}");
    assert_eq!(
        h["entries"].as_array().unwrap().len(),
        1,
        "only its creation: {h}"
    );
    assert_eq!(get(&w, &format!("/api/v1/sessions/{voided}")).await.0, 404);

    // Once an admin unlocks the quarter the same change goes through.
    let (s, b) = act(
        &w,
        &p.admin,
        return_id,
        "unlock",
        json!({"reason": "corrections"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = send(
        &w,
        "PATCH",
        &r,
        json!({"closure": "open", "closed_on": null, "reason": "closed by mistake"}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn an_import_changing_moving_or_adding_a_row_dated_in_an_approved_quarter_is_refused_whole() {
    let w = world().await;
    let p = people(&w);
    let q1 = accepted_referral(&w, w.mentoring, None).await; // 2025-05-01, decided 2025-05-02
    let q1_session = session(&w, w.mentoring).await; // 2025-06-01
    let (s, q2) = send(
        &w,
        "POST",
        "/api/v1/referrals",
        json!({"participant_id": w.participant, "programme_id": w.mentoring,
               "referred_on": "2025-07-03", "source": "school"}),
    )
    .await;
    assert_eq!(s, 201, "{q2}");
    let q2 = q2["id"].as_i64().unwrap();
    let (s, b) = send(
        &w,
        "POST",
        "/api/v1/outcomes",
        json!({"referral_id": q1, "measure_id": w.measure, "timepoint": "baseline",
               "recorded_on": "2025-06-12", "value": 3}),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    approve_q1(&w, &p).await;

    let header = "referral_ref,participant_ref,programme,referred_on,source,reason,decision,decided_on,closure,closed_on,required_hours\n";
    // Unchanged rows pass; the first changes the source of a Q1 referral.
    let csv = format!(
        "{header}R-{q1},P1,Mentoring,2025-05-01,school,,accepted,2025-05-02,open,,\n\
         R-{q2},P1,Mentoring,2025-07-03,school,,pending,,open,,\n"
    );
    let (s, b) = upload(&w, &w.token, "referrals", &csv).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["errors"][0]["line"], 2, "{b}");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("(Q1 2025-26)"),
        "{b}"
    );
    // A Q2 referral moved into Q1, and a new one dated in Q1 (with an unchanged row).
    let csv = format!(
        "{header}R-{q1},P1,Mentoring,2025-05-01,police,,accepted,2025-05-02,open,,\n\
         R-{q2},P1,Mentoring,2025-06-28,school,,pending,,open,,\n\
         NEW-1,P1,Mentoring,2025-04-10,police,,pending,,open,,\n"
    );
    let (s, b) = upload(&w, &w.token, "referrals", &csv).await;
    assert_eq!(s, 422, "{b}");
    let lines: Vec<i64> = b["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4], "{b}");
    // An undo of the decision by import.
    let csv = format!("{header}R-{q1},P1,Mentoring,2025-05-01,police,,pending,,open,,\n");
    let (s, b) = upload(&w, &w.token, "referrals", &csv).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "decided_on", "{b}");
    // A session's kind, and an outcome's value.
    let csv = format!(
        "session_ref,programme,date,kind,duration_minutes,headcount\n\
         S-{q1_session},Mentoring,2025-06-01,one_to_one,,0\n"
    );
    let (s, b) = upload(&w, &w.token, "sessions", &csv).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "date", "{b}");
    let csv = format!(
        "referral_ref,measure,timepoint,recorded_on,value\nR-{q1},Feels safe,baseline,2025-06-12,5\n"
    );
    let (s, b) = upload(&w, &w.token, "outcomes", &csv).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["errors"][0]["field"], "recorded_on", "{b}");

    // Nothing changed.
    let (_, r) = get(&w, &format!("/api/v1/referrals/{q1}")).await;
    assert_eq!(
        (&r["source"], &r["decision"]),
        (&json!("police"), &json!("accepted"))
    );
    let (_, r) = get(&w, &format!("/api/v1/referrals/{q2}")).await;
    assert_eq!(r["referred_on"], "2025-07-03");
    let (_, s1) = get(&w, &format!("/api/v1/sessions/{q1_session}")).await;
    assert_eq!(s1["kind"], "group");
    let (_, list) = get(&w, "/api/v1/referrals?limit=100").await;
    assert_eq!(list["count"], 2, "nothing added: {list}");
}
