//! What an import changes, record by record: the records a kind of file may touch are
//! read before and after the import's writes (in its transaction), and the difference is
//! kept with the batch (`import_changes`). The same difference gives a preview its
//! "which fields change on how many records", and lets `undo` put every record back.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::db::DbConn;
use crate::domain::enums::ImportKind;
use crate::domain::ids::OrganisationId;
use crate::store::import_changes::Change;
use crate::store::StoreError;
use crate::store::{measures, outcomes, participants, programmes, referrals, sessions};

/// The records of one kind as the import sees them: id → fields (JSON).
pub(crate) type Snapshot = BTreeMap<i64, Value>;

/// The entity name of the records a kind of file writes (as in the audit trail), or
/// `None` for kinds whose batches are not recorded record by record (offence extracts
/// and comparison groups: see `undo`).
pub fn entity_of(kind: ImportKind) -> Option<&'static str> {
    Some(match kind {
        ImportKind::Programmes => "programme",
        ImportKind::Measures => "measure",
        ImportKind::Participants => "participant",
        ImportKind::Referrals => "referral",
        ImportKind::Sessions => "session",
        ImportKind::Attendance => "attendance",
        ImportKind::Outcomes => "outcome_record",
        ImportKind::Offences | ImportKind::Comparison => return None,
    })
}

fn json<T: Serialize>(v: &T) -> Result<Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Refused(e.to_string()))
}

/// The records (not voided) an import of `kind` for `org` may change.
pub(crate) fn snapshot(
    conn: &mut DbConn,
    kind: ImportKind,
    org: Option<OrganisationId>,
) -> Result<Snapshot, StoreError> {
    let org = || org.ok_or(StoreError::NotFound);
    let mut out = Snapshot::new();
    match kind {
        ImportKind::Programmes => {
            for p in programmes::of_organisation(conn, org()?)? {
                out.insert(p.id.0, json(&p.fields)?);
            }
        }
        ImportKind::Measures => {
            for m in measures::all(conn)? {
                out.insert(m.id.0, json(&m.fields)?);
            }
        }
        ImportKind::Participants => {
            for p in participants::of_organisation(conn, org()?)? {
                out.insert(p.id.0, json(&p.fields)?);
            }
        }
        ImportKind::Referrals => {
            for r in referrals::of_organisation(conn, org()?)? {
                out.insert(r.id.0, json(&r.fields)?);
            }
        }
        ImportKind::Sessions => {
            for s in sessions::of_organisation(conn, org()?)? {
                out.insert(s.id.0, json(&s.fields)?);
            }
        }
        ImportKind::Attendance => {
            for (id, f) in sessions::attendance_of_organisation(conn, org()?)? {
                out.insert(id, json(&f)?);
            }
        }
        ImportKind::Outcomes => {
            for (id, f) in outcomes::of_organisation(conn, org()?)? {
                out.insert(id, json(&f)?);
            }
        }
        ImportKind::Offences | ImportKind::Comparison => {}
    }
    Ok(out)
}

/// The records added, changed and removed between two snapshots, in id order.
pub(crate) fn diff(entity: &str, before: &Snapshot, after: &Snapshot) -> Vec<Change> {
    let mut ids: Vec<i64> = before.keys().chain(after.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
        .filter_map(|id| {
            let (old, new) = (before.get(&id), after.get(&id));
            (old != new).then(|| Change {
                entity: entity.to_string(),
                record_id: id,
                old: old.map(Value::to_string),
                new: new.map(Value::to_string),
            })
        })
        .collect()
}

/// How many records an import changes each field of (updates only), by field name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldChanges {
    /// The column as the file names it (e.g. `closure`, `date_of_birth`).
    pub field: String,
    /// How many existing records it changes.
    pub records: u64,
}

/// Counts, for the updated records of `changes`, how many change each field.
pub fn field_changes(changes: &[Change]) -> Vec<FieldChanges> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for ch in changes {
        let (Some(old), Some(new)) = (&ch.old, &ch.new) else {
            continue;
        };
        let (Ok(Value::Object(old)), Ok(Value::Object(new))) = (
            serde_json::from_str::<Value>(old),
            serde_json::from_str::<Value>(new),
        ) else {
            continue;
        };
        for (field, value) in &new {
            if old.get(field) != Some(value) {
                *counts.entry(column_name(field).to_string()).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|(field, records)| FieldChanges { field, records })
        .collect()
}

/// The file's column for a stored field, where they differ.
fn column_name(field: &str) -> &str {
    match field {
        "person_key" => "police_id",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_names_added_changed_and_removed_records_and_counts_changed_fields() {
        let before: Snapshot = [
            (1, json!({"a": 1, "b": "x"})),
            (2, json!({"a": 2, "b": "y"})),
            (3, json!({"a": 3, "b": "z"})),
        ]
        .into_iter()
        .collect();
        let after: Snapshot = [
            (1, json!({"a": 1, "b": "x"})),
            (2, json!({"a": 5, "b": "q"})),
            (4, json!({"a": 4, "b": "w"})),
        ]
        .into_iter()
        .collect();
        let changes = diff("thing", &before, &after);
        let shape: Vec<(i64, bool, bool)> = changes
            .iter()
            .map(|c| (c.record_id, c.old.is_some(), c.new.is_some()))
            .collect();
        assert_eq!(
            shape,
            vec![(2, true, true), (3, true, false), (4, false, true)]
        );
        assert_eq!(
            field_changes(&changes),
            vec![
                FieldChanges {
                    field: "a".into(),
                    records: 1
                },
                FieldChanges {
                    field: "b".into(),
                    records: 1
                },
            ]
        );
    }
}
