//! Correcting the record through the API (issue 14): change, undo, registers, void and
//! restore, history, and another provider's caseworker who can change nothing.

use serde_json::{json, Value};

use crate::casework::{accepted_referral, call, get, messages, post, world, World};
use outcomes::domain::enums::Role;

async fn patch(w: &World, path: &str, body: Value) -> (u16, Value) {
    call(&w.app, "PATCH", &w.token, path, Some(body)).await
}

async fn history(w: &World, path: &str) -> Vec<Value> {
    let (status, h) = get(w, &format!("{path}/history")).await;
    assert_eq!(status, 200, "{h}");
    h["entries"].as_array().unwrap().clone()
}

/// The last history entry of a record.
async fn last(w: &World, path: &str) -> Value {
    history(w, path).await.last().unwrap().clone()
}

async fn session(w: &World, date: &str) -> i64 {
    let (status, s) = post(
        w,
        "/api/v1/sessions",
        json!({"programme_id": w.mentoring, "date": date, "kind": "one_to_one"}),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    s["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_caseworker_corrects_a_date_of_birth_a_referral_date_a_session_date_and_a_register_mark()
{
    let w = world().await;
    let p = format!("/api/v1/participants/{}", w.participant);
    // Without a reason nothing changes.
    let (status, body) = patch(&w, &p, json!({"date_of_birth": "2009-06-01"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        messages(&body, "reason"),
        ["Enter the reason for the correction"]
    );
    let (status, body) = patch(
        &w,
        &p,
        json!({"date_of_birth": "2009-06-01", "reason": "typed the wrong month"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["date_of_birth"], "2009-06-01");
    assert_eq!(body["gender"], "female", "a field not in the patch is kept");
    let entry = last(&w, &p).await;
    assert_eq!(entry["action"], "update");
    assert_eq!(entry["reason"], "typed the wrong month");
    assert_eq!(entry["via"], "api");
    assert_eq!(entry["fields"], json!(["date_of_birth"]));
    // A personal field is named as changed, never with its values.
    assert_eq!(entry["changes"]["date_of_birth"], "changed");

    // A referral date moves the referral to another financial year.
    let referral = accepted_referral(&w, w.mentoring, None).await;
    let r = format!("/api/v1/referrals/{referral}");
    let received = |json: &Value| json["engagement"]["referrals_received"].as_u64().unwrap();
    let report = |period: &'static str| {
        let w = &w;
        async move {
            let (status, body) = call(
                &w.app,
                "GET",
                &w.admin_token,
                &format!("/api/v1/reports/programmes/{}?period={period}", w.mentoring),
                None,
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    assert_eq!(received(&report("2025-26").await), 1);
    assert_eq!(received(&report("2024-25").await), 0);
    let (status, body) = patch(
        &w,
        &r,
        json!({"referred_on": "2025-03-20", "decided_on": "2025-03-21", "reason": "date from the police form"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(received(&report("2025-26").await), 0);
    assert_eq!(received(&report("2024-25").await), 1);
    let entry = last(&w, &r).await;
    assert_eq!(
        entry["changes"]["referred_on"],
        json!({"old": "2025-05-01", "new": "2025-03-20"})
    );

    // A session date, and a register mark removed.
    let s = session(&w, "2025-06-01").await;
    let sp = format!("/api/v1/sessions/{s}");
    let (status, body) = patch(
        &w,
        &sp,
        json!({"date": "2025-06-02", "reason": "wrong day"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["date"], "2025-06-02");
    assert_eq!(last(&w, &sp).await["reason"], "wrong day");
    let (status, body) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("{sp}/attendance"),
        Some(json!({"attendance": [{"referral_id": referral, "status": "attended", "hours": 1}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["register"].as_array().unwrap().len(), 1);
    let (status, body) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("{sp}/attendance"),
        Some(json!({"attendance": [{"referral_id": referral, "status": "not_recorded"}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["register"], json!([]), "the mark is removed");
}

#[tokio::test]
async fn a_referral_closed_as_withdrawn_by_mistake_is_reopened_and_closed_as_completed() {
    let w = world().await;
    let id = accepted_referral(&w, w.mentoring, None).await;
    let r = format!("/api/v1/referrals/{id}");
    let (status, body) = post(
        &w,
        &format!("{r}/closure"),
        json!({"closure": "withdrawn", "closed_on": "2025-06-01"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Closing again without a reason says how to correct it.
    let (status, body) = post(
        &w,
        &format!("{r}/closure"),
        json!({"closure": "completed", "closed_on": "2025-06-01"}),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        messages(&body, "closure")[0].contains("give the reason for the correction"),
        "{body}"
    );
    // Reopen.
    let (status, body) = patch(
        &w,
        &r,
        json!({"closure": "open", "closed_on": null, "reason": "closed the wrong referral"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["closure"], &body["closed_on"]),
        (&json!("open"), &Value::Null)
    );
    // The corrected state must be valid as a whole: a declined referral cannot stay
    // closed, so undoing the acceptance of a closed referral is refused.
    let (status, _) = post(
        &w,
        &format!("{r}/closure"),
        json!({"closure": "completed", "closed_on": "2025-07-01"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = patch(&w, &r, json!({"decision": "declined", "reason": "try"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(!messages(&body, "closure").is_empty(), "{body}");
    let entries = history(&w, &r).await;
    let reasons: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["closed the wrong referral"]);
    let reopened = entries
        .iter()
        .find(|e| e["reason"] == "closed the wrong referral")
        .unwrap();
    assert_eq!(
        reopened["changes"]["closure"],
        json!({"old": "withdrawn", "new": "open"})
    );
    assert_eq!(
        entries.last().unwrap()["fields"],
        json!(["closure", "closed_on"])
    );
}

#[tokio::test]
async fn patch_by_another_providers_caseworker_is_404_and_changes_nothing() {
    let w = world().await;
    let other = w.app.provider("Provider B");
    let intruder = w.app.create_user(Role::Caseworker, other);
    let token = w.app.bearer(&intruder);
    let path = format!("/api/v1/participants/{}", w.participant);
    let (status, body) = call(
        &w.app,
        "PATCH",
        &token,
        &path,
        Some(json!({"date_of_birth": "2001-01-01", "reason": "x"})),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = call(
        &w.app,
        "DELETE",
        &token,
        &path,
        Some(json!({"reason": "x"})),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (_, p) = get(&w, &path).await;
    assert_eq!(p["date_of_birth"], "2009-05-01");
    assert!(history(&w, &path)
        .await
        .iter()
        .all(|e| e["action"] == "create"));
}

#[tokio::test]
async fn voiding_a_referral_removes_it_from_every_figure_and_export_and_restoring_puts_it_back() {
    let w = world().await;
    let kept = accepted_referral(&w, w.mentoring, None).await;
    let voided = accepted_referral(&w, w.mentoring, None).await;
    let s = session(&w, "2025-06-01").await;
    let (status, body) = call(
        &w.app,
        "PUT",
        &w.token,
        &format!("/api/v1/sessions/{s}/attendance"),
        Some(json!({"attendance": [
            {"referral_id": kept, "status": "attended", "hours": 1},
            {"referral_id": voided, "status": "did_not_attend"}]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let report = || async {
        let (status, body) = call(
            &w.app,
            "GET",
            &w.admin_token,
            &format!("/api/v1/reports/programmes/{}?period=2025-26", w.mentoring),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let mut body = body;
        // The moment the report was made is the one thing that may differ.
        body["provenance"]["generated_at"] = Value::Null;
        body
    };
    let export = || async {
        let res = w
            .app
            .client
            .get(format!("{}/api/v1/exports/referrals", w.app.address))
            .bearer_auth(&w.token)
            .send()
            .await
            .unwrap();
        res.text().await.unwrap()
    };
    let before = report().await;
    // By hand: 2 referrals; 1 attended + 1 did not attend → 1/2.
    assert_eq!(before["engagement"]["referrals_received"], 2);
    assert_eq!(before["engagement"]["attendance_rate"], 0.5);
    assert!(export().await.contains(&format!("R-{voided}")));

    let path = format!("/api/v1/referrals/{voided}");
    let (status, body) = call(&w.app, "DELETE", &w.token, &path, Some(json!({}))).await;
    assert_eq!(status, 422, "a void needs a reason: {body}");
    let (status, body) = call(
        &w.app,
        "DELETE",
        &w.token,
        &path,
        Some(json!({"reason": "recorded twice"})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let after = report().await;
    // By hand: 1 referral; its 1 attended → 1/1.
    assert_eq!(after["engagement"]["referrals_received"], 1);
    assert_eq!(after["engagement"]["attendance_rate"], 1.0);
    assert!(!export().await.contains(&format!("R-{voided}")));
    let (status, _) = get(&w, &path).await;
    assert_eq!(status, 404, "a voided record is in no list or page");
    let (status, list) = get(&w, "/api/v1/referrals").await;
    assert_eq!(status, 200);
    assert_eq!(list["count"], 1);
    let (status, h) = get(&w, &format!("{path}/history")).await;
    assert_eq!(status, 200, "its history is where it is shown");
    assert_eq!(h["voided"]["reason"], "recorded twice");

    let (status, body) = post(
        &w,
        &format!("{path}/restore"),
        json!({"reason": "it was not a duplicate"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        report().await,
        before,
        "figures after the restore are identical"
    );
    assert!(export().await.contains(&format!("R-{voided}")));
    let actions: Vec<Value> = history(&w, &path)
        .await
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(
        actions,
        [
            json!("create"),
            json!("update"),
            json!("void"),
            json!("restore")
        ]
    );
}

#[tokio::test]
async fn voiding_a_participant_with_referrals_names_them_and_needs_confirmation() {
    let w = world().await;
    let referral = accepted_referral(&w, w.mentoring, None).await;
    let path = format!("/api/v1/participants/{}", w.participant);
    let (status, body) = call(
        &w.app,
        "DELETE",
        &w.token,
        &path,
        Some(json!({"reason": "test record"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        messages(&body, "confirm")[0].contains(&format!("R-{referral}")),
        "{body}"
    );
    let (status, _) = get(&w, &format!("/api/v1/referrals/{referral}")).await;
    assert_eq!(status, 200, "nothing was voided");
    let (status, body) = call(
        &w.app,
        "DELETE",
        &w.token,
        &path,
        Some(json!({"reason": "test record", "confirm": true})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = get(&w, &format!("/api/v1/referrals/{referral}")).await;
    assert_eq!(status, 404);
    let (status, body) = post(&w, &format!("{path}/restore"), json!({"reason": "undo"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["also"].as_array().unwrap().len(), 1);
    let (status, _) = get(&w, &format!("/api/v1/referrals/{referral}")).await;
    assert_eq!(status, 200, "restored with the participant");
}

/// A record changed by an upload shows the change in its history, attributed to the
/// importer with `via: import` (and a file that changes nothing adds nothing).
#[tokio::test]
async fn a_change_made_by_an_import_is_in_the_records_history() {
    let w = world().await;
    let participants = "reference,date_of_birth,gender\nIMP-1,2008-01-02,female\n";
    let referrals = |date: &str| {
        format!(
            "referral_ref,participant_ref,programme,referred_on,source\nIMP-R1,IMP-1,Mentoring,{date},school\n"
        )
    };
    let (status, body) = crate::returns::upload(&w, &w.token, "participants", participants).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        crate::returns::upload(&w, &w.token, "referrals", &referrals("2025-05-01")).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = get(&w, "/api/v1/participants?reference=IMP-1").await;
    let participant = list["items"][0]["id"].as_i64().unwrap();
    let (_, list) = get(
        &w,
        &format!("/api/v1/referrals?participant_id={participant}"),
    )
    .await;
    let referral = list["items"][0]["id"].as_i64().unwrap();
    let before = history(&w, &format!("/api/v1/referrals/{referral}"))
        .await
        .len();

    // The same files again change nothing, and add nothing to the history.
    crate::returns::upload(&w, &w.token, "referrals", &referrals("2025-05-01")).await;
    let after = history(&w, &format!("/api/v1/referrals/{referral}")).await;
    assert_eq!(after.len(), before, "{after:?}");

    // A corrected date of birth and referral date, by upload.
    let fixed = "reference,date_of_birth,gender\nIMP-1,2008-02-01,female\n";
    let (status, body) = crate::returns::upload(&w, &w.token, "participants", fixed).await;
    assert_eq!((status, body["updated"].as_i64()), (200, Some(1)), "{body}");
    let (status, body) =
        crate::returns::upload(&w, &w.token, "referrals", &referrals("2025-06-03")).await;
    assert_eq!((status, body["updated"].as_i64()), (200, Some(1)), "{body}");

    let p = last(&w, &format!("/api/v1/participants/{participant}")).await;
    assert_eq!(p["action"], "update", "{p}");
    assert_eq!(p["via"], "import", "{p}");
    assert_eq!(p["fields"], json!(["date_of_birth"]), "{p}");
    // A personal field is named, never shown.
    assert_eq!(p["changes"]["date_of_birth"], "changed", "{p}");
    assert!(!p.to_string().contains("2008-02-01"), "{p}");
    assert!(p["user_id"].is_i64(), "the importer: {p}");

    // A register corrected by upload: one mark changed, then removed (an empty status).
    let sessions = "session_ref,programme,date,kind\nIMP-S1,Mentoring,2025-06-10,one_to_one\n";
    let (status, body) = crate::returns::upload(&w, &w.token, "sessions", sessions).await;
    assert_eq!(status, 200, "{body}");
    let mark = |status: &str, hours: &str| {
        format!("session_ref,referral_ref,status,hours\nIMP-S1,IMP-R1,{status},{hours}\n")
    };
    let (status, body) =
        crate::returns::upload(&w, &w.token, "attendance", &mark("attended", "1")).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = get(&w, "/api/v1/sessions?from=2025-06-10&to=2025-06-10").await;
    let session = list["items"][0]["id"].as_i64().unwrap();
    let first = history(&w, &format!("/api/v1/sessions/{session}"))
        .await
        .len();
    let (status, body) =
        crate::returns::upload(&w, &w.token, "attendance", &mark("did_not_attend", "")).await;
    assert_eq!((status, body["updated"].as_i64()), (200, Some(1)), "{body}");
    let s = last(&w, &format!("/api/v1/sessions/{session}")).await;
    assert_eq!(s["via"], "import", "{s}");
    assert_eq!(
        s["changes"]["attendance IMP-R1"],
        json!({"old": "attended, 1 hour", "new": "did not attend"}),
        "{s}"
    );
    crate::returns::upload(&w, &w.token, "attendance", &mark("", "")).await;
    let s = last(&w, &format!("/api/v1/sessions/{session}")).await;
    assert_eq!(
        s["changes"]["attendance IMP-R1"],
        json!({"old": "did not attend", "new": null}),
        "{s}"
    );
    let entries = history(&w, &format!("/api/v1/sessions/{session}")).await;
    assert_eq!(entries.len(), first + 2, "{entries:?}");

    let r = last(&w, &format!("/api/v1/referrals/{referral}")).await;
    assert_eq!(r["via"], "import", "{r}");
    assert_eq!(r["fields"], json!(["referred_on"]), "{r}");
    assert_eq!(
        r["changes"]["referred_on"],
        json!({"old": "2025-05-01", "new": "2025-06-03"}),
        "{r}"
    );
}
