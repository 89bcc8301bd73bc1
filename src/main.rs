//! The `outcomes` command line: parses and dispatches, nothing else.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use outcomes::config::{ServeSettings, Settings};
use outcomes::domain::enums::{OrganisationKind, Role};

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
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user. The password is read without echo from a terminal; otherwise (or with
    /// --generate-password) one is generated and printed once.
    Add {
        /// The user's email address (stored lower-cased).
        #[arg(long)]
        email: String,
        /// caseworker, provider_manager, commissioner, analyst or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The name of the user's organisation.
        #[arg(long)]
        organisation: String,
        /// The name shown in the page header (defaults to the email's local part).
        #[arg(long)]
        display_name: Option<String>,
        /// Generate a password and print it once instead of prompting.
        #[arg(long)]
        generate_password: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue an API token for a user; it is printed once and stored hashed.
    Add {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "case management sync".
        #[arg(long, default_value = "")]
        label: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; exits non-zero naming the first broken or missing event.
    Verify,
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

fn parse_role(s: &str) -> Result<Role, String> {
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
        Command::User {
            command:
                UserCommand::Add {
                    email,
                    role,
                    organisation,
                    display_name,
                    generate_password,
                },
        } => outcomes::cli::user_add(
            &cli.settings,
            &email,
            role,
            &organisation,
            display_name.as_deref(),
            outcomes::cli::PasswordSource::choose(generate_password),
        ),
        Command::Token {
            command: TokenCommand::Add { email, label },
        } => outcomes::cli::token_add(&cli.settings, &email, &label),
        Command::Audit {
            command: AuditCommand::Verify,
        } => outcomes::cli::audit_verify(&cli.settings),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
