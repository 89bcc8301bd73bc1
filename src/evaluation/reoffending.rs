//! Proven reoffending (DESIGN.md section 4.2), aligned with the Ministry of Justice proven
//! reoffending measure: the cohort, index dates, follow-up and waiting periods, who is
//! measurable, the rate with its Wilson interval, frequency and time to reoffence, the
//! descriptive before/after comparison with the cost of crime, and the comparison with
//! another cohort in Justice Data Lab wording.
//!
//! The engine never sees the whole offence table: offences arrive grouped by person key
//! through [`OffenceLookup`], so the store can fetch only the cohort's offences within
//! their windows. Each member is evaluated once ([`evaluate_cohort`]) and the groups,
//! breakdowns and before/after are tallies over those evaluations, which keeps a
//! million-member cohort well under a second. See `docs/methodology.md#reoffending`.

use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::cost::PricedCosts;
use super::engagement::{is_completed, is_engaged};
use super::rows::{ComparisonMemberRow, NotLinked, OffenceRow, PersonKeyMap, ReferralRow};
use super::stats::{
    fisher_exact_two_sided, mean, median, newcombe_hybrid, ratio, two_proportion_z, wilson,
    Interval, Z_95,
};
use super::DateRange;
use crate::domain::calendar::add_months;
use crate::domain::enums::OffenceGroup;

/// The follow-up lengths the methodology allows, in months.
pub const FOLLOW_UP_CHOICES: [u32; 4] = [3, 6, 12, 24];
/// The longest waiting period accepted, in months.
pub const MAX_WAITING_MONTHS: u32 = 24;

/// Which date starts a member's follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IndexDate {
    /// `referred_on` of the cohort referral (the default).
    #[default]
    Referral,
    /// The first attended session of the cohort referral.
    Start,
    /// `closed_on` of a completed cohort referral.
    Completion,
}

impl IndexDate {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexDate::Referral => "referral",
            IndexDate::Start => "start",
            IndexDate::Completion => "completion",
        }
    }
}

impl std::str::FromStr for IndexDate {
    type Err = ParamError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "referral" => Ok(IndexDate::Referral),
            "start" => Ok(IndexDate::Start),
            "completion" => Ok(IndexDate::Completion),
            other => Err(ParamError::Index(other.to_string())),
        }
    }
}

/// A reoffending parameter out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("follow-up must be 3, 6, 12 or 24 months, not {0}")]
    FollowUp(u32),
    #[error("the waiting period must be at most 24 months, not {0}")]
    Waiting(u32),
    #[error("index must be referral, start or completion, not '{0}'")]
    Index(String),
}

/// Validated reoffending parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReoffendingParams {
    follow_up_months: u32,
    waiting_months: u32,
    pub index: IndexDate,
    /// The latest extract date of the offence imports; `None` before any import.
    pub data_as_of: Option<NaiveDate>,
}

impl ReoffendingParams {
    /// F (3, 6, 12 or 24), W (0 to 24), the index date and the data-as-of date.
    pub fn new(
        follow_up_months: u32,
        waiting_months: u32,
        index: IndexDate,
        data_as_of: Option<NaiveDate>,
    ) -> Result<Self, ParamError> {
        if !FOLLOW_UP_CHOICES.contains(&follow_up_months) {
            return Err(ParamError::FollowUp(follow_up_months));
        }
        if waiting_months > MAX_WAITING_MONTHS {
            return Err(ParamError::Waiting(waiting_months));
        }
        Ok(Self {
            follow_up_months,
            waiting_months,
            index,
            data_as_of,
        })
    }

    /// The MoJ defaults: 12 months' follow-up, 6 months' waiting, index = referral.
    pub fn standard(data_as_of: Option<NaiveDate>) -> Self {
        Self {
            follow_up_months: 12,
            waiting_months: 6,
            index: IndexDate::Referral,
            data_as_of,
        }
    }

    pub fn follow_up_months(&self) -> u32 {
        self.follow_up_months
    }

    pub fn waiting_months(&self) -> u32 {
        self.waiting_months
    }

    /// The last day of follow-up: `index + F months`.
    pub fn follow_up_end(&self, index: NaiveDate) -> NaiveDate {
        add_months(index, self.follow_up_months as i32)
    }

    /// The last day an offence may be proven: `index + (F + W) months`, added in one step
    /// (not `(index + F) + W`, which differs at month ends: see the methodology).
    pub fn proven_by(&self, index: NaiveDate) -> NaiveDate {
        add_months(index, (self.follow_up_months + self.waiting_months) as i32)
    }
}

/// Offences grouped by person key. Each slice may be in any order and may hold offences
/// outside the member's windows; the engine filters.
pub trait OffenceLookup {
    fn offences_of(&self, person_key: &str) -> &[OffenceRow];
}

impl<S: BuildHasher> OffenceLookup for HashMap<String, Vec<OffenceRow>, S> {
    fn offences_of(&self, person_key: &str) -> &[OffenceRow] {
        self.get(person_key).map_or(&[], Vec::as_slice)
    }
}

/// Groups offence rows by person key, for [`OffenceLookup`].
pub fn offences_by_person(
    rows: impl IntoIterator<Item = OffenceRow>,
) -> PersonKeyMap<Vec<OffenceRow>> {
    let mut map: PersonKeyMap<Vec<OffenceRow>> = PersonKeyMap::default();
    for row in rows {
        map.entry(row.person_key.clone()).or_default().push(row);
    }
    map
}

/// A cohort member: a participant's earliest referral to a programme in the period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CohortMember<'a> {
    pub referral: &'a ReferralRow,
    pub engaged: bool,
    pub completed: bool,
}

/// The cohort of the period: one member per participant and programme, at the earliest
/// referral in the period (ties on the date go to the lowest referral id), in referral id
/// order. Definition: `docs/methodology.md#the-cohort`.
pub fn cohort(period: DateRange, referrals: &[ReferralRow]) -> Vec<CohortMember<'_>> {
    let mut in_period: Vec<&ReferralRow> = referrals
        .iter()
        .filter(|r| period.contains(r.referred_on))
        .collect();
    in_period.sort_unstable_by_key(|r| {
        (
            r.participant_id,
            r.programme_id,
            r.referred_on,
            r.referral_id,
        )
    });
    let mut members: Vec<CohortMember<'_>> = Vec::with_capacity(in_period.len());
    let mut previous: Option<(i64, i64)> = None;
    for r in in_period {
        let key = (r.participant_id, r.programme_id);
        if previous != Some(key) {
            members.push(CohortMember {
                referral: r,
                engaged: is_engaged(r),
                completed: is_completed(r),
            });
            previous = Some(key);
        }
    }
    members.sort_unstable_by_key(|m| m.referral.referral_id);
    members
}

/// The index date of a cohort referral under the chosen option; `None` leaves the member
/// out of that variant.
pub fn index_date(referral: &ReferralRow, index: IndexDate) -> Option<NaiveDate> {
    match index {
        IndexDate::Referral => Some(referral.referred_on),
        IndexDate::Start => referral.first_attended_on,
        IndexDate::Completion => {
            if is_completed(referral) {
                referral.closed_on
            } else {
                None
            }
        }
    }
}

/// What became of one member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemberStatus {
    /// No index date under the chosen option (e.g. never attended for `index=start`).
    NoIndexDate,
    /// No person key: cannot be matched to police records.
    Unmatched,
    /// Has an index date but the person key may not be used: the person objected to
    /// linkage, or the programme does not link to police data. Counted, never dropped.
    NotLinked(NotLinked),
    /// Has a key but follow-up plus waiting has not ended by `data_as_of`.
    AwaitingFollowUp,
    Measurable(MemberOutcome),
}

/// The reoffending of a measurable member.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MemberOutcome {
    /// Proven reoffences in follow-up.
    pub reoffences: u32,
    /// Days from the index date to the first proven reoffence.
    pub days_to_first_reoffence: Option<i64>,
    /// Proven offences in the P = F months before `referred_on`.
    pub offences_before: u32,
    pub cost_before: f64,
    pub cost_after: f64,
    /// Bit `g as usize` set when an offence of group `g` counted here has no unit cost.
    pub uncosted_groups: u32,
}

/// A cohort member with its evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvaluatedMember<'a> {
    pub member: CohortMember<'a>,
    pub status: MemberStatus,
}

/// Evaluates every cohort member once.
/// Definition: `docs/methodology.md#reoffending`.
pub fn evaluate_cohort<'a>(
    members: &[CohortMember<'a>],
    params: &ReoffendingParams,
    offences: &impl OffenceLookup,
    costs: Option<&PricedCosts>,
) -> Vec<EvaluatedMember<'a>> {
    members
        .iter()
        .map(|m| {
            let index = index_date(m.referral, params.index);
            let status = match (m.referral.not_linked, index) {
                (Some(why), Some(_)) => MemberStatus::NotLinked(why),
                _ => evaluate_member(
                    m.referral.person_key.as_deref(),
                    m.referral.referred_on,
                    index,
                    params,
                    offences,
                    costs,
                ),
            };
            EvaluatedMember { member: *m, status }
        })
        .collect()
}

/// The status of one person: the follow-up window is `index < offence_date <= index + F`,
/// an offence there is a proven reoffence when `proven_on <= index + (F + W)`, and the
/// "before" window is `referred_on − F <= offence_date < referred_on` (proven offences).
/// Definition: `docs/methodology.md#follow-up-and-proven-reoffences`.
pub fn evaluate_member(
    person_key: Option<&str>,
    referred_on: NaiveDate,
    index: Option<NaiveDate>,
    params: &ReoffendingParams,
    offences: &impl OffenceLookup,
    costs: Option<&PricedCosts>,
) -> MemberStatus {
    let Some(index) = index else {
        return MemberStatus::NoIndexDate;
    };
    let Some(key) = person_key else {
        return MemberStatus::Unmatched;
    };
    let proven_by = params.proven_by(index);
    match params.data_as_of {
        Some(as_of) if proven_by <= as_of => {}
        _ => return MemberStatus::AwaitingFollowUp,
    }
    let follow_up_end = params.follow_up_end(index);
    let before_from = add_months(referred_on, -(params.follow_up_months as i32));
    let mut outcome = MemberOutcome::default();
    let mut first: Option<NaiveDate> = None;
    for offence in offences.offences_of(key) {
        let Some(proven_on) = offence.proven_on else {
            continue;
        };
        let (cost, uncosted) = cost_of(offence.offence_group, costs);
        let date = offence.offence_date;
        if index < date && date <= follow_up_end && proven_on <= proven_by {
            outcome.reoffences += 1;
            outcome.cost_after += cost;
            outcome.uncosted_groups |= uncosted;
            first = Some(first.map_or(date, |f| f.min(date)));
        }
        if before_from <= date && date < referred_on {
            outcome.offences_before += 1;
            outcome.cost_before += cost;
            outcome.uncosted_groups |= uncosted;
        }
    }
    outcome.days_to_first_reoffence = first.map(|f| (f - index).num_days());
    MemberStatus::Measurable(outcome)
}

/// The cost of one offence and, if it has no unit cost, its uncosted bit.
fn cost_of(group: OffenceGroup, costs: Option<&PricedCosts>) -> (f64, u32) {
    match costs.and_then(|c| c.unit_cost(group)) {
        Some(cost) => (cost, 0),
        None if costs.is_some() => (0.0, 1 << (group as u32)),
        None => (0.0, 0),
    }
}

/// The figures of one group (all, engaged or completed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    /// Members with an index date under the chosen option.
    pub cohort: u64,
    pub measurable: u64,
    pub unmatched: u64,
    /// Members whose person key is not used because they objected to linkage.
    pub not_linked_objection: u64,
    /// Members of programmes that do not link to police data.
    pub not_linked_programme: u64,
    pub awaiting_follow_up: u64,
    /// Members left out of this index variant for want of an index date.
    pub without_index_date: u64,
    pub reoffenders: u64,
    pub reoffending_rate: Option<f64>,
    pub reoffending_rate_ci: Option<Interval>,
    pub reoffences: u64,
    pub frequency: Option<f64>,
    pub reoffences_per_reoffender: Option<f64>,
    pub mean_days_to_first_reoffence: Option<f64>,
    pub median_days_to_first_reoffence: Option<f64>,
}

/// A running tally of member statuses, turned into [`GroupFigures`] at the end.
#[derive(Debug, Clone, Default)]
pub struct GroupTally {
    cohort: u64,
    measurable: u64,
    unmatched: u64,
    not_linked_objection: u64,
    not_linked_programme: u64,
    awaiting: u64,
    without_index: u64,
    reoffenders: u64,
    reoffences: u64,
    days: Vec<f64>,
}

impl GroupTally {
    pub fn add(&mut self, status: &MemberStatus) {
        match status {
            MemberStatus::NoIndexDate => {
                self.without_index += 1;
                return;
            }
            MemberStatus::Unmatched => self.unmatched += 1,
            MemberStatus::NotLinked(NotLinked::Objection) => self.not_linked_objection += 1,
            MemberStatus::NotLinked(NotLinked::ProgrammeNotLinked) => {
                self.not_linked_programme += 1
            }
            MemberStatus::AwaitingFollowUp => self.awaiting += 1,
            MemberStatus::Measurable(outcome) => {
                self.measurable += 1;
                self.reoffences += u64::from(outcome.reoffences);
                if let Some(days) = outcome.days_to_first_reoffence {
                    self.reoffenders += 1;
                    self.days.push(days as f64);
                }
            }
        }
        self.cohort += 1;
    }

    /// Definition: `docs/methodology.md#reoffending-figures`.
    pub fn finish(mut self) -> GroupFigures {
        let (k, n) = (self.reoffenders, self.measurable);
        GroupFigures {
            cohort: self.cohort,
            measurable: n,
            unmatched: self.unmatched,
            not_linked_objection: self.not_linked_objection,
            not_linked_programme: self.not_linked_programme,
            awaiting_follow_up: self.awaiting,
            without_index_date: self.without_index,
            reoffenders: k,
            reoffending_rate: ratio(k as f64, n as f64),
            reoffending_rate_ci: wilson(k, n, Z_95),
            reoffences: self.reoffences,
            frequency: ratio(self.reoffences as f64, n as f64),
            reoffences_per_reoffender: ratio(self.reoffences as f64, k as f64),
            mean_days_to_first_reoffence: mean(&self.days),
            median_days_to_first_reoffence: median(&mut self.days),
        }
    }
}

/// The three groups of section 4.2.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Groups {
    pub all: GroupFigures,
    pub engaged: GroupFigures,
    pub completed: GroupFigures,
}

/// Before and after, over measurable members of the whole cohort. Descriptive only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeforeAfter {
    pub members: u64,
    pub before_months: u32,
    pub offences_before: u64,
    pub offences_after: u64,
    /// `(after − before) / before`; `None` when there were no offences before.
    pub offences_change: Option<f64>,
    pub price_year: Option<String>,
    pub cost_before_gbp: f64,
    pub cost_after_gbp: f64,
    pub cost_change: Option<f64>,
    /// Offence groups that occurred here but have no unit cost (costed at zero).
    pub uncosted_groups: Vec<OffenceGroup>,
    pub caveat: &'static str,
}

/// The caveat printed with every before/after figure.
pub const BEFORE_AFTER_CAVEAT: &str = "Descriptive only: people are often referred at a peak \
in their offending, so offending tends to fall afterwards without any intervention \
(regression to the mean). This is not a measure of impact.";

/// Before/after over the measurable members among `members`.
/// Definition: `docs/methodology.md#before-and-after`.
pub fn before_after(
    members: &[EvaluatedMember<'_>],
    params: &ReoffendingParams,
    costs: Option<&PricedCosts>,
) -> BeforeAfter {
    let mut result = BeforeAfter {
        members: 0,
        before_months: params.follow_up_months,
        offences_before: 0,
        offences_after: 0,
        offences_change: None,
        price_year: costs.map(|c| c.price_year.clone()),
        cost_before_gbp: 0.0,
        cost_after_gbp: 0.0,
        cost_change: None,
        uncosted_groups: Vec::new(),
        caveat: BEFORE_AFTER_CAVEAT,
    };
    let mut uncosted = 0_u32;
    for m in members {
        if let MemberStatus::Measurable(o) = &m.status {
            result.members += 1;
            result.offences_before += u64::from(o.offences_before);
            result.offences_after += u64::from(o.reoffences);
            result.cost_before_gbp += o.cost_before;
            result.cost_after_gbp += o.cost_after;
            uncosted |= o.uncosted_groups;
        }
    }
    let change = |before: f64, after: f64| ratio(after - before, before);
    result.offences_change = change(result.offences_before as f64, result.offences_after as f64);
    result.cost_change = change(result.cost_before_gbp, result.cost_after_gbp);
    result.uncosted_groups = uncosted_groups_of(uncosted).into_iter().collect();
    result
}

/// The three groups from the evaluated members.
pub fn groups(members: &[EvaluatedMember<'_>]) -> Groups {
    let (mut all, mut engaged, mut completed) = (
        GroupTally::default(),
        GroupTally::default(),
        GroupTally::default(),
    );
    for m in members {
        all.add(&m.status);
        if m.member.engaged {
            engaged.add(&m.status);
        }
        if m.member.completed {
            completed.add(&m.status);
        }
    }
    Groups {
        all: all.finish(),
        engaged: engaged.finish(),
        completed: completed.finish(),
    }
}

/// The reoffending section of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reoffending {
    pub follow_up_months: u32,
    pub waiting_months: u32,
    pub index: IndexDate,
    pub data_as_of: Option<NaiveDate>,
    /// Why nobody is measurable, when that is the case for a reason the reader should
    /// know (no offence extract imported yet).
    pub note: Option<String>,
    pub groups: Groups,
    pub before_after: BeforeAfter,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// Why a comparison that was asked for is not shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison_left_out: Option<String>,
}

/// Reoffending for the referrals of the period: cohort, evaluation, groups, before/after.
/// Returns the evaluated members too, for breakdowns.
/// Definition: `docs/methodology.md#reoffending`.
pub fn reoffending<'a>(
    period: DateRange,
    referrals: &'a [ReferralRow],
    params: &ReoffendingParams,
    offences: &impl OffenceLookup,
    costs: Option<&PricedCosts>,
) -> (Reoffending, Vec<EvaluatedMember<'a>>) {
    let members = evaluate_cohort(&cohort(period, referrals), params, offences, costs);
    (section(&members, params, costs), members)
}

/// The reoffending section over already evaluated members (the groups, before/after).
pub fn section(
    members: &[EvaluatedMember<'_>],
    params: &ReoffendingParams,
    costs: Option<&PricedCosts>,
) -> Reoffending {
    Reoffending {
        follow_up_months: params.follow_up_months,
        waiting_months: params.waiting_months,
        index: params.index,
        data_as_of: params.data_as_of,
        note: params.data_as_of.is_none().then(|| {
            "No police offence extract has been imported yet, so every member with a person \
             key is awaiting follow-up."
                .to_string()
        }),
        groups: groups(members),
        before_after: before_after(members, params, costs),
        comparison: None,
        comparison_left_out: None,
    }
}

/// How the comparison cohort was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonMethod {
    /// Another programme's cohort of the same period (`compare=programme:ID`).
    Programme,
    /// An imported comparison group (`compare=group:ID`).
    Group,
    /// A comparison matched from the police extract (`compare=matched`).
    Matched,
}

/// The figures of the cohort compared against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComparisonCohort {
    pub method: ComparisonMethod,
    pub label: String,
    pub measurable: u64,
    pub reoffenders: u64,
}

/// An imported comparison group (person keys with index dates) evaluated with the same
/// windows as the treatment cohort. Every row of the group is a member, as imported.
pub fn comparison_cohort(
    label: &str,
    members: &[ComparisonMemberRow],
    params: &ReoffendingParams,
    offences: &impl OffenceLookup,
) -> ComparisonCohort {
    let mut tally = GroupTally::default();
    for m in members {
        let status = evaluate_member(
            m.person_key.as_deref(),
            m.index_date,
            Some(m.index_date),
            params,
            offences,
            None,
        );
        tally.add(&status);
    }
    let figures = tally.finish();
    ComparisonCohort {
        method: ComparisonMethod::Group,
        label: label.to_string(),
        measurable: figures.measurable,
        reoffenders: figures.reoffenders,
    }
}

/// Which Justice Data Lab statement applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComparisonVerdict {
    /// Too few people to make any statement (see [`MIN_COMPARISON_MEASURABLE`]).
    TooSmall,
    /// p <= 0.05 with at least 30 treatment reoffenders: the statement gives the direction.
    Significant,
    /// Not significant, or too few reoffenders to say.
    Inconclusive,
}

/// The smallest measurable cohort for which a comparison statement is made.
pub const MIN_COMPARISON_MEASURABLE: u64 = 60;
/// The fewest treatment reoffenders for a significance statement.
pub const MIN_TREATMENT_REOFFENDERS: u64 = 30;

/// The comparison of the treatment cohort (the `all` group) with another cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub method: ComparisonMethod,
    pub comparison_label: String,
    pub treatment_measurable: u64,
    pub treatment_reoffenders: u64,
    pub treatment_rate: Option<f64>,
    /// Wilson 95% interval of the treatment rate.
    pub treatment_rate_ci: Option<Interval>,
    pub comparison_measurable: u64,
    pub comparison_reoffenders: u64,
    /// For a matched comparison, the weighted rate.
    pub comparison_rate: Option<f64>,
    /// Wilson 95% interval; for a matched comparison the normal interval of the weighted
    /// rate (see `docs/methodology.md#matched-comparison`).
    pub comparison_rate_ci: Option<Interval>,
    /// Treatment rate − comparison rate.
    pub difference: Option<f64>,
    pub difference_ci: Option<Interval>,
    pub z: Option<f64>,
    /// Two-sided p of the pooled two-proportion z-test (matched: of the stratified normal
    /// test): the one the verdict uses.
    pub p_value: Option<f64>,
    /// Fisher's exact test; `null` for a matched comparison.
    pub fisher_p_value: Option<f64>,
    pub verdict: ComparisonVerdict,
    pub statement: String,
    /// How the matched comparison was built; only for `method: matched`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matching: Option<super::matching::Matching>,
}

/// Compares `(measurable, reoffenders)` of the treatment cohort with another cohort.
/// Definition: `docs/methodology.md#comparison-with-another-cohort`.
pub fn compare(
    treatment_measurable: u64,
    treatment_reoffenders: u64,
    other: &ComparisonCohort,
) -> Comparison {
    let (k1, n1, k2, n2) = (
        treatment_reoffenders,
        treatment_measurable,
        other.reoffenders,
        other.measurable,
    );
    let rate1 = ratio(k1 as f64, n1 as f64);
    let rate2 = ratio(k2 as f64, n2 as f64);
    let z_test = two_proportion_z(k1, n1, k2, n2);
    let fisher = (n1 > 0 && n2 > 0)
        .then(|| fisher_exact_two_sided(k1, n1 - k1.min(n1), k2, n2 - k2.min(n2)));
    let p_value = z_test.map(|(_, p)| p);
    let difference = rate1.zip(rate2).map(|(a, b)| a - b);
    let verdict = verdict(
        n1 >= MIN_COMPARISON_MEASURABLE && n2 >= MIN_COMPARISON_MEASURABLE,
        k1,
        p_value,
    );
    Comparison {
        method: other.method,
        comparison_label: other.label.clone(),
        treatment_measurable: n1,
        treatment_reoffenders: k1,
        treatment_rate: rate1,
        treatment_rate_ci: wilson(k1, n1, Z_95),
        comparison_measurable: n2,
        comparison_reoffenders: k2,
        comparison_rate: rate2,
        comparison_rate_ci: wilson(k2, n2, Z_95),
        difference,
        difference_ci: newcombe_hybrid(k1, n1, k2, n2),
        z: z_test.map(|(z, _)| z),
        p_value,
        fisher_p_value: fisher,
        verdict,
        statement: statement(verdict, difference, &other.label),
        matching: None,
    }
}

/// Justice Data Lab rule: no statement unless both cohorts are large enough (`big_enough`:
/// at least 60 measurable in each; for a matched comparison, 60 matched treated and an
/// effective comparison size of 60); significant only if p <= 0.05 and the treatment
/// cohort has at least 30 reoffenders (JDL's n·p >= 10, with n·p the number of treatment
/// reoffenders, then always holds).
pub fn verdict(
    big_enough: bool,
    treatment_reoffenders: u64,
    p_value: Option<f64>,
) -> ComparisonVerdict {
    if !big_enough {
        return ComparisonVerdict::TooSmall;
    }
    match p_value {
        Some(p) if treatment_reoffenders >= MIN_TREATMENT_REOFFENDERS && p <= 0.05 => {
            ComparisonVerdict::Significant
        }
        _ => ComparisonVerdict::Inconclusive,
    }
}

/// The Justice Data Lab sentence for `verdict`; a significant difference says which way.
pub fn statement(verdict: ComparisonVerdict, difference: Option<f64>, label: &str) -> String {
    match verdict {
        ComparisonVerdict::TooSmall => format!(
            "No comparison statement: a comparison needs at least \
             {MIN_COMPARISON_MEASURABLE} measurable people in each cohort."
        ),
        ComparisonVerdict::Significant => {
            let direction = if difference.unwrap_or(0.0) < 0.0 {
                "lower"
            } else {
                "higher"
            };
            format!(
                "The reoffending rate is {direction} than that of {label}, and the difference \
                 is statistically significant."
            )
        }
        ComparisonVerdict::Inconclusive => {
            "More people would be needed to determine the direction of the difference.".to_string()
        }
    }
}

/// The offence groups flagged in a `MemberOutcome::uncosted_groups` bitset.
pub fn uncosted_groups_of(bits: u32) -> BTreeSet<OffenceGroup> {
    OffenceGroup::ALL
        .iter()
        .copied()
        .filter(|g| bits & (1 << (*g as u32)) != 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::{Closure, OffenceGroup::*};
    use crate::evaluation::cost::CostTables;
    use crate::evaluation::engagement::tests::{accepted, d, referral};

    fn offence(key: &str, on: &str, group: OffenceGroup, proven: Option<&str>) -> OffenceRow {
        OffenceRow {
            person_key: key.into(),
            offence_date: d(on),
            offence_group: group,
            proven_on: proven.map(d),
        }
    }

    fn keyed(mut r: ReferralRow, key: &str) -> ReferralRow {
        r.person_key = Some(key.into());
        r
    }

    fn year_2024() -> DateRange {
        DateRange::new(d("2024-04-01"), d("2025-03-31")).unwrap()
    }

    /// Robbery and violence with injury costed, 2015-16 = 80 and 2024-25 = 100, so every
    /// unit cost is uprated by 100 / 80 = 1.25.
    fn costs() -> PricedCosts {
        let unit = "offence_group,unit_cost_gbp\nrobbery,11320\nviolence_with_injury,14050\nshoplifting,\n";
        let deflator = "financial_year,deflator\n2015-16,80\n2024-25,100\n";
        CostTables::from_texts(unit, deflator)
            .unwrap()
            .at_price_year("2024-25")
            .unwrap()
    }

    /// The worked example of docs/methodology.md#worked-example.
    fn worked_example() -> (Vec<ReferralRow>, PersonKeyMap<Vec<OffenceRow>>) {
        let referrals = vec![
            // A: referred 2024-05-10, and again 2024-06-01 (counted once, at the first).
            keyed(
                accepted(referral(1, 1, "2024-05-10"), Closure::Completed),
                "a",
            ),
            keyed(referral(10, 1, "2024-06-01"), "a"),
            // B: no person key → unmatched.
            referral(2, 2, "2024-07-01"),
            // C: referred 2025-03-01 → proven-by date 2026-09-01 is after data as of.
            keyed(referral(3, 3, "2025-03-01"), "c"),
            // D: two referrals on the same day: the lower id (20) is the cohort referral.
            keyed(referral(21, 4, "2024-04-02"), "d"),
            keyed(referral(20, 4, "2024-04-02"), "d"),
        ];
        let offences = offences_by_person([
            // On the index date: not in follow-up (index < offence_date), not "before".
            offence("a", "2024-05-10", ViolenceWithInjury, Some("2024-06-01")),
            // Proven reoffence, the first: 114 days after 2024-05-10.
            offence("a", "2024-09-01", Robbery, Some("2024-10-01")),
            // Last day of follow-up (2024-05-10 + 12 months), proven on the last day of the
            // waiting period (2024-05-10 + 18 months = 2025-11-10): counted; uncosted group.
            offence("a", "2025-05-10", Shoplifting, Some("2025-11-10")),
            // One day after follow-up: not counted.
            offence("a", "2025-05-11", Robbery, Some("2025-06-01")),
            // Proven one day after the waiting period: not counted.
            offence("a", "2025-01-01", Robbery, Some("2025-11-11")),
            // Never proven: not counted.
            offence("a", "2024-06-01", Robbery, None),
            // Before: 2024-05-10 − 12 months = 2023-05-10 is the first day counted.
            offence("a", "2023-05-10", ViolenceWithInjury, Some("2023-07-01")),
            offence("a", "2023-05-09", Robbery, Some("2023-07-01")),
            offence("a", "2024-05-09", Robbery, Some("2024-05-20")),
            // D offends once, proven.
            offence("d", "2024-12-25", Robbery, Some("2025-01-15")),
            // C's offence is never looked at: C is awaiting follow-up.
            offence("c", "2025-04-01", Robbery, Some("2025-04-02")),
        ]);
        (referrals, offences)
    }

    #[test]
    fn the_worked_example_gives_the_documented_figures() {
        let (referrals, offences) = worked_example();
        let params =
            ReoffendingParams::new(12, 6, IndexDate::Referral, Some(d("2026-01-31"))).unwrap();
        let costs = costs();
        let (r, members) = reoffending(year_2024(), &referrals, &params, &offences, Some(&costs));
        // Members: A (id 1), B (id 2), C (id 3), D (id 20).
        let ids: Vec<i64> = members
            .iter()
            .map(|m| m.member.referral.referral_id)
            .collect();
        assert_eq!(ids, [1, 2, 3, 20]);
        let all = &r.groups.all;
        assert_eq!(
            (
                all.cohort,
                all.measurable,
                all.unmatched,
                all.awaiting_follow_up
            ),
            (4, 2, 1, 1)
        );
        // A: 2 proven reoffences (2024-09-01, 2025-05-10); D: 1 (2024-12-25).
        assert_eq!((all.reoffenders, all.reoffences), (2, 3));
        assert_eq!(all.reoffending_rate, Some(1.0));
        assert_eq!(all.frequency, Some(1.5)); // 3 / 2
        assert_eq!(all.reoffences_per_reoffender, Some(1.5)); // 3 / 2
                                                              // A: 2024-05-10 → 2024-09-01 = 21 + 30 + 31 + 31 + 1 = 114 days;
                                                              // D: 2024-04-02 → 2024-12-25 = 28 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 25 = 267 days.
        assert_eq!(
            all.mean_days_to_first_reoffence,
            Some((114.0 + 267.0) / 2.0)
        );
        assert_eq!(all.median_days_to_first_reoffence, Some(190.5));
        // Only A was completed (and accepted, but never attended: not engaged).
        assert_eq!(
            (r.groups.completed.cohort, r.groups.completed.reoffenders),
            (1, 1)
        );
        assert_eq!(r.groups.engaged.cohort, 0);

        let ba = &r.before_after;
        assert_eq!(ba.members, 2);
        // Before (A): 2023-05-10 violence with injury and 2024-05-09 robbery; D: none.
        assert_eq!((ba.offences_before, ba.offences_after), (2, 3));
        assert_eq!(ba.offences_change, Some(0.5)); // (3 − 2) / 2
                                                   // Before: 14,050 × 1.25 + 11,320 × 1.25 = 17,562.50 + 14,150 = 31,712.50.
        assert_eq!(ba.cost_before_gbp, 31_712.5);
        // After: robbery 14,150 (A) + shoplifting uncosted (0) + robbery 14,150 (D) = 28,300.
        assert_eq!(ba.cost_after_gbp, 28_300.0);
        assert_eq!(ba.cost_change, Some((28_300.0 - 31_712.5) / 31_712.5));
        assert_eq!(ba.uncosted_groups, [Shoplifting]);
        assert_eq!(ba.price_year.as_deref(), Some("2024-25"));
        assert_eq!(r.note, None);
    }

    #[test]
    fn the_proven_by_date_adds_f_plus_w_months_in_one_step() {
        // Index 2024-08-31, F = 6, W = 6: follow-up ends 2025-02-28; proven by
        // 2024-08-31 + 12 months = 2025-08-31. Adding 6 then 6 would give 2025-08-28.
        let params =
            ReoffendingParams::new(6, 6, IndexDate::Referral, Some(d("2025-08-31"))).unwrap();
        assert_eq!(params.follow_up_end(d("2024-08-31")), d("2025-02-28"));
        assert_eq!(params.proven_by(d("2024-08-31")), d("2025-08-31"));
        let offences = offences_by_person([
            offence("k", "2025-02-28", Robbery, Some("2025-08-30")), // counted
            offence("k", "2025-03-01", Robbery, Some("2025-03-02")), // after follow-up
        ]);
        let status = evaluate_member(
            Some("k"),
            d("2024-08-31"),
            Some(d("2024-08-31")),
            &params,
            &offences,
            None,
        );
        let MemberStatus::Measurable(o) = status else {
            panic!("{status:?}")
        };
        assert_eq!(o.reoffences, 1);
        assert_eq!(o.days_to_first_reoffence, Some(181)); // 2024-08-31 → 2025-02-28
    }

    #[test]
    fn index_dates_at_the_end_of_a_month_clamp_the_follow_up() {
        let params =
            ReoffendingParams::new(3, 0, IndexDate::Referral, Some(d("2030-01-01"))).unwrap();
        // (index, last day of follow-up)
        let cases = [
            ("2023-11-29", "2024-02-29"), // leap year
            ("2023-11-30", "2024-02-29"),
            ("2024-10-31", "2025-01-31"),
            ("2024-11-30", "2025-02-28"),
            ("2024-11-29", "2025-02-28"),
        ];
        for (index, last) in cases {
            let next = d(last).succ_opt().unwrap();
            let offences = offences_by_person([
                offence("k", last, Robbery, Some(last)),
                offence("k", &next.to_string(), Robbery, Some(&next.to_string())),
            ]);
            let status = evaluate_member(
                Some("k"),
                d(index),
                Some(d(index)),
                &params,
                &offences,
                None,
            );
            let MemberStatus::Measurable(o) = status else {
                panic!("{status:?}")
            };
            assert_eq!(o.reoffences, 1, "index {index}");
        }
    }

    #[test]
    fn a_member_is_measurable_only_once_follow_up_and_waiting_have_ended() {
        let params = |as_of: &str| {
            ReoffendingParams::new(12, 6, IndexDate::Referral, Some(d(as_of))).unwrap()
        };
        let none: HashMap<String, Vec<OffenceRow>> = HashMap::new();
        let at = |as_of: &str| {
            evaluate_member(
                Some("k"),
                d("2024-01-31"),
                Some(d("2024-01-31")),
                &params(as_of),
                &none,
                None,
            )
        };
        // 2024-01-31 + 18 months = 2025-07-31.
        assert!(matches!(at("2025-07-31"), MemberStatus::Measurable(_)));
        assert_eq!(at("2025-07-30"), MemberStatus::AwaitingFollowUp);
    }

    #[test]
    fn without_an_offence_import_everyone_with_a_key_is_awaiting() {
        let (referrals, offences) = worked_example();
        let params = ReoffendingParams::standard(None);
        let (r, _) = reoffending(year_2024(), &referrals, &params, &offences, None);
        assert_eq!(
            (
                r.groups.all.measurable,
                r.groups.all.awaiting_follow_up,
                r.groups.all.unmatched
            ),
            (0, 3, 1)
        );
        assert_eq!(r.groups.all.reoffending_rate, None);
        assert!(r.note.unwrap().contains("No police offence extract"));
    }

    #[test]
    fn start_and_completion_indexes_leave_out_members_without_that_date() {
        let mut a = keyed(
            accepted(referral(1, 1, "2024-05-10"), Closure::Completed),
            "a",
        );
        a.first_attended_on = Some(d("2024-05-20"));
        a.closed_on = Some(d("2024-08-01"));
        let mut b = keyed(accepted(referral(2, 2, "2024-05-10"), Closure::Open), "b");
        b.first_attended_on = Some(d("2024-05-12"));
        let c = keyed(referral(3, 3, "2024-05-10"), "c");
        let referrals = [a, b, c];
        let offences = offences_by_person([
            // After referral and start, before completion: counts for start only.
            offence("a", "2024-06-01", Robbery, Some("2024-06-02")),
        ]);
        let as_of = Some(d("2027-01-01"));
        let run = |index| {
            let params = ReoffendingParams::new(12, 6, index, as_of).unwrap();
            reoffending(year_2024(), &referrals, &params, &offences, None)
                .0
                .groups
                .all
        };
        let start = run(IndexDate::Start);
        assert_eq!(
            (start.cohort, start.without_index_date, start.reoffenders),
            (2, 1, 1)
        );
        let completion = run(IndexDate::Completion);
        assert_eq!(
            (
                completion.cohort,
                completion.without_index_date,
                completion.reoffenders
            ),
            (1, 2, 0)
        );
        let referral_index = run(IndexDate::Referral);
        assert_eq!((referral_index.cohort, referral_index.reoffenders), (3, 1));
    }

    #[test]
    fn follow_up_must_be_one_of_the_allowed_lengths() {
        assert_eq!(
            ReoffendingParams::new(9, 6, IndexDate::Referral, None),
            Err(ParamError::FollowUp(9))
        );
        assert_eq!(
            ReoffendingParams::new(12, 25, IndexDate::Referral, None),
            Err(ParamError::Waiting(25))
        );
        assert!(ReoffendingParams::new(24, 0, IndexDate::Start, None).is_ok());
        assert_eq!("start".parse::<IndexDate>(), Ok(IndexDate::Start));
        assert!("begin".parse::<IndexDate>().is_err());
    }

    fn other(measurable: u64, reoffenders: u64) -> ComparisonCohort {
        ComparisonCohort {
            method: ComparisonMethod::Group,
            label: "the comparison group".into(),
            measurable,
            reoffenders,
        }
    }

    #[test]
    fn a_significant_difference_is_stated_in_justice_data_lab_words() {
        let c = compare(351, 109, &other(360, 140));
        // statsmodels proportions_ztest([109, 140], [351, 360]) p = 0.02856067393224494
        assert!((c.p_value.unwrap() - 0.02856067393224494).abs() < 1e-9);
        // scipy.stats.fisher_exact([[109, 242], [140, 220]]).pvalue = 0.03367950400856572
        assert!((c.fisher_p_value.unwrap() - 0.03367950400856572).abs() < 1e-10);
        // confint_proportions_2indep(109, 351, 140, 360, method='newcomb')
        //   = (-0.14732650937978553, -0.00821685120893588)
        let ci = c.difference_ci.unwrap();
        assert!(
            (ci[0] + 0.14732650937978553).abs() < 1e-12
                && (ci[1] + 0.00821685120893588).abs() < 1e-12
        );
        assert_eq!(c.difference, Some(109.0 / 351.0 - 140.0 / 360.0));
        assert_eq!(c.verdict, ComparisonVerdict::Significant);
        assert!(c.statement.contains("statistically significant"));
    }

    #[test]
    fn too_few_reoffenders_or_a_large_p_value_is_inconclusive() {
        // proportions_ztest([10, 30], [100, 100]) p = 0.00040695201744495973, but the
        // treatment cohort has only 10 reoffenders (< 30).
        let c = compare(100, 10, &other(100, 30));
        assert_eq!(c.verdict, ComparisonVerdict::Inconclusive);
        assert_eq!(
            c.statement,
            "More people would be needed to determine the direction of the difference."
        );
        // proportions_ztest([40, 30], [100, 100]) p = 0.1382076669740257 > 0.05.
        assert_eq!(
            compare(100, 40, &other(100, 30)).verdict,
            ComparisonVerdict::Inconclusive
        );
    }

    #[test]
    fn no_statement_is_made_for_cohorts_under_sixty() {
        assert_eq!(
            compare(59, 40, &other(400, 100)).verdict,
            ComparisonVerdict::TooSmall
        );
        assert_eq!(
            compare(400, 100, &other(59, 40)).verdict,
            ComparisonVerdict::TooSmall
        );
        assert_eq!(
            compare(60, 40, &other(400, 100)).verdict,
            ComparisonVerdict::Significant
        );
    }

    #[test]
    fn an_imported_comparison_group_uses_the_same_windows() {
        let offences = offences_by_person([
            offence("x", "2024-03-01", Robbery, Some("2024-03-05")),
            offence("y", "2023-12-31", Robbery, Some("2024-01-02")), // on the index date
        ]);
        let members = [
            ComparisonMemberRow {
                person_key: Some("x".into()),
                index_date: d("2024-01-01"),
            },
            ComparisonMemberRow {
                person_key: Some("y".into()),
                index_date: d("2023-12-31"),
            },
            ComparisonMemberRow {
                person_key: None,
                index_date: d("2024-01-01"),
            },
        ];
        let params = ReoffendingParams::standard(Some(d("2026-01-01")));
        let c = comparison_cohort("matched", &members, &params, &offences);
        assert_eq!((c.measurable, c.reoffenders), (2, 1));
    }
}
