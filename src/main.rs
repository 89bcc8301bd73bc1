//! The `outcomes` command line: parses and dispatches, nothing else.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use outcomes::config::{ServeSettings, Settings};
use outcomes::domain::enums::OrganisationKind;

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
        #[arg(long, value_parser = parse_kind)]
        kind: OrganisationKind,
    },
}

fn parse_kind(s: &str) -> Result<OrganisationKind, String> {
    s.parse()
        .map_err(|e: outcomes::domain::enums::UnknownValue| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    outcomes::telemetry::init(&cli.settings.log);
    let result = match cli.command {
        Command::Serve { serve } => outcomes::cli::serve(&cli.settings, &serve.bind),
        Command::Migrate => outcomes::cli::migrate(&cli.settings),
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
