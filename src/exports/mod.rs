//! Exports: an organisation's own records of each kind as CSV, in exactly the import
//! format (DESIGN.md section 5), so that export → import into an empty database
//! reproduces them.
//!
//! Participants are exported with their `person_key` (the HMAC), never a police
//! identifier, which the service does not have. Free-text cells that a spreadsheet would
//! run as a formula (starting with = + - @, tab or carriage return) are prefixed with an
//! apostrophe; the importer removes that prefix again.

use std::collections::HashMap;

use crate::db::DbConn;
use crate::domain::enums::ImportKind;
use crate::domain::ids::OrganisationId;
use crate::store::{self, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0} cannot be exported")]
    NotExportable(ImportKind),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Makes a free-text cell safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// Undoes [`neutralise`] on import.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if matches!(
                rest.chars().next(),
                Some('=' | '+' | '-' | '@' | '\t' | '\r')
            ) =>
        {
            rest
        }
        _ => cell,
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn num(v: f64) -> String {
    // Shortest text that reads back as the same f64.
    format!("{v}")
}

/// The reference a session is exported under (sessions recorded on a page may have none).
pub fn session_reference(s: &store::sessions::Session) -> String {
    s.fields
        .reference
        .clone()
        .unwrap_or_else(|| format!("S{}", s.id))
}

/// Writes one kind of an organisation's records as CSV.
pub fn export(
    conn: &mut DbConn,
    organisation: OrganisationId,
    kind: ImportKind,
) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let t = |s: &str| neutralise(s);
    match kind {
        ImportKind::Programmes => {
            w.write_record([
                "name",
                "kind",
                "delivery",
                "min_age",
                "max_age",
                "starts_on",
                "ends_on",
                "description",
            ])?;
            for p in store::programmes::of_organisation(conn, organisation)? {
                let f = p.fields;
                w.write_record([
                    t(&f.name),
                    f.kind.to_string(),
                    f.delivery.to_string(),
                    opt(&f.min_age),
                    opt(&f.max_age),
                    f.starts_on.to_string(),
                    opt(&f.ends_on),
                    t(&f.description),
                ])?;
            }
        }
        ImportKind::Measures => {
            w.write_record(["name", "min", "max", "higher_is_better"])?;
            for m in store::measures::all(conn)? {
                let f = m.fields;
                w.write_record([
                    t(&f.name),
                    num(f.min),
                    num(f.max),
                    f.higher_is_better.to_string(),
                ])?;
            }
        }
        ImportKind::Participants => {
            w.write_record([
                "reference",
                "person_key",
                "date_of_birth",
                "gender",
                "ethnicity",
                "district",
            ])?;
            for p in store::participants::of_organisation(conn, organisation)? {
                let f = p.fields;
                w.write_record([
                    t(&f.reference),
                    opt(&f.person_key),
                    opt(&f.date_of_birth),
                    f.gender.to_string(),
                    f.ethnicity.to_string(),
                    t(&opt(&f.district)),
                ])?;
            }
        }
        ImportKind::Referrals => {
            let people: HashMap<_, _> = store::participants::of_organisation(conn, organisation)?
                .into_iter()
                .map(|p| (p.id, p.fields.reference))
                .collect();
            let programmes: HashMap<_, _> = store::programmes::of_organisation(conn, organisation)?
                .into_iter()
                .map(|p| (p.id, p.fields.name))
                .collect();
            w.write_record([
                "referral_ref",
                "participant_ref",
                "programme",
                "referred_on",
                "source",
                "reason",
                "decision",
                "decided_on",
                "closure",
                "closed_on",
                "required_hours",
            ])?;
            for r in store::referrals::of_organisation(conn, organisation)? {
                let f = r.fields;
                w.write_record([
                    t(&f.reference),
                    t(people
                        .get(&f.participant_id)
                        .map(String::as_str)
                        .unwrap_or("")),
                    t(programmes
                        .get(&f.programme_id)
                        .map(String::as_str)
                        .unwrap_or("")),
                    f.referred_on.to_string(),
                    f.source.to_string(),
                    t(&f.reason),
                    f.decision.to_string(),
                    opt(&f.decided_on),
                    f.closure.to_string(),
                    opt(&f.closed_on),
                    f.required_hours.map(num).unwrap_or_default(),
                ])?;
            }
        }
        ImportKind::Sessions => {
            let programmes: HashMap<_, _> = store::programmes::of_organisation(conn, organisation)?
                .into_iter()
                .map(|p| (p.id, p.fields.name))
                .collect();
            w.write_record([
                "session_ref",
                "programme",
                "date",
                "kind",
                "duration_minutes",
                "headcount",
                "district",
                "venue",
            ])?;
            for s in store::sessions::of_organisation(conn, organisation)? {
                let reference = session_reference(&s);
                let f = s.fields;
                w.write_record([
                    t(&reference),
                    t(programmes
                        .get(&f.programme_id)
                        .map(String::as_str)
                        .unwrap_or("")),
                    f.date.to_string(),
                    f.kind.to_string(),
                    opt(&f.duration_minutes),
                    f.headcount.to_string(),
                    t(&opt(&f.district)),
                    t(&opt(&f.venue)),
                ])?;
            }
        }
        ImportKind::Attendance => {
            let sessions: HashMap<_, _> = store::sessions::of_organisation(conn, organisation)?
                .into_iter()
                .map(|s| (s.id, session_reference(&s)))
                .collect();
            let referrals: HashMap<_, _> = store::referrals::of_organisation(conn, organisation)?
                .into_iter()
                .map(|r| (r.id, r.fields.reference))
                .collect();
            w.write_record(["session_ref", "referral_ref", "status", "hours"])?;
            for (_, a) in store::sessions::attendance_of_organisation(conn, organisation)? {
                w.write_record([
                    t(sessions
                        .get(&a.session_id)
                        .map(String::as_str)
                        .unwrap_or("")),
                    t(referrals
                        .get(&a.referral_id)
                        .map(String::as_str)
                        .unwrap_or("")),
                    a.status.to_string(),
                    a.hours.map(num).unwrap_or_default(),
                ])?;
            }
        }
        ImportKind::Outcomes => {
            let referrals: HashMap<_, _> = store::referrals::of_organisation(conn, organisation)?
                .into_iter()
                .map(|r| (r.id, r.fields.reference))
                .collect();
            let measures: HashMap<_, _> = store::measures::all(conn)?
                .into_iter()
                .map(|m| (m.id, m.fields.name))
                .collect();
            w.write_record([
                "referral_ref",
                "measure",
                "timepoint",
                "recorded_on",
                "value",
            ])?;
            for (_, o) in store::outcomes::of_organisation(conn, organisation)? {
                w.write_record([
                    t(referrals
                        .get(&o.referral_id)
                        .map(String::as_str)
                        .unwrap_or("")),
                    t(measures
                        .get(&o.measure_id)
                        .map(String::as_str)
                        .unwrap_or("")),
                    o.timepoint.to_string(),
                    o.recorded_on.to_string(),
                    num(o.value),
                ])?;
            }
        }
        ImportKind::Offences | ImportKind::Comparison => {
            return Err(ExportError::NotExportable(kind))
        }
    }
    w.flush()?;
    w.into_inner()
        .map_err(|e| ExportError::Io(std::io::Error::other(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_cells_are_prefixed_and_restored() {
        for cell in ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"] {
            let safe = neutralise(cell);
            assert!(safe.starts_with('\''), "{cell:?}");
            assert_eq!(unneutralise(&safe), cell);
        }
        assert_eq!(neutralise("Coventry"), "Coventry");
        assert_eq!(unneutralise("'quoted"), "'quoted");
    }
}
