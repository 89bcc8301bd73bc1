//! 50 clients writing at once: registers of the same sessions and new referrals, on
//! SQLite and (with `TEST_DATABASE_URL`) PostgreSQL. No 5xx, no "database is locked"
//! reaching a user, no lost or duplicated rows, and every register whole (a register is
//! written all or nothing, so readers and the final state never mix two writes).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::casework::{accepted_referral, session, world};

const CLIENTS: usize = 50;
const ROUNDS: usize = 4;
const SESSIONS: usize = 3;
const REGISTER_SIZE: usize = 6;

/// One client's acknowledged writes.
#[derive(Default)]
struct Acked {
    /// (session, hours) of each register write that answered 200.
    registers: Vec<(i64, f64)>,
    /// (reference, id) of each referral that answered 201.
    referrals: Vec<(String, i64)>,
    /// Every register a PUT answered with: (session, hours of each line).
    seen: Vec<(i64, Vec<Option<f64>>)>,
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
) -> (u16, String) {
    let res = client
        .request(method, url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("the request is sent");
    let status = res.status().as_u16();
    (status, res.text().await.expect("a body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_clients_writing_registers_and_referrals_at_once_lose_and_duplicate_nothing() {
    let w = world().await;
    let mut referrals = Vec::new();
    for _ in 0..REGISTER_SIZE {
        referrals.push(accepted_referral(&w, w.mentoring, None).await);
    }
    let mut sessions = Vec::new();
    for _ in 0..SESSIONS {
        sessions.push(session(&w, w.mentoring).await);
    }

    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for client_no in 0..CLIENTS {
        let address = w.app.address.clone();
        let token = w.token.clone();
        let referrals = referrals.clone();
        let sessions = sessions.clone();
        let (participant, programme) = (w.participant, w.mentoring);
        tasks.push(tokio::spawn(async move {
            // A client of its own: its own connections, as separate users would have.
            let client = reqwest::Client::new();
            let mut acked = Acked::default();
            for round in 0..ROUNDS {
                // A register: every referral attended, with hours unique to this write
                // (0.1 to 20.0), so the final state names the write that won.
                let s = sessions[(client_no + round) % SESSIONS];
                let hours = ((client_no * ROUNDS + round + 1) as f64) / 10.0;
                let lines: Vec<Value> = referrals
                    .iter()
                    .map(|r| json!({"referral_id": r, "status": "attended", "hours": hours}))
                    .collect();
                let (status, body) = send(
                    &client,
                    reqwest::Method::PUT,
                    format!("{address}/api/v1/sessions/{s}/attendance"),
                    &token,
                    json!({ "attendance": lines }),
                )
                .await;
                assert!(
                    !body.to_lowercase().contains("database is locked"),
                    "{status}: {body}"
                );
                assert_eq!(status, 200, "a register write: {body}");
                let detail: Value = serde_json::from_str(&body).unwrap();
                let seen = detail["register"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l["hours"].as_f64())
                    .collect();
                acked.registers.push((s, hours));
                acked.seen.push((s, seen));

                // A referral, at the same time as everyone else's.
                let reference = format!("C{client_no:02}-{round}");
                let (status, body) = send(
                    &client,
                    reqwest::Method::POST,
                    format!("{address}/api/v1/referrals"),
                    &token,
                    json!({"participant_id": participant, "programme_id": programme,
                           "reference": reference, "referred_on": "2025-05-01",
                           "source": "school"}),
                )
                .await;
                assert!(
                    !body.to_lowercase().contains("database is locked"),
                    "{status}: {body}"
                );
                assert_eq!(status, 201, "a new referral: {body}");
                let created: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(created["reference"], reference.as_str());
                acked
                    .referrals
                    .push((reference, created["id"].as_i64().unwrap()));
            }
            acked
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.push(
            t.await
                .expect("a client finished without a failed assertion"),
        );
    }
    let elapsed = started.elapsed();
    eprintln!(
        "{} writes from {CLIENTS} clients in {:.2} s",
        CLIENTS * ROUNDS * 2,
        elapsed.as_secs_f64()
    );

    // Every referral acknowledged is there exactly once, and nothing else was added.
    let acked_referrals: BTreeMap<String, i64> = all
        .iter()
        .flat_map(|a| a.referrals.iter().cloned())
        .collect();
    assert_eq!(acked_referrals.len(), CLIENTS * ROUNDS);
    let ids: BTreeSet<i64> = acked_referrals.values().copied().collect();
    assert_eq!(
        ids.len(),
        CLIENTS * ROUNDS,
        "every new referral has its own id"
    );
    let stored = stored_referrals(&w.app);
    let stored_new: BTreeMap<String, i64> = stored
        .iter()
        .filter(|(reference, _)| reference.starts_with('C'))
        .cloned()
        .collect();
    assert_eq!(
        stored
            .iter()
            .filter(|(reference, _)| reference.starts_with('C'))
            .count(),
        CLIENTS * ROUNDS,
        "no referral is duplicated"
    );
    assert_eq!(
        stored_new, acked_referrals,
        "no referral is lost or changed"
    );
    assert_eq!(stored.len(), CLIENTS * ROUNDS + REGISTER_SIZE);

    // Every register answered was whole: one write's hours on every line.
    for (s, seen) in all.iter().flat_map(|a| a.seen.iter()) {
        assert_eq!(seen.len(), REGISTER_SIZE, "session {s}: {seen:?}");
        assert!(
            seen.iter().all(|h| *h == seen[0]),
            "session {s}: a register mixing two writes was answered: {seen:?}"
        );
    }
    // The final registers: one line per referral, all from one acknowledged write to that
    // session.
    for s in &sessions {
        let lines = stored_register(&w.app, *s);
        assert_eq!(
            lines.len(),
            REGISTER_SIZE,
            "session {s}: one line per referral, none duplicated: {lines:?}"
        );
        let hours: BTreeSet<String> = lines.iter().map(|(_, h)| format!("{h:?}")).collect();
        assert_eq!(hours.len(), 1, "session {s} mixes writes: {lines:?}");
        let winner = lines[0].1.expect("hours were recorded");
        assert!(
            all.iter()
                .flat_map(|a| a.registers.iter())
                .any(|(session, h)| session == s && (*h - winner).abs() < 1e-9),
            "session {s} holds {winner}, which no acknowledged write to it sent"
        );
    }
    // Every acknowledged change is in the audit trail, and the chain is unbroken.
    let mut conn = w.app.db();
    let v = outcomes::store::audit::verify(&mut conn).unwrap();
    assert!(v.problem.is_none(), "{:?}", v.problem);
    let created_events = count(
        &w.app,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'create' AND entity = 'referral'",
    );
    assert_eq!(
        created_events as usize,
        CLIENTS * ROUNDS + REGISTER_SIZE,
        "one audit event per referral created"
    );
}

fn stored_referrals(app: &crate::helpers::TestApp) -> Vec<(String, i64)> {
    use diesel::prelude::*;
    use outcomes::db::schema::referrals::dsl as r;
    r::referrals
        .select((r::reference, r::id))
        .order(r::id)
        .load(&mut app.db())
        .unwrap()
}

fn stored_register(app: &crate::helpers::TestApp, session: i64) -> Vec<(i64, Option<f64>)> {
    use diesel::prelude::*;
    use outcomes::db::schema::attendance::dsl as a;
    a::attendance
        .filter(a::session_id.eq(session))
        .select((a::referral_id, a::hours))
        .order(a::referral_id)
        .load(&mut app.db())
        .unwrap()
}

pub fn count(app: &crate::helpers::TestApp, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .load::<N>(&mut app.db())
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
        .n
}
