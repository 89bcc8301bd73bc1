//! Subject access: everything held about one participant, for a provider manager (their
//! own organisation's) or an admin — the participant record (and any record merged into
//! it), every referral, attendance line and outcome record (voided ones too: they are
//! held), the history of each of those records from the audit trail, and which archived
//! reports' cohorts included them (docs/erasure-and-retention.md, "Subject access", with
//! the limits). Police offence records under their key are included for admins and the
//! operator only: providers never see police data about a person. Each export is audited
//! (`export`, entity `participant`, no values).

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::CaseError;
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::{AuditAction, Role};
use crate::domain::ids::ParticipantId;
use crate::store::audit::{self, NewEvent};
use crate::store::subject_access::{
    self as rows, AttendanceRow, OffenceRow, OutcomeRow, ParticipantRow, ReferralRow,
};
use crate::store::{organisations, report_archive, users, write_transaction, StoreError};

/// Who asks for an export.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    /// A signed-in user, on a page (`page`) or the API (`api`).
    User(&'a Actor, &'static str),
    /// The operator, on the command line.
    Operator,
}

/// One entry of a record's history (an audit event, as held).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub event_id: i64,
    pub occurred_at: NaiveDateTime,
    /// `participant`, `referral` or `outcome_record`.
    pub record: String,
    pub record_id: String,
    pub action: String,
    /// The role and organisation of who did it (staff are not named).
    pub by: String,
    pub fields: String,
    pub detail: String,
}

/// An archived report whose cohort included one of the person's referrals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportInclusion {
    pub archive_id: i64,
    pub archived_at: NaiveDateTime,
    pub report: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub mode: String,
    pub referral_ids: Vec<i64>,
}

/// Everything held about one participant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Export {
    pub generated_at: NaiveDateTime,
    pub organisation: String,
    /// The participant, then any record merged into it.
    pub participants: Vec<ParticipantRow>,
    /// Whether a police identifier is held (as a keyed hash; the key itself is not
    /// exported: on its own it identifies nobody, and it is the link to police data).
    pub police_identifier_held: bool,
    pub referrals: Vec<ReferralRow>,
    pub attendance: Vec<AttendanceRow>,
    pub outcome_records: Vec<OutcomeRow>,
    pub history: Vec<HistoryEntry>,
    pub reports: Vec<ReportInclusion>,
    /// Police offence records under their key (admins and the operator only; `None`
    /// for provider managers).
    pub police_offence_records: Option<Vec<OffenceRow>>,
    pub notes: Vec<&'static str>,
}

pub const NOTES: [&str; 4] = [
    "Voided records are included: they are kept, though left out of lists and figures.",
    "History comes from the audit trail, which names the fields changed, and old and new values only of fields that are not personal.",
    "Reports: an archived report is listed when one of these referrals is dated in its period and is to one of its programmes today. A referral changed since, and reports never downloaded or published, are not shown.",
    "Attendance at group sessions is recorded on the session's register, whose history (which names other people's referrals) is not included.",
];

/// Who may export (provider managers: their own organisation's participants).
pub const EXPORT_ROLES: &[Role] = &[Role::ProviderManager, Role::Admin];

/// Builds the export of participant `id` and audits it (`format`: json or pdf).
pub fn export(
    conn: &mut DbConn,
    by: Requester,
    id: ParticipantId,
    format: &str,
) -> Result<Export, CaseError> {
    write_transaction(conn, |conn| {
        let Some((organisation, _)) = crate::store::erasures::owner_of(conn, id)? else {
            return Err(CaseError::NotFound);
        };
        let actor = match by {
            Requester::User(actor, _) => Some(actor),
            Requester::Operator => None,
        };
        if let Some(actor) = actor {
            if !EXPORT_ROLES.contains(&actor.role)
                || !actor.scope().records().includes(organisation)
            {
                return Err(CaseError::NotFound);
            }
        }
        let built = build(conn, id, actor.is_none_or(|a| a.role == Role::Admin))?;
        let via = match by {
            Requester::User(_, via) => via,
            Requester::Operator => "cli",
        };
        let mut event = NewEvent::new(AuditAction::Export, "participant")
            .by(actor)
            .entity_id(id.0)
            .detail(format!(
                "subject_access format={format} via={via} referrals={} attendance={} outcome_records={} history={}",
                built.referrals.len(),
                built.attendance.len(),
                built.outcome_records.len(),
                built.history.len()
            ));
        if event.organisation_id.is_none() {
            event.organisation_id = Some(organisation);
        }
        audit::record(conn, event)?;
        Ok(built)
    })
}

fn build(conn: &mut DbConn, id: ParticipantId, police: bool) -> Result<Export, StoreError> {
    let main = rows::participant(conn, id)?;
    let mut people = vec![main];
    for merged in rows::merged_into(conn, id)? {
        people.push(rows::participant(conn, ParticipantId(merged))?);
    }
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let referrals = rows::referrals(conn, &ids)?;
    let referral_ids: Vec<i64> = referrals.iter().map(|r| r.id).collect();
    let attendance = rows::attendance(conn, &referral_ids)?;
    let outcome_records = rows::outcomes(conn, &referral_ids)?;

    let mut events = Vec::new();
    for p in &ids {
        events.extend(audit::of_record(conn, "participant", &p.to_string())?);
    }
    for r in &referral_ids {
        events.extend(audit::of_record(conn, "referral", &r.to_string())?);
    }
    for o in &outcome_records {
        events.extend(audit::of_record(conn, "outcome_record", &o.id.to_string())?);
    }
    events.sort_by_key(|e| e.id);
    events.dedup_by_key(|e| e.id);
    let organisations: std::collections::HashMap<i64, String> = organisations::list(conn)?
        .into_iter()
        .map(|o| (o.id.0, o.name))
        .collect();
    let mut history = Vec::new();
    for e in events {
        let by = match e.user_id {
            Some(u) => match users::find(conn, crate::domain::ids::UserId(u)) {
                Ok(user) => format!("{}, {}", user.role.label(), user.organisation_name),
                Err(_) => "A user since removed".into(),
            },
            None => "The service operator (command line or import)".into(),
        };
        history.push(HistoryEntry {
            event_id: e.id,
            occurred_at: e.occurred_at,
            record: e.entity,
            record_id: e.entity_id.unwrap_or_default(),
            action: e.action,
            by,
            fields: e.changed_fields,
            detail: e.detail,
        });
    }

    let mut reports = Vec::new();
    for entry in report_archive::list(conn)? {
        let included: Vec<i64> = referrals
            .iter()
            .filter(|r| {
                entry.programme_ids.contains(&r.programme_id)
                    && r.referred_on >= entry.period_from
                    && r.referred_on <= entry.period_to
            })
            .map(|r| r.id)
            .collect();
        if !included.is_empty() {
            reports.push(ReportInclusion {
                archive_id: entry.id,
                archived_at: entry.archived_at,
                report: entry.scope_name,
                period_from: entry.period_from,
                period_to: entry.period_to,
                mode: entry.mode,
                referral_ids: included,
            });
        }
    }
    reports.reverse();

    let keys: Vec<String> = people.iter().filter_map(|p| p.person_key.clone()).collect();
    let police_offence_records = if police {
        let mut all = Vec::new();
        for k in &keys {
            all.extend(rows::offences(conn, k)?);
        }
        Some(all)
    } else {
        None
    };
    Ok(Export {
        generated_at: crate::store::now(),
        organisation: organisations
            .get(&people[0].organisation_id)
            .cloned()
            .unwrap_or_default(),
        police_identifier_held: !keys.is_empty(),
        participants: people,
        referrals,
        attendance,
        outcome_records,
        history,
        reports,
        police_offence_records,
        notes: NOTES.to_vec(),
    })
}
