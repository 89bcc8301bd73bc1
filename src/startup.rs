//! Building the application: the one constructor used by `main` and by the tests.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::config::Settings;
use crate::db;
use crate::secrets::Secrets;
use crate::web::{self as app_web, AppState};

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens the database, applies migrations, binds `bind` (port 0 picks a free port)
    /// and builds the server; `run_until_stopped` serves.
    pub fn build(settings: &Settings, bind: &str) -> anyhow::Result<Self> {
        let url = settings.database()?;
        let secrets = Secrets::load_and_install(settings)?;
        let pool = db::pool(&url, None)?;
        let reporting = db::reporting::Reporting::from_settings(settings, url.backend())?;
        {
            let mut conn = pool.get().context("connecting to the database")?;
            let applied = db::migrate(&mut conn)?;
            if applied > 0 {
                tracing::info!(applied, "applied database migrations");
            }
        }
        app_web::templates::check()?;
        let listener =
            TcpListener::bind(bind).with_context(|| format!("binding the address {bind}"))?;
        let port = listener.local_addr()?.port();
        let costs = crate::reports::cost_tables(settings)?;
        let report_cache =
            crate::reports::cache::ReportCache::new(settings.report_cache_mb, &costs);
        let state = actix_web::web::Data::new(AppState {
            pool,
            backend: url.backend(),
            reporting,
            secrets,
            hsts: settings.tls,
            trusted_proxies: settings.trusted_proxies.clone(),
            costs,
            disclosure_threshold: u64::from(settings.disclosure_threshold),
            minimum_cohort: u64::from(settings.minimum_cohort),
            require_2fa: settings.require_2fa,
            clock: settings.clock(),
            report_cache,
            audit: Default::default(),
        });
        if settings.report_prewarm && settings.report_cache_mb > 0 {
            let state = state.clone();
            std::thread::Builder::new()
                .name("report-prewarm".into())
                .spawn(move || loop {
                    let started = std::time::Instant::now();
                    match app_web::pages::dashboard::prewarm(&state) {
                        Ok(done) => tracing::info!(
                            computed = done.computed,
                            cached = done.cached,
                            failed = done.failed,
                            seconds = started.elapsed().as_secs_f64(),
                            "report cache warmed with the dashboard's reports"
                        ),
                        Err(e) => tracing::warn!(error = %e, "warming the report cache failed"),
                    }
                    // Again a minute after the next midnight (UTC), when reports are
                    // of the new day.
                    let now = chrono::Utc::now();
                    let next = (now.date_naive() + chrono::Days::new(1))
                        .and_hms_opt(0, 1, 0)
                        .map(|t| t.and_utc())
                        .unwrap_or(now);
                    std::thread::sleep((next - now).to_std().unwrap_or_default());
                })
                .context("starting the report cache's warming")?;
        }
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                // Request bodies read whole (`web::Bytes`: JSON API bodies) up to 1 MiB,
                // refused by Content-Length before reading; the import routes raise it to
                // the upload limit for themselves (`routes::configure`).
                .app_data(web::PayloadConfig::new(app_web::auth::MAX_JSON_BYTES))
                .wrap(from_fn(app_web::auth::authenticate))
                .wrap(Compress::default())
                .wrap(from_fn(app_web::security::headers))
                .wrap(from_fn(crate::web::request_log))
                .configure(app_web::routes)
                .default_service(web::to(app_web::not_found))
        })
        .listen(listener)?
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
