//! Comparison groups: `police_id,index_date` files, imported under a name (analysts and
//! admins). Each identifier is keyed like an offence extract's and never stored; a file
//! names each person once. Re-importing a name replaces that group's members, in the
//! import's transaction, with the replacement in the audit trail.

use std::collections::HashMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::csvfile::{Columns, Row, RowError};
use super::{
    audit_import, parse_all, write_batch, Applied, ImportContext, ImportError, ImportFile,
    ImportSummary, Source, WITHHELD,
};
use crate::db::DbConn;
use crate::domain::enums::{AuditAction, ImportKind};
use crate::domain::person_key::Keyer;
use crate::store::audit::NewEvent;
use crate::store::{self, write_transaction, StoreError};

/// The longest group name.
pub const MAX_NAME: usize = 100;

/// The rows of a comparison group file.
pub struct Members;

impl ImportFile for Members {
    type Record = (String, NaiveDate);
    // Duplicates are found after keying (so that `ab 1` and `AB1` are one person), and
    // reported without the identifier.
    const KEY: &'static [&'static str] = &[];
    const COLUMNS: Columns = Columns {
        required: &["police_id", "index_date"],
        optional: &[],
    };

    fn parse(row: &mut Row, ctx: &ImportContext) -> Option<(String, NaiveDate)> {
        let key = match row.raw("police_id") {
            "" => {
                row.error("police_id", "", "a police identifier");
                None
            }
            raw => match Keyer::new(ctx.secret).key(raw) {
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
        let index_date = row.date_until("index_date", Some(ctx.today));
        Some((key?, index_date?))
    }

    fn apply(
        _conn: &mut DbConn,
        _ctx: &ImportContext,
        _records: Vec<(u64, Self::Record)>,
    ) -> Result<Applied, StoreError> {
        unreachable!("comparison groups are written by `import` below, under their name")
    }
}

/// The name of a group as given, or why it is refused.
pub fn group_name(raw: Option<&str>) -> Result<String, ImportError> {
    let name = raw.map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Err(ImportError::Refused(
            "a comparison group needs a name (--name LABEL), as reports will call it".into(),
        ));
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ImportError::Refused(format!(
            "a comparison group's name is at most {MAX_NAME} characters, without control characters"
        )));
    }
    Ok(name.to_string())
}

/// Imports a comparison group file under `name`, all or nothing.
pub fn import(
    conn: &mut DbConn,
    ctx: &ImportContext,
    name: &str,
    file_name: &str,
    source: &Source,
) -> Result<ImportSummary, ImportError> {
    let name = group_name(Some(name))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut source.open()?, &mut bytes)?;
    let super::Parsed {
        records,
        mut errors,
        place,
        ..
    } = parse_all::<Members>(ctx, &bytes, ImportKind::Comparison)?;
    let mut first: HashMap<&str, u64> = HashMap::with_capacity(records.len());
    for (line, (key, _)) in &records {
        if let Some(earlier) = first.insert(key.as_str(), *line) {
            errors.push(RowError {
                line: *line,
                column: "police_id".into(),
                value: WITHHELD.into(),
                expected: format!("a person named once per file (also on line {earlier})"),
                sheet: None,
                letter: None,
            });
        }
    }
    if records.is_empty() && errors.is_empty() {
        errors.push(RowError {
            line: 1,
            column: "police_id".into(),
            value: String::new(),
            expected: "at least one member: an empty file would empty the group".into(),
            sheet: None,
            letter: None,
        });
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        place.mark(&mut errors);
        return Err(ImportError::invalid(errors));
    }
    let mut summary = ImportSummary {
        kind: ImportKind::Comparison,
        file_name: file_name.to_string(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        rows: records.len() as u64,
        inserted: records.len() as u64,
        updated: 0,
        unchanged: 0,
        batch_id: None,
        extract: None,
        fields: Vec::new(),
    };
    let mut members: Vec<(String, NaiveDate)> = records.into_iter().map(|(_, r)| r).collect();
    members.sort();
    write_transaction(conn, |conn| -> Result<(), ImportError> {
        if let Some(group) = store::comparison_groups::find_by_name(conn, &name)? {
            if store::comparison_groups::members(conn, group.id)?
                .into_iter()
                .map(|m| (m.person_key.unwrap_or_default(), m.index_date))
                .eq(members.iter().cloned())
            {
                // The same members again: nothing changes and no batch is written.
                summary.inserted = 0;
                summary.unchanged = summary.rows;
                return Ok(());
            }
        }
        let batch = write_batch(conn, ctx, &summary)?;
        summary.batch_id = Some(batch);
        let replaced = store::comparison_groups::replace(conn, &name, batch, &members)?;
        audit_import(conn, ctx, &summary, batch)?;
        let mut event = NewEvent::new(
            if replaced.previous_members > 0 {
                AuditAction::Update
            } else {
                AuditAction::Create
            },
            "comparison_group",
        )
        .entity_id(replaced.id)
        .detail(format!(
            "name={name} members={} previous_members={} batch={}",
            members.len(),
            replaced.previous_members,
            batch.0
        ));
        event.user_id = ctx.user;
        store::audit::record(conn, event)?;
        Ok(())
    })?;
    Ok(summary)
}
