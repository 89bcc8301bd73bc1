//! The commands behind `outcomes ...`: each takes parsed settings and does one thing.
//! `main.rs` parses and dispatches; nothing here parses arguments.

use anyhow::Context;

use crate::config::Settings;
use crate::db;
use crate::domain::enums::OrganisationKind;
use crate::startup::Application;
use crate::store::{self, StoreError};

/// Opens the database named by the settings and applies pending migrations.
pub fn open(settings: &Settings) -> anyhow::Result<db::DbConn> {
    let url = settings.database()?;
    url.prepare()?;
    let mut conn = url.connect()?;
    db::migrate(&mut conn)?;
    Ok(conn)
}

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let url = settings.database()?;
    url.prepare()?;
    let mut conn = url.connect()?;
    let applied = db::migrate(&mut conn)?;
    println!("{applied} migration(s) applied to {url:?}");
    Ok(())
}

pub fn org_add(settings: &Settings, name: &str, kind: OrganisationKind) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    match store::organisations::create(&mut conn, name, kind) {
        Ok(org) => {
            println!("added {} '{}' (id {})", org.kind, org.name, org.id);
            Ok(())
        }
        Err(StoreError::Duplicate(what)) => anyhow::bail!("{what} already exists"),
        Err(e) => Err(e).context("adding the organisation"),
    }
}

pub fn serve(settings: &Settings, bind: &str) -> anyhow::Result<()> {
    let app = Application::build(settings, bind)?;
    let addr = bind.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
    println!("Outcomes is running: open http://{addr}:{}/", app.port());
    actix_web::rt::System::new()
        .block_on(app.run_until_stopped())
        .context("serving")
}
