//! Loading exactly the rows a report needs (see `evaluation::rows`), for one programme,
//! one provider's programmes or one funding stream's programmes, and one period.
//!
//! Reoffending never scans the offence table: the cohort's person keys are looked up in
//! chunks through the (person_key, offence_date) index, and each person's offences are
//! kept only within that person's before and follow-up windows.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::StoreError;
use crate::db::day::Day;
use crate::db::schema::{
    allocations, attendance, funding_streams, group_survey_counts, group_surveys, offence_records,
    organisations, outcome_measures, outcome_records, participants, programmes, referral_linkage,
    referrals, sessions, targets,
};
use crate::db::DbConn;
use crate::domain::calendar::add_months;
use crate::domain::enums::{
    AttendanceStatus, Closure, Decision, Ethnicity, Gender, OffenceGroup, ReferralSource, Timepoint,
};
use crate::domain::ids::{FundingStreamId, OrganisationId, ProgrammeId};
use crate::domain::period::FinancialYear;
use crate::evaluation::matching::{PoolPerson, Variable};
use crate::evaluation::report::{MatchedPool, ReportInputs};
use crate::evaluation::rows::{
    AllocationRow, AttendanceRow, GroupSurveyRow, MeasureRow, NotLinked, OffenceRow, OutcomeRow,
    PersonKeyMap, ReferralRow, SessionRow, TargetRow,
};
use crate::evaluation::DateRange;

/// What a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportScope {
    Programme(ProgrammeId),
    Provider(OrganisationId),
    FundingStream(FundingStreamId),
}

/// Person keys per query: well under every backend's bound-parameter limit.
const KEY_CHUNK: usize = 500;

/// The programmes a scope covers.
pub fn programmes_of(conn: &mut DbConn, scope: ReportScope) -> Result<Vec<i64>, StoreError> {
    Ok(match scope {
        ReportScope::Programme(id) => programmes::table
            .find(id.0)
            .select(programmes::id)
            .load(conn)?,
        ReportScope::Provider(org) => programmes::table
            .filter(programmes::organisation_id.eq(org.0))
            .select(programmes::id)
            .load(conn)?,
        ReportScope::FundingStream(stream) => allocations::table
            .filter(allocations::funding_stream_id.eq(stream.0))
            .select(allocations::programme_id)
            .load(conn)?,
    })
}

/// The names of the programmes a scope covers, by id (for naming units left out).
pub fn programme_names(
    conn: &mut DbConn,
    scope: ReportScope,
) -> Result<std::collections::BTreeMap<i64, String>, StoreError> {
    let ids = programmes_of(conn, scope)?;
    Ok(programmes::table
        .filter(programmes::id.eq_any(ids))
        .select((programmes::id, programmes::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// The name of the provider that runs a programme (`None` for other scopes).
pub fn provider_of(conn: &mut DbConn, scope: ReportScope) -> Result<Option<String>, StoreError> {
    let ReportScope::Programme(id) = scope else {
        return Ok(None);
    };
    Ok(programmes::table
        .inner_join(organisations::table)
        .filter(programmes::id.eq(id.0))
        .select(organisations::name)
        .first::<String>(conn)
        .optional()?)
}

/// The financial years a period touches, e.g. ["2025-26"].
fn financial_years(period: &DateRange) -> Vec<String> {
    let first = FinancialYear::containing(period.from).start_year();
    let last = FinancialYear::containing(period.to).start_year();
    (first..=last)
        .map(|y| FinancialYear::starting(y).to_string())
        .collect()
}

// Dates are read as `Day` (a fast reader of SQLite's date text); `day` and `opt_day`
// unwrap them.
/// A referral with its participant, as the query reads it (in the order of its columns).
#[derive(Queryable)]
struct ReferralRecord {
    id: i64,
    participant_id: i64,
    programme_id: i64,
    referred_on: Day,
    source: ReferralSource,
    decision: Decision,
    decided_on: Option<Day>,
    closure: Closure,
    closed_on: Option<Day>,
    required_hours: Option<f64>,
    person_key: Option<String>,
    date_of_birth: Option<Day>,
    gender: Gender,
    ethnicity: Ethnicity,
    district: Option<String>,
}

fn opt_day(d: Option<Day>) -> Option<NaiveDate> {
    d.map(|d| d.0)
}

/// The referrals with their participants, in id order; `first_attended_on` is left to
/// [`first_attended`] (read on the other connection when there is one).
fn load_referrals(
    conn: &mut DbConn,
    programme_ids: &[i64],
    period: &DateRange,
) -> Result<Vec<ReferralRow>, StoreError> {
    let rows: Vec<ReferralRecord> = referrals::table
        .inner_join(participants::table)
        .filter(referrals::programme_id.eq_any(programme_ids))
        .filter(referrals::referred_on.between(period.from, period.to))
        .filter(referrals::voided_at.is_null())
        .filter(participants::voided_at.is_null())
        .select((
            referrals::id,
            referrals::participant_id,
            referrals::programme_id,
            referrals::referred_on,
            referrals::source,
            referrals::decision,
            referrals::decided_on,
            referrals::closure,
            referrals::closed_on,
            referrals::required_hours,
            participants::person_key,
            participants::date_of_birth,
            participants::gender,
            participants::ethnicity,
            participants::district,
        ))
        .load(conn)?;
    // Programmes that do not link their participants to police data (docs/data-protection.md).
    let unlinked: Vec<i64> = programmes::table
        .filter(programmes::id.eq_any(programme_ids))
        .filter(programmes::police_linkage.eq(false))
        .select(programmes::id)
        .load(conn)?;
    // Referrals whose person objected to the linkage.
    let objected: std::collections::HashSet<i64> = referral_linkage::table
        .filter(referral_linkage::programme_id.eq_any(programme_ids))
        .filter(referral_linkage::linkage_objection.eq(true))
        .select(referral_linkage::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|r| {
            let decision = r.decision;
            // A key that may not be used is not handed to the engine at all.
            let not_linked = if unlinked.contains(&r.programme_id) {
                Some(NotLinked::ProgrammeNotLinked)
            } else if objected.contains(&r.id) {
                Some(NotLinked::Objection)
            } else {
                None
            };
            Ok(ReferralRow {
                referral_id: r.id,
                participant_id: r.participant_id,
                programme_id: r.programme_id,
                referred_on: r.referred_on.0,
                source: r.source,
                decision,
                decided_on: opt_day(r.decided_on),
                closure: if decision == Decision::Accepted {
                    Some(r.closure)
                } else {
                    None
                },
                closed_on: opt_day(r.closed_on),
                required_hours: r.required_hours,
                first_attended_on: None,
                person_key: r.person_key.filter(|_| not_linked.is_none()),
                not_linked,
                date_of_birth: opt_day(r.date_of_birth),
                gender: Some(r.gender),
                ethnicity: Some(r.ethnicity),
                district: r.district,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()
        .map(|mut rows| {
            // In id order on every backend (the index gives them by programme and date).
            rows.sort_unstable_by_key(|r| r.referral_id);
            rows
        })
}

/// Each referral's first attended session, at any date, for the referrals of the
/// programmes in the period (voided ones too: a superset of [`load_referrals`]'s), in id
/// order: one seek per referral into the index on attendance (referral_id, status,
/// session_date), whose first entry is the minimum. The referrals come from the index on
/// (programme_id, referred_on) alone.
fn first_attended(
    conn: &mut DbConn,
    programme_ids: &[i64],
    period: &DateRange,
) -> Result<Vec<(i64, Option<Day>)>, StoreError> {
    let first_attended = attendance::table
        .filter(attendance::referral_id.eq(referrals::id))
        .filter(attendance::status.eq("attended"))
        .select(diesel::dsl::min(attendance::session_date))
        .single_value();
    let mut rows: Vec<(i64, Option<Day>)> = referrals::table
        .filter(referrals::programme_id.eq_any(programme_ids))
        .filter(referrals::referred_on.between(period.from, period.to))
        .select((referrals::id, first_attended))
        .load(conn)?;
    rows.sort_unstable_by_key(|r| r.0);
    Ok(rows)
}

/// Puts [`first_attended`]'s dates on the referrals (both in id order).
fn set_first_attended(referrals: &mut [ReferralRow], first: &[(i64, Option<Day>)]) {
    let mut first = first.iter().peekable();
    for r in referrals {
        while first.next_if(|(id, _)| *id < r.referral_id).is_some() {}
        if let Some((_, day)) = first.next_if(|(id, _)| *id == r.referral_id) {
            r.first_attended_on = opt_day(*day);
        }
    }
}

fn load_sessions(
    conn: &mut DbConn,
    programme_ids: &[i64],
    period: &DateRange,
) -> Result<Vec<SessionRow>, StoreError> {
    let rows: Vec<(i64, i64, Day, i32, Option<String>)> = sessions::table
        .filter(sessions::programme_id.eq_any(programme_ids))
        .filter(sessions::date.between(period.from, period.to))
        .filter(sessions::voided_at.is_null())
        .select((
            sessions::id,
            sessions::programme_id,
            sessions::date,
            sessions::headcount,
            sessions::venue,
        ))
        .load(conn)?;
    let mut rows: Vec<SessionRow> = rows
        .into_iter()
        .map(
            |(session_id, programme_id, date, headcount, venue)| SessionRow {
                session_id,
                programme_id,
                date: date.0,
                headcount: i64::from(headcount),
                venue,
            },
        )
        .collect();
    // In id order on every backend (the covering index gives them by programme and date).
    rows.sort_unstable_by_key(|s| s.session_id);
    Ok(rows)
}

/// The attendance at the scope's sessions in the period, from the covering index on
/// (programme_id, session_date, ...) alone. The participant of each line comes from the
/// period's referrals already loaded; the few lines of referrals made before the period
/// (courses that run across its start) are looked up by referral id.
fn load_attendance(
    conn: &mut DbConn,
    programme_ids: &[i64],
    period: &DateRange,
    referrals: &[ReferralRow],
) -> Result<Vec<AttendanceRow>, StoreError> {
    let rows: Vec<(i64, i64, Day, AttendanceStatus, Option<f64>)> = attendance::table
        .filter(attendance::programme_id.eq_any(programme_ids))
        .filter(attendance::session_date.between(period.from, period.to))
        .select((
            attendance::session_id,
            attendance::referral_id,
            attendance::session_date,
            attendance::status,
            attendance::hours,
        ))
        .load(conn)?;
    // Lines of voided sessions and referrals are left out. Voided records are few, so
    // they are looked up once rather than joined into the covering-index scan.
    let voided_sessions: BTreeSet<i64> = sessions::table
        .filter(sessions::programme_id.eq_any(programme_ids))
        .filter(sessions::voided_at.is_not_null())
        .select(sessions::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let voided_referrals: BTreeSet<i64> = referrals::table
        .filter(referrals::programme_id.eq_any(programme_ids))
        .filter(referrals::voided_at.is_not_null())
        .select(referrals::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|(session, referral, ..)| {
            !voided_sessions.contains(session) && !voided_referrals.contains(referral)
        })
        .collect();
    let mut participant: HashMap<i64, i64> = referrals
        .iter()
        .map(|r| (r.referral_id, r.participant_id))
        .collect();
    let earlier: BTreeSet<i64> = rows
        .iter()
        .map(|&(_, referral, ..)| referral)
        .filter(|id| !participant.contains_key(id))
        .collect();
    let earlier: Vec<i64> = earlier.into_iter().collect();
    for chunk in earlier.chunks(KEY_CHUNK) {
        let found: Vec<(i64, i64)> = referrals::table
            .filter(referrals::id.eq_any(chunk))
            .select((referrals::id, referrals::participant_id))
            .load(conn)?;
        participant.extend(found);
    }
    rows.into_iter()
        .map(|(session_id, referral_id, session_date, status, hours)| {
            Ok(AttendanceRow {
                session_id,
                referral_id,
                // Every line has its referral (a foreign key), so this is always found.
                participant_id: *participant.get(&referral_id).ok_or(StoreError::NotFound)?,
                session_date: session_date.0,
                status,
                hours,
            })
        })
        .collect()
}

fn load_outcomes(
    conn: &mut DbConn,
    programme_ids: &[i64],
    period: &DateRange,
) -> Result<(Vec<MeasureRow>, Vec<OutcomeRow>), StoreError> {
    let measures: Vec<(i64, String, f64, f64, bool)> = outcome_measures::table
        .order(outcome_measures::id)
        .select((
            outcome_measures::id,
            outcome_measures::name,
            outcome_measures::min_value,
            outcome_measures::max_value,
            outcome_measures::higher_is_better,
        ))
        .load(conn)?;
    let records: Vec<(i64, i64, i64, Timepoint, Day, f64)> = outcome_records::table
        .inner_join(referrals::table)
        .filter(referrals::programme_id.eq_any(programme_ids))
        .filter(referrals::referred_on.between(period.from, period.to))
        .filter(referrals::voided_at.is_null())
        .filter(outcome_records::voided_at.is_null())
        .select((
            outcome_records::id,
            outcome_records::referral_id,
            outcome_records::measure_id,
            outcome_records::timepoint,
            outcome_records::recorded_on,
            outcome_records::value,
        ))
        .load(conn)?;
    let measures = measures
        .into_iter()
        .map(|(id, name, min, max, higher_is_better)| MeasureRow {
            id,
            name,
            min,
            max,
            higher_is_better,
        })
        .collect();
    let mut records: Vec<OutcomeRow> = records
        .into_iter()
        .map(
            |(outcome_id, referral_id, measure_id, timepoint, recorded_on, value)| {
                Ok(OutcomeRow {
                    outcome_id,
                    referral_id,
                    measure_id,
                    timepoint,
                    recorded_on: recorded_on.0,
                    value,
                })
            },
        )
        .collect::<Result<_, StoreError>>()?;
    // In id order on every backend (the covering index gives them by referral).
    records.sort_unstable_by_key(|r| r.outcome_id);
    Ok((measures, records))
}

fn load_group_surveys(
    conn: &mut DbConn,
    programme_ids: &[i64],
    period: &DateRange,
) -> Result<Vec<GroupSurveyRow>, StoreError> {
    let surveys: Vec<(i64, i64, Timepoint, i32)> = group_surveys::table
        .filter(group_surveys::programme_id.eq_any(programme_ids))
        .filter(group_surveys::recorded_on.between(period.from, period.to))
        .filter(group_surveys::voided_at.is_null())
        .order(group_surveys::id)
        .select((
            group_surveys::id,
            group_surveys::measure_id,
            group_surveys::timepoint,
            group_surveys::respondents,
        ))
        .load(conn)?;
    let ids: Vec<i64> = surveys.iter().map(|s| s.0).collect();
    let mut counts: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for chunk in ids.chunks(KEY_CHUNK) {
        let rows: Vec<(i64, i32, i32)> = group_survey_counts::table
            .filter(group_survey_counts::group_survey_id.eq_any(chunk))
            .order((
                group_survey_counts::group_survey_id,
                group_survey_counts::scale_value,
            ))
            .select((
                group_survey_counts::group_survey_id,
                group_survey_counts::scale_value,
                group_survey_counts::respondents,
            ))
            .load(conn)?;
        for (id, value, n) in rows {
            counts
                .entry(id)
                .or_default()
                .push((i64::from(value), i64::from(n)));
        }
    }
    surveys
        .into_iter()
        .map(|(id, measure_id, timepoint, respondents)| {
            Ok(GroupSurveyRow {
                measure_id,
                timepoint,
                respondents: i64::from(respondents),
                counts: counts.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The earliest and latest dates any of a person's windows can reach.
fn windows(
    referrals: &[ReferralRow],
    follow_up_months: u32,
    waiting_months: u32,
) -> PersonKeyMap<(NaiveDate, NaiveDate)> {
    let back = -(follow_up_months as i32);
    let forward = (follow_up_months + waiting_months) as i32;
    let mut out: PersonKeyMap<(NaiveDate, NaiveDate)> =
        PersonKeyMap::with_capacity_and_hasher(referrals.len(), Default::default());
    for r in referrals {
        let Some(key) = &r.person_key else { continue };
        // Any index date (referral, first session, completion) lies between these.
        let latest_index = [Some(r.referred_on), r.first_attended_on, r.closed_on]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(r.referred_on);
        let from = add_months(r.referred_on, back);
        let to = add_months(latest_index, forward);
        let (earliest, latest) = out.entry(key.clone()).or_insert((from, to));
        *earliest = (*earliest).min(from);
        *latest = (*latest).max(to);
    }
    out
}

type OffenceTuple = (String, Day, OffenceGroup, Option<Day>);

/// The offences of the cohort's people within their windows, by person key.
pub fn load_offences(
    conn: &mut DbConn,
    referrals: &[ReferralRow],
    follow_up_months: u32,
    waiting_months: u32,
) -> Result<PersonKeyMap<Vec<OffenceRow>>, StoreError> {
    let windows = windows(referrals, follow_up_months, waiting_months);
    let keys: BTreeSet<&String> = windows.keys().collect();
    let keys: Vec<&String> = keys.into_iter().collect();
    let mut out: PersonKeyMap<Vec<OffenceRow>> =
        PersonKeyMap::with_capacity_and_hasher(keys.len(), Default::default());
    for chunk in keys.chunks(KEY_CHUNK) {
        let (lo, hi) = chunk
            .iter()
            .filter_map(|k| windows.get(*k))
            .fold((NaiveDate::MAX, NaiveDate::MIN), |(lo, hi), (a, b)| {
                (lo.min(*a), hi.max(*b))
            });
        // From the index on (person_key, offence_date, offence_group, proven_on) alone;
        // each person's offences are put in date order below.
        let rows: Vec<OffenceTuple> = offence_records::table
            .filter(offence_records::person_key.eq_any(chunk))
            .filter(offence_records::offence_date.between(lo, hi))
            .select((
                offence_records::person_key,
                offence_records::offence_date,
                offence_records::offence_group,
                offence_records::proven_on,
            ))
            .load(conn)?;
        for (person_key, Day(offence_date), group, proven_on) in rows {
            let Some(&(from, to)) = windows.get(&person_key) else {
                continue;
            };
            if offence_date < from || offence_date > to {
                continue;
            }
            let row = OffenceRow {
                offence_group: group,
                offence_date,
                proven_on: opt_day(proven_on),
                person_key,
            };
            match out.get_mut(&row.person_key) {
                Some(rows) => rows.push(row),
                None => {
                    out.insert(row.person_key.clone(), vec![row]);
                }
            }
        }
    }
    for rows in out.values_mut() {
        rows.sort_unstable_by(|a, b| {
            (a.offence_date, a.offence_group, a.proven_on).cmp(&(
                b.offence_date,
                b.offence_group,
                b.proven_on,
            ))
        });
    }
    Ok(out)
}

/// Every offence of `keys`, by person key, each person's in date order (for a comparison
/// group: the engine keeps what falls in each member's windows).
pub fn offences_of(
    conn: &mut DbConn,
    keys: &[String],
) -> Result<PersonKeyMap<Vec<OffenceRow>>, StoreError> {
    let mut out: PersonKeyMap<Vec<OffenceRow>> = PersonKeyMap::default();
    for chunk in keys.chunks(KEY_CHUNK) {
        let rows: Vec<OffenceTuple> = offence_records::table
            .filter(offence_records::person_key.eq_any(chunk))
            .select((
                offence_records::person_key,
                offence_records::offence_date,
                offence_records::offence_group,
                offence_records::proven_on,
            ))
            .load(conn)?;
        for (person_key, Day(offence_date), group, proven_on) in rows {
            let row = OffenceRow {
                offence_group: group,
                offence_date,
                proven_on: opt_day(proven_on),
                person_key,
            };
            out.entry(row.person_key.clone()).or_default().push(row);
        }
    }
    sort_offences(&mut out);
    Ok(out)
}

fn sort_offences(out: &mut PersonKeyMap<Vec<OffenceRow>>) {
    for rows in out.values_mut() {
        rows.sort_unstable_by(|a, b| {
            (a.offence_date, a.offence_group, a.proven_on).cmp(&(
                b.offence_date,
                b.offence_group,
                b.proven_on,
            ))
        });
    }
}

/// One row of the extract as the matched comparison reads it.
#[derive(Queryable)]
struct ExtractRow {
    id: i64,
    person_key: String,
    offence_date: Day,
    offence_group: OffenceGroup,
    proven_on: Option<Day>,
    birth_month: Option<Day>,
    gender: Option<Gender>,
}

/// What the matched comparison reads (`docs/methodology.md#matched-comparison`): the
/// people of the current extract with no referral to any programme (referrals and
/// participants that are voided do not count), each with the extract's month of birth
/// and gender — per variable, from the row with the latest offence date that has a
/// value, a tie going to the row later in the file —, and every offence of the extract.
/// A variable no row has a value for is left out of the matching.
pub fn matched_pool(
    conn: &mut DbConn,
) -> Result<(MatchedPool, PersonKeyMap<Vec<OffenceRow>>), StoreError> {
    let rows: Vec<ExtractRow> = offence_records::table
        .select((
            offence_records::id,
            offence_records::person_key,
            offence_records::offence_date,
            offence_records::offence_group,
            offence_records::proven_on,
            offence_records::birth_month,
            offence_records::gender,
        ))
        .load(conn)?;
    let referred: std::collections::HashSet<String> = referrals::table
        .inner_join(participants::table)
        .filter(referrals::voided_at.is_null())
        .filter(participants::voided_at.is_null())
        .filter(participants::person_key.is_not_null())
        .select(participants::person_key)
        .distinct()
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    // Per person: (offence date, row id, value) of the latest row with each variable.
    type Latest<T> = Option<(NaiveDate, i64, T)>;
    let mut attributes: HashMap<String, (Latest<NaiveDate>, Latest<Gender>)> = HashMap::new();
    let (mut any_birth, mut any_gender) = (false, false);
    let mut offences: PersonKeyMap<Vec<OffenceRow>> = PersonKeyMap::default();
    for r in rows {
        let date = r.offence_date.0;
        let gender = r.gender;
        any_birth |= r.birth_month.is_some();
        any_gender |= gender.is_some();
        if !referred.contains(&r.person_key) {
            let (birth_slot, gender_slot) = attributes.entry(r.person_key.clone()).or_default();
            let later = |d: NaiveDate, id: i64| (date, r.id) > (d, id);
            if let Some(Day(m)) = r.birth_month {
                if birth_slot.as_ref().is_none_or(|(d, id, _)| later(*d, *id)) {
                    *birth_slot = Some((date, r.id, m));
                }
            }
            if let Some(g) = gender {
                if gender_slot.as_ref().is_none_or(|(d, id, _)| later(*d, *id)) {
                    *gender_slot = Some((date, r.id, g));
                }
            }
        }
        let row = OffenceRow {
            offence_group: r.offence_group,
            offence_date: date,
            proven_on: opt_day(r.proven_on),
            person_key: r.person_key,
        };
        match offences.get_mut(&row.person_key) {
            Some(rows) => rows.push(row),
            None => {
                offences.insert(row.person_key.clone(), vec![row]);
            }
        }
    }
    sort_offences(&mut offences);
    let mut pool: Vec<PoolPerson> = attributes
        .into_iter()
        .map(|(person_key, (birth, gender))| PoolPerson {
            person_key,
            birth_month: birth.map(|b| b.2),
            gender: gender.map(|g| g.2),
        })
        .collect();
    pool.sort_unstable_by(|a, b| a.person_key.cmp(&b.person_key));
    let mut variables_left_out = Vec::new();
    if !any_birth {
        variables_left_out.push(Variable::AgeBand);
    }
    if !any_gender {
        variables_left_out.push(Variable::Gender);
    }
    Ok((
        MatchedPool {
            label: String::new(),
            pool,
            variables_left_out,
        },
        offences,
    ))
}

fn load_money(
    conn: &mut DbConn,
    scope: ReportScope,
    programme_ids: &[i64],
    period: &DateRange,
) -> Result<(Vec<TargetRow>, Vec<AllocationRow>), StoreError> {
    let years = financial_years(period);
    let targets: Vec<(String, f64, String)> = targets::table
        .filter(targets::programme_id.eq_any(programme_ids))
        .filter(targets::financial_year.eq_any(&years))
        .order((targets::financial_year, targets::metric, targets::id))
        .select((targets::metric, targets::value, targets::financial_year))
        .load(conn)?;
    let mut q = allocations::table
        .inner_join(funding_streams::table)
        .filter(allocations::programme_id.eq_any(programme_ids))
        .filter(funding_streams::financial_year.eq_any(&years))
        .into_boxed();
    if let ReportScope::FundingStream(stream) = scope {
        q = q.filter(allocations::funding_stream_id.eq(stream.0));
    }
    let allocations: Vec<(i64, i64, String)> = q
        .order(allocations::id)
        .select((
            allocations::funding_stream_id,
            allocations::amount_pence,
            funding_streams::financial_year,
        ))
        .load(conn)?;
    Ok((
        targets
            .into_iter()
            .map(|(metric, value, financial_year)| TargetRow {
                metric,
                value,
                financial_year,
            })
            .collect(),
        allocations
            .into_iter()
            .map(
                |(funding_stream_id, amount_pence, financial_year)| AllocationRow {
                    funding_stream_id,
                    amount_pence,
                    financial_year,
                },
            )
            .collect(),
    ))
}

/// Runs one loading step, logging how long it took (`OUTCOMES_LOG=outcomes=debug`): what
/// a report's time goes on, without a profiler. Counts and times only, never values.
fn timed<T>(what: &str, step: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let started = std::time::Instant::now();
    let out = step();
    tracing::debug!(
        step = what,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "report rows loaded"
    );
    out
}

/// Connections a report may read with in parallel, to the same database as the main one
/// (see [`load`]).
pub struct Parallel<'a> {
    /// Reads the referrals' first attended dates while the main connection reads the
    /// referrals; then the two take the other parts of the report's rows in turn.
    pub reader: &'a mut DbConn,
    /// Holds SQLite's write lock for the moment the main connection and `reader` start
    /// reading, so that no write commits between them and both read the same snapshot;
    /// released at once. Without it a SQLite report is read on one connection. PostgreSQL
    /// needs none.
    pub lock: Option<&'a mut DbConn>,
}

/// Every row of a report, read in one transaction so the figures are consistent: one
/// snapshot on SQLite (a read transaction), and on PostgreSQL a `REPEATABLE READ`
/// transaction (under the default `READ COMMITTED` each query would see the writes
/// committed since the one before, and a report read during casework could count a
/// referral without its attendance).
///
/// With `parallel` (and when not already inside a transaction), a second connection, on
/// another thread, reads the referrals' first attended dates beside the referrals and
/// then takes parts of the rest in turn with the first (see [`read`]): the two read the
/// same snapshot (PostgreSQL: the main transaction's snapshot, exported and imported;
/// SQLite: both read transactions start while `lock` keeps writers out). See
/// docs/performance.md.
pub fn load(
    conn: &mut DbConn,
    parallel: Option<Parallel<'_>>,
    scope: ReportScope,
    period: &DateRange,
    follow_up_months: u32,
    waiting_months: u32,
) -> Result<ReportInputs, StoreError> {
    let outermost = !super::in_transaction(conn);
    let windows = (follow_up_months, waiting_months);
    let postgres = matches!(conn, DbConn::Postgres(_));
    match parallel.filter(|p| outermost && (postgres || p.lock.is_some())) {
        None => conn.transaction(|conn| {
            if outermost {
                begin_snapshot(conn)?;
            }
            read(conn, None, scope, period, windows)
        }),
        Some(Parallel { reader, lock }) => conn.transaction(|conn| {
            begin_snapshot(conn)?;
            reader.transaction(|reader| {
                if share_snapshot(conn, reader, lock)? {
                    read(conn, Some(reader), scope, period, windows)
                } else {
                    read(conn, None, scope, period, windows)
                }
            })
        }),
    }
}

/// PostgreSQL: the transaction just begun reads one snapshot (see [`load`]).
fn begin_snapshot(conn: &mut DbConn) -> Result<(), StoreError> {
    use diesel::connection::SimpleConnection;
    if let DbConn::Postgres(c) = conn {
        c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
    }
    Ok(())
}

/// Makes `reader`'s transaction, just begun, read the same snapshot as `conn`'s; false
/// when it cannot (a SQLite database that cannot be locked, read-only say), and the
/// report is read on `conn` alone.
fn share_snapshot(
    conn: &mut DbConn,
    reader: &mut DbConn,
    lock: Option<&mut DbConn>,
) -> Result<bool, StoreError> {
    use diesel::connection::SimpleConnection;
    match (conn, reader) {
        (DbConn::Postgres(c), DbConn::Postgres(r)) => {
            let id: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
                "pg_export_snapshot()",
            ))
            .get_result(c)?;
            // A snapshot id is hexadecimal digits and hyphens; nothing else is sent.
            if !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
                return Err(StoreError::Database(
                    diesel::result::Error::QueryBuilderError(
                        format!("unexpected snapshot id {id:?}").into(),
                    ),
                ));
            }
            r.batch_execute(&format!(
                "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; \
                 SET TRANSACTION SNAPSHOT '{id}'"
            ))?;
            Ok(true)
        }
        (DbConn::Sqlite(c), DbConn::Sqlite(r)) => {
            // A WAL read transaction's snapshot is the database as of its first read.
            // `BEGIN IMMEDIATE` waits, like any writer, for a write under way to finish.
            let Some(lock) = lock else {
                return Ok(false);
            };
            if lock.batch_execute("BEGIN IMMEDIATE").is_err() {
                return Ok(false);
            }
            let started = c
                .batch_execute("SELECT 1 FROM sqlite_master LIMIT 1")
                .and_then(|()| r.batch_execute("SELECT 1 FROM sqlite_master LIMIT 1"));
            let released = lock.batch_execute("ROLLBACK");
            started?;
            released?;
            Ok(true)
        }
        _ => Err(StoreError::Database(
            diesel::result::Error::QueryBuilderError(
                "a report's connections must be to one database".into(),
            ),
        )),
    }
}

/// Every row; with `reader`, in two steps on two threads: the referrals on `conn` beside
/// their first attended dates on `reader`; then the rest ([`Part`]s: the cohort's offences,
/// which need each referral's windows and so its first attended date, the attendance,
/// sessions, outcome records and the small rest), each taken by whichever connection is
/// free next.
fn read(
    conn: &mut DbConn,
    reader: Option<&mut DbConn>,
    scope: ReportScope,
    period: &DateRange,
    windows: (u32, u32),
) -> Result<ReportInputs, StoreError> {
    let ids = programmes_of(conn, scope)?;
    let first_on = |c: &mut DbConn| timed("first attended", || first_attended(c, &ids, period));
    let (referrals, reader) = match reader {
        None => {
            let mut referrals = timed("referrals", || load_referrals(conn, &ids, period))?;
            set_first_attended(&mut referrals, &first_on(conn)?);
            (referrals, None)
        }
        Some(reader) => {
            let (referrals, first) = std::thread::scope(|s| {
                let first = s.spawn(|| first_on(&mut *reader));
                let referrals = timed("referrals", || load_referrals(conn, &ids, period));
                (referrals, joined(first))
            });
            let mut referrals = referrals?;
            set_first_attended(&mut referrals, &first?);
            (referrals, Some(reader))
        }
    };
    let job = Job {
        scope,
        ids: &ids,
        period,
        referrals: &referrals,
        windows,
        next: std::sync::atomic::AtomicUsize::new(0),
        inputs: std::sync::Mutex::new(ReportInputs::default()),
    };
    match reader {
        None => job.work(conn)?,
        Some(reader) => {
            let (theirs, ours) = std::thread::scope(|s| {
                let theirs = s.spawn(|| job.work(reader));
                let ours = job.work(conn);
                (joined(theirs), ours)
            });
            theirs?;
            ours?;
        }
    }
    let mut inputs = job.inputs.into_inner().unwrap_or_else(|p| p.into_inner());
    inputs.referrals = referrals;
    Ok(inputs)
}

/// A part of a report's rows read after the referrals, on whichever connection is free.
#[derive(Debug, Clone, Copy)]
enum Part {
    Offences,
    Attendance,
    Sessions,
    Outcomes,
    /// Group surveys, targets and allocations, and the offence extract's date.
    Rest,
}

/// The order the parts are taken in: the offences and the attendance first (the two
/// longest at national scale), then the sessions (as many as the attendance lines for a
/// programme seen one to one: 2.8 million a year for the national IOM Fixed Cohort).
/// Taking them in turn keeps both connections busy: with the offences on one and all
/// the rest on the other, that programme's report waited 4.6 s for the second.
const PARTS: [Part; 5] = [
    Part::Offences,
    Part::Attendance,
    Part::Sessions,
    Part::Outcomes,
    Part::Rest,
];

/// What [`read`]'s second step shares between its connections.
struct Job<'a> {
    scope: ReportScope,
    ids: &'a [i64],
    period: &'a DateRange,
    referrals: &'a [ReferralRow],
    /// Follow-up and waiting months.
    windows: (u32, u32),
    /// The index in [`PARTS`] of the next part to take.
    next: std::sync::atomic::AtomicUsize,
    inputs: std::sync::Mutex<ReportInputs>,
}

impl Job<'_> {
    /// Takes and reads parts on `conn` until none is left (or one fails: then the others
    /// are not begun).
    fn work(&self, conn: &mut DbConn) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        while let Some(&part) = PARTS.get(self.next.fetch_add(1, Ordering::Relaxed)) {
            if let Err(e) = self.read(conn, part) {
                self.next.store(PARTS.len(), Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    }

    fn read(&self, conn: &mut DbConn, part: Part) -> Result<(), StoreError> {
        let (ids, period) = (self.ids, self.period);
        let inputs = || self.inputs.lock().unwrap_or_else(|p| p.into_inner());
        match part {
            Part::Offences => {
                let (follow_up, waiting) = self.windows;
                let offences = timed("offences", || {
                    load_offences(conn, self.referrals, follow_up, waiting)
                })?;
                inputs().offences = offences;
            }
            Part::Attendance => {
                let attendance = timed("attendance", || {
                    load_attendance(conn, ids, period, self.referrals)
                })?;
                inputs().attendance = attendance;
            }
            Part::Sessions => {
                let sessions = timed("sessions", || load_sessions(conn, ids, period))?;
                inputs().sessions = sessions;
            }
            Part::Outcomes => {
                let (measures, outcomes) = timed("outcomes", || load_outcomes(conn, ids, period))?;
                let mut inputs = inputs();
                (inputs.measures, inputs.outcomes) = (measures, outcomes);
            }
            Part::Rest => {
                let group_surveys =
                    timed("group surveys", || load_group_surveys(conn, ids, period))?;
                let (targets, allocations) = load_money(conn, self.scope, ids, period)?;
                let data_as_of = super::import_batches::current_offence_extract(conn)?
                    .and_then(|b| b.extract_date);
                let mut inputs = inputs();
                inputs.group_surveys = group_surveys;
                (inputs.targets, inputs.allocations) = (targets, allocations);
                inputs.data_as_of = data_as_of;
            }
        }
        Ok(())
    }
}

/// A scoped thread's result (its panic goes on).
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::BigInt;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn organisations(conn: &mut DbConn) -> i64 {
        diesel::sql_query("SELECT count(*) AS n FROM organisations")
            .get_result::<Count>(conn)
            .unwrap()
            .n
    }

    fn add_organisation(conn: &mut DbConn, name: &str) {
        crate::store::organisations::create(
            conn,
            name,
            crate::domain::enums::OrganisationKind::Provider,
        )
        .unwrap();
    }

    /// Two SQLite connections whose snapshots are shared see what was committed before and
    /// nothing committed after, whenever they first read.
    #[test]
    fn shared_sqlite_snapshots_are_the_same_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::db::DatabaseUrl::parse(&format!(
            "sqlite://{}",
            dir.path().join("s.db").display()
        ))
        .unwrap();
        let connect = || url.connect().unwrap();
        let (mut main, mut reader, mut lock, mut writer) =
            (connect(), connect(), connect(), connect());
        crate::db::migrate(&mut main).unwrap();
        add_organisation(&mut writer, "Before");
        main.batch_execute("BEGIN").unwrap();
        reader.batch_execute("BEGIN").unwrap();
        assert!(share_snapshot(&mut main, &mut reader, Some(&mut lock)).unwrap());
        // The lock is released: a writer commits at once.
        add_organisation(&mut writer, "After");
        assert_eq!(organisations(&mut writer), 2);
        assert_eq!(organisations(&mut main), 1);
        assert_eq!(organisations(&mut reader), 1);
        main.batch_execute("COMMIT").unwrap();
        reader.batch_execute("COMMIT").unwrap();
        assert_eq!(organisations(&mut reader), 2);
        // Without a lock connection a SQLite report is read on one connection.
        reader.batch_execute("BEGIN").unwrap();
        assert!(!share_snapshot(&mut main, &mut reader, None).unwrap());
    }
}
