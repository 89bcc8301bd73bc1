//! The `outcomes` command line: parses and dispatches, nothing else.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use outcomes::cli::{CompareTarget, ReportTarget};
use outcomes::config::{ServeSettings, Settings};
use outcomes::domain::enums::{ImportKind, OrganisationKind, Role, UnknownValue};
use outcomes::domain::period::Period;
use outcomes::evaluation::reoffending::IndexDate;
use outcomes::reports::{Format, ReportRequest};
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
    /// Write an empty file of one kind to fill in: an XLSX workbook with drop-downs and a
    /// "How to fill this in" sheet, or a CSV header line.
    Template {
        /// programmes, measures, participants, referrals, sessions, attendance, outcomes,
        /// offences or comparison-group.
        #[arg(value_parser = parse_import_kind)]
        kind: ImportKind,
        /// xlsx (the default) or csv.
        #[arg(long, default_value = "xlsx", value_parser = ["xlsx", "csv"])]
        format: String,
        /// The file to write.
        #[arg(long)]
        output: PathBuf,
        /// Offer this organisation's programme names (and the outcome measures) as
        /// drop-downs (XLSX only; reads the database).
        #[arg(long, env = "OUTCOMES_ORGANISATION")]
        organisation: Option<String>,
    },
    /// Import a CSV, XLSX or ODS file (all-or-nothing; see docs/data-formats.md).
    Import {
        /// programmes, measures, participants, referrals, sessions, attendance, outcomes,
        /// offences or comparison-group.
        #[arg(value_parser = parse_import_kind)]
        kind: ImportKind,
        /// The file: CSV (UTF-8), or an XLSX, ODS or XLS workbook (the sheet named like
        /// the kind, or the first sheet).
        file: PathBuf,
        /// The organisation whose records these are (every kind but measures and offences).
        #[arg(long, env = "OUTCOMES_ORGANISATION")]
        organisation: Option<String>,
        /// For offence extracts: the date the police data is as of (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        extract_date: Option<NaiveDate>,
        /// For offence extracts: replace the current extract even though the new one has
        /// fewer than half its rows.
        #[arg(long)]
        confirm_shrink: bool,
        /// For comparison groups: the group's name, as reports call it (re-importing a name
        /// replaces that group).
        #[arg(long)]
        name: Option<String>,
        /// Show what the import would do (rows to add, update and leave unchanged, which
        /// fields change, records in approved quarters) and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Undo an import batch (see the upload history or `outcomes import`'s output for its
    /// number): removes what it added and puts back what it changed; refused, with the
    /// reasons, when later changes depend on it or a quarter it touched is approved.
    RevertImport {
        /// The import batch's number.
        batch: i64,
    },
    /// Export an organisation's records of one kind as CSV, in the import format.
    Export {
        /// programmes, measures, participants, referrals, sessions, attendance or outcomes.
        #[arg(value_parser = parse_word::<ImportKind>)]
        kind: ImportKind,
        /// The organisation whose records to export.
        #[arg(long, env = "OUTCOMES_ORGANISATION")]
        organisation: String,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Compute an evaluation report (see docs/methodology.md), or look in the archive of
    /// reports given out (`outcomes report archive list|show ID`).
    Report(ReportCommand),
    /// Seed a synthetic demo dataset into an empty database (see docs/demo.md).
    Demo {
        /// small (about 1,600 referrals, seconds), force (about 25,000) or national
        /// (about 1,000,000).
        #[arg(long, value_enum, default_value_t = outcomes::demo::Scale::Small)]
        scale: outcomes::demo::Scale,
        /// The same seed, scale, as-of date and HMAC key give the same rows.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The demo's "today" (YYYY-MM-DD, not in the future); defaults to the first day of
        /// the current month.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
    },
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
    /// Back up the SQLite database to a new FILE while the service runs (checked before
    /// it is named; see docs/operations.md). On PostgreSQL, use pg_dump.
    Backup {
        /// The backup file to create (must not exist).
        file: PathBuf,
    },
    /// Restore a backup FILE to the configured SQLite path, which must not exist (stop
    /// the service and move the old database aside first). On PostgreSQL, use pg_restore.
    Restore {
        /// The backup file made by `outcomes backup`.
        file: PathBuf,
    },
    /// Police offence extracts (imported with `outcomes import offences`).
    Extract {
        #[command(subcommand)]
        command: ExtractCommand,
    },
    /// Check the database for problems older versions allowed (users whose role does not
    /// fit their organisation) and that the audit trail verifies.
    Doctor,
    /// Check, anchor or re-key the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// One participant: erase them, or export everything held about them
    /// (docs/erasure-and-retention.md).
    Participant {
        #[command(subcommand)]
        command: ParticipantCommand,
    },
    /// Erase the participants whose retention period has ended: --dry-run lists them,
    /// --apply erases them; `retention set` changes a programme's period.
    #[command(args_conflicts_with_subcommands = true)]
    #[command(group(clap::ArgGroup::new("mode").args(["dry_run", "apply"])))]
    Retention {
        /// List who would be erased and why; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Erase them (reason retention), each erasure audited.
        #[arg(long)]
        apply: bool,
        /// The day to judge retention on (YYYY-MM-DD; default today; --apply refuses a
        /// later day).
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
        #[command(subcommand)]
        command: Option<RetentionCommand>,
    },
    /// Evaluation holds: while a programme is under one, its participants still awaiting
    /// reoffending follow-up cannot be erased.
    Hold {
        #[command(subcommand)]
        command: HoldCommand,
    },
}

#[derive(Subcommand)]
enum ParticipantCommand {
    /// Delete every row that names the participant (audited; an erasure record stays).
    Erase {
        /// The participant's organisation, by name.
        #[arg(long)]
        organisation: String,
        /// The participant's case reference.
        #[arg(long)]
        reference: String,
        /// request (the person asked) or retention.
        #[arg(long, value_parser = parse_word::<outcomes::domain::enums::ErasureReason>)]
        reason: outcomes::domain::enums::ErasureReason,
        /// Erase despite an evaluation hold, for this reason (kept in the erasure record).
        #[arg(long)]
        override_hold: Option<String>,
    },
    /// Export everything held about the participant (subject access; audited).
    Export {
        /// The participant's organisation, by name.
        #[arg(long)]
        organisation: String,
        /// The participant's case reference.
        #[arg(long)]
        reference: String,
        /// json or pdf.
        #[arg(long, default_value = "json", value_parser = ["json", "pdf"])]
        format: String,
        /// The file to write.
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Set a programme's retention period (months after a participant's last activity).
    Set {
        /// The programme, by name.
        #[arg(long)]
        programme: String,
        /// The provider running it, when several use the name.
        #[arg(long)]
        organisation: Option<String>,
        /// 1 to 1200 months (the default is 72, six years).
        #[arg(long)]
        months: i32,
    },
}

#[derive(Subcommand)]
enum HoldCommand {
    /// Put a programme under an evaluation hold until a date.
    Set {
        #[arg(long)]
        programme: String,
        #[arg(long)]
        organisation: Option<String>,
        /// The last day of the hold (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        until: NaiveDate,
        /// Why (about the evaluation, never about a person).
        #[arg(long)]
        reason: String,
    },
    /// Lift a programme's evaluation hold.
    Lift {
        #[arg(long)]
        programme: String,
        #[arg(long)]
        organisation: Option<String>,
    },
    /// List the holds.
    List,
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct ReportCommand {
    #[command(subcommand)]
    command: Option<ReportSubcommand>,
    #[command(flatten)]
    args: ReportArgs,
}

#[derive(Subcommand)]
enum ReportSubcommand {
    /// The archive of reports given out (published or downloaded).
    Archive {
        #[command(subcommand)]
        command: ArchiveCommand,
    },
}

#[derive(Subcommand)]
enum ArchiveCommand {
    /// Every entry, newest first.
    List,
    /// One entry: its parameters, input hash, figures, and the erasures since.
    Show { id: i64 },
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
        #[arg(long, value_parser = parse_word::<Role>)]
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
        /// The token stops working after this long: a number and d (days), w (weeks) or
        /// h (hours), e.g. 90d. Without it the token works until revoked.
        #[arg(long, value_parser = parse_lifetime)]
        expires_in: Option<chrono::Duration>,
    },
}

fn parse_lifetime(s: &str) -> Result<chrono::Duration, String> {
    outcomes::domain::credentials::parse_lifetime(s)
}

#[derive(Subcommand)]
enum ExtractCommand {
    /// Put the previous offence extract back in place of the current one (it is kept until
    /// the next import); the current one becomes the previous, so this can be undone.
    Restore,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the keyed hash chain; exits non-zero naming the first broken, missing or
    /// unkeyed event.
    Verify {
        /// A head printed earlier by `audit anchor` (ID:HASH): fails if that event is no
        /// longer in the chain (events removed at the end, or the chain rewritten).
        #[arg(long, value_parser = parse_anchor)]
        head: Option<outcomes::store::audit::Anchor>,
    },
    /// Print the chain's head (ID:HASH) to record outside the database.
    Anchor,
    /// Re-hash a trail written by a version before keyed hashing, once (audited).
    Rekey,
}

fn parse_anchor(s: &str) -> Result<outcomes::store::audit::Anchor, String> {
    s.parse()
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["programme", "provider", "funding_stream"])))]
#[command(group(clap::ArgGroup::new("compare").args(["compare_programme", "compare_group", "compare_matched"])))]
struct ReportArgs {
    /// A programme, by name.
    #[arg(long)]
    programme: Option<String>,
    /// With --programme: the provider running it, when several use the same name.
    #[arg(long)]
    organisation: Option<String>,
    /// All programmes of a provider.
    #[arg(long)]
    provider: Option<String>,
    /// All programmes a funding stream funds.
    #[arg(long)]
    funding_stream: Option<String>,
    /// 2025-26, 2025-26-Q3, or FROM..TO (ISO dates, inclusive).
    #[arg(long, value_parser = parse_period, required = true)]
    period: Option<Period>,
    /// Follow-up in months: 3, 6, 12 or 24.
    #[arg(long, default_value_t = 12)]
    follow_up: u32,
    /// Waiting period in months for offences to be proven.
    #[arg(long, default_value_t = 6)]
    waiting: u32,
    /// Index date: referral, start or completion.
    #[arg(long, default_value = "referral", value_parser = parse_index)]
    index: IndexDate,
    /// Apply disclosure control for publication outside the partnership.
    #[arg(long)]
    published: bool,
    /// Financial year of cost-of-crime prices (default: the year the period ends in).
    #[arg(long)]
    price_year: Option<String>,
    /// Compare reoffending with another programme's cohort of the same period, by name.
    #[arg(long)]
    compare_programme: Option<String>,
    /// With --compare-programme: the provider running it, when several use the name.
    #[arg(long, requires = "compare_programme")]
    compare_organisation: Option<String>,
    /// Compare reoffending with an imported comparison group, by name.
    #[arg(long)]
    compare_group: Option<String>,
    /// Compare reoffending with people in the police extract never referred, matched on
    /// age band, gender, prior proven offences and financial year (docs/methodology.md).
    #[arg(long)]
    compare_matched: bool,
    /// Output format: json, csv, xlsx, pdf or html (xlsx and pdf need --output or a
    /// redirected standard output).
    #[arg(long, default_value = "json", value_parser = parse_format)]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

fn parse_period(s: &str) -> Result<Period, String> {
    s.parse()
        .map_err(|e: outcomes::domain::period::PeriodError| e.to_string())
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_index(s: &str) -> Result<IndexDate, String> {
    s.parse()
        .map_err(|e: outcomes::evaluation::reoffending::ParamError| e.to_string())
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

fn parse_import_kind(s: &str) -> Result<ImportKind, String> {
    ImportKind::from_name(s).map_err(|e| e.to_string().replace("comparison", "comparison-group"))
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    outcomes::domain::period::parse_date(s).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    outcomes::telemetry::init(&cli.settings.log);
    let result = match cli.command {
        Command::Serve { serve } => {
            if serve.retention == "on" {
                outcomes::cli::erasure::spawn_daily(&cli.settings);
            }
            outcomes::cli::serve(&cli.settings, &serve.bind, serve.demo)
        }
        Command::Migrate => outcomes::cli::migrate(&cli.settings),
        Command::Doctor => outcomes::cli::doctor(&cli.settings),
        Command::Template {
            kind,
            format,
            output,
            organisation,
        } => outcomes::cli::template(
            &cli.settings,
            kind,
            &format,
            &output,
            organisation.as_deref(),
        ),
        Command::Import {
            kind,
            file,
            organisation,
            extract_date,
            confirm_shrink,
            name,
            dry_run,
        } => outcomes::cli::import(
            &cli.settings,
            kind,
            &file,
            organisation.as_deref(),
            extract_date,
            confirm_shrink,
            name.as_deref(),
            dry_run,
        ),
        Command::RevertImport { batch } => outcomes::cli::revert_import(&cli.settings, batch),
        Command::Export {
            kind,
            organisation,
            output,
        } => outcomes::cli::export(&cli.settings, kind, &organisation, output.as_deref()),
        Command::Report(ReportCommand {
            command: Some(ReportSubcommand::Archive { command }),
            ..
        }) => match command {
            ArchiveCommand::List => outcomes::cli::erasure::archive_list(&cli.settings),
            ArchiveCommand::Show { id } => outcomes::cli::erasure::archive_show(&cli.settings, id),
        },
        Command::Report(ReportCommand {
            command: None,
            args,
        }) => {
            let period = args.period.expect("clap requires a period");
            let target = match (&args.programme, &args.provider, &args.funding_stream) {
                (Some(name), _, _) => ReportTarget::Programme {
                    name,
                    organisation: args.organisation.as_deref(),
                },
                (_, Some(name), _) => ReportTarget::Provider(name),
                (_, _, Some(name)) => ReportTarget::FundingStream(name),
                _ => unreachable!("clap requires one scope"),
            };
            let compare = match (&args.compare_programme, &args.compare_group) {
                (Some(name), _) => Some(CompareTarget::Programme {
                    name,
                    organisation: args.compare_organisation.as_deref(),
                }),
                (_, Some(name)) => Some(CompareTarget::Group(name)),
                _ if args.compare_matched => Some(CompareTarget::Matched),
                _ => None,
            };
            outcomes::cli::report(
                &cli.settings,
                &target,
                |scope, name| {
                    let mut r = ReportRequest::new(scope, name, period);
                    r.follow_up_months = args.follow_up;
                    r.waiting_months = args.waiting;
                    r.index = args.index;
                    r.published = args.published;
                    r.price_year = args.price_year.clone();
                    r
                },
                compare.as_ref(),
                args.format,
                args.output.as_deref(),
            )
        }
        Command::Demo { scale, seed, as_of } => {
            outcomes::cli::demo(&cli.settings, scale, seed, as_of)
        }
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
            command:
                TokenCommand::Add {
                    email,
                    label,
                    expires_in,
                },
        } => outcomes::cli::token_add(&cli.settings, &email, &label, expires_in),
        Command::Backup { file } => outcomes::cli::backup(&cli.settings, &file),
        Command::Restore { file } => outcomes::cli::restore(&cli.settings, &file),
        Command::Extract {
            command: ExtractCommand::Restore,
        } => outcomes::cli::extract_restore(&cli.settings),
        Command::Audit {
            command: AuditCommand::Verify { head },
        } => outcomes::cli::audit_verify(&cli.settings, head.as_ref()),
        Command::Audit {
            command: AuditCommand::Anchor,
        } => outcomes::cli::audit_anchor(&cli.settings),
        Command::Audit {
            command: AuditCommand::Rekey,
        } => outcomes::cli::audit_rekey(&cli.settings),
        Command::Participant {
            command:
                ParticipantCommand::Erase {
                    organisation,
                    reference,
                    reason,
                    override_hold,
                },
        } => outcomes::cli::erasure::erase(
            &cli.settings,
            &organisation,
            &reference,
            reason,
            override_hold.as_deref(),
        ),
        Command::Participant {
            command:
                ParticipantCommand::Export {
                    organisation,
                    reference,
                    format,
                    output,
                },
        } => outcomes::cli::erasure::export(
            &cli.settings,
            &organisation,
            &reference,
            &format,
            &output,
        ),
        Command::Retention {
            command:
                Some(RetentionCommand::Set {
                    programme,
                    organisation,
                    months,
                }),
            ..
        } => outcomes::cli::erasure::set_period(
            &cli.settings,
            &programme,
            organisation.as_deref(),
            months,
        ),
        Command::Retention {
            command: None,
            dry_run,
            apply,
            as_of,
        } => {
            if !dry_run && !apply {
                Err(anyhow::anyhow!(
                    "say --dry-run (list who would be erased) or --apply (erase them)"
                ))
            } else {
                outcomes::cli::erasure::run(&cli.settings, apply, as_of)
            }
        }
        Command::Hold {
            command:
                HoldCommand::Set {
                    programme,
                    organisation,
                    until,
                    reason,
                },
        } => outcomes::cli::erasure::set_hold(
            &cli.settings,
            &programme,
            organisation.as_deref(),
            until,
            &reason,
        ),
        Command::Hold {
            command:
                HoldCommand::Lift {
                    programme,
                    organisation,
                },
        } => outcomes::cli::erasure::lift_hold(&cli.settings, &programme, organisation.as_deref()),
        Command::Hold {
            command: HoldCommand::List,
        } => outcomes::cli::erasure::list_holds(&cli.settings),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
