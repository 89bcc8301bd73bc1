//! Erasure: deleting every row that names one participant, and the erasure records that
//! remain (docs/erasure-and-retention.md). The rules (who may erase, holds) are in
//! `casework::erasure`; this file only deletes and records, inside the caller's
//! `write_transaction`.
//!
//! What goes: the participant and every record merged into it, their referrals, the
//! attendance lines and outcome records of those referrals, and — once no remaining
//! participant holds their person key — the police offence records (current and previous
//! extract) and comparison-group members under that key. The audit trail is not touched:
//! its events name ids and fields, never values, and its hash chain must stay whole.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{now, StoreError};
use crate::db::schema::{
    attendance, comparison_members, erasures as e, import_changes, offence_records,
    outcome_records, participants, referrals,
};
use crate::db::DbConn;
use crate::domain::enums::ErasureReason;
use crate::domain::ids::{OrganisationId, ParticipantId, UserId};

/// Rows removed, per table, and the referrals removed per programme (so that the report
/// archive can say which erasures touched a report's programmes). Counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    pub participants: i64,
    pub referrals: i64,
    pub attendance: i64,
    pub outcome_records: i64,
    pub offence_records: i64,
    pub offence_records_previous: i64,
    pub comparison_members: i64,
    /// Uploads' records of these rows' fields before and after (kept for undoing an
    /// upload); absent from erasure records made before uploads kept them.
    #[serde(default)]
    pub upload_changes: i64,
    /// Programme id → referrals of it removed.
    pub referrals_by_programme: BTreeMap<i64, i64>,
}

impl Counts {
    /// Referrals removed of any of `programmes`.
    pub fn referrals_of(&self, programmes: &[i64]) -> i64 {
        self.referrals_by_programme
            .iter()
            .filter(|(p, _)| programmes.contains(p))
            .map(|(_, n)| n)
            .sum()
    }

    /// "1 participant, 2 referrals, 5 attendance lines, ..." (tables with rows only).
    pub fn describe(&self) -> String {
        let parts = [
            (
                self.participants,
                "participant record",
                "participant records",
            ),
            (self.referrals, "referral", "referrals"),
            (self.attendance, "attendance line", "attendance lines"),
            (self.outcome_records, "outcome record", "outcome records"),
            (
                self.offence_records,
                "police offence record",
                "police offence records",
            ),
            (
                self.offence_records_previous,
                "offence record of the previous extract",
                "offence records of the previous extract",
            ),
            (
                self.comparison_members,
                "comparison group member",
                "comparison group members",
            ),
            (
                self.upload_changes,
                "upload record of their fields",
                "upload records of their fields",
            ),
        ];
        parts
            .iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Where an erasure was asked for.
pub const VIA: [&str; 4] = ["page", "api", "cli", "retention"];

/// An erasure record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Erasure {
    pub id: i64,
    pub organisation_id: OrganisationId,
    pub erased_at: NaiveDateTime,
    pub reason: ErasureReason,
    pub erased_by: Option<i64>,
    pub via: String,
    /// An admin's reason for erasing despite an evaluation hold.
    pub override_reason: Option<String>,
    pub counts: Counts,
}

/// The participant ids erasing `id` removes: `id` and every record merged into it (and
/// into those), in id order.
pub fn ids_to_erase(conn: &mut DbConn, id: ParticipantId) -> Result<Vec<i64>, StoreError> {
    let mut ids = vec![id.0];
    let mut frontier = vec![id.0];
    while !frontier.is_empty() {
        let next: Vec<i64> = participants::table
            .filter(participants::merged_into.eq_any(frontier.clone()))
            .select(participants::id)
            .load(conn)?;
        frontier = next.into_iter().filter(|n| !ids.contains(n)).collect();
        ids.extend(&frontier);
    }
    ids.sort_unstable();
    Ok(ids)
}

/// Deletes every row of participants `ids` (see the module docs) and returns the counts.
/// Call it inside a write transaction.
pub fn delete_participants(conn: &mut DbConn, ids: &[i64]) -> Result<Counts, StoreError> {
    let mut counts = Counts::default();
    let keys: Vec<String> = participants::table
        .filter(participants::id.eq_any(ids))
        .select(participants::person_key)
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    let refs: Vec<(i64, i64)> = referrals::table
        .filter(referrals::participant_id.eq_any(ids))
        .select((referrals::id, referrals::programme_id))
        .load(conn)?;
    let referral_ids: Vec<i64> = refs.iter().map(|&(id, _)| id).collect();
    for (_, programme) in &refs {
        *counts.referrals_by_programme.entry(*programme).or_default() += 1;
    }
    // What uploads kept of these rows (their fields before and after, for undoing an
    // upload) names them too: it goes with them.
    let attendance_ids: Vec<i64> = attendance::table
        .filter(attendance::referral_id.eq_any(&referral_ids))
        .select(attendance::id)
        .load(conn)?;
    let outcome_ids: Vec<i64> = outcome_records::table
        .filter(outcome_records::referral_id.eq_any(&referral_ids))
        .select(outcome_records::id)
        .load(conn)?;
    for (entity, records) in [
        ("participant", ids),
        ("referral", &referral_ids[..]),
        ("attendance", &attendance_ids[..]),
        ("outcome_record", &outcome_ids[..]),
    ] {
        counts.upload_changes += diesel::delete(
            import_changes::table
                .filter(import_changes::entity.eq(entity))
                .filter(import_changes::record_id.eq_any(records)),
        )
        .execute(conn)? as i64;
    }
    counts.outcome_records = diesel::delete(
        outcome_records::table.filter(outcome_records::referral_id.eq_any(&referral_ids)),
    )
    .execute(conn)? as i64;
    counts.attendance =
        diesel::delete(attendance::table.filter(attendance::referral_id.eq_any(&referral_ids)))
            .execute(conn)? as i64;
    counts.referrals = diesel::delete(referrals::table.filter(referrals::id.eq_any(&referral_ids)))
        .execute(conn)? as i64;
    // Records merged into these point at them: cleared first (they go too).
    diesel::update(participants::table.filter(participants::id.eq_any(ids)))
        .set(participants::merged_into.eq(None::<i64>))
        .execute(conn)?;
    counts.participants = diesel::delete(participants::table.filter(participants::id.eq_any(ids)))
        .execute(conn)? as i64;
    for key in keys {
        // Another participant (another organisation's record of the same person) still
        // needs the police records under this key: they stay with that record.
        let still_held: i64 = participants::table
            .filter(participants::person_key.eq(&key))
            .count()
            .get_result(conn)?;
        if still_held > 0 {
            continue;
        }
        counts.offence_records +=
            diesel::delete(offence_records::table.filter(offence_records::person_key.eq(&key)))
                .execute(conn)? as i64;
        // Not in schema.rs: the import makes it by renaming (store::offences).
        let sql = match conn {
            DbConn::Sqlite(_) => "DELETE FROM offence_records_previous WHERE person_key = ?",
            DbConn::Postgres(_) => "DELETE FROM offence_records_previous WHERE person_key = $1",
        };
        counts.offence_records_previous += diesel::sql_query(sql)
            .bind::<diesel::sql_types::Text, _>(&key)
            .execute(conn)? as i64;
        counts.comparison_members += diesel::delete(
            comparison_members::table.filter(comparison_members::person_key.eq(&key)),
        )
        .execute(conn)? as i64;
    }
    Ok(counts)
}

/// What an erasure record is made from.
pub struct NewErasure<'a> {
    pub organisation_id: OrganisationId,
    pub reason: ErasureReason,
    pub erased_by: Option<UserId>,
    pub via: &'static str,
    pub override_reason: Option<&'a str>,
    pub counts: &'a Counts,
}

pub fn insert(conn: &mut DbConn, n: NewErasure) -> Result<Erasure, StoreError> {
    let erased_at = now();
    let counts = serde_json::to_string(n.counts)
        .map_err(|err| StoreError::Refused(format!("counting the erasure: {err}")))?;
    let values = (
        e::organisation_id.eq(n.organisation_id.0),
        e::erased_at.eq(erased_at),
        e::reason.eq(n.reason.as_str()),
        e::erased_by.eq(n.erased_by.map(|u| u.0)),
        e::via.eq(n.via),
        e::override_reason.eq(n.override_reason),
        e::counts.eq(&counts),
    );
    let id: i64 = crate::on_backend!(conn, |c| diesel::insert_into(e::table)
        .values(values)
        .returning(e::id)
        .get_result(c))?;
    Ok(Erasure {
        id,
        organisation_id: n.organisation_id,
        erased_at,
        reason: n.reason,
        erased_by: n.erased_by.map(|u| u.0),
        via: n.via.to_string(),
        override_reason: n.override_reason.map(str::to_string),
        counts: n.counts.clone(),
    })
}

/// An erasure record as the query reads it (the counts as their JSON text).
#[derive(Queryable)]
struct Row {
    id: i64,
    organisation_id: OrganisationId,
    erased_at: NaiveDateTime,
    reason: ErasureReason,
    erased_by: Option<i64>,
    via: String,
    override_reason: Option<String>,
    counts: String,
}

fn from_row(r: Row) -> Result<Erasure, StoreError> {
    Ok(Erasure {
        id: r.id,
        organisation_id: r.organisation_id,
        erased_at: r.erased_at,
        reason: r.reason,
        erased_by: r.erased_by,
        via: r.via,
        override_reason: r.override_reason,
        counts: serde_json::from_str(&r.counts).map_err(|err| {
            StoreError::Database(diesel::result::Error::DeserializationError(err.into()))
        })?,
    })
}

/// Erasure records made after `after` (all with `None`), oldest first.
pub fn since(conn: &mut DbConn, after: Option<NaiveDateTime>) -> Result<Vec<Erasure>, StoreError> {
    let mut q = e::table
        .select((
            e::id,
            e::organisation_id,
            e::erased_at,
            e::reason,
            e::erased_by,
            e::via,
            e::override_reason,
            e::counts,
        ))
        .order(e::id)
        .into_boxed();
    if let Some(t) = after {
        q = q.filter(e::erased_at.gt(t));
    }
    q.load::<Row>(conn)?.into_iter().map(from_row).collect()
}

/// A participant of `organisation` by case reference, voided or merged or not (an erasure
/// or an export must reach every record).
pub fn participant_by_reference(
    conn: &mut DbConn,
    organisation: OrganisationId,
    reference: &str,
) -> Result<Option<ParticipantId>, StoreError> {
    Ok(participants::table
        .filter(participants::organisation_id.eq(organisation.0))
        .filter(participants::reference.eq(reference.trim()))
        .select(participants::id)
        .first::<i64>(conn)
        .optional()?
        .map(ParticipantId))
}

/// The organisation and reference of a participant, voided or not.
pub fn owner_of(
    conn: &mut DbConn,
    id: ParticipantId,
) -> Result<Option<(OrganisationId, String)>, StoreError> {
    Ok(participants::table
        .find(id.0)
        .select((participants::organisation_id, participants::reference))
        .first::<(i64, String)>(conn)
        .optional()?
        .map(|(o, r)| (OrganisationId(o), r)))
}
