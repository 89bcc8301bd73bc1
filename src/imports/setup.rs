//! Commissioning set-up files: programmes (of the importing provider) and outcome measures.

use std::collections::HashMap;

use super::csvfile::{Columns, Row};
use super::{organisation, write_rows, Applied, ImportContext, ImportFile};
use crate::db::DbConn;
use crate::domain::enums::{LawfulBasis, OffenceDataCondition};
use crate::store::measures::{self, MeasureFields};
use crate::store::programmes::{self, DataProtection, ProgrammeFields};
use crate::store::StoreError;

pub struct Programmes;

/// A programme row: its fields and, each optional (empty keeps what is recorded, or the
/// default for a new programme), its data protection settings.
pub struct ProgrammeRecord {
    fields: ProgrammeFields,
    lawful_basis: Option<LawfulBasis>,
    offence_data_condition: Option<OffenceDataCondition>,
    police_linkage: Option<bool>,
}

impl ProgrammeRecord {
    fn protection(&self, current: DataProtection) -> DataProtection {
        DataProtection {
            lawful_basis: self.lawful_basis.unwrap_or(current.lawful_basis),
            offence_data_condition: self
                .offence_data_condition
                .unwrap_or(current.offence_data_condition),
            police_linkage: self.police_linkage.unwrap_or(current.police_linkage),
        }
    }
}

impl ImportFile for Programmes {
    type Record = ProgrammeRecord;
    const KEY: &'static [&'static str] = &["name"];
    const COLUMNS: Columns = Columns {
        required: &["name", "kind", "delivery", "starts_on"],
        optional: &[
            "min_age",
            "max_age",
            "ends_on",
            "description",
            "lawful_basis",
            "offence_data_condition",
            "police_linkage",
        ],
    };

    fn parse(row: &mut Row, _ctx: &ImportContext) -> Option<ProgrammeRecord> {
        let name = row.text("name", 200);
        let kind = row.word("kind");
        let delivery = row.word("delivery");
        let min_age = row.opt_int("min_age", 0, 120);
        let max_age = row.opt_int("max_age", 0, 120);
        let starts_on = row.date("starts_on");
        let ends_on = row.opt_date("ends_on");
        let description = row.opt_text("description", 2000);
        let lawful_basis = if row.raw("lawful_basis").is_empty() {
            Some(None)
        } else {
            row.word::<LawfulBasis>("lawful_basis").map(Some)
        };
        let condition = if row.raw("offence_data_condition").is_empty() {
            Some(None)
        } else {
            row.word::<OffenceDataCondition>("offence_data_condition")
                .map(Some)
        };
        let linkage = if row.raw("police_linkage").is_empty() {
            Some(None)
        } else {
            row.boolean("police_linkage").map(Some)
        };
        if let (Some(Some(lo)), Some(Some(hi))) = (min_age, max_age) {
            if lo > hi {
                row.error(
                    "max_age",
                    &hi.to_string(),
                    format!("at least min_age ({lo})"),
                );
            }
        }
        if let (Some(start), Some(end)) = (starts_on, ends_on) {
            if end < start {
                row.error(
                    "ends_on",
                    &end.to_string(),
                    format!("on or after starts_on ({start})"),
                );
            }
        }
        if !row.errors.is_empty() {
            return None;
        }
        Some(ProgrammeRecord {
            fields: ProgrammeFields {
                name: name?,
                kind: kind?,
                delivery: delivery?,
                min_age: min_age?.map(|v| v as i32),
                max_age: max_age?.map(|v| v as i32),
                starts_on: starts_on?,
                ends_on,
                description: description.unwrap_or_default(),
            },
            lawful_basis: lawful_basis?,
            offence_data_condition: condition?,
            police_linkage: linkage?,
        })
    }

    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, ProgrammeRecord)>,
    ) -> Result<Applied, StoreError> {
        let org = organisation(ctx)?;
        let existing: HashMap<String, programmes::Programme> =
            programmes::of_organisation(conn, org)?
                .into_iter()
                .map(|p| (p.fields.name.clone(), p))
                .collect();
        write_rows(
            conn,
            records.into_iter().map(|(_, rec)| rec),
            |rec| existing.get(&rec.fields.name),
            |old, rec| {
                old.fields == rec.fields
                    && old.data_protection == rec.protection(old.data_protection)
            },
            |conn, old, rec| {
                programmes::update(conn, old.id, &rec.fields)?;
                programmes::set_data_protection(conn, old.id, &rec.protection(old.data_protection))
            },
            |conn, rec| {
                let id = programmes::insert(conn, org, &rec.fields)?;
                programmes::set_data_protection(
                    conn,
                    id,
                    &rec.protection(DataProtection::default()),
                )
            },
        )
        .map(Applied::Written)
    }
}

pub struct Measures;

impl ImportFile for Measures {
    type Record = MeasureFields;
    const KEY: &'static [&'static str] = &["name"];
    const COLUMNS: Columns = Columns {
        required: &["name", "min", "max", "higher_is_better"],
        optional: &[],
    };

    fn parse(row: &mut Row, _ctx: &ImportContext) -> Option<MeasureFields> {
        let name = row.text("name", 200);
        let min = row.number("min");
        let max = row.number("max");
        let higher_is_better = row.boolean("higher_is_better");
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo >= hi {
                row.error("max", &hi.to_string(), format!("greater than min ({lo})"));
                return None;
            }
        }
        Some(MeasureFields {
            name: name?,
            min: min?,
            max: max?,
            higher_is_better: higher_is_better?,
        })
    }

    fn apply(
        conn: &mut DbConn,
        _ctx: &ImportContext,
        records: Vec<(u64, MeasureFields)>,
    ) -> Result<Applied, StoreError> {
        let existing: HashMap<String, measures::Measure> = measures::all(conn)?
            .into_iter()
            .map(|m| (m.fields.name.clone(), m))
            .collect();
        write_rows(
            conn,
            records.into_iter().map(|(_, rec)| rec),
            |rec| existing.get(&rec.name),
            |old, rec| old.fields == *rec,
            |conn, old, rec| measures::update(conn, old.id, rec),
            |conn, rec| measures::insert(conn, rec).map(|_| ()),
        )
        .map(Applied::Written)
    }
}
