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

/// `outcomes import KIND FILE`: imports a CSV file with a progress bar; prints every
/// error with its line and column when the file is refused.
pub fn import(
    settings: &Settings,
    kind: crate::domain::enums::ImportKind,
    file: &std::path::Path,
    organisation: Option<&str>,
    extract_date: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    use crate::imports::{self, ImportContext, ImportError, Source};
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
        today: chrono::Utc::now().date_naive(),
        extract_date,
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
    let result = imports::import(&mut conn, &ctx, kind, &file_name, &source, &mut |bytes| {
        bar.set_position(bytes)
    });
    bar.finish_and_clear();
    match result {
        Ok(s) if s.batch_id.is_none() => {
            println!(
                "{}: nothing changed ({} rows already up to date)",
                s.file_name, s.rows
            );
            Ok(())
        }
        Ok(s) => {
            println!(
                "{}: imported {} rows ({} added, {} updated, {} unchanged); sha256 {}",
                s.file_name, s.rows, s.inserted, s.updated, s.unchanged, s.sha256
            );
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

/// Which report `outcomes report` is asked for.
pub enum ReportTarget<'a> {
    Programme {
        name: &'a str,
        organisation: Option<&'a str>,
    },
    Provider(&'a str),
    FundingStream(&'a str),
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
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let mut conn = open(settings)?;
    let (scope, name) = resolve_target(&mut conn, target)?;
    let mut request = request(scope, name);
    request.threshold = u64::from(settings.disclosure_threshold);
    let costs = crate::reports::cost_tables(settings)?;
    let report = crate::reports::build(&mut conn, &request, &costs)?;
    let text = serde_json::to_string_pretty(&report.to_json())? + "\n";
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
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
    println!("Organisations:");
    for org in &summary.organisations {
        println!("  {} ({})", org.name, org.kind);
    }
    println!("Every person in the demo is synthetic. Try:");
    println!(
        "  outcomes report --programme \"Immediate Justice\" --period {}",
        first_full_year(options.as_of)
    );
    Ok(())
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
