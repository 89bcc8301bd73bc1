//! `/health`: answers without authentication, and checks that the database answers.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde::Serialize;

use super::AppState;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
}

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.clone();
    let backend = match state.backend {
        crate::db::Backend::Sqlite => "sqlite",
        crate::db::Backend::Postgres => "postgres",
    };
    let ok = web::block(move || -> bool {
        pool.get()
            .map(|mut c| c.batch_execute("SELECT 1").is_ok())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    if ok {
        HttpResponse::Ok().json(Health {
            status: "ok",
            database: backend,
        })
    } else {
        tracing::warn!("health check: the database did not answer");
        HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable",
            database: backend,
        })
    }
}
