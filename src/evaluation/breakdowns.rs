//! Breakdowns (DESIGN.md section 4.5): referrals, engaged, completed and the reoffending
//! rate by age band at referral, gender, ethnicity, district and referral source.
//!
//! Referral counts are over referrals in the period, so each dimension's rows add up to
//! the engagement figures; reoffending is over the cohort's `all` group by the attributes
//! of each member's cohort referral, so measurable and reoffenders add up to
//! `reoffending.groups.all`. Those sums are what disclosure control protects. Only
//! categories with at least one referral are listed, in a fixed order. See
//! `docs/methodology.md#breakdowns`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::engagement::{is_completed, is_engaged};
use super::reoffending::{EvaluatedMember, GroupTally};
use super::rows::ReferralRow;
use super::DateRange;
use crate::domain::calendar::age_on;
use crate::domain::enums::{Ethnicity, Gender, ReferralSource};

/// The category used when an attribute is not recorded.
pub const UNKNOWN: &str = "unknown";

/// Age bands at referral, in display order. Ages under 10 (below the age of criminal
/// responsibility, so normally a data error) get their own band rather than being hidden.
pub const AGE_BANDS: [&str; 7] = [
    "under_10", "10-13", "14-15", "16-17", "18-24", "25+", UNKNOWN,
];

/// One category of one dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownRow {
    pub category: String,
    pub referrals: u64,
    pub engaged: u64,
    pub completed: u64,
    pub measurable: u64,
    pub reoffenders: u64,
    pub reoffending_rate: Option<f64>,
}

/// All five dimensions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdowns {
    pub age_band: Vec<BreakdownRow>,
    pub gender: Vec<BreakdownRow>,
    pub ethnicity: Vec<BreakdownRow>,
    pub district: Vec<BreakdownRow>,
    pub source: Vec<BreakdownRow>,
}

/// The age band of someone born on `born`, referred on `referred_on`.
/// Definition: `docs/methodology.md#breakdowns`.
pub fn age_band(born: Option<chrono::NaiveDate>, referred_on: chrono::NaiveDate) -> &'static str {
    let Some(born) = born else {
        return UNKNOWN;
    };
    match age_on(born, referred_on) {
        i32::MIN..=9 => "under_10",
        10..=13 => "10-13",
        14..=15 => "14-15",
        16..=17 => "16-17",
        18..=24 => "18-24",
        _ => "25+",
    }
}

/// Definition: `docs/methodology.md#breakdowns`.
pub fn breakdowns(
    period: DateRange,
    referrals: &[ReferralRow],
    members: &[EvaluatedMember<'_>],
) -> Breakdowns {
    let genders: Vec<&str> = Gender::ALL.iter().map(|g| g.as_str()).collect();
    let ethnicities: Vec<&str> = Ethnicity::ALL.iter().map(|e| e.as_str()).collect();
    let sources: Vec<&str> = ReferralSource::ALL.iter().map(|s| s.as_str()).collect();
    let in_period: Vec<&ReferralRow> = referrals
        .iter()
        .filter(|r| period.contains(r.referred_on))
        .collect();
    let dimension = |order: Option<&[&str]>, key: &dyn Fn(&ReferralRow) -> String| {
        dimension(&in_period, members, order, key)
    };
    Breakdowns {
        age_band: dimension(Some(&AGE_BANDS), &|r| {
            age_band(r.date_of_birth, r.referred_on).to_string()
        }),
        gender: dimension(Some(&genders), &|r| {
            r.gender.map_or(UNKNOWN, |g| g.as_str()).to_string()
        }),
        ethnicity: dimension(Some(&ethnicities), &|r| {
            r.ethnicity.map_or(UNKNOWN, |e| e.as_str()).to_string()
        }),
        district: dimension(None, &|r| {
            r.district
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .unwrap_or(UNKNOWN)
                .to_string()
        }),
        source: dimension(Some(&sources), &|r| r.source.as_str().to_string()),
    }
}

#[derive(Default)]
struct Counts {
    referrals: u64,
    engaged: u64,
    completed: u64,
    reoffending: GroupTally,
}

/// One dimension's rows. `order` fixes the order of known categories (others, and
/// "unknown", come after, alphabetically with "unknown" last); `None` sorts by name.
fn dimension(
    referrals: &[&ReferralRow],
    members: &[EvaluatedMember<'_>],
    order: Option<&[&str]>,
    key: &dyn Fn(&ReferralRow) -> String,
) -> Vec<BreakdownRow> {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    for r in referrals {
        let c = counts.entry(key(r)).or_default();
        c.referrals += 1;
        c.engaged += u64::from(is_engaged(r));
        c.completed += u64::from(is_completed(r));
    }
    for m in members {
        counts
            .entry(key(m.member.referral))
            .or_default()
            .reoffending
            .add(&m.status);
    }
    let position = |category: &str| {
        let known = order.and_then(|o| o.iter().position(|c| *c == category));
        (
            category == UNKNOWN,
            known.unwrap_or(usize::MAX),
            category.to_string(),
        )
    };
    let mut rows: Vec<(String, Counts)> = counts.into_iter().collect();
    rows.sort_by_key(|(category, _)| position(category));
    rows.into_iter()
        .map(|(category, c)| {
            let figures = c.reoffending.finish();
            BreakdownRow {
                category,
                referrals: c.referrals,
                engaged: c.engaged,
                completed: c.completed,
                measurable: figures.measurable,
                reoffenders: figures.reoffenders,
                reoffending_rate: figures.reoffending_rate,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::enums::Closure;
    use crate::evaluation::engagement::tests::{accepted, d, referral};
    use crate::evaluation::reoffending::{cohort, evaluate_cohort, ReoffendingParams};
    use crate::evaluation::rows::OffenceRow;
    use std::collections::HashMap;

    #[test]
    fn age_bands_use_whole_years_at_referral() {
        let on = d("2025-06-15");
        assert_eq!(age_band(Some(d("2015-06-16")), on), "under_10"); // 9
        assert_eq!(age_band(Some(d("2015-06-15")), on), "10-13"); // 10 today
        assert_eq!(age_band(Some(d("2011-06-16")), on), "10-13"); // 13
        assert_eq!(age_band(Some(d("2011-06-15")), on), "14-15"); // 14
        assert_eq!(age_band(Some(d("2009-06-15")), on), "16-17"); // 16
        assert_eq!(age_band(Some(d("2007-06-16")), on), "16-17"); // 17
        assert_eq!(age_band(Some(d("2007-06-15")), on), "18-24"); // 18
        assert_eq!(age_band(Some(d("2000-06-16")), on), "18-24"); // 24
        assert_eq!(age_band(Some(d("2000-06-15")), on), "25+"); // 25
        assert_eq!(age_band(None, on), "unknown");
    }

    #[test]
    fn each_dimension_counts_referrals_and_the_cohorts_reoffending() {
        let mut a = accepted(referral(1, 1, "2025-05-01"), Closure::Completed);
        a.first_attended_on = Some(d("2025-05-02"));
        a.gender = Some(Gender::Male);
        a.date_of_birth = Some(d("2010-01-01")); // 15
        a.person_key = Some("k1".into());
        a.district = Some("Bolsover".into());
        let mut b = referral(2, 2, "2025-06-01");
        b.gender = Some(Gender::Female);
        b.date_of_birth = Some(d("2010-01-01")); // 15
        b.person_key = Some("k2".into());
        b.district = Some("  ".into()); // blank = unknown
                                        // Participant 1 referred again: a referral (counted) but not a second cohort member.
        let mut a2 = referral(3, 1, "2025-07-01");
        a2.gender = Some(Gender::Male);
        let referrals = [a, b, a2];
        let offences: HashMap<String, Vec<OffenceRow>> = HashMap::from([(
            "k1".to_string(),
            vec![OffenceRow {
                person_key: "k1".into(),
                offence_date: d("2025-08-01"),
                offence_group: crate::domain::enums::OffenceGroup::Robbery,
                proven_on: Some(d("2025-09-01")),
            }],
        )]);
        let period = DateRange::new(d("2025-04-01"), d("2026-03-31")).unwrap();
        let params = ReoffendingParams::standard(Some(d("2027-12-31")));
        let members = evaluate_cohort(&cohort(period, &referrals), &params, &offences, None);
        let b = breakdowns(period, &referrals, &members);

        // Gender order follows the enum: female, male.
        assert_eq!(b.gender.len(), 2);
        assert_eq!(b.gender[0].category, "female");
        assert_eq!(
            (
                b.gender[0].referrals,
                b.gender[0].engaged,
                b.gender[0].completed
            ),
            (1, 0, 0)
        );
        assert_eq!((b.gender[0].measurable, b.gender[0].reoffenders), (1, 0));
        assert_eq!(b.gender[0].reoffending_rate, Some(0.0));
        assert_eq!(b.gender[1].category, "male");
        assert_eq!(
            (
                b.gender[1].referrals,
                b.gender[1].engaged,
                b.gender[1].completed
            ),
            (2, 1, 1)
        );
        assert_eq!((b.gender[1].measurable, b.gender[1].reoffenders), (1, 1));
        // Age: two aged 15, one unknown (listed last).
        assert_eq!(b.age_band[0].category, "14-15");
        assert_eq!(b.age_band[0].referrals, 2);
        assert_eq!(b.age_band[1].category, "unknown");
        // District: Bolsover, then unknown (blank and missing).
        assert_eq!(b.district[0].category, "Bolsover");
        assert_eq!(b.district[1].category, "unknown");
        assert_eq!(b.district[1].referrals, 2);
        assert_eq!(b.source[0].category, "police");
        assert_eq!(b.source[0].referrals, 3);
    }
}
