//! Police offence extracts: streamed, validated and keyed row by row, inserted in
//! multi-row batches inside one transaction, so a file of millions of rows is imported
//! in bounded memory and still all-or-nothing.
//!
//! An extract is a complete snapshot "as of" its extract date: importing a newer one
//! replaces the offence records of earlier extracts (their batches stay in the history),
//! so overlapping extracts never double-count. Re-importing the current extract changes
//! nothing; an extract older than the current one is refused.
//!
//! So that an extract cannot be lost by mistake (issue 21): a new extract with fewer than
//! half the current one's rows is refused unless the shrink is confirmed, and the extract
//! it replaces is kept until the next import, so that [`restore`] can put it back.

use std::io::Read;

use sha2::{Digest, Sha256};

use super::csvfile::{self, Columns, Header, Row, RowError};
use super::{ImportContext, ImportError, ImportSummary, Source, MAX_LISTED_ERRORS, WITHHELD};
use crate::db::DbConn;
use crate::domain::enums::AuditAction;
use crate::domain::enums::{Gender, ImportKind, OffenceGroup};
use crate::domain::ids::UserId;
use crate::domain::person_key::Keyer;
use crate::store::audit::NewEvent;
use crate::store::import_batches::{self, Batch, NewBatch};
use crate::store::offences::{self, ExtractStats, NewOffence};
use crate::store::write_transaction;
use chrono::NaiveDate;
use serde::Serialize;

pub(crate) const COLUMNS: Columns = Columns {
    required: &["police_id", "offence_date", "offence_group"],
    // For the matched comparison (docs/methodology.md#matched-comparison): only the year
    // and month of a date of birth are kept.
    optional: &["proven_on", "date_of_birth", "gender"],
};

/// The 1st of the month of a date of birth given as `YYYY-MM` or `YYYY-MM-DD`, or the
/// error to show.
fn birth_month(raw: &str) -> Result<Option<chrono::NaiveDate>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let month = match raw.len() {
        7 => format!("{raw}-01"),
        10 => format!("{}-01", &raw[..7]),
        _ => return Err(()),
    };
    // A full date must itself be real (2008-02-30 is refused), not only its month.
    if raw.len() == 10 {
        raw.parse::<chrono::NaiveDate>().map_err(|_| ())?;
    }
    month.parse::<chrono::NaiveDate>().map(Some).map_err(|_| ())
}

/// Rows buffered before each multi-row insert.
const BUFFER: usize = 10_000;

fn sha256_of(source: &Source) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut reader = source.open()?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn parse(row: &mut Row, keyer: &Keyer, extract_date: chrono::NaiveDate) -> Option<NewOffence> {
    let key = match row.raw("police_id") {
        "" => {
            row.error("police_id", "", "a police identifier");
            None
        }
        raw => match keyer.key(raw) {
            Ok(k) => Some(k.into_string()),
            Err(_) => {
                row.error(
                    "police_id",
                    WITHHELD,
                    "a police identifier of letters, digits, '/' and '-' (at most 64)",
                );
                None
            }
        },
    };
    let offence_date = row.date("offence_date");
    let group: Option<OffenceGroup> = row.word("offence_group");
    let proven_on = row.opt_date("proven_on");
    let birth = match birth_month(row.raw("date_of_birth")) {
        Ok(Some(m)) if m > extract_date => {
            // Shown as the month only: the day is never kept.
            let shown = m.format("%Y-%m").to_string();
            row.error(
                "date_of_birth",
                &shown,
                format!("a month of birth no later than the extract date {extract_date}"),
            );
            None
        }
        Ok(m) => m,
        Err(()) => {
            row.error(
                "date_of_birth",
                WITHHELD,
                "a date of birth as YYYY-MM or YYYY-MM-DD (only the year and month are kept)",
            );
            None
        }
    };
    let gender: Option<Gender> = match row.raw("gender") {
        "" => None,
        _ => row.word("gender"),
    };
    if let Some(d) = offence_date.filter(|d| *d > extract_date) {
        row.error(
            "offence_date",
            &d.to_string(),
            format!("a date no later than the extract date {extract_date}"),
        );
    }
    if let Some(p) = proven_on {
        if p > extract_date {
            row.error(
                "proven_on",
                &p.to_string(),
                format!("a date no later than the extract date {extract_date}"),
            );
        } else if offence_date.is_some_and(|d| p < d) {
            row.error(
                "proven_on",
                &p.to_string(),
                "a date on or after offence_date",
            );
        }
    }
    if !row.errors.is_empty() {
        return None;
    }
    Some(NewOffence {
        person_key: key?,
        offence_date: offence_date?,
        offence_group: group?,
        proven_on,
        birth_month: birth,
        gender,
    })
}

pub fn import(
    conn: &mut DbConn,
    ctx: &ImportContext,
    file_name: &str,
    source: &Source,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    let extract_date = ctx.extract_date.ok_or_else(|| {
        ImportError::Refused(
            "an offence extract needs its extract date (--extract-date YYYY-MM-DD, the date its data is as of)".into(),
        )
    })?;
    if extract_date > ctx.today {
        return Err(ImportError::Refused(format!(
            "the extract date {extract_date} is in the future (today is {})",
            ctx.today
        )));
    }
    let sha256 = sha256_of(source)?;
    let mut summary = ImportSummary {
        kind: ImportKind::Offences,
        file_name: file_name.to_string(),
        sha256: sha256.clone(),
        rows: 0,
        inserted: 0,
        updated: 0,
        unchanged: 0,
        batch_id: None,
        extract: None,
        fields: Vec::new(),
    };
    let current = import_batches::current_offence_extract(conn)?;
    if let Some(current) = &current {
        if current.sha256 == sha256 {
            summary.rows = current.rows_total as u64;
            summary.unchanged = summary.rows;
            summary.extract = Some(offences::current_stats(conn)?);
            return Ok(summary);
        }
        if let Some(current_date) = current.extract_date.filter(|d| extract_date < *d) {
            return Err(ImportError::Refused(format!(
                "an extract as of {current_date} is already loaded; this one is older ({extract_date}) and would replace newer data"
            )));
        }
    }

    let mut reader = csvfile::reader(source.open()?);
    let header = reader
        .headers()
        .map_err(|e| ImportError::invalid(vec![csvfile::unreadable(&e)]))?
        .clone();
    let header = Header::parse(&header, &COLUMNS).map_err(ImportError::invalid)?;
    let keyer = Keyer::new(ctx.secret);

    write_transaction(conn, |conn| -> Result<(), ImportError> {
        let batch = import_batches::insert(
            conn,
            &NewBatch {
                organisation_id: None,
                kind: ImportKind::Offences,
                file_name,
                sha256: &sha256,
                rows_total: 0,
                rows_inserted: 0,
                rows_updated: 0,
                rows_unchanged: 0,
                extract_date: Some(extract_date),
                created_by: ctx.user,
            },
        )?;
        // A complete snapshot: the current records become the previous extract's, and
        // those of the one before go (their batches stay).
        offences::begin_reload(conn)?;
        // Two stages on two cores: this thread parses, validates and keys rows while the
        // caller's thread writes the previous buffer. The channel holds two buffers, so
        // memory stays bounded whatever the file's size.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Buffer>(2);
        let parsed = std::thread::scope(|scope| -> Result<Parsed, ImportError> {
            // The sender moves into the parser, so the channel closes when parsing ends.
            let send = move |buffer| tx.send(buffer).is_ok();
            let parser =
                scope.spawn(|| parse_all(&mut reader, &header, &keyer, extract_date, send));
            let mut written: Result<(), ImportError> = Ok(());
            for buffer in rx {
                if written.is_ok() {
                    written = offences::load_many(conn, batch, &buffer.rows).map_err(Into::into);
                    progress(buffer.byte);
                }
            }
            let parsed = parser.join().map_err(|_| {
                ImportError::Io(std::io::Error::other("the parsing thread panicked"))
            })?;
            written?;
            Ok(parsed)
        })?;
        if parsed.error_count > 0 {
            return Err(ImportError::Invalid {
                errors: parsed.errors,
                total: parsed.error_count,
            });
        }
        let rows = parsed.rows;
        if let Some(current) = &current {
            refuse_shrink(current, rows, extract_date, ctx.confirm_shrink)?;
        }
        offences::finish_reload(conn)?;
        import_batches::set_counts(conn, batch, rows as i64, rows as i64)?;
        import_batches::supersede_offence_batches(conn, batch, current.as_ref().map(|c| c.id))?;
        progress(source.len());
        summary.rows = rows;
        summary.inserted = rows;
        summary.extract = Some(offences::current_stats(conn)?);
        summary.batch_id = Some(batch);
        super::audit_import(conn, ctx, &summary, batch)?;
        Ok(())
    })?;
    Ok(summary)
}

/// Refuses an extract of fewer than half the current one's rows, unless confirmed: a
/// truncated file would otherwise silently replace the police data.
fn refuse_shrink(
    current: &Batch,
    rows: u64,
    extract_date: NaiveDate,
    confirmed: bool,
) -> Result<(), ImportError> {
    let current_rows = current.rows_total.max(0) as u64;
    if confirmed || rows.saturating_mul(2) >= current_rows {
        return Ok(());
    }
    let as_of = current
        .extract_date
        .map(|d| format!(" (as of {d})"))
        .unwrap_or_default();
    Err(ImportError::Refused(format!(
        "this extract (as of {extract_date}) has {} rows, fewer than half the {} rows of the \
         current extract{as_of}, which it would replace; nothing was imported. If the new \
         extract is complete, import it again confirming the shrink (--confirm-shrink on the \
         command line, confirm_shrink=true on the API, the confirmation box on the upload page)",
        thousands(rows),
        thousands(current_rows)
    )))
}

/// 8364 → "8,364".
pub fn thousands(n: u64) -> String {
    crate::format::count(i64::try_from(n).unwrap_or(i64::MAX))
}

/// What `restore` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Restored {
    /// The extract put back.
    pub restored: Batch,
    /// The extract it replaced (restorable in its turn until the next import).
    pub replaced: Option<Batch>,
    /// What the current extract holds now.
    pub stats: ExtractStats,
}

/// Puts the previous offence extract back (`outcomes extract restore`, the upload page's
/// button): the current one becomes the previous, restorable in its turn until the next
/// import. Audited, in the same transaction.
pub fn restore(conn: &mut DbConn, user: Option<UserId>) -> Result<Restored, ImportError> {
    write_transaction(conn, |conn| -> Result<Restored, ImportError> {
        let restored = import_batches::restorable_offence_extract(conn)?.ok_or_else(|| {
            ImportError::Refused(
                "there is no previous offence extract to restore: one is kept only from an \
                 import that replaced it until the next import"
                    .into(),
            )
        })?;
        let replaced = import_batches::current_offence_extract(conn)?;
        offences::restore_previous(conn)?;
        import_batches::swap_current_offence_extract(
            conn,
            restored.id,
            replaced.as_ref().map(|r| r.id),
        )?;
        let stats = offences::current_stats(conn)?;
        let mut event = NewEvent::new(AuditAction::Restore, "import_batch")
            .entity_id(restored.id)
            .detail(format!(
                "kind=offences restored={} extract_date={} replaced={} rows={} people={} matched_participants={}",
                restored.id,
                restored.extract_date.map(|d| d.to_string()).unwrap_or_default(),
                replaced.as_ref().map(|r| r.id.to_string()).unwrap_or_default(),
                stats.rows,
                stats.people,
                stats.matched_participants
            ));
        event.user_id = user;
        crate::store::audit::record(conn, event)?;
        let restored = Batch {
            superseded_at: None,
            restorable: false,
            ..restored
        };
        let replaced = replaced.map(|r| Batch {
            superseded_at: Some(crate::store::now()),
            restorable: true,
            ..r
        });
        Ok(Restored {
            restored,
            replaced,
            stats,
        })
    })
}

/// What a new extract holds before it is imported, for the upload page's confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    pub rows: u64,
    pub people: u64,
    /// Participants whose keys the extract matches.
    pub matched_participants: u64,
    pub extract_date: NaiveDate,
    pub sha256: String,
}

/// Parses and validates an extract as `import` would (every error, identifiers withheld)
/// and counts what it holds, without writing anything.
pub fn preview(
    conn: &mut DbConn,
    ctx: &ImportContext,
    bytes: &[u8],
) -> Result<Preview, ImportError> {
    let extract_date = ctx
        .extract_date
        .ok_or_else(|| ImportError::Refused("an offence extract needs its extract date".into()))?;
    // The date rules `import` applies, so that a confirmation is never shown for an
    // extract that would then be refused.
    if extract_date > ctx.today {
        return Err(ImportError::Refused(format!(
            "the extract date {extract_date} is in the future (today is {})",
            ctx.today
        )));
    }
    let current = import_batches::current_offence_extract(conn)?;
    if let Some(current_date) = current
        .and_then(|c| c.extract_date)
        .filter(|d| extract_date < *d)
    {
        return Err(ImportError::Refused(format!(
            "an extract as of {current_date} is already loaded; this one is older ({extract_date}) and would replace newer data"
        )));
    }
    let mut reader = csvfile::reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| ImportError::invalid(vec![csvfile::unreadable(&e)]))?
        .clone();
    let header = Header::parse(&header, &COLUMNS).map_err(ImportError::invalid)?;
    let keyer = Keyer::new(ctx.secret);
    let mut keys = std::collections::HashSet::new();
    let parsed = parse_all(&mut reader, &header, &keyer, extract_date, |buffer| {
        keys.extend(buffer.rows.into_iter().map(|r| r.person_key));
        true
    });
    if parsed.error_count > 0 {
        return Err(ImportError::Invalid {
            errors: parsed.errors,
            total: parsed.error_count,
        });
    }
    let matched = offences::participants_matching(conn, &keys)?;
    Ok(Preview {
        rows: parsed.rows,
        people: keys.len() as u64,
        matched_participants: matched as u64,
        extract_date,
        sha256: hex::encode(Sha256::digest(bytes)),
    })
}

/// Parses and validates an extract without a database (see `super::check`): the rows
/// that would be written, or every error.
pub fn check(ctx: &ImportContext, bytes: &[u8]) -> Result<u64, ImportError> {
    let extract_date = ctx
        .extract_date
        .ok_or_else(|| ImportError::Refused("an offence extract needs its extract date".into()))?;
    let mut reader = csvfile::reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| ImportError::invalid(vec![csvfile::unreadable(&e)]))?
        .clone();
    let header = Header::parse(&header, &COLUMNS).map_err(ImportError::invalid)?;
    let keyer = Keyer::new(ctx.secret);
    let parsed = parse_all(&mut reader, &header, &keyer, extract_date, |_| true);
    if parsed.error_count > 0 {
        return Err(ImportError::Invalid {
            errors: parsed.errors,
            total: parsed.error_count,
        });
    }
    Ok(parsed.rows)
}

/// What the parsing stage found.
struct Parsed {
    rows: u64,
    errors: Vec<RowError>,
    error_count: usize,
}

/// Rows ready to write, and how far into the file they reach (for progress).
struct Buffer {
    rows: Vec<NewOffence>,
    byte: u64,
}

/// The parsing stage: reads every row, sends valid rows in buffers until the first error,
/// then keeps checking (sending nothing) so that every error is reported.
fn parse_all<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    header: &Header,
    keyer: &Keyer,
    extract_date: chrono::NaiveDate,
    mut send: impl FnMut(Buffer) -> bool,
) -> Parsed {
    let mut errors: Vec<RowError> = Vec::new();
    let mut error_count = 0usize;
    let mut rows = 0u64;
    let mut buffer: Vec<NewOffence> = Vec::with_capacity(BUFFER);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                error_count += 1;
                errors.push(csvfile::unreadable(&e));
                break;
            }
        }
        if csvfile::is_blank(&record) {
            continue;
        }
        let position = record.position().cloned();
        let line = position.as_ref().map(|p| p.line()).unwrap_or(0);
        let mut row = Row::new(line, &record, header);
        let parsed = parse(&mut row, keyer, extract_date);
        rows += 1;
        if !row.errors.is_empty() {
            error_count += row.errors.len();
            let room = MAX_LISTED_ERRORS.saturating_sub(errors.len());
            errors.extend(row.errors.into_iter().take(room));
            buffer.clear();
            continue;
        }
        if let (Some(offence), true) = (parsed, error_count == 0) {
            buffer.push(offence);
            if buffer.len() == BUFFER {
                let full = std::mem::replace(&mut buffer, Vec::with_capacity(BUFFER));
                let byte = position.map(|p| p.byte()).unwrap_or(0);
                // The writer has stopped only if it failed; its error is reported.
                if !send(Buffer { rows: full, byte }) {
                    break;
                }
            }
        }
    }
    if error_count == 0 && !buffer.is_empty() {
        send(Buffer {
            rows: buffer,
            byte: 0,
        });
    }
    Parsed {
        rows,
        errors,
        error_count,
    }
}
