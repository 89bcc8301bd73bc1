use crate::helpers::spawn_app;

#[tokio::test]
async fn health_answers_200_with_the_database_backend() {
    let app = spawn_app().await;
    let res = app.get("/health").await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let expected = if crate::helpers::postgres_url().is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn an_unknown_api_path_answers_problem_json_404() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/no-such-thing").await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], 404);
    assert_eq!(body["title"], "Page not found");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'nonce-"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
}

#[tokio::test]
async fn sqlite_connections_enforce_foreign_keys_and_use_wal() {
    use diesel::sql_types::{BigInt, Text};
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Fk {
        #[diesel(sql_type = BigInt)]
        foreign_keys: i64,
    }
    #[derive(diesel::QueryableByName)]
    struct Journal {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    let app = spawn_app().await;
    let mut conn = app.db();
    let outcomes::db::DbConn::Sqlite(ref mut c) = conn else {
        // PostgreSQL always enforces foreign keys; prove it with a dangling reference.
        let err = diesel::sql_query(
            "INSERT INTO users (email, display_name, role, organisation_id, password_hash, \
             created_at, updated_at) VALUES ('a@b.c', 'A', 'admin', 999, 'x', now(), now())",
        )
        .execute(&mut conn)
        .unwrap_err();
        assert!(err.to_string().contains("foreign key"), "{err}");
        return;
    };
    let fk: Fk = diesel::sql_query("PRAGMA foreign_keys")
        .get_result(c)
        .unwrap();
    assert_eq!(fk.foreign_keys, 1);
    let j: Journal = diesel::sql_query("PRAGMA journal_mode")
        .get_result(c)
        .unwrap();
    assert_eq!(j.journal_mode, "wal");
}
