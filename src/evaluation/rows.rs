//! The plain input rows of the evaluation engine.
//!
//! These are what the store fills with simple queries and what every metric function
//! reads. They carry no database types and no behaviour beyond ordering helpers; dates
//! are `chrono::NaiveDate`, statuses are the domain enums. Each struct says which rows the
//! store should pass (the engine filters by period itself, so passing more is harmless but
//! slower). Money is carried in whole pence (`i64`) so that sums are exact; reports show
//! pounds. See `docs/methodology.md#input-rows`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::enums::{
    AttendanceStatus, Closure, Decision, Ethnicity, Gender, OffenceGroup, ReferralSource, Timepoint,
};

/// Why a referral's person key is not linked to police data (docs/data-protection.md,
/// "Linkage to police data").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotLinked {
    /// The person objected to the linkage (recorded on the referral).
    Objection,
    /// The programme does not link its participants to police data.
    ProgrammeNotLinked,
}

/// One referral with what the engine needs from its participant.
///
/// Pass the referrals of the report's scope whose `referred_on` falls in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferralRow {
    pub referral_id: i64,
    pub participant_id: i64,
    pub programme_id: i64,
    #[serde(serialize_with = "iso_date::date")]
    pub referred_on: NaiveDate,
    pub source: ReferralSource,
    pub decision: Decision,
    #[serde(serialize_with = "iso_date::option")]
    pub decided_on: Option<NaiveDate>,
    /// `None` for referrals that were never accepted; `Some(Open)` while under way.
    pub closure: Option<Closure>,
    #[serde(serialize_with = "iso_date::option")]
    pub closed_on: Option<NaiveDate>,
    pub required_hours: Option<f64>,
    /// Date of the earliest session this referral attended (status `attended`), at ANY
    /// date, not only in the period: the store computes
    /// `MIN(session.date) WHERE attendance.status = 'attended'` per referral. It decides
    /// "engaged", the days to first session and the `index=start` date.
    #[serde(serialize_with = "iso_date::option")]
    pub first_attended_on: Option<NaiveDate>,
    /// HMAC person key of the participant; `None` when no police identifier is known,
    /// and when the key may not be used (`not_linked`).
    pub person_key: Option<String>,
    /// Why the person key is not used for reoffending: the person objected to linkage, or
    /// the programme does not link to police data. `None` (linked) is left out of the
    /// row's encoding, so input hashes of reports without objections are unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_linked: Option<NotLinked>,
    #[serde(serialize_with = "iso_date::option")]
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
    #[serde(serialize_with = "iso_date::date")]
    pub date: NaiveDate,
    /// Unnamed attendees (0 if none).
    pub headcount: i64,
    /// Where it was held (a school or other venue), if recorded.
    pub venue: Option<String>,
}

/// One named attendance. Pass the attendance at sessions of the scope dated in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceRow {
    pub session_id: i64,
    pub referral_id: i64,
    pub participant_id: i64,
    #[serde(serialize_with = "iso_date::date")]
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
    #[serde(serialize_with = "iso_date::date")]
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

/// A map keyed by person key. Person keys are HMAC-SHA256 outputs under the service's
/// secret, so they are already uniformly spread and no one can choose keys that collide:
/// the map hashes them with a few multiplications (FxHash's) instead of SipHash, which
/// cost a national-scale report more time than its reoffending computation.
pub type PersonKeyMap<V> = HashMap<String, V, BuildHasherDefault<PersonKeyHasher>>;

/// The hasher of [`PersonKeyMap`] (FxHash, as used by rustc, over 8-byte words).
#[derive(Default, Clone, Copy)]
pub struct PersonKeyHasher(u64);

impl Hasher for PersonKeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// One police offence record, already matched to a person key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffenceRow {
    pub person_key: String,
    #[serde(serialize_with = "iso_date::date")]
    pub offence_date: NaiveDate,
    pub offence_group: OffenceGroup,
    /// Date of charge, caution, conviction or other positive outcome; `None` if unproven.
    #[serde(serialize_with = "iso_date::option")]
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
    /// The funding stream's financial year, e.g. `2025-26`.
    pub financial_year: String,
}

/// A member of an imported comparison group (e.g. matched by a police analyst).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonMemberRow {
    pub person_key: Option<String>,
    #[serde(serialize_with = "iso_date::date")]
    pub index_date: NaiveDate,
}

/// Dates in rows serialize as `YYYY-MM-DD`, exactly as chrono writes them, but without
/// chrono's general formatter: hashing a report's input rows (`report::input_sha256`)
/// writes hundreds of thousands of dates.
mod iso_date {
    use chrono::{Datelike, NaiveDate};
    use serde::Serializer;

    pub fn date<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        let year = d.year();
        if !(0..=9999).contains(&year) {
            return s.collect_str(d);
        }
        let (y, m, day) = (year as u32, d.month(), d.day());
        let digit = |n: u32| b'0' + n as u8;
        let text = [
            digit(y / 1000),
            digit(y / 100 % 10),
            digit(y / 10 % 10),
            digit(y % 10),
            b'-',
            digit(m / 10),
            digit(m % 10),
            b'-',
            digit(day / 10),
            digit(day % 10),
        ];
        // Only ASCII digits and hyphens were written.
        s.serialize_str(std::str::from_utf8(&text).unwrap_or_default())
    }

    pub fn option<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => date(d, s),
            None => s.serialize_none(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use chrono::Days;

        #[derive(serde::Serialize)]
        struct Fast(#[serde(serialize_with = "date")] NaiveDate);

        #[test]
        fn dates_are_written_as_chrono_writes_them() {
            let mut d = NaiveDate::from_ymd_opt(-3, 12, 25).unwrap();
            let end = NaiveDate::from_ymd_opt(10_002, 1, 1).unwrap();
            let mut n = 0;
            while d <= end {
                assert_eq!(
                    serde_json::to_string(&Fast(d)).unwrap(),
                    serde_json::to_string(&d).unwrap()
                );
                d = d + Days::new(97);
                n += 1;
            }
            assert!(n > 37_000);
        }
    }
}
