//! The plain input rows of the evaluation engine.
//!
//! These are what the store fills with simple queries and what every metric function
//! reads. They carry no database types and no behaviour beyond ordering helpers; dates
//! are `chrono::NaiveDate`, statuses are the domain enums. Each struct says which rows the
//! store should pass (the engine filters by period itself, so passing more is harmless but
//! slower). Money is carried in whole pence (`i64`) so that sums are exact; reports show
//! pounds. See `docs/methodology.md#input-rows`.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::enums::{
    AttendanceStatus, Closure, Decision, Ethnicity, Gender, OffenceGroup, ReferralSource, Timepoint,
};

/// One referral with what the engine needs from its participant.
///
/// Pass the referrals of the report's scope whose `referred_on` falls in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferralRow {
    pub referral_id: i64,
    pub participant_id: i64,
    pub programme_id: i64,
    pub referred_on: NaiveDate,
    pub source: ReferralSource,
    pub decision: Decision,
    pub decided_on: Option<NaiveDate>,
    /// `None` for referrals that were never accepted; `Some(Open)` while under way.
    pub closure: Option<Closure>,
    pub closed_on: Option<NaiveDate>,
    pub required_hours: Option<f64>,
    /// Date of the earliest session this referral attended (status `attended`), at ANY
    /// date, not only in the period: the store computes
    /// `MIN(session.date) WHERE attendance.status = 'attended'` per referral. It decides
    /// "engaged", the days to first session and the `index=start` date.
    pub first_attended_on: Option<NaiveDate>,
    /// HMAC person key of the participant; `None` when no police identifier is known.
    pub person_key: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Option<Gender>,
    pub ethnicity: Option<Ethnicity>,
    pub district: Option<String>,
}

/// One delivered session. Pass the sessions of the scope dated in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    pub session_id: i64,
    pub programme_id: i64,
    pub date: NaiveDate,
    /// Unnamed attendees (0 if none).
    pub headcount: i64,
}

/// One named attendance. Pass the attendance at sessions of the scope dated in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceRow {
    pub session_id: i64,
    pub referral_id: i64,
    pub participant_id: i64,
    pub session_date: NaiveDate,
    pub status: AttendanceStatus,
    pub hours: Option<f64>,
}

/// One outcome record. Pass the records of the referrals in `ReportInputs::referrals`
/// (any recorded date).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeRow {
    /// The record's own id, used only to break ties between records of the same date.
    pub outcome_id: i64,
    pub referral_id: i64,
    pub measure_id: i64,
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    pub value: f64,
}

/// An outcome measure (a scale).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureRow {
    pub id: i64,
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub higher_is_better: bool,
}

/// One anonymous group survey result (a session's or programme's pre or post survey).
/// Pass the surveys of the scope that belong to the period; several rows of the same
/// measure and timepoint are added together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSurveyRow {
    pub measure_id: i64,
    /// `Baseline` or `Exit`; other timepoints are ignored.
    pub timepoint: Timepoint,
    pub respondents: i64,
    /// `(scale value, number of respondents who gave it)`.
    pub counts: Vec<(i64, i64)>,
}

/// One police offence record, already matched to a person key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffenceRow {
    pub person_key: String,
    pub offence_date: NaiveDate,
    pub offence_group: OffenceGroup,
    /// Date of charge, caution, conviction or other positive outcome; `None` if unproven.
    pub proven_on: Option<NaiveDate>,
}

/// A contracted target of the programme for a financial year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetRow {
    /// An engagement figure's name, e.g. `referrals_received`, `completed`,
    /// `completion_rate`.
    pub metric: String,
    pub value: f64,
    /// e.g. `2025-26`.
    pub financial_year: String,
}

/// Funding allocated to the scope from one funding stream, in whole pence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationRow {
    pub funding_stream_id: i64,
    pub amount_pence: i64,
}

/// A member of an imported comparison group (e.g. matched by a police analyst).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonMemberRow {
    pub person_key: Option<String>,
    pub index_date: NaiveDate,
}
