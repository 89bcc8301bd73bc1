//! Commissioning set-up files: programmes (of the importing provider) and outcome measures.

use std::collections::HashMap;

use super::csvfile::{Columns, Row};
use super::{organisation, write_rows, Applied, ImportContext, ImportFile};
use crate::db::DbConn;
use crate::store::measures::{self, MeasureFields};
use crate::store::programmes::{self, ProgrammeFields};
use crate::store::StoreError;

pub struct Programmes;

impl ImportFile for Programmes {
    type Record = ProgrammeFields;
    const KEY: &'static [&'static str] = &["name"];
    const COLUMNS: Columns = Columns {
        required: &["name", "kind", "delivery", "starts_on"],
        optional: &["min_age", "max_age", "ends_on", "description"],
    };

    fn parse(row: &mut Row, _ctx: &ImportContext) -> Option<ProgrammeFields> {
        let name = row.text("name", 200);
        let kind = row.word("kind");
        let delivery = row.word("delivery");
        let min_age = row.opt_int("min_age", 0, 120);
        let max_age = row.opt_int("max_age", 0, 120);
        let starts_on = row.date("starts_on");
        let ends_on = row.opt_date("ends_on");
        let description = row.opt_text("description", 2000);
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
        Some(ProgrammeFields {
            name: name?,
            kind: kind?,
            delivery: delivery?,
            min_age: min_age?.map(|v| v as i32),
            max_age: max_age?.map(|v| v as i32),
            starts_on: starts_on?,
            ends_on,
            description: description.unwrap_or_default(),
        })
    }

    fn apply(
        conn: &mut DbConn,
        ctx: &ImportContext,
        records: Vec<(u64, ProgrammeFields)>,
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
            |rec| existing.get(&rec.name),
            |old, rec| old.fields == *rec,
            |conn, old, rec| programmes::update(conn, old.id, rec),
            |conn, rec| programmes::insert(conn, org, rec).map(|_| ()),
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
