//! Disclosure units (issue 21): police-derived figures are built from units, one
//! programme's cohort in one financial year, so that no report, and no difference of two
//! reports, describes fewer than a minimum number of people.
//!
//! The rules, applied by [`screen`] for every role and both modes:
//!
//! * police-derived figures (everything computed from offence records) are reported only
//!   for one financial year or a run of consecutive ones ([`crate::domain::period::
//!   whole_financial_years`]); for a quarter or a range of months they are withheld;
//! * a unit with 1 to `minimum − 1` measurable people is left out of every police-derived
//!   figure (its members are dropped before any figure is computed), and the report lists
//!   it ([`LeftOutUnit`]);
//! * in each unit kept, a subgroup (engaged, completed) is shown only when its measurable
//!   people and the rest of the unit's are each zero or at least the minimum, and a
//!   breakdown row only when it and the rest of its dimension are; a row left out takes
//!   further rows of the same unit with it ([`rows_to_hide`]) until what is left out adds up
//!   to zero or at least the minimum and is more than one row. A subgroup or row that fails
//!   in any unit a report includes is withheld from that report as a whole.
//!
//! For the aggregate roles (commissioner, analyst) the same rules hold with the disclosure
//! threshold as the minimum for the breakdowns' referral, engaged and completed cells and
//! for outcome-measure figures, and those figures are shown for whole financial years only.
//! A withheld figure is the string `"[m]"` in JSON. See `docs/security.md` for the argument
//! that every figure shown, and every difference of two reports, is a sum over pieces of
//! at least the minimum.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::breakdowns::{breakdowns, Breakdowns};
use super::outcomes::{measure_outcomes, MeasureOutcome};
use super::reoffending::{EvaluatedMember, MemberStatus};
use super::rows::{MeasureRow, OutcomeRow, ReferralRow};
use super::DateRange;
use crate::domain::period::FinancialYear;

/// What JSON shows in place of a withheld figure.
pub const WITHHELD_SYMBOL: &str = "[m]";

/// The default `--minimum-cohort`.
pub const DEFAULT_MINIMUM_COHORT: u64 = 10;

/// Why a figure is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// It describes, or would give away, fewer than this many people.
    Below(u64),
    /// It is reported for whole financial years only and the period is not.
    WholeYearsOnly,
}

impl Withheld {
    /// What pages and files show in place of the figure.
    pub fn text(self) -> String {
        match self {
            Withheld::Below(n) => format!("fewer than {n} people: not reported"),
            Withheld::WholeYearsOnly => "whole financial years only: not reported".to_string(),
        }
    }
}

/// A unit: one programme's cohort (or referrals) in one financial year.
pub type UnitKey = (i64, FinancialYear);

/// The unit of a referral: its programme and the financial year it was referred in.
pub fn unit_of(r: &ReferralRow) -> UnitKey {
    (r.programme_id, FinancialYear::containing(r.referred_on))
}

/// A unit left out of the police-derived figures, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOutUnit {
    pub programme_id: i64,
    pub programme: String,
    pub financial_year: String,
    pub reason: String,
}

/// The disclosure section of a report: the minimum applied and what was left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitsSection {
    /// Police-derived figures are built from units with at least this many measurable people.
    pub minimum_cohort: u64,
    /// For the aggregate roles: the minimum of breakdown cells and outcome-measure figures.
    pub aggregate_minimum: Option<u64>,
    /// Whether the period is one financial year or a run of them (police-derived figures
    /// are reported only then).
    pub whole_financial_years: bool,
    /// What the reader should know about withheld figures.
    pub notes: Vec<String>,
    /// Units left out of every police-derived figure of this report.
    pub left_out: Vec<LeftOutUnit>,
}

/// Whether a piece of a unit may be shown: it and the rest of the unit are each zero or
/// at least `minimum`.
pub fn piece_ok(part: u64, total: u64, minimum: u64) -> bool {
    let rest = total.saturating_sub(part);
    (part == 0 || part >= minimum) && (rest == 0 || rest >= minimum)
}

/// Which rows of one dimension of one unit to hide: each row whose count or the rest of
/// the unit's is 1 to `minimum − 1`; then, while what is hidden is a single non-zero row
/// or adds up to 1 to `minimum − 1` (so the total would give it away), the smallest row
/// still shown (the first in the dimension's order among equals) goes too. Depends only
/// on the unit's own counts, so every report that includes the unit hides the same rows.
pub fn rows_to_hide(counts: &[u64], minimum: u64) -> Vec<bool> {
    let total: u64 = counts.iter().sum();
    let mut hide: Vec<bool> = counts
        .iter()
        .map(|&c| c > 0 && !piece_ok(c, total, minimum))
        .collect();
    loop {
        let hidden: Vec<u64> = counts
            .iter()
            .zip(&hide)
            .filter(|(&c, &h)| h && c > 0)
            .map(|(&c, _)| c)
            .collect();
        let sum: u64 = hidden.iter().sum();
        let gives_away = !hidden.is_empty() && (hidden.len() == 1 || sum < minimum);
        if !gives_away {
            break;
        }
        let next = counts
            .iter()
            .enumerate()
            .filter(|(i, &c)| !hide[*i] && c > 0)
            .min_by_key(|(i, &c)| (c, *i))
            .map(|(i, _)| i);
        match next {
            Some(i) => hide[i] = true,
            None => break,
        }
    }
    hide
}

/// The measurable people of a set of members.
fn measurable(members: &[&EvaluatedMember<'_>]) -> u64 {
    members
        .iter()
        .filter(|m| matches!(m.status, MemberStatus::Measurable(_)))
        .count() as u64
}

/// The outcome of screening a cohort.
#[derive(Debug, Default)]
pub struct Screened<'a> {
    /// The members of the units kept.
    pub kept: Vec<EvaluatedMember<'a>>,
    /// Units with 1 to minimum − 1 measurable people, in programme and year order.
    pub left_out: Vec<UnitKey>,
    /// Whether any unit was kept with a measurable person, or left out.
    pub any_measurable: bool,
    /// Subgroups (`engaged`, `completed`) that fail the rule in some unit kept.
    pub hidden_groups: Vec<&'static str>,
    /// Breakdown rows whose police-derived columns are withheld: (dimension, category).
    pub hidden_rows: BTreeSet<(&'static str, String)>,
}

/// Splits the evaluated cohort of whole financial years into units and applies the rules.
pub fn screen<'a>(
    period: DateRange,
    members: Vec<EvaluatedMember<'a>>,
    minimum: u64,
) -> Screened<'a> {
    let mut units: BTreeMap<UnitKey, Vec<&EvaluatedMember<'a>>> = BTreeMap::new();
    for m in &members {
        units.entry(unit_of(m.member.referral)).or_default().push(m);
    }
    let mut out = Screened::default();
    let mut kept_units = BTreeSet::new();
    for (key, unit) in &units {
        let n = measurable(unit);
        out.any_measurable |= n > 0;
        if n > 0 && n < minimum {
            out.left_out.push(*key);
        } else {
            kept_units.insert(*key);
        }
    }
    let mut hidden_groups = BTreeSet::new();
    for key in &kept_units {
        let unit = &units[key];
        let total = measurable(unit);
        let engaged: Vec<_> = unit.iter().copied().filter(|m| m.member.engaged).collect();
        let completed: Vec<_> = unit
            .iter()
            .copied()
            .filter(|m| m.member.completed)
            .collect();
        if !piece_ok(measurable(&engaged), total, minimum) {
            hidden_groups.insert("engaged");
        }
        if !piece_ok(measurable(&completed), total, minimum) {
            hidden_groups.insert("completed");
        }
        let unit_members: Vec<EvaluatedMember<'_>> = unit
            .iter()
            .filter(|m| matches!(m.status, MemberStatus::Measurable(_)))
            .map(|m| **m)
            .collect();
        let b = breakdowns(period, &[], &unit_members);
        for (dimension, rows) in dimensions(&b) {
            let counts: Vec<u64> = rows.iter().map(|r| r.1).collect();
            for (hide, (category, _)) in rows_to_hide(&counts, minimum).into_iter().zip(rows) {
                if hide {
                    out.hidden_rows.insert((dimension, category));
                }
            }
        }
    }
    out.hidden_groups = ["engaged", "completed"]
        .into_iter()
        .filter(|g| hidden_groups.contains(g))
        .collect();
    out.kept = members
        .into_iter()
        .filter(|m| kept_units.contains(&unit_of(m.member.referral)))
        .collect();
    out
}

/// Each dimension's (category, measurable) rows.
fn dimensions(b: &Breakdowns) -> Vec<(&'static str, Vec<(String, u64)>)> {
    let rows = |r: &[super::breakdowns::BreakdownRow]| {
        r.iter()
            .map(|x| (x.category.clone(), x.measurable))
            .collect::<Vec<_>>()
    };
    vec![
        ("age_band", rows(&b.age_band)),
        ("gender", rows(&b.gender)),
        ("ethnicity", rows(&b.ethnicity)),
        ("district", rows(&b.district)),
        ("source", rows(&b.source)),
    ]
}

/// The breakdown cells (dimension, category, column) of referrals, engaged and completed
/// that the aggregate roles may not see: rows_to_hide per unit of referrals and column,
/// with `minimum` the disclosure threshold.
pub fn aggregate_breakdown_cells(
    period: DateRange,
    referrals: &[ReferralRow],
    minimum: u64,
) -> BTreeSet<(&'static str, String, &'static str)> {
    let mut units: BTreeMap<UnitKey, Vec<ReferralRow>> = BTreeMap::new();
    for r in referrals.iter().filter(|r| period.contains(r.referred_on)) {
        units.entry(unit_of(r)).or_default().push(r.clone());
    }
    let mut hidden = BTreeSet::new();
    for unit in units.values() {
        let b = breakdowns(period, unit, &[]);
        let all = [
            ("age_band", &b.age_band),
            ("gender", &b.gender),
            ("ethnicity", &b.ethnicity),
            ("district", &b.district),
            ("source", &b.source),
        ];
        for (dimension, rows) in all {
            type Column = fn(&super::breakdowns::BreakdownRow) -> u64;
            let columns: [(&'static str, Column); 3] = [
                ("referrals", |r| r.referrals),
                ("engaged", |r| r.engaged),
                ("completed", |r| r.completed),
            ];
            for (column, value) in columns {
                let counts: Vec<u64> = rows.iter().map(value).collect();
                for (hide, row) in rows_to_hide(&counts, minimum).into_iter().zip(rows) {
                    if hide {
                        hidden.insert((dimension, row.category.clone(), column));
                    }
                }
            }
        }
    }
    hidden
}

/// For the aggregate roles: which outcome measures (by id) to withhold entirely (some
/// unit has 1 to `minimum − 1` pairs), and which only their improved / unchanged /
/// worsened shares (some unit has 1 to `minimum − 1` people in one of them).
pub fn aggregate_outcomes(
    period: DateRange,
    referrals: &[ReferralRow],
    measures: &[MeasureRow],
    records: &[OutcomeRow],
    minimum: u64,
) -> (BTreeSet<i64>, BTreeSet<i64>) {
    let mut units: BTreeMap<UnitKey, Vec<ReferralRow>> = BTreeMap::new();
    for r in referrals.iter().filter(|r| period.contains(r.referred_on)) {
        units.entry(unit_of(r)).or_default().push(r.clone());
    }
    let small = |n: u64| n > 0 && n < minimum;
    let (mut whole, mut shares) = (BTreeSet::new(), BTreeSet::new());
    for unit in units.values() {
        for m in measure_outcomes(period, unit, measures, records) {
            if small(m.pairs) {
                whole.insert(m.measure_id);
            }
            if [m.improved, m.unchanged, m.worsened]
                .into_iter()
                .any(|s| small(people(s, &m)))
            {
                shares.insert(m.measure_id);
            }
        }
    }
    (whole, shares)
}

/// The number of pairs a share stands for.
fn people(share: Option<f64>, m: &MeasureOutcome) -> u64 {
    share.map_or(0, |s| (s * m.pairs as f64).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_piece_and_its_rest_are_each_zero_or_at_least_the_minimum() {
        assert!(piece_ok(0, 12, 10));
        assert!(piece_ok(12, 12, 10));
        assert!(piece_ok(10, 20, 10));
        assert!(!piece_ok(3, 12, 10)); // 3 engaged
        assert!(!piece_ok(9, 12, 10)); // 3 not engaged
        assert!(!piece_ok(10, 15, 10)); // 5 not engaged
    }

    #[test]
    fn a_row_left_out_takes_the_smallest_shown_row_with_it() {
        // Worked by hand: total 22; 2 is below 10, so it goes; 10 and 10 each leave 12,
        // so they could stay, but then 22 − 10 − 10 = 2 gives the first away: the
        // smallest shown row (the first of the two 10s) goes with it, 12 left out.
        assert_eq!(rows_to_hide(&[2, 10, 10], 10), [true, true, false]);
        // 12 = 10 + 2: 10 leaves 2, so both go; nothing is left to show.
        assert_eq!(rows_to_hide(&[10, 2], 10), [true, true]);
        // All rows large: nothing hidden; a zero row is never hidden.
        assert_eq!(rows_to_hide(&[10, 0, 15], 10), [false, false, false]);
        // One row holds the unit: shown.
        assert_eq!(rows_to_hide(&[0, 14], 10), [false, false]);
        // Two small rows adding up to 11 (>= 10): no third row is needed.
        assert_eq!(
            rows_to_hide(&[5, 6, 20, 30], 10),
            [true, true, false, false]
        );
        // Two small rows adding up to 4: the smallest shown row (20) goes too.
        assert_eq!(rows_to_hide(&[1, 3, 20, 30], 10), [true, true, true, false]);
    }

    #[test]
    fn every_hidden_set_is_empty_or_at_least_the_minimum_and_never_one_row() {
        // Exhaustive over small tables: what the total gives away (the hidden sum) is
        // never 1 to minimum − 1, and never a single non-zero row.
        let minimum = 3;
        for a in 0..8u64 {
            for b in 0..8u64 {
                for c in 0..8u64 {
                    let counts = [a, b, c];
                    if (1..minimum).contains(&(a + b + c)) {
                        continue; // a unit this small is left out whole
                    }
                    let hide = rows_to_hide(&counts, minimum);
                    let hidden: Vec<u64> = counts
                        .iter()
                        .zip(&hide)
                        .filter(|(&n, &h)| h && n > 0)
                        .map(|(&n, _)| n)
                        .collect();
                    let sum: u64 = hidden.iter().sum();
                    assert!(
                        hidden.is_empty() || (hidden.len() >= 2 && sum >= minimum),
                        "{counts:?} -> {hide:?}"
                    );
                    for (n, h) in counts.iter().zip(&hide) {
                        if !h {
                            assert!(piece_ok(*n, a + b + c, minimum), "{counts:?} -> {hide:?}");
                        }
                    }
                }
            }
        }
    }
}
