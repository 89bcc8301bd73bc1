//! Backups taken while the service writes, restored, hold every write acknowledged before
//! the backup started. On SQLite through `outcomes backup` and `outcomes restore`; on
//! PostgreSQL through the documented `pg_dump` and `pg_restore` commands.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::casework::world;
use crate::cli::outcomes_as_app as outcomes;
use crate::helpers::postgres_url;

const WRITERS: usize = 6;

/// Writers creating referrals until told to stop; each acknowledged id is recorded.
fn start_writers(
    w: &crate::casework::World,
    stop: &Arc<AtomicBool>,
) -> (Arc<Mutex<Vec<i64>>>, Vec<tokio::task::JoinHandle<()>>) {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for n in 0..WRITERS {
        let (address, token) = (w.app.address.clone(), w.token.clone());
        let (participant, programme) = (w.participant, w.mentoring);
        let (stop, acked) = (stop.clone(), acked.clone());
        handles.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let res = client
                    .post(format!("{address}/api/v1/referrals"))
                    .bearer_auth(&token)
                    .json(
                        &json!({"participant_id": participant, "programme_id": programme,
                                  "reference": format!("W{n}-{i}"), "referred_on": "2025-05-01",
                                  "source": "police"}),
                    )
                    .send()
                    .await
                    .expect("the request is sent");
                let status = res.status().as_u16();
                let body: Value = res.json().await.expect("JSON");
                assert_eq!(status, 201, "{body}");
                acked.lock().unwrap().push(body["id"].as_i64().unwrap());
                i += 1;
            }
        }));
    }
    (acked, handles)
}

async fn wait_for_writes(acked: &Arc<Mutex<Vec<i64>>>, at_least: usize) {
    for _ in 0..600 {
        if acked.lock().unwrap().len() >= at_least {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the writers did not write");
}

/// Referral ids in a database.
fn referral_ids(conn: &mut outcomes::db::DbConn) -> std::collections::BTreeSet<i64> {
    use diesel::prelude::*;
    use outcomes::db::schema::referrals::dsl as r;
    r::referrals
        .select(r::id)
        .load::<i64>(conn)
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_write_load_restores_every_write_acknowledged_before_it() {
    let w = world().await;
    let dir = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (acked, writers) = start_writers(&w, &stop);
    wait_for_writes(&acked, 30).await;

    // Everything acknowledged before the backup starts must be in it.
    let before: Vec<i64> = acked.lock().unwrap().clone();
    let backup_file = dir.path().join("backup.db");
    let restored_url = match postgres_url() {
        None => {
            let url = w.app.database_url.clone();
            let (file, d) = (backup_file.clone(), dir.path().to_path_buf());
            let out = tokio::task::spawn_blocking(move || {
                outcomes(&["backup", file.to_str().unwrap()], &url, &d)
            })
            .await
            .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let said = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                said.contains("integrity ok") && said.contains("head hash"),
                "{said}"
            );
            // A second backup never overwrites the first.
            let again = outcomes(
                &["backup", backup_file.to_str().unwrap()],
                &w.app.database_url,
                dir.path(),
            );
            assert!(!again.status.success());
            None
        }
        Some(base) => {
            let schema = w
                .app
                .database_url
                .rsplit("search_path%3D")
                .next()
                .unwrap()
                .to_string();
            let (file, base2) = (backup_file.clone(), base.clone());
            let out = tokio::task::spawn_blocking(move || {
                std::process::Command::new("pg_dump")
                    .args(["--format=custom", "--schema", &schema, "--file"])
                    .arg(&file)
                    .arg(&base2)
                    .output()
                    .expect("pg_dump runs")
            })
            .await
            .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // `outcomes backup` names the tool to use.
            let told = outcomes(&["backup", "x.dump"], &w.app.database_url, dir.path());
            assert!(!told.status.success());
            assert!(String::from_utf8_lossy(&told.stderr).contains("pg_dump"));
            Some(base)
        }
    };
    // The writers went on during the backup; let them write a little more, then stop.
    let during = acked.lock().unwrap().len();
    wait_for_writes(&acked, during + 20).await;
    stop.store(true, Ordering::SeqCst);
    for h in writers {
        h.await.expect("every write was acknowledged");
    }
    let total = acked.lock().unwrap().len();
    assert!(total > before.len());

    // Restore into a new database and find every write acknowledged before the backup.
    let (url, cleanup) = match restored_url {
        None => {
            let url = format!(
                "sqlite://{}",
                dir.path().join("restored/outcomes.db").display()
            );
            let out = outcomes(
                &["restore", backup_file.to_str().unwrap()],
                &url,
                dir.path(),
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // A restore never overwrites a database.
            let again = outcomes(
                &["restore", backup_file.to_str().unwrap()],
                &url,
                dir.path(),
            );
            assert!(!again.status.success());
            assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
            (url, None)
        }
        Some(base) => {
            let db = format!("outcomes_restore_{:08x}", rand::random::<u32>());
            let (prefix, query) = match base.split_once('?') {
                Some((p, q)) => (p.to_string(), format!("?{q}")),
                None => (base.clone(), String::new()),
            };
            let server = prefix.rsplit_once('/').unwrap().0.to_string();
            let admin = format!("{server}/postgres");
            let run = |args: &[&str]| {
                let out = std::process::Command::new(args[0])
                    .args(&args[1..])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            run(&[
                "psql",
                &admin,
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                &format!("CREATE DATABASE {db}"),
            ]);
            let target = format!("{server}/{db}{query}");
            run(&[
                "pg_restore",
                "--no-owner",
                "--dbname",
                &target,
                backup_file.to_str().unwrap(),
            ]);
            let schema = w
                .app
                .database_url
                .rsplit("search_path%3D")
                .next()
                .unwrap()
                .to_string();
            let sep = if query.is_empty() { '?' } else { '&' };
            (
                format!("{target}{sep}options=-csearch_path%3D{schema}"),
                Some((admin, db)),
            )
        }
    };
    let mut restored = outcomes::db::DatabaseUrl::parse(&url)
        .unwrap()
        .connect()
        .unwrap();
    let present = referral_ids(&mut restored);
    let missing: Vec<&i64> = before.iter().filter(|id| !present.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup but missing after the restore: {missing:?}"
    );
    // Nothing the live database does not have.
    let live = referral_ids(&mut w.app.db());
    assert!(present.is_subset(&live));
    if let outcomes::db::DbConn::Sqlite(_) = restored {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let rows: Vec<Row> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut restored)
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].integrity_check, "ok");
    }
    drop(restored);
    let verify = outcomes(&["audit", "verify"], &url, dir.path());
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    eprintln!(
        "{} referrals acknowledged before the backup, {} in the restored database, {total} in all",
        before.len(),
        present.len()
    );
    if let Some((admin, db)) = cleanup {
        let _ = std::process::Command::new("psql")
            .args([&admin, "-c", &format!("DROP DATABASE {db} WITH (FORCE)")])
            .output();
    }
}

#[test]
fn restore_refuses_a_file_that_is_not_a_sound_outcomes_database() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just bytes").unwrap();
    let url = format!("sqlite://{}", dir.path().join("target.db").display());
    let out = outcomes(&["restore", junk.to_str().unwrap()], &url, dir.path());
    assert!(!out.status.success());
    assert!(
        !dir.path().join("target.db").exists(),
        "nothing is restored"
    );
    // A SQLite file that is not ours is refused as well.
    let other = dir.path().join("other.db");
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut c = diesel::SqliteConnection::establish(other.to_str().unwrap()).unwrap();
        c.batch_execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let out = outcomes(&["restore", other.to_str().unwrap()], &url, dir.path());
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not an Outcomes database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !dir.path().join("target.db").exists(),
        "nothing is restored"
    );
}
