//! The commands behind `outcomes ...`: each takes parsed settings and does one thing.
//! `main.rs` parses and dispatches; nothing here parses arguments.

use std::io::IsTerminal;

use anyhow::Context;

use crate::config::Settings;
use crate::db;
use crate::domain::credentials::{Email, NewPassword};
use crate::domain::enums::{OrganisationKind, Role};
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

/// How `user add` gets the new user's password.
pub enum PasswordSource {
    /// Prompt twice without echo (stdin is a terminal).
    Prompt,
    /// Generate one and print it once.
    Generate,
}

impl PasswordSource {
    /// Prompt on a terminal unless a generated password was asked for.
    pub fn choose(generate: bool) -> Self {
        if generate || !std::io::stdin().is_terminal() {
            PasswordSource::Generate
        } else {
            PasswordSource::Prompt
        }
    }
}

fn prompt_password() -> anyhow::Result<NewPassword> {
    loop {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .context("reading the password")?;
        let password = match NewPassword::parse(&first) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        let again =
            rpassword::prompt_password("Password again: ").context("reading the password")?;
        if again == first {
            return Ok(password);
        }
        eprintln!("The passwords do not match; try again.");
    }
}

pub fn user_add(
    settings: &Settings,
    email: &str,
    role: Role,
    organisation: &str,
    display_name: Option<&str>,
    source: PasswordSource,
) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    let mut conn = open(settings)?;
    let org = store::organisations::find_by_name(&mut conn, organisation)?
        .with_context(|| format!("no organisation named '{}'", organisation.trim()))?;
    let (password, generated) = match source {
        PasswordSource::Prompt => (prompt_password()?, false),
        PasswordSource::Generate => (NewPassword::generate(), true),
    };
    let new = store::users::NewUser {
        email: &email,
        display_name: display_name.unwrap_or(""),
        role,
        organisation_id: org.id,
        password_hash: password.hash()?,
    };
    let user = match store::users::create(&mut conn, new, None) {
        Ok(user) => user,
        Err(StoreError::Duplicate(_)) => {
            anyhow::bail!("a user with that email address already exists")
        }
        Err(e) => return Err(e).context("adding the user"),
    };
    println!(
        "added {} {} to '{}' (id {})",
        user.role, user.email, org.name, user.id
    );
    if generated {
        println!("password (shown once): {}", password.expose());
    }
    Ok(())
}

pub fn token_add(settings: &Settings, email: &str, label: &str) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    let mut conn = open(settings)?;
    let user = store::users::find_by_email(&mut conn, &email)?
        .context("no user with that email address")?;
    if !user.active {
        anyhow::bail!("that user is deactivated; reactivate them first");
    }
    let (id, token) = store::tokens::create(&mut conn, user.id, label, None)?;
    eprintln!(
        "API token {id} for {} (shown once; store it safely):",
        user.email
    );
    println!("{token}");
    Ok(())
}

/// Walks the audit chain; an error names the first broken or missing event.
pub fn audit_verify(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let v = store::audit::verify(&mut conn)?;
    match v.problem {
        None => {
            println!(
                "the audit trail verifies: {} events, head hash {}",
                v.events, v.head
            );
            Ok(())
        }
        Some(problem) => anyhow::bail!(
            "the audit trail is broken: {problem} ({} events before it verify)",
            v.events
        ),
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
