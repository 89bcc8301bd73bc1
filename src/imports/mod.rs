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
mod changes;
pub mod comparison;
mod csvfile;
mod offences;
mod setup;
mod sheet;
pub mod template;
pub mod undo;

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use changes::{entity_of, FieldChanges};
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

/// Opens a fresh reader of some text each time it is called.
type Opener = Box<dyn Fn() -> std::io::Result<Box<dyn Read + Send>> + Send + Sync>;

/// Where the file's bytes come from.
pub enum Source {
    Bytes(Vec<u8>),
    File(PathBuf),
    /// CSV text converted from a workbook as it is read (`streamed_sheet`): each `open`
    /// streams a new conversion, so the text is never held whole.
    Converted(Opener),
}

impl Source {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(match self {
            Source::Bytes(b) => Box::new(b.as_slice()),
            Source::File(p) => Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(p)?,
            )),
            Source::Converted(open) => open()?,
        })
    }

    /// The size in bytes, for progress bars (0 when unknown).
    pub fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Source::Converted(_) => 0,
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
    /// For the updated records: which fields change on how many records.
    pub fields: Vec<FieldChanges>,
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
trait ImportFile {
    type Record;
    const COLUMNS: Columns;
    /// The columns whose values together must be unique within a file; the duplicate
    /// error is reported on the last of them.
    const KEY: &'static [&'static str];
    /// Columns naming stored records (e.g. `programme`), checked even on rows that fail
    /// to parse so that every error of a row comes in one upload.
    const REFERENCES: &'static [&'static str] = &[];
    fn parse(row: &mut Row, ctx: &ImportContext) -> Option<Self::Record>;
    /// The errors of rows that failed to parse whose `REFERENCES` values (in that order)
    /// name nothing stored.
    fn check_references(
        _conn: &mut DbConn,
        _ctx: &ImportContext,
        _rows: &[(u64, Vec<String>)],
    ) -> Result<Vec<RowError>, StoreError> {
        Ok(Vec::new())
    }
    /// Resolves references and writes, inside the import's transaction: what was
    /// written, or the errors of rows that cannot be resolved (the transaction is then
    /// rolled back).
    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, Self::Record)>,
    ) -> Result<Applied, StoreError>;
}

/// What [`ImportFile::apply`] did with a file's parsed rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Every row resolved and was written (or found unchanged).
    Written(Counts),
    /// Some rows name what does not exist or may not change: nothing may be kept.
    Unresolved(Vec<RowError>),
}

impl From<Counts> for Applied {
    fn from(counts: Counts) -> Self {
        Applied::Written(counts)
    }
}

/// The required and optional columns of a kind (for templates and column guides).
pub fn columns_of(kind: ImportKind) -> (&'static [&'static str], &'static [&'static str]) {
    fn of<K: ImportFile>() -> (&'static [&'static str], &'static [&'static str]) {
        (K::COLUMNS.required, K::COLUMNS.optional)
    }
    match kind {
        ImportKind::Programmes => of::<setup::Programmes>(),
        ImportKind::Measures => of::<setup::Measures>(),
        ImportKind::Participants => of::<casework::Participants>(),
        ImportKind::Referrals => of::<casework::Referrals>(),
        ImportKind::Sessions => of::<casework::Sessions>(),
        ImportKind::Attendance => of::<casework::Attendance>(),
        ImportKind::Outcomes => of::<casework::Outcomes>(),
        ImportKind::Comparison => of::<comparison::Members>(),
        ImportKind::Offences => (offences::COLUMNS.required, offences::COLUMNS.optional),
    }
}

/// Refuses a file named as a workbook (`.xlsx`, `.ods`, `.xls`) whose bytes are not one,
/// with a message that says so, rather than reading it as CSV.
fn named_like_its_bytes(file_name: &str, workbook: bool) -> Result<(), ImportError> {
    let lower = file_name.to_ascii_lowercase();
    let named = [".xlsx", ".ods", ".xls", ".xlsm"]
        .iter()
        .find(|e| lower.ends_with(*e));
    match named {
        Some(ext) if !workbook => Err(ImportError::invalid(vec![RowError {
            line: 0,
            column: String::new(),
            value: String::new(),
            expected: format!(
                "the file is named {ext} but is not a workbook: save it again from the \
                 spreadsheet as XLSX or ODS, or as CSV UTF-8"
            ),
            sheet: None,
            letter: None,
        }])),
        _ => Ok(()),
    }
}

/// Whether the source is a workbook (by its first bytes, whatever its name).
fn is_spreadsheet(source: &Source) -> std::io::Result<bool> {
    let mut start = Vec::with_capacity(4);
    source.open()?.take(4).read_to_end(&mut start)?;
    Ok(sheet::is_spreadsheet(&start))
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
    let workbook = is_spreadsheet(source)?;
    named_like_its_bytes(file_name, workbook)?;
    if kind == ImportKind::Offences {
        if workbook {
            // XLSX is streamed row by row into the CSV import (bounded memory); ODS and
            // XLS are read whole by calamine (docs/performance.md).
            if let Some((converted, place)) = streamed_sheet(source, kind)? {
                return offences::import(conn, ctx, file_name, &converted, progress)
                    .map_err(|e| place.mark_converted(e));
            }
            let mut bytes = Vec::new();
            source.open()?.read_to_end(&mut bytes)?;
            let (text, place) = sheet_as_csv(&bytes, kind)?;
            return offences::import(conn, ctx, file_name, &Source::Bytes(text), progress)
                .map_err(|e| place.mark_converted(e));
        }
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
        fields: Vec::new(),
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
    let k = kind;
    let (rows, mut errors) = match kind {
        ImportKind::Offences => return offences::check(ctx, bytes),
        ImportKind::Comparison => count(parse_all::<comparison::Members>(ctx, bytes, k)?),
        ImportKind::Programmes => count(parse_all::<setup::Programmes>(ctx, bytes, k)?),
        ImportKind::Measures => count(parse_all::<setup::Measures>(ctx, bytes, k)?),
        ImportKind::Participants => count(parse_all::<casework::Participants>(ctx, bytes, k)?),
        ImportKind::Referrals => count(parse_all::<casework::Referrals>(ctx, bytes, k)?),
        ImportKind::Sessions => count(parse_all::<casework::Sessions>(ctx, bytes, k)?),
        ImportKind::Attendance => count(parse_all::<casework::Attendance>(ctx, bytes, k)?),
        ImportKind::Outcomes => count(parse_all::<casework::Outcomes>(ctx, bytes, k)?),
    };
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(ImportError::invalid(errors))
    }
}

fn count<R>(p: Parsed<R>) -> (u64, Vec<RowError>) {
    let mut errors = p.errors;
    p.place.mark(&mut errors);
    (p.records.len() as u64, errors)
}

/// Where a file's errors are: a CSV file's lines, or a sheet's rows and column letters.
#[derive(Default)]
pub(crate) struct Place {
    sheet: Option<String>,
    /// The sheet's header row (1 unless rows above it are empty).
    header_row: u64,
    letters: HashMap<String, String>,
}

impl Place {
    /// Names the sheet and the column letter on each error of a spreadsheet.
    pub(crate) fn mark(&self, errors: &mut [RowError]) {
        let Some(sheet) = &self.sheet else { return };
        for e in errors {
            if e.line > 0 {
                e.sheet = Some(sheet.clone());
                e.letter = self.letters.get(&e.column).cloned();
            }
        }
    }
}

/// The file's header and rows, from CSV text or from the kind's sheet of a workbook.
type Rows<'a> = Box<dyn Iterator<Item = Result<(u64, csv::StringRecord), Box<RowError>>> + 'a>;

fn table(
    bytes: &[u8],
    kind: ImportKind,
) -> Result<(csv::StringRecord, Rows<'_>, Place), ImportError> {
    if sheet::is_spreadsheet(bytes) {
        let s = sheet::read(bytes, kind.name()).map_err(|e| ImportError::invalid(vec![*e]))?;
        let place = Place {
            sheet: Some(s.name),
            header_row: s.header_row,
            letters: HashMap::new(),
        };
        return Ok((s.header, Box::new(s.rows.into_iter().map(Ok)), place));
    }
    let mut reader = csvfile::reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| ImportError::invalid(vec![csvfile::unreadable(&e)]))?
        .clone();
    let rows = reader.into_records().map(|r| match r {
        Ok(record) => Ok((record.position().map(|p| p.line()).unwrap_or(0), record)),
        Err(e) => Err(Box::new(csvfile::unreadable(&e))),
    });
    Ok((header, Box::new(rows), Place::default()))
}

/// A workbook's bytes, opened again for each pass.
trait ReadSeek: Read + std::io::Seek {}
impl<T: Read + std::io::Seek> ReadSeek for T {}

type Reopen = std::sync::Arc<dyn Fn() -> std::io::Result<Box<dyn ReadSeek + Send>> + Send + Sync>;

/// The CSV text of an XLSX workbook's sheet for `kind`, converted on a thread as the
/// import reads it (through a pipe), and where its errors are; `None` when the workbook is
/// not XLSX. An error of the conversion is an error of the read, never a short file.
fn streamed_sheet(
    source: &Source,
    kind: ImportKind,
) -> Result<Option<(Source, Place)>, ImportError> {
    let reopen: Reopen = match source {
        Source::Bytes(b) => {
            let b: std::sync::Arc<[u8]> = std::sync::Arc::from(b.as_slice());
            std::sync::Arc::new(move || {
                Ok(Box::new(std::io::Cursor::new(b.clone())) as Box<dyn ReadSeek + Send>)
            })
        }
        Source::File(p) => {
            let p = p.clone();
            std::sync::Arc::new(move || {
                Ok(Box::new(std::io::BufReader::new(std::fs::File::open(&p)?))
                    as Box<dyn ReadSeek + Send>)
            })
        }
        Source::Converted(_) => return Ok(None),
    };
    let name = kind.name();
    let Some((sheet_name, header_row, header)) =
        sheet::xlsx_header(reopen()?, name).map_err(|e| ImportError::invalid(vec![*e]))?
    else {
        return Ok(None);
    };
    let place = Place {
        sheet: Some(sheet_name),
        header_row,
        letters: header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_lowercase(), sheet::column_letter(i)))
            .collect(),
    };
    let open = move || -> std::io::Result<Box<dyn Read + Send>> {
        let rs = reopen()?;
        let (pipe, writer) = std::io::pipe()?;
        let worker = std::thread::spawn(move || {
            sheet::xlsx_to_csv(rs, name, writer)
                .map(|_| ())
                .map_err(|e| std::io::Error::other(e.to_string()))
        });
        Ok(Box::new(Piped {
            pipe,
            worker: Some(worker),
        }))
    };
    Ok(Some((Source::Converted(Box::new(open)), place)))
}

/// The reading end of a conversion: at the end of the text, the conversion's own result.
struct Piped {
    pipe: std::io::PipeReader,
    worker: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Read for Piped {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.pipe.read(buf)?;
        if n == 0 && !buf.is_empty() {
            if let Some(worker) = self.worker.take() {
                worker
                    .join()
                    .map_err(|_| std::io::Error::other("the workbook could not be read"))??;
            }
        }
        Ok(n)
    }
}

impl Place {
    /// Errors of a sheet converted to CSV (`sheet_as_csv`): the CSV line becomes the
    /// sheet's row, and the sheet and column letter are named, as for every other kind.
    fn mark_converted(&self, e: ImportError) -> ImportError {
        match e {
            ImportError::Invalid { mut errors, total } => {
                for e in &mut errors {
                    if e.line > 0 {
                        e.line += self.header_row.saturating_sub(1);
                    }
                }
                self.mark(&mut errors);
                ImportError::Invalid { errors, total }
            }
            other => other,
        }
    }
}

/// Converts a workbook's offence sheet to CSV text, for the streaming offence import:
/// CSV line L is the sheet's row `header_row + L - 1` (every row is written, blank or
/// not), which `Place::mark_converted` puts back on errors. A line break inside a cell
/// (never valid in an extract) becomes a space so that numbers stay right.
fn sheet_as_csv(bytes: &[u8], kind: ImportKind) -> Result<(Vec<u8>, Place), ImportError> {
    let s = sheet::read(bytes, kind.name()).map_err(|e| ImportError::invalid(vec![*e]))?;
    let place = Place {
        sheet: Some(s.name.clone()),
        header_row: s.header_row,
        letters: s
            .header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_lowercase(), sheet::column_letter(i)))
            .collect(),
    };
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let flat = |r: &csv::StringRecord| -> Vec<String> {
        r.iter().map(|c| c.replace(['\r', '\n'], " ")).collect()
    };
    let io = |e: csv::Error| ImportError::Io(std::io::Error::other(e));
    out.write_record(flat(&s.header)).map_err(io)?;
    for (_, r) in &s.rows {
        out.write_record(flat(r)).map_err(io)?;
    }
    let text = out
        .into_inner()
        .map_err(|e| ImportError::Io(std::io::Error::other(e.to_string())))?;
    Ok((text, place))
}

/// Parses every row of the file: the rows that parse, every error of those that don't,
/// and where the errors are (for a spreadsheet: sheet and column letters).
fn parse_all<K: ImportFile>(
    ctx: &ImportContext,
    bytes: &[u8],
    kind: ImportKind,
) -> Result<Parsed<K::Record>, ImportError> {
    let (header, rows, mut place) = table(bytes, kind)?;
    let header = Header::parse(&header, &K::COLUMNS).map_err(|mut errors| {
        if place.sheet.is_some() {
            for e in &mut errors {
                e.line = place.header_row;
            }
        }
        place.mark(&mut errors);
        ImportError::invalid(errors)
    })?;
    if place.sheet.is_some() {
        for column in K::COLUMNS.required.iter().chain(K::COLUMNS.optional) {
            if let Some(i) = header.position(column) {
                place
                    .letters
                    .insert(column.to_string(), sheet::column_letter(i));
            }
        }
    }
    let mut errors = Vec::new();
    let mut records = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut failed_refs = Vec::new();
    for row in rows {
        let (line, record) = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(*e);
                break;
            }
        };
        if csvfile::is_blank(&record) {
            continue;
        }
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
                    sheet: None,
                    letter: None,
                });
                continue;
            }
        }
        match parsed {
            Some(rec) => records.push((line, rec)),
            None => {
                // Still check what the row refers to, so that every error of the row is
                // reported in one upload.
                let refs: Vec<String> = K::REFERENCES
                    .iter()
                    .map(|c| row.raw(c).to_string())
                    .collect();
                if refs.iter().any(|r| !r.is_empty()) {
                    failed_refs.push((line, refs));
                }
            }
        }
    }
    Ok(Parsed {
        records,
        errors,
        place,
        failed_refs,
    })
}

/// A file parsed: the rows that parse, every error found, where errors are, and what the
/// rows that did not parse refer to (`ImportFile::REFERENCES`, checked by `run`).
pub(crate) struct Parsed<R> {
    pub records: Vec<(u64, R)>,
    pub errors: Vec<RowError>,
    pub place: Place,
    pub failed_refs: Vec<(u64, Vec<String>)>,
}

/// The shared driver: parse all, then resolve and write in one transaction, with the
/// batch record in the same transaction when anything changed.
fn run<K: ImportFile>(
    conn: &mut DbConn,
    ctx: &ImportContext,
    bytes: &[u8],
    summary: &mut ImportSummary,
) -> Result<(), ImportError> {
    let Parsed {
        records,
        mut errors,
        place,
        failed_refs,
    } = parse_all::<K>(ctx, bytes, summary.kind)?;
    summary.rows = records.len() as u64;
    // References are resolved even when some rows failed to parse, so that the user sees
    // every error at once; the transaction is then rolled back.
    write_transaction(conn, |conn| -> Result<(), ImportError> {
        errors.append(&mut K::check_references(conn, ctx, &failed_refs)?);
        let entity = changes::entity_of(summary.kind);
        let before = match entity {
            Some(_) => changes::snapshot(conn, summary.kind, ctx.organisation)?,
            None => changes::Snapshot::new(),
        };
        let counts = match K::apply(conn, ctx, records)? {
            Applied::Written(counts) => counts,
            Applied::Unresolved(mut unresolved) => {
                errors.append(&mut unresolved);
                Counts::default()
            }
        };
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            place.mark(&mut errors);
            return Err(ImportError::invalid(std::mem::take(&mut errors)));
        }
        summary.inserted = counts.inserted;
        summary.updated = counts.updated;
        summary.unchanged = counts.unchanged;
        if counts.changed() {
            let changed = match entity {
                Some(entity) => {
                    let after = changes::snapshot(conn, summary.kind, ctx.organisation)?;
                    changes::diff(entity, &before, &after)
                }
                None => Vec::new(),
            };
            summary.fields = changes::field_changes(&changed);
            let batch = write_batch(conn, ctx, summary)?;
            store::import_changes::insert(conn, batch, &changed)?;
            summary.batch_id = Some(batch);
            audit_import(conn, ctx, summary, batch)?;
        }
        Ok(())
    })
}

/// Runs `import` inside a transaction that is then rolled back: the summary is exactly
/// what the import would do (rows added, updated, unchanged, and which fields change),
/// or every error it would refuse the file with, and the database is left as it was.
/// `batch_id` is always `None`.
pub fn dry_run(
    conn: &mut DbConn,
    ctx: &ImportContext,
    kind: ImportKind,
    file_name: &str,
    source: &Source,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    rolled_back(conn, |conn| {
        import(conn, ctx, kind, file_name, source, progress)
    })
}

/// Runs `f` in a transaction that is always rolled back, and returns what it returned.
pub fn rolled_back<F>(conn: &mut DbConn, f: F) -> Result<ImportSummary, ImportError>
where
    F: FnOnce(&mut DbConn) -> Result<ImportSummary, ImportError>,
{
    enum Outcome {
        Done(Box<Result<ImportSummary, ImportError>>),
        Failed(ImportError),
    }
    impl From<diesel::result::Error> for Outcome {
        fn from(e: diesel::result::Error) -> Self {
            Outcome::Failed(e.into())
        }
    }
    if crate::store::in_transaction(conn) {
        // The rollback below would be the caller's to make.
        return Err(ImportError::Refused(
            "a dry run cannot run inside another transaction".into(),
        ));
    }
    let result: Result<(), Outcome> = write_transaction(conn, |conn| {
        // Always an error, so that the transaction is rolled back.
        Err(Outcome::Done(Box::new(f(conn))))
    });
    match result {
        Err(Outcome::Done(r)) => r.map(|s| ImportSummary {
            batch_id: None,
            ..s
        }),
        Err(Outcome::Failed(e)) => Err(e),
        Ok(()) => unreachable!("the closure always fails"),
    }
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

/// How many rows of a refused file would change records in a quarter whose return is
/// approved (the lock's errors say "is approved").
pub fn locked_rows(errors: &[RowError]) -> usize {
    let mut lines: Vec<u64> = errors
        .iter()
        .filter(|e| e.expected.contains("is approved"))
        .map(|e| e.line)
        .collect();
    lines.dedup();
    lines.len()
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
