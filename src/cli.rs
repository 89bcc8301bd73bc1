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

pub mod erasure;

/// Opens the database named by the settings and applies pending migrations.
pub fn open(settings: &Settings) -> anyhow::Result<db::DbConn> {
    let url = settings.database()?;
    crate::secrets::Secrets::load_and_install(settings)?;
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

fn prompt_password(email: &Email) -> anyhow::Result<NewPassword> {
    loop {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .context("reading the password")?;
        let password = match NewPassword::parse_for(&first, email) {
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
    if let Err(why) = crate::domain::enums::check_role_fits(role, org.kind) {
        anyhow::bail!("{why} ('{}')", org.name);
    }
    let (password, generated) = match source {
        PasswordSource::Prompt => (prompt_password(&email)?, false),
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
        Err(StoreError::Refused(why)) => anyhow::bail!("{why} ('{}')", org.name),
        Err(e) => return Err(e).context("adding the user"),
    };
    println!(
        "added {} {} to '{}' (id {})",
        user.role, user.email, org.name, user.id
    );
    if generated {
        // Whoever ran this saw it: the user chooses their own at first sign-in.
        store::users::require_password_change(&mut conn, user.id)?;
        println!("password (shown once): {}", password.expose());
        eprintln!("the user chooses a new password at their first sign-in");
    }
    Ok(())
}

pub fn token_add(
    settings: &Settings,
    email: &str,
    label: &str,
    expires_in: Option<chrono::Duration>,
) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    let mut conn = open(settings)?;
    let user = store::users::find_by_email(&mut conn, &email)?
        .context("no user with that email address")?;
    if !user.active {
        anyhow::bail!("that user is deactivated; reactivate them first");
    }
    let expires_at = expires_in.map(|d| store::now() + d);
    let (id, token) = store::tokens::create_expiring(&mut conn, user.id, label, expires_at, None)?;
    match expires_at {
        Some(e) => eprintln!(
            "API token {id} for {}, expires {} UTC (shown once; store it safely):",
            user.email,
            e.format("%-d %B %Y %H:%M")
        ),
        None => eprintln!(
            "API token {id} for {} (shown once; store it safely):",
            user.email
        ),
    }
    println!("{token}");
    Ok(())
}

/// Walks the audit chain under the audit key; an error names the first broken, missing
/// or unkeyed event. With `head` (from `audit anchor`), that event must still be there.
pub fn audit_verify(
    settings: &Settings,
    head: Option<&store::audit::Anchor>,
) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let v = match head {
        Some(h) => store::audit::verify_head(&mut conn, h)?,
        None => store::audit::verify(&mut conn)?,
    };
    match v.problem {
        None => {
            println!(
                "the audit trail verifies: {} events, head hash {}",
                v.events, v.head
            );
        }
        Some(problem) => anyhow::bail!(
            "the audit trail is broken: {problem} ({} events before it verify)",
            v.events
        ),
    }
    // The access log (who looked at whom) has the same keyed chain.
    let a = store::access_log::verify(&mut conn)?;
    match a.problem {
        None => {
            println!(
                "the access log verifies: {} views, head hash {}",
                a.events, a.head
            );
            Ok(())
        }
        Some(problem) => anyhow::bail!(
            "the access log is broken at {} ({} views before it verify)",
            problem.to_string().replacen("audit event", "view", 1),
            a.events
        ),
    }
}

/// `outcomes audit anchor`: prints the chain's head (`ID:HASH`) to record outside the
/// database, e.g. in a ticket or a signed e-mail; `audit verify --head` checks it later.
pub fn audit_anchor(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let v = store::audit::verify(&mut conn)?;
    if let Some(problem) = v.problem {
        anyhow::bail!("the audit trail is broken, so its head is not worth anchoring: {problem}");
    }
    match store::audit::anchor(&mut conn)? {
        Some(anchor) => {
            println!("{anchor}");
            Ok(())
        }
        None => anyhow::bail!("the audit trail is empty: there is no head to anchor yet"),
    }
}

/// `outcomes audit rekey`: re-hashes a trail written before keyed hashing, once, as one
/// audited step (see `store::audit::rekey`).
pub fn audit_rekey(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let done = store::audit::rekey(&mut conn, None)?;
    println!(
        "re-hashed {} audit events under the audit key; the old head was {}; recorded as event {}. \
         Anchor the new head: {}:{}",
        done.rehashed, done.old_head, done.event.id, done.event.id, done.event.hash
    );
    Ok(())
}

/// `outcomes doctor`: checks what the database holds against rules older versions did
/// not enforce — users whose role does not fit their organisation's kind — and that the
/// audit trail verifies. Prints each problem; exits non-zero when there is one.
pub fn doctor(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let mut problems = 0usize;
    for m in store::users::role_misfits(&mut conn)? {
        problems += 1;
        println!(
            "user {} is a {} in '{}': {}. Deactivate them and add them again in a fitting organisation.",
            m.user_id, m.role, m.organisation_name, m.message
        );
    }
    let v = store::audit::verify(&mut conn)?;
    match v.problem {
        Some(problem) => {
            problems += 1;
            println!("the audit trail is broken: {problem}");
        }
        None => println!("the audit trail verifies: {} events", v.events),
    }
    if problems > 0 {
        anyhow::bail!("{problems} problem(s) found");
    }
    println!("no problems found");
    Ok(())
}

/// `outcomes backup FILE`: an online, checked copy of the SQLite database (see
/// `backup`); on PostgreSQL, says how to use `pg_dump`.
pub fn backup(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let url = settings.database()?;
    crate::secrets::Secrets::load_and_install(settings)?;
    let started = std::time::Instant::now();
    let checked = crate::backup::backup_sqlite(&url, file)?;
    println!(
        "backed up {url:?} to {} in {:.1} s: integrity ok, schema {}, the audit trail verifies: {} events, head hash {}",
        file.display(),
        started.elapsed().as_secs_f64(),
        checked.schema_version,
        checked.events,
        checked.head
    );
    Ok(())
}

/// `outcomes restore FILE`: checks a backup and restores it to the configured SQLite
/// path, which must not exist; on PostgreSQL, says how to use `pg_restore`.
pub fn restore(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let url = settings.database()?;
    crate::secrets::Secrets::load_and_install(settings)?;
    let checked = crate::backup::restore_sqlite(&url, file)?;
    println!(
        "restored {} to {url:?}: integrity ok, schema {}, the audit trail verifies: {} events, head hash {}",
        file.display(),
        checked.schema_version,
        checked.events,
        checked.head
    );
    println!("Compare the head hash with the one recorded when the backup was taken.");
    Ok(())
}

pub fn serve(settings: &Settings, bind: &str, with_demo: bool) -> anyhow::Result<()> {
    let mut settings = settings.clone();
    if with_demo {
        // The demo's logins work with their password alone (docs/security.md): a demo holds
        // made-up people only. Users who enrol a second factor are still asked for it.
        settings.require_2fa = crate::domain::two_factor::Policy::Off;
        println!("--demo: two-factor sign-in is optional for every demo login");
        // The demo refuses a database holding anything else; then the service simply
        // serves that database as it is.
        if let Err(e) = demo(&settings, crate::demo::Scale::Small, 1, None) {
            eprintln!("--demo: {e:#}; serving the database as it is");
        }
    }
    let app = Application::build(&settings, bind)?;
    let addr = bind.rsplit_once(':').map(|(h, _)| h).unwrap_or("127.0.0.1");
    println!("Outcomes is running: open http://{addr}:{}/", app.port());
    actix_web::rt::System::new()
        .block_on(app.run_until_stopped())
        .context("serving")
}

/// `outcomes import KIND FILE`: imports a CSV file with a progress bar; prints every
/// error with its line and column when the file is refused.
/// `outcomes template KIND --format xlsx|csv --output FILE`.
pub fn template(
    settings: &Settings,
    kind: crate::domain::enums::ImportKind,
    format: &str,
    output: &std::path::Path,
    organisation: Option<&str>,
) -> anyhow::Result<()> {
    use crate::imports::template;
    let names = match organisation {
        Some(name) => {
            let mut conn = open(settings)?;
            let org = store::organisations::find_by_name(&mut conn, name)?
                .with_context(|| format!("there is no organisation named '{name}'"))?;
            template::Names {
                programmes: store::programmes::of_organisation(&mut conn, org.id)?
                    .into_iter()
                    .map(|p| p.fields.name)
                    .collect(),
                measures: store::measures::all(&mut conn)?
                    .into_iter()
                    .map(|m| m.fields.name)
                    .collect(),
            }
        }
        None => template::Names::default(),
    };
    let bytes = match format {
        "csv" => template::csv(kind),
        _ => template::xlsx_with(kind, &names).context("writing the workbook")?,
    };
    std::fs::write(output, bytes).with_context(|| format!("writing {}", output.display()))?;
    println!("wrote the {} template to {}", kind.name(), output.display());
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn import(
    settings: &Settings,
    kind: crate::domain::enums::ImportKind,
    file: &std::path::Path,
    organisation: Option<&str>,
    extract_date: Option<chrono::NaiveDate>,
    confirm_shrink: bool,
    name: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<()> {
    use crate::imports::{self, ImportContext, ImportError, Source};
    if name.is_some() && kind != crate::domain::enums::ImportKind::Comparison {
        anyhow::bail!("--name is for comparison groups only (outcomes import comparison-group FILE --name LABEL)");
    }
    let mut conn = open(settings)?;
    let secrets = crate::secrets::Secrets::load(settings)?;
    let organisation = match organisation {
        Some(name) => Some(
            store::organisations::find_by_name(&mut conn, name)?
                .with_context(|| format!("there is no organisation named '{name}'"))?
                .id,
        ),
        None => None,
    };
    let ctx = ImportContext {
        organisation,
        user: None,
        secret: &secrets.person_key,
        today: settings.clock().today(),
        extract_date,
        confirm_shrink,
    };
    let source = Source::File(file.to_path_buf());
    let bar = indicatif::ProgressBar::new(source.len());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {bytes}/{total_bytes} ({eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(format!("importing {kind}"));
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let run = |conn: &mut crate::db::DbConn| match kind {
        crate::domain::enums::ImportKind::Comparison => {
            let name = imports::comparison::group_name(name)?;
            imports::comparison::import(conn, &ctx, &name, &file_name, &source)
        }
        _ => imports::import(conn, &ctx, kind, &file_name, &source, &mut |bytes| {
            bar.set_position(bytes)
        }),
    };
    let result = if dry_run {
        imports::rolled_back(&mut conn, run)
    } else {
        run(&mut conn)
    };
    bar.finish_and_clear();
    if dry_run {
        return print_dry_run(&file_name, result);
    }
    match result {
        Ok(s) if s.batch_id.is_none() => {
            println!(
                "{}: nothing changed ({} rows already up to date)",
                s.file_name, s.rows
            );
            Ok(())
        }
        Ok(s) => {
            let batch = s.batch_id.map(|b| b.0).unwrap_or_default();
            let undo = match crate::imports::entity_of(s.kind) {
                Some(_) => format!(" (undo with `outcomes revert-import {batch}`)"),
                None => String::new(),
            };
            println!(
                "{}: imported {} rows ({} added, {} updated, {} unchanged); sha256 {}; batch {batch}{undo}",
                s.file_name, s.rows, s.inserted, s.updated, s.unchanged, s.sha256,
            );
            if let Some(x) = s.extract {
                println!(
                    "the offence extract now holds {} rows about {} people, matching {} participants; \
                     the one it replaced can be put back with `outcomes extract restore` until the next import",
                    x.rows, x.people, x.matched_participants
                );
            }
            Ok(())
        }
        Err(ImportError::Invalid { errors, total }) => {
            for e in &errors {
                eprintln!("{e}");
            }
            if total > errors.len() {
                eprintln!("… and {} more", total - errors.len());
            }
            anyhow::bail!("{file_name}: {total} error(s); nothing was imported")
        }
        Err(e) => Err(e.into()),
    }
}

/// What `outcomes import --dry-run` prints: the summary the import would have, or the
/// errors it would refuse the file with (and nothing is changed either way).
fn print_dry_run(
    file_name: &str,
    result: Result<crate::imports::ImportSummary, crate::imports::ImportError>,
) -> anyhow::Result<()> {
    use crate::imports::ImportError;
    match result {
        Ok(s) => {
            println!(
                "{file_name} (dry run, nothing was changed): {} rows; would add {}, update {}, leave {} unchanged",
                s.rows, s.inserted, s.updated, s.unchanged
            );
            for f in &s.fields {
                let records = if f.records == 1 { "record" } else { "records" };
                println!("  {} would change on {} {records}", f.field, f.records);
            }
            if let Some(x) = s.extract {
                println!(
                    "  the offence extract would hold {} rows about {} people, matching {} participants",
                    x.rows, x.people, x.matched_participants
                );
            }
            Ok(())
        }
        Err(ImportError::Invalid { errors, total }) => {
            for e in &errors {
                eprintln!("{e}");
            }
            if total > errors.len() {
                eprintln!("… and {} more", total - errors.len());
            }
            let locked = crate::imports::locked_rows(&errors);
            if locked > 0 {
                eprintln!(
                    "{locked} row(s) would change records in quarters whose return is approved (refused)"
                );
            }
            anyhow::bail!(
                "{file_name} (dry run, nothing was changed): {total} error(s); the import would change nothing"
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// `outcomes revert-import BATCH`: undoes an import batch (see `imports::undo`).
pub fn revert_import(settings: &Settings, batch: i64) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let r = crate::imports::undo::revert(
        &mut conn,
        crate::domain::ids::ImportBatchId(batch),
        None,
        None,
    )?;
    println!(
        "import batch {} ({}, {}) undone: {} records removed, {} put back as they were",
        batch, r.batch.kind, r.batch.file_name, r.removed, r.restored
    );
    Ok(())
}

/// `outcomes extract restore`: puts the previous police offence extract back in place of
/// the current one (audited); the current one can be put back the same way until the
/// next import.
pub fn extract_restore(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let r = crate::imports::restore(&mut conn, None)?;
    let as_of = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    println!(
        "restored the offence extract {} (as of {}): {} rows about {} people, matching {} participants",
        r.restored.file_name,
        as_of(r.restored.extract_date),
        r.stats.rows,
        r.stats.people,
        r.stats.matched_participants
    );
    if let Some(replaced) = r.replaced {
        println!(
            "it replaced {} (as of {}), which can be put back the same way until the next import",
            replaced.file_name,
            as_of(replaced.extract_date)
        );
    }
    Ok(())
}

/// Which report `outcomes report` is asked for.
pub enum ReportTarget<'a> {
    Programme {
        name: &'a str,
        organisation: Option<&'a str>,
    },
    Provider(&'a str),
    FundingStream(&'a str),
}

/// What `outcomes report` compares the report with (`--compare-*`).
pub enum CompareTarget<'a> {
    Programme {
        name: &'a str,
        organisation: Option<&'a str>,
    },
    Group(&'a str),
    Matched,
}

/// Resolves a comparison target to what a report request names.
pub fn resolve_compare(
    conn: &mut db::DbConn,
    target: &CompareTarget,
) -> anyhow::Result<crate::reports::CompareWith> {
    use crate::reports::CompareWith;
    Ok(match target {
        CompareTarget::Programme { name, organisation } => {
            let programme = ReportTarget::Programme {
                name,
                organisation: *organisation,
            };
            match resolve_target(conn, &programme)? {
                (crate::store::report_rows::ReportScope::Programme(id), _) => {
                    CompareWith::Programme(id)
                }
                _ => unreachable!("a programme target resolves to a programme"),
            }
        }
        CompareTarget::Group(name) => {
            let group = store::comparison_groups::find_by_name(conn, name)?.with_context(|| {
                format!(
                    "there is no comparison group named '{name}' (import one with \
                     `outcomes import comparison-group FILE --name LABEL`)"
                )
            })?;
            CompareWith::Group(group.id)
        }
        CompareTarget::Matched => CompareWith::Matched,
    })
}

/// Resolves a report target to a scope and its display name.
pub fn resolve_target(
    conn: &mut db::DbConn,
    target: &ReportTarget,
) -> anyhow::Result<(crate::store::report_rows::ReportScope, String)> {
    use crate::store::report_rows::ReportScope;
    match target {
        ReportTarget::Programme { name, organisation } => {
            let mut found = store::programmes::by_name(conn, name)?;
            if let Some(org_name) = organisation {
                let org = store::organisations::find_by_name(conn, org_name)?
                    .with_context(|| format!("there is no organisation named '{org_name}'"))?;
                found.retain(|p| p.organisation_id == org.id);
            }
            match found.len() {
                0 => anyhow::bail!("there is no programme named '{name}'"),
                1 => Ok((ReportScope::Programme(found[0].id), found[0].fields.name.clone())),
                n => anyhow::bail!(
                    "{n} providers run a programme named '{name}': name the provider with --organisation"
                ),
            }
        }
        ReportTarget::Provider(name) => {
            let org = store::organisations::find_by_name(conn, name)?
                .with_context(|| format!("there is no organisation named '{name}'"))?;
            Ok((ReportScope::Provider(org.id), org.name))
        }
        ReportTarget::FundingStream(name) => {
            let stream = store::funding_streams::find_by_name(conn, name)?
                .with_context(|| format!("there is no funding stream named '{name}'"))?;
            Ok((ReportScope::FundingStream(stream.id), stream.name))
        }
    }
}

/// `outcomes report`: computes a report and writes it to a file or standard output.
pub fn report(
    settings: &Settings,
    target: &ReportTarget,
    mut request: impl FnMut(
        crate::store::report_rows::ReportScope,
        String,
    ) -> crate::reports::ReportRequest,
    compare: Option<&CompareTarget>,
    format: crate::reports::Format,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if format.is_binary() && output.is_none() && std::io::stdout().is_terminal() {
        anyhow::bail!(
            "a {} report is a binary file: name it with --output FILE (or redirect standard output)",
            format.extension()
        );
    }
    let mut conn = open(settings)?;
    let (scope, name) = resolve_target(&mut conn, target)?;
    let mut request = request(scope, name);
    if let Some(compare) = compare {
        request.comparison = Some(resolve_compare(&mut conn, compare)?);
    }
    request.threshold = u64::from(settings.disclosure_threshold);
    request.minimum_cohort = u64::from(settings.minimum_cohort);
    let costs = crate::reports::cost_tables(settings)?;
    // Read from the replica when one is configured and fit (`db::reporting`), from the
    // main database otherwise.
    let url = settings.database()?;
    let reporting = db::reporting::Reporting::from_settings(settings, url.backend())?;
    let on_replica = |replica: &mut db::DbConn, extra: &dyn Fn() -> Option<db::PooledConn>| {
        let mut reader = extra();
        let parallel = reader
            .as_deref_mut()
            .map(|reader| crate::store::report_rows::Parallel { reader, lock: None });
        crate::reports::build_in_parallel(replica, parallel, &request, &costs)
    };
    let on_primary = || {
        // Two more connections read the report in parallel (store::report_rows::load).
        let (mut reader, mut lock) = (
            url.connect()
                .map_err(|e| crate::reports::BuildError::Settings(format!("{e:#}")))?,
            url.connect()
                .map_err(|e| crate::reports::BuildError::Settings(format!("{e:#}")))?,
        );
        let parallel = crate::store::report_rows::Parallel {
            reader: &mut reader,
            lock: Some(&mut lock),
        };
        crate::reports::build_in_parallel(&mut conn, Some(parallel), &request, &costs)
    };
    let database_failure = |e: &crate::reports::BuildError| {
        matches!(
            e,
            crate::reports::BuildError::Store(store::StoreError::Database(_))
        )
    };
    let (mut report, read_from) = reporting.read(on_replica, on_primary, database_failure)?;
    report.body.provenance.read_from = read_from;
    store::audit::record(
        &mut conn,
        store::audit::NewEvent::new(crate::domain::enums::AuditAction::ReportDownload, "report")
            .detail(format!(
                "scope={:?} format={} period={} follow_up={} waiting={} index={} mode={} price_year={} compare={} sha256={}",
                request.scope,
                format.extension(),
                request.period,
                request.follow_up_months,
                request.waiting_months,
                request.index.as_str(),
                if request.published {
                    "published"
                } else {
                    "internal"
                },
                request.price_year.as_deref().unwrap_or("default"),
                request
                    .comparison
                    .map(|c| c.to_param())
                    .unwrap_or_else(|| "none".into()),
                report.body.provenance.input_sha256
            )),
    )?;
    let archived = crate::reports::archive(
        &mut conn,
        &request,
        &report,
        format.extension(),
        "cli",
        None,
        crate::reports::audience(&request, true),
    )?;
    eprintln!("archived as report archive entry {archived}");
    let bytes = crate::reports::render(&report, format)?;
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}

/// `outcomes export KIND --organisation NAME`: an organisation's records as CSV.
pub fn export(
    settings: &Settings,
    kind: crate::domain::enums::ImportKind,
    organisation: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let org = store::organisations::find_by_name(&mut conn, organisation)?
        .with_context(|| format!("there is no organisation named '{organisation}'"))?;
    let bytes = crate::exports::export(&mut conn, org.id, kind)?;
    let mut event =
        store::audit::NewEvent::new(crate::domain::enums::AuditAction::Export, "export")
            .detail(format!("kind={kind} bytes={}", bytes.len()));
    event.organisation_id = Some(org.id);
    store::audit::record(&mut conn, event)?;
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(())
}

/// `outcomes demo`: seeds the synthetic demo with progress bars on standard error, then
/// prints what it wrote.
pub fn demo(
    settings: &Settings,
    scale: crate::demo::Scale,
    seed: u64,
    as_of: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    use crate::demo::{self, DemoOptions};
    let mut conn = open(settings)?;
    let secrets = crate::secrets::Secrets::load(settings)?;
    let today = chrono::Utc::now().date_naive();
    let options = DemoOptions {
        scale,
        seed,
        as_of: as_of.unwrap_or_else(|| demo::default_as_of(today)),
    };
    let started = std::time::Instant::now();
    let mut bars = Bars(None);
    let summary = demo::seed(&mut conn, &options, &secrets.person_key, today, &mut bars)?;
    if !summary.already_present {
        store::after_bulk_load(&mut conn)?;
    }
    if summary.already_present {
        println!("The demo is already in this database; nothing was changed.");
    } else {
        let c = &summary.counts;
        println!(
            "Seeded the {} demo (seed {}, as of {}) in {:.1} s:",
            summary.scale,
            summary.seed,
            summary.as_of,
            started.elapsed().as_secs_f64()
        );
        for (what, n) in [
            ("organisations", c.organisations),
            ("programmes", c.programmes),
            ("funding streams", c.funding_streams),
            ("targets", c.targets),
            ("participants", c.participants),
            ("referrals", c.referrals),
            ("sessions", c.sessions),
            ("attendance lines", c.attendance),
            ("outcome records", c.outcome_records),
            ("group surveys", c.group_surveys),
            ("offence records", c.offence_records),
        ] {
            println!("  {n:>12}  {what}");
        }
    }
    let logins = demo_logins(&mut conn, &summary)?;
    println!("Demo logins (password for every one: {DEMO_PASSWORD}):");
    for login in &logins {
        println!(
            "  {:<18} {:<45} {}",
            login.role.label(),
            login.email,
            login.organisation
        );
    }
    println!("Every person in the demo is synthetic. Try:");
    println!(
        "  outcomes report --programme \"Immediate Justice\" --period {}",
        first_full_year(options.as_of)
    );
    Ok(())
}

/// The password of every demo login. The demo only runs on an empty database, so these
/// accounts can never sit beside real records; it is printed for the same reason.
pub const DEMO_PASSWORD: &str = "demo-password-outcomes";

/// Creates the demo's logins (one per organisation and role) where they are missing.
fn demo_logins(
    conn: &mut db::DbConn,
    summary: &crate::demo::DemoSummary,
) -> anyhow::Result<Vec<crate::demo::DemoLogin>> {
    use crate::domain::credentials::{Email, NewPassword};
    let logins = summary.suggested_logins();
    let hash = NewPassword::parse(DEMO_PASSWORD)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .hash()?;
    for login in &logins {
        let email = Email::parse(&login.email).map_err(|e| anyhow::anyhow!("{e}"))?;
        if store::users::find_by_email(conn, &email)?.is_some() {
            continue;
        }
        let org = summary
            .organisations
            .iter()
            .find(|o| o.name == login.organisation)
            .context("a demo login names an organisation the demo did not create")?;
        let display_name = format!("Demo {}", login.role.label().to_lowercase());
        store::users::create(
            conn,
            store::users::NewUser {
                email: &email,
                display_name: &display_name,
                role: login.role,
                organisation_id: org.id,
                password_hash: hash.clone(),
            },
            None,
        )?;
    }
    Ok(logins)
}

/// The latest financial year that ended before `as_of` (its reoffending is measurable
/// soonest).
fn first_full_year(as_of: chrono::NaiveDate) -> crate::domain::period::FinancialYear {
    use crate::domain::period::FinancialYear;
    FinancialYear::starting(FinancialYear::containing(as_of).start_year() - 2)
}

/// indicatif bars for `demo::Progress`; hidden when standard error is not a terminal.
struct Bars(Option<indicatif::ProgressBar>);

impl crate::demo::Progress for Bars {
    fn phase(&mut self, name: &str, total: u64) {
        self.finish();
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:28} [{bar:40}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(name.to_string());
        self.0 = Some(bar);
    }

    fn advance(&mut self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish();
        }
    }
}
