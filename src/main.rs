//! The `outcomes` command line: parses and dispatches, nothing else.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use outcomes::config::{ServeSettings, Settings};
use outcomes::domain::enums::{ImportKind, OrganisationKind, UnknownValue};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "outcomes", version, about = "Intervention outcome tracking and evaluation", long_about = None)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (applies migrations first).
    Serve {
        #[command(flatten)]
        serve: ServeSettings,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Import a CSV file (all-or-nothing; see docs/data-formats.md).
    Import {
        /// programmes, measures, participants, referrals, sessions, attendance, outcomes or offences.
        #[arg(value_parser = parse_word::<ImportKind>)]
        kind: ImportKind,
        /// The CSV file.
        file: PathBuf,
        /// The organisation whose records these are (every kind but measures and offences).
        #[arg(long, env = "OUTCOMES_ORGANISATION")]
        organisation: Option<String>,
        /// For offence extracts: the date the police data is as of (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        extract_date: Option<NaiveDate>,
    },
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organisation.
    Add {
        /// The organisation's name, e.g. "Remedi".
        #[arg(long)]
        name: String,
        /// provider, commissioner or vru.
        #[arg(long, value_parser = parse_word::<OrganisationKind>)]
        kind: OrganisationKind,
    },
}

fn parse_word<T>(s: &str) -> Result<T, String>
where
    T: std::str::FromStr<Err = UnknownValue>,
{
    s.parse().map_err(|e: UnknownValue| e.to_string())
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    outcomes::domain::period::parse_date(s).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    outcomes::telemetry::init(&cli.settings.log);
    let result = match cli.command {
        Command::Serve { serve } => outcomes::cli::serve(&cli.settings, &serve.bind),
        Command::Migrate => outcomes::cli::migrate(&cli.settings),
        Command::Import {
            kind,
            file,
            organisation,
            extract_date,
        } => outcomes::cli::import(
            &cli.settings,
            kind,
            &file,
            organisation.as_deref(),
            extract_date,
        ),
        Command::Org {
            command: OrgCommand::Add { name, kind },
        } => outcomes::cli::org_add(&cli.settings, &name, kind),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
