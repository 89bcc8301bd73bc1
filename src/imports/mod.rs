//! Imports: CSV files → validated rows → the store, all-or-nothing (DESIGN.md section 5).
//!
//! Every kind goes through the same driver: check the header, parse every row (collecting
//! every error with its line, column, value and what is expected), resolve references
//! within the importer's organisation, and write in one transaction. A file with any
//! invalid row changes nothing. Rows are matched to existing records by the provider's own
//! references, so re-importing an unchanged file changes nothing and writes no batch.
//! Police offence extracts are streamed (see `offences`), so a file of millions of rows
//! is imported in bounded memory.

mod casework;
pub mod comparison;
mod csvfile;
mod offences;
mod setup;

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use csvfile::RowError;
use csvfile::{Columns, Header, Row};
pub use offences::{preview, restore, thousands, Preview, Restored};

use crate::db::DbConn;
use crate::domain::enums::{AuditAction, ImportKind};
use crate::domain::ids::{ImportBatchId, OrganisationId, UserId};
use crate::domain::person_key::PersonKeySecret;
use crate::store::audit::NewEvent;
use crate::store::write_transaction;
use crate::store::{self, StoreError};

/// At most this many errors are listed; the rest are counted.
pub const MAX_LISTED_ERRORS: usize = 1_000;

/// Who imports, for which organisation, and with which secret.
pub struct ImportContext<'a> {
    /// The importer's organisation. Required for every kind but `measures` and `offences`.
    pub organisation: Option<OrganisationId>,
    pub user: Option<UserId>,
    pub secret: &'a PersonKeySecret,
    /// Dates after today are refused where DESIGN.md says so.
    pub today: NaiveDate,
    /// "Data as of" for police offence extracts.
    pub extract_date: Option<NaiveDate>,
    /// Police offence extracts: replace the current extract even when the new one has
    /// fewer than half its rows (refused otherwise; see `offences`).
    pub confirm_shrink: bool,
}

/// Where the file's bytes come from.
pub enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
}

impl Source {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(match self {
            Source::Bytes(b) => Box::new(b.as_slice()),
            Source::File(p) => Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(p)?,
            )),
        })
    }

    /// The size in bytes, for progress bars.
    pub fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportSummary {
    pub kind: ImportKind,
    pub file_name: String,
    pub sha256: String,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The batch written, or `None` when nothing changed.
    pub batch_id: Option<ImportBatchId>,
    /// Offence extracts: what the current extract holds after the import.
    pub extract: Option<crate::store::offences::ExtractStats>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has errors; nothing was changed.
    #[error("the file has {total} error(s); nothing was imported")]
    Invalid { errors: Vec<RowError>, total: usize },
    /// The request itself is wrong (missing organisation or extract date).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Store(StoreError::Database(e))
    }
}

impl ImportError {
    fn invalid(mut errors: Vec<RowError>) -> Self {
        let total = errors.len();
        errors.truncate(MAX_LISTED_ERRORS);
        ImportError::Invalid { errors, total }
    }
}

/// Counts of what a write did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Counts {
    fn changed(&self) -> bool {
        self.inserted + self.updated > 0
    }
}

/// Writes resolved rows: a row whose stored match (`existing`) is the `same` is counted
/// unchanged, a changed one is updated, one without a match is inserted.
fn write_rows<'a, R, O: 'a>(
    conn: &mut DbConn,
    rows: impl IntoIterator<Item = R>,
    existing: impl Fn(&R) -> Option<&'a O>,
    same: impl Fn(&O, &R) -> bool,
    update: impl Fn(&mut DbConn, &O, &R) -> Result<(), StoreError>,
    insert: impl Fn(&mut DbConn, &R) -> Result<(), StoreError>,
) -> Result<Counts, StoreError> {
    let mut counts = Counts::default();
    for row in rows {
        match existing(&row) {
            Some(old) if same(old, &row) => counts.unchanged += 1,
            Some(old) => {
                update(conn, old, &row)?;
                counts.updated += 1;
            }
            None => {
                insert(conn, &row)?;
                counts.inserted += 1;
            }
        }
    }
    Ok(counts)
}

/// A kind of file: its columns, how a row parses, and how parsed rows are written.
trait Kind {
    type Record;
    const COLUMNS: Columns;
    /// The columns whose values together must be unique within a file; the duplicate
    /// error is reported on the last of them.
    const KEY: &'static [&'static str];
    fn parse(row: &mut Row, ctx: &ImportContext) -> Option<Self::Record>;
    /// Resolves references and writes, inside the import's transaction. Returns the
    /// errors of rows that cannot be resolved (the transaction is then rolled back).
    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, Self::Record)>,
    ) -> Result<Result<Counts, Vec<RowError>>, StoreError>;
}

/// Imports one file of `kind`. `progress` is called with the bytes read so far.
pub fn import(
    conn: &mut DbConn,
    ctx: &ImportContext,
    kind: ImportKind,
    file_name: &str,
    source: &Source,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    let needs_organisation = !matches!(
        kind,
        ImportKind::Measures | ImportKind::Offences | ImportKind::Comparison
    );
    if needs_organisation && ctx.organisation.is_none() {
        return Err(ImportError::Refused(format!(
            "an import of {kind} belongs to an organisation: name it with --organisation"
        )));
    }
    if kind == ImportKind::Offences {
        return offences::import(conn, ctx, file_name, source, progress);
    }
    if kind == ImportKind::Comparison {
        return Err(ImportError::Refused(
            "a comparison group is imported under its name: outcomes import comparison-group FILE --name LABEL".into(),
        ));
    }
    let mut bytes = Vec::new();
    source.open()?.read_to_end(&mut bytes)?;
    progress(bytes.len() as u64);
    let mut summary = ImportSummary {
        kind,
        file_name: file_name.to_string(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        rows: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        batch_id: None,
        extract: None,
    };
    match kind {
        ImportKind::Programmes => run::<setup::Programmes>(conn, ctx, &bytes, &mut summary)?,
        ImportKind::Measures => run::<setup::Measures>(conn, ctx, &bytes, &mut summary)?,
        ImportKind::Participants => run::<casework::Participants>(conn, ctx, &bytes, &mut summary)?,
        ImportKind::Referrals => run::<casework::Referrals>(conn, ctx, &bytes, &mut summary)?,
        ImportKind::Sessions => run::<casework::Sessions>(conn, ctx, &bytes, &mut summary)?,
        ImportKind::Attendance => run::<casework::Attendance>(conn, ctx, &bytes, &mut summary)?,
        ImportKind::Outcomes => run::<casework::Outcomes>(conn, ctx, &bytes, &mut summary)?,
        ImportKind::Offences => unreachable!("offence extracts are streamed above"),
        ImportKind::Comparison => unreachable!("comparison groups are refused above"),
    }
    Ok(summary)
}

/// Parses and validates a file as `import` would, without a database: the number of rows
/// that would be written, or every error found by parsing (header, cells, duplicates).
/// References to stored records (programmes, participants, referrals) are not resolved,
/// so a file that passes here can still be refused by `import`. Used by the fuzz targets
/// (fuzz/) so that the parser the service runs is the one fuzzed.
pub fn check(ctx: &ImportContext, kind: ImportKind, bytes: &[u8]) -> Result<u64, ImportError> {
    let (rows, mut errors) = match kind {
        ImportKind::Offences => return offences::check(ctx, bytes),
        ImportKind::Comparison => count(parse_all::<comparison::Members>(ctx, bytes)?),
        ImportKind::Programmes => count(parse_all::<setup::Programmes>(ctx, bytes)?),
        ImportKind::Measures => count(parse_all::<setup::Measures>(ctx, bytes)?),
        ImportKind::Participants => count(parse_all::<casework::Participants>(ctx, bytes)?),
        ImportKind::Referrals => count(parse_all::<casework::Referrals>(ctx, bytes)?),
        ImportKind::Sessions => count(parse_all::<casework::Sessions>(ctx, bytes)?),
        ImportKind::Attendance => count(parse_all::<casework::Attendance>(ctx, bytes)?),
        ImportKind::Outcomes => count(parse_all::<casework::Outcomes>(ctx, bytes)?),
    };
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(ImportError::invalid(errors))
    }
}

fn count<R>((records, errors): (Vec<(u64, R)>, Vec<RowError>)) -> (u64, Vec<RowError>) {
    (records.len() as u64, errors)
}

/// Parses every row of the file: the rows that parse, and every error of those that don't.
#[allow(clippy::type_complexity)]
fn parse_all<K: Kind>(
    ctx: &ImportContext,
    bytes: &[u8],
) -> Result<(Vec<(u64, K::Record)>, Vec<RowError>), ImportError> {
    let mut reader = csvfile::reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| ImportError::invalid(vec![csvfile::unreadable(&e)]))?
        .clone();
    let header = Header::parse(&header, &K::COLUMNS).map_err(ImportError::invalid)?;
    let mut errors = Vec::new();
    let mut records = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(csvfile::unreadable(&e));
                break;
            }
        }
        if csvfile::is_blank(&record) {
            continue;
        }
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let mut row = Row::new(line, &record, &header);
        let key: Vec<&str> = K::KEY.iter().map(|c| row.raw(c)).collect();
        let parsed = K::parse(&mut row, ctx);
        errors.append(&mut row.errors);
        if !key.iter().all(|k| k.is_empty()) {
            if let Some(first) = seen.insert(key.join(" / "), line) {
                let column = K::KEY.last().copied().unwrap_or_default();
                errors.push(RowError {
                    line,
                    column: column.to_string(),
                    value: key.last().copied().unwrap_or_default().to_string(),
                    expected: format!("a value used once per file (also on line {first})"),
                });
                continue;
            }
        }
        if let Some(rec) = parsed {
            records.push((line, rec));
        }
    }
    Ok((records, errors))
}

/// The shared driver: parse all, then resolve and write in one transaction, with the
/// batch record in the same transaction when anything changed.
fn run<K: Kind>(
    conn: &mut DbConn,
    ctx: &ImportContext,
    bytes: &[u8],
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let (records, mut errors) = parse_all::<K>(ctx, bytes)?;
    summary.rows = records.len() as u64;
    // References are resolved even when some rows failed to parse, so that the user sees
    // every error at once; the transaction is then rolled back.
    write_transaction(conn, |conn| -> Result<(), ImportError> {
        let applied = K::apply(conn, ctx, records)?;
        if let Err(mut unresolved) = applied.clone() {
            errors.append(&mut unresolved);
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(ImportError::invalid(std::mem::take(&mut errors)));
        }
        let counts = applied.map_err(ImportError::invalid)?;
        summary.inserted = counts.inserted;
        summary.updated = counts.updated;
        summary.unchanged = counts.unchanged;
        if counts.changed() {
            let batch = write_batch(conn, ctx, summary)?;
            summary.batch_id = Some(batch);
            audit_import(conn, ctx, summary, batch)?;
        }
        Ok(())
    })
}

fn write_batch(
    conn: &mut DbConn,
    ctx: &ImportContext,
    summary: &ImportSummary,
) -> Result<ImportBatchId, StoreError> {
    store::import_batches::insert(
        conn,
        &store::import_batches::NewBatch {
            organisation_id: ctx.organisation,
            kind: summary.kind,
            file_name: &summary.file_name,
            sha256: &summary.sha256,
            rows_total: summary.rows as i64,
            rows_inserted: summary.inserted as i64,
            rows_updated: summary.updated as i64,
            rows_unchanged: summary.unchanged as i64,
            extract_date: ctx.extract_date,
            created_by: ctx.user,
        },
    )
}

/// The importer's organisation (`import` has checked that there is one).
fn organisation(ctx: &ImportContext) -> Result<OrganisationId, StoreError> {
    ctx.organisation.ok_or(StoreError::NotFound)
}

/// What an error shows instead of a police identifier.
pub const WITHHELD: &str = "(withheld)";

/// Records the import in the audit trail, in the import's own transaction: counts and
/// the file's hash, never its contents.
pub(crate) fn audit_import(
    conn: &mut DbConn,
    ctx: &ImportContext,
    summary: &ImportSummary,
    batch: ImportBatchId,
) -> Result<(), StoreError> {
    let extract = summary
        .extract
        .map(|x| {
            format!(
                " people={} matched_participants={}",
                x.people, x.matched_participants
            )
        })
        .unwrap_or_default();
    let mut event = NewEvent::new(AuditAction::Import, "import_batch")
        .entity_id(batch)
        .detail(format!(
            "kind={} rows={} added={} updated={} unchanged={}{extract} sha256={}",
            summary.kind,
            summary.rows,
            summary.inserted,
            summary.updated,
            summary.unchanged,
            summary.sha256
        ));
    event.user_id = ctx.user;
    event.organisation_id = ctx.organisation;
    store::audit::record(conn, event)?;
    Ok(())
}
