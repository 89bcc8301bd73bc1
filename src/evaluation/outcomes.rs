//! Outcome measures (DESIGN.md section 4.3): paired baseline/exit scores of registered
//! participants, and anonymous group surveys before and after.
//!
//! A referral contributes a pair to a measure when it has both a baseline and an exit
//! record of it: the earliest baseline and the latest exit by `recorded_on`, ties broken by
//! the record id (lowest baseline, highest exit) so the choice never depends on row
//! order. See `docs/methodology.md#outcome-measures`.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::rows::{GroupSurveyRow, MeasureRow, OutcomeRow, ReferralRow};
use super::stats::{mean, paired_t, ratio, wilcoxon_signed_rank, Interval};
use super::DateRange;
use crate::domain::enums::Timepoint;

/// The paired results of one measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureOutcome {
    pub measure_id: i64,
    pub measure: String,
    pub higher_is_better: bool,
    pub pairs: u64,
    pub mean_baseline: Option<f64>,
    pub mean_exit: Option<f64>,
    /// Mean of exit − baseline.
    pub mean_change: Option<f64>,
    pub mean_change_ci: Option<Interval>,
    /// Shares of pairs that moved in the better direction, did not move, moved worse.
    pub improved: Option<f64>,
    pub unchanged: Option<f64>,
    pub worsened: Option<f64>,
    pub p_value: Option<f64>,
    pub wilcoxon_p_value: Option<f64>,
}

/// One pair: the chosen baseline and exit values of a referral.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pair {
    baseline: f64,
    exit: f64,
}

/// Paired results for every measure, in measure name order (measures without pairs are
/// listed with `pairs = 0`).
/// Definition: `docs/methodology.md#outcome-measures`.
pub fn measure_outcomes(
    period: DateRange,
    referrals: &[ReferralRow],
    measures: &[MeasureRow],
    records: &[OutcomeRow],
) -> Vec<MeasureOutcome> {
    let in_period: HashSet<i64> = referrals
        .iter()
        .filter(|r| period.contains(r.referred_on))
        .map(|r| r.referral_id)
        .collect();
    let mut sorted: Vec<&MeasureRow> = measures.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    sorted
        .into_iter()
        .map(|m| {
            let relevant = records
                .iter()
                .filter(|r| r.measure_id == m.id && in_period.contains(&r.referral_id));
            summarise_measure(m, &pairs_of(relevant))
        })
        .collect()
}

/// The earliest baseline and latest exit per referral, for one measure's records.
fn pairs_of<'a>(records: impl Iterator<Item = &'a OutcomeRow>) -> Vec<Pair> {
    // referral -> (earliest baseline, latest exit), keyed for a deterministic order.
    let mut chosen: BTreeMap<i64, (Option<&OutcomeRow>, Option<&OutcomeRow>)> = BTreeMap::new();
    for r in records {
        let entry = chosen.entry(r.referral_id).or_default();
        let rank = |x: &OutcomeRow| (x.recorded_on, x.outcome_id);
        match r.timepoint {
            Timepoint::Baseline => {
                if entry.0.is_none_or(|b| rank(r) < rank(b)) {
                    entry.0 = Some(r);
                }
            }
            Timepoint::Exit => {
                if entry.1.is_none_or(|e| rank(r) > rank(e)) {
                    entry.1 = Some(r);
                }
            }
            Timepoint::Review | Timepoint::FollowUp => {}
        }
    }
    chosen
        .values()
        .filter_map(|(b, e)| {
            Some(Pair {
                baseline: (*b)?.value,
                exit: (*e)?.value,
            })
        })
        .collect()
}

fn summarise_measure(measure: &MeasureRow, pairs: &[Pair]) -> MeasureOutcome {
    let n = pairs.len() as f64;
    let changes: Vec<f64> = pairs.iter().map(|p| p.exit - p.baseline).collect();
    let better = |c: f64| {
        if measure.higher_is_better {
            c > 0.0
        } else {
            c < 0.0
        }
    };
    let worse = |c: f64| {
        if measure.higher_is_better {
            c < 0.0
        } else {
            c > 0.0
        }
    };
    let share =
        |f: &dyn Fn(f64) -> bool| ratio(changes.iter().filter(|c| f(**c)).count() as f64, n);
    let t = paired_t(&changes);
    MeasureOutcome {
        measure_id: measure.id,
        measure: measure.name.clone(),
        higher_is_better: measure.higher_is_better,
        pairs: pairs.len() as u64,
        mean_baseline: mean(&pairs.iter().map(|p| p.baseline).collect::<Vec<_>>()),
        mean_exit: mean(&pairs.iter().map(|p| p.exit).collect::<Vec<_>>()),
        mean_change: t.map(|t| t.mean_difference),
        mean_change_ci: t.and_then(|t| t.ci),
        improved: share(&better),
        unchanged: share(&|c: f64| c == 0.0),
        worsened: share(&worse),
        p_value: t.and_then(|t| t.p_value),
        wilcoxon_p_value: wilcoxon_signed_rank(&changes),
    }
}

/// The default "positive" answer on a 1–5 scale: 4 (agree) or better.
pub const DEFAULT_POSITIVE_THRESHOLD: f64 = 4.0;

/// One measure's anonymous survey results before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSurveyOutcome {
    pub measure_id: i64,
    pub measure: String,
    /// The scale value at or beyond which an answer counts as positive (in the measure's
    /// better direction).
    pub positive_threshold: f64,
    pub respondents_baseline: u64,
    pub respondents_exit: u64,
    pub mean_baseline: Option<f64>,
    pub mean_exit: Option<f64>,
    pub positive_share_baseline: Option<f64>,
    pub positive_share_exit: Option<f64>,
    /// Exit share − baseline share, in percentage points (12.5 = 12.5 points).
    pub change_pp: Option<f64>,
    /// (exit share − baseline share) / baseline share, as a fraction.
    pub relative_change: Option<f64>,
}

/// Answers at one timepoint, added over all survey rows.
#[derive(Debug, Clone, Default)]
struct Answers {
    respondents: u64,
    answered: u64,
    sum: f64,
    positive: u64,
}

/// Group survey results per measure that has any survey rows, in measure name order.
/// `positive_threshold` is on the scale as entered for higher-is-better measures; for a
/// lower-is-better measure it is mirrored (`min + max − threshold`, at or below).
/// Definition: `docs/methodology.md#group-surveys`.
pub fn group_surveys(
    measures: &[MeasureRow],
    surveys: &[GroupSurveyRow],
    positive_threshold: f64,
) -> Vec<GroupSurveyOutcome> {
    let mut sorted: Vec<&MeasureRow> = measures
        .iter()
        .filter(|m| surveys.iter().any(|s| s.measure_id == m.id))
        .collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    sorted
        .into_iter()
        .map(|m| {
            let is_positive = |v: f64| {
                if m.higher_is_better {
                    v >= positive_threshold
                } else {
                    v <= m.min + m.max - positive_threshold
                }
            };
            let tally = |tp: Timepoint| {
                let mut a = Answers::default();
                for s in surveys
                    .iter()
                    .filter(|s| s.measure_id == m.id && s.timepoint == tp)
                {
                    a.respondents += s.respondents.max(0) as u64;
                    for &(value, count) in &s.counts {
                        let count = count.max(0) as u64;
                        a.answered += count;
                        a.sum += value as f64 * count as f64;
                        if is_positive(value as f64) {
                            a.positive += count;
                        }
                    }
                }
                a
            };
            survey_outcome(
                m,
                positive_threshold,
                &tally(Timepoint::Baseline),
                &tally(Timepoint::Exit),
            )
        })
        .collect()
}

fn survey_outcome(
    m: &MeasureRow,
    positive_threshold: f64,
    before: &Answers,
    after: &Answers,
) -> GroupSurveyOutcome {
    let share = |a: &Answers| ratio(a.positive as f64, a.answered as f64);
    let (share_before, share_after) = (share(before), share(after));
    let change = share_before.zip(share_after).map(|(b, a)| a - b);
    GroupSurveyOutcome {
        measure_id: m.id,
        measure: m.name.clone(),
        positive_threshold,
        respondents_baseline: before.respondents,
        respondents_exit: after.respondents,
        mean_baseline: ratio(before.sum, before.answered as f64),
        mean_exit: ratio(after.sum, after.answered as f64),
        positive_share_baseline: share_before,
        positive_share_exit: share_after,
        change_pp: change.map(|c| c * 100.0),
        relative_change: change.zip(share_before).and_then(|(c, b)| ratio(c, b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::engagement::tests::{d, referral};

    fn record(id: i64, referral: i64, tp: Timepoint, on: &str, value: f64) -> OutcomeRow {
        OutcomeRow {
            outcome_id: id,
            referral_id: referral,
            measure_id: 7,
            timepoint: tp,
            recorded_on: d(on),
            value,
        }
    }

    fn measure(higher_is_better: bool) -> MeasureRow {
        MeasureRow {
            id: 7,
            name: "Feels safe in the community".into(),
            min: 1.0,
            max: 5.0,
            higher_is_better,
        }
    }

    fn year() -> DateRange {
        DateRange::new(d("2025-04-01"), d("2026-03-31")).unwrap()
    }

    #[test]
    fn the_earliest_baseline_and_the_latest_exit_are_paired() {
        use Timepoint::*;
        let referrals = [
            referral(1, 1, "2025-05-01"),
            referral(2, 2, "2025-05-01"),
            referral(3, 3, "2025-05-01"),
            referral(4, 4, "2025-03-01"), // before the period: ignored
        ];
        let records = [
            // Referral 1: baselines 3 (10 May) and 1 (1 May) → 1; exits 4 (1 Jul), 5 (1 Aug),
            // review 5 ignored → exit 5. Change +4.
            record(1, 1, Baseline, "2025-05-10", 3.0),
            record(2, 1, Baseline, "2025-05-01", 1.0),
            record(3, 1, Exit, "2025-07-01", 4.0),
            record(4, 1, Exit, "2025-08-01", 5.0),
            record(5, 1, Review, "2025-09-01", 2.0),
            // Referral 2: two baselines on the same day → lowest id (6: value 2);
            // two exits on the same day → highest id (9: value 2). Change 0.
            record(6, 2, Baseline, "2025-05-02", 2.0),
            record(7, 2, Baseline, "2025-05-02", 4.0),
            record(8, 2, Exit, "2025-06-02", 5.0),
            record(9, 2, Exit, "2025-06-02", 2.0),
            // Referral 3: baseline 4, exit 3. Change −1.
            record(10, 3, Baseline, "2025-05-03", 4.0),
            record(11, 3, Exit, "2025-06-03", 3.0),
            // Referral 4: out of period.
            record(12, 4, Baseline, "2025-03-03", 1.0),
            record(13, 4, Exit, "2025-06-03", 5.0),
        ];
        let out = measure_outcomes(year(), &referrals, &[measure(true)], &records);
        let m = &out[0];
        assert_eq!(m.pairs, 3);
        // Baselines 1, 2, 4 → 7/3; exits 5, 2, 3 → 10/3; changes +4, 0, −1 → 1.
        assert!((m.mean_baseline.unwrap() - 7.0 / 3.0).abs() < 1e-12);
        assert!((m.mean_exit.unwrap() - 10.0 / 3.0).abs() < 1e-12);
        assert!((m.mean_change.unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(m.improved, Some(1.0 / 3.0));
        assert_eq!(m.unchanged, Some(1.0 / 3.0));
        assert_eq!(m.worsened, Some(1.0 / 3.0));
        // scipy.stats.ttest_rel([5,2,3],[1,2,4]).pvalue = 0.5799159747915971
        assert!((m.p_value.unwrap() - 0.5799159747915971).abs() < 1e-9);
        // scipy.stats.wilcoxon([5,2,3],[1,2,4]).pvalue = 1.0 (zero dropped; n=3 with a
        // zero → exhaustive permutation over the two non-zero differences)
        assert_eq!(m.wilcoxon_p_value, Some(1.0));
    }

    #[test]
    fn improvement_follows_the_measure_direction() {
        use Timepoint::*;
        let referrals = [referral(1, 1, "2025-05-01")];
        let records = [
            record(1, 1, Baseline, "2025-05-01", 4.0),
            record(2, 1, Exit, "2025-06-01", 2.0),
        ];
        let lower_better = measure(false);
        let out = measure_outcomes(year(), &referrals, &[lower_better], &records);
        assert_eq!(out[0].improved, Some(1.0));
        assert_eq!(out[0].worsened, Some(0.0));
        // One pair: no interval and no p-value.
        assert_eq!((out[0].mean_change_ci, out[0].p_value), (None, None));
    }

    #[test]
    fn a_referral_without_an_exit_gives_no_pair() {
        let referrals = [referral(1, 1, "2025-05-01")];
        let records = [record(1, 1, Timepoint::Baseline, "2025-05-01", 4.0)];
        let out = measure_outcomes(year(), &referrals, &[measure(true)], &records);
        assert_eq!(out[0].pairs, 0);
        assert_eq!(out[0].mean_change, None);
        assert_eq!(out[0].improved, None);
    }

    #[test]
    fn group_surveys_add_up_sessions_and_count_positive_answers() {
        let rows = [
            GroupSurveyRow {
                measure_id: 7,
                timepoint: Timepoint::Baseline,
                respondents: 20,
                counts: vec![(1, 4), (2, 6), (3, 5), (4, 3), (5, 2)],
            },
            GroupSurveyRow {
                measure_id: 7,
                timepoint: Timepoint::Exit,
                respondents: 12,
                counts: vec![(2, 2), (3, 3), (4, 4), (5, 3)],
            },
            GroupSurveyRow {
                measure_id: 7,
                timepoint: Timepoint::Exit,
                respondents: 8,
                counts: vec![(3, 2), (4, 4), (5, 2)],
            },
        ];
        let out = group_surveys(&[measure(true)], &rows, 4.0);
        let s = &out[0];
        assert_eq!((s.respondents_baseline, s.respondents_exit), (20, 20));
        // Baseline: (4 + 12 + 15 + 12 + 10) / 20 = 53 / 20 = 2.65; positive 3 + 2 = 5 → 0.25.
        assert_eq!(s.mean_baseline, Some(2.65));
        assert_eq!(s.positive_share_baseline, Some(0.25));
        // Exit: 2·2 + 3·5 + 4·8 + 5·5 = 4 + 15 + 32 + 25 = 76 / 20 = 3.8; positive 8 + 5 = 13 → 0.65.
        assert_eq!(s.mean_exit, Some(3.8));
        assert_eq!(s.positive_share_exit, Some(0.65));
        // +40 points; relative 0.40 / 0.25 = 1.6.
        assert!((s.change_pp.unwrap() - 40.0).abs() < 1e-9);
        assert!((s.relative_change.unwrap() - 1.6).abs() < 1e-12);

        // The same answers on a lower-is-better measure: positive = at or below 1 + 5 − 4 = 2.
        let out = group_surveys(&[measure(false)], &rows, 4.0);
        assert_eq!(out[0].positive_share_baseline, Some(0.5)); // (4 + 6) / 20
        assert_eq!(out[0].positive_share_exit, Some(0.1)); // 2 / 20
    }
}
