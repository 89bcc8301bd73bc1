//! The matched comparison built from the police extract (issue "Compared with what?"):
//! exact matching of the report's measurable cohort with people in the extract who were
//! never referred, on age band, gender, prior proven offences and the financial year of
//! the index date, the comparison weighted to the treated mix of strata.
//!
//! Everything here is arithmetic over [`Subject`]s; who the subjects are (their index
//! dates, priors and reoffending) is worked out by [`treated_subject`] and
//! [`pool_subject`] with the same follow-up rules as the cohort. The definition, its
//! decisions and its limits: `docs/methodology.md#matched-comparison`.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::reoffending::{
    evaluate_member, statement, verdict, Comparison, ComparisonMethod, ComparisonVerdict,
    MemberStatus, OffenceLookup, ReoffendingParams, MIN_COMPARISON_MEASURABLE,
};
use super::stats::{ratio, wilson, Z_95};
use crate::domain::calendar::add_months;
use crate::domain::enums::Gender;
use crate::domain::period::FinancialYear;

/// The normal quantile of the matched comparison's intervals, as the definition writes it.
pub const Z_MATCHED: f64 = 1.959964;
/// Prior proven offences are counted over this many months before the index date.
pub const PRIOR_MONTHS: i32 = 24;

/// A matching variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Variable {
    AgeBand,
    Gender,
    PriorProvenOffences,
    FinancialYear,
}

impl Variable {
    pub const ALL: [Variable; 4] = [
        Variable::AgeBand,
        Variable::Gender,
        Variable::PriorProvenOffences,
        Variable::FinancialYear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Variable::AgeBand => "age_band",
            Variable::Gender => "gender",
            Variable::PriorProvenOffences => "prior_proven_offences",
            Variable::FinancialYear => "financial_year",
        }
    }

    /// What the variable is called in a report.
    pub fn label(self) -> &'static str {
        match self {
            Variable::AgeBand => "Age at the index date",
            Variable::Gender => "Gender",
            Variable::PriorProvenOffences => "Proven offences in the 24 months before",
            Variable::FinancialYear => "Financial year of the index date",
        }
    }
}

/// Age bands, from the age in whole years at the index date.
pub const AGE_BANDS: [&str; 6] = ["10-13", "14-15", "16-17", "18-24", "25+", "unknown"];
/// Gender categories (`not_known` and a missing value are both `unknown`).
pub const GENDERS: [&str; 4] = ["female", "male", "other", "unknown"];
/// Bands of prior proven offences.
pub const PRIOR_BANDS: [&str; 5] = ["0", "1", "2-3", "4-6", "7+"];

/// One person's values of the four variables, and whether they reoffended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub age_band: &'static str,
    pub gender: &'static str,
    pub prior_band: &'static str,
    /// Like `2024-25`.
    pub financial_year: String,
    /// Has a proven reoffence in follow-up (the cohort's definition).
    pub reoffended: bool,
}

impl Subject {
    fn value(&self, variable: Variable) -> &str {
        match variable {
            Variable::AgeBand => self.age_band,
            Variable::Gender => self.gender,
            Variable::PriorProvenOffences => self.prior_band,
            Variable::FinancialYear => &self.financial_year,
        }
    }

    fn stratum(&self, variables: &[Variable]) -> Vec<&str> {
        variables.iter().map(|v| self.value(*v)).collect()
    }
}

/// The age band of someone born on `born` at `on` (whole years; 10-13 takes younger ages
/// too).
pub fn age_band(born: Option<NaiveDate>, on: NaiveDate) -> &'static str {
    let Some(born) = born else { return "unknown" };
    let mut age = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    match age {
        ..=13 => "10-13",
        14..=15 => "14-15",
        16..=17 => "16-17",
        18..=24 => "18-24",
        _ => "25+",
    }
}

/// The gender category of a recorded gender.
pub fn gender_category(gender: Option<Gender>) -> &'static str {
    match gender {
        Some(Gender::Female) => "female",
        Some(Gender::Male) => "male",
        Some(Gender::Other) => "other",
        Some(Gender::NotKnown) | None => "unknown",
    }
}

/// The band of a count of prior proven offences.
pub fn prior_band(count: usize) -> &'static str {
    match count {
        0 => "0",
        1 => "1",
        2..=3 => "2-3",
        4..=6 => "4-6",
        _ => "7+",
    }
}

/// Offences of `key` dated in `[index − 24 months, index)` that were proven on or before
/// the index date.
pub fn prior_proven_offences(key: &str, index: NaiveDate, offences: &impl OffenceLookup) -> usize {
    let from = add_months(index, -PRIOR_MONTHS);
    offences
        .offences_of(key)
        .iter()
        .filter(|o| from <= o.offence_date && o.offence_date < index)
        .filter(|o| o.proven_on.is_some_and(|p| p <= index))
        .count()
}

/// A measurable member of the treatment cohort as a subject.
pub fn treated_subject(
    key: &str,
    index: NaiveDate,
    date_of_birth: Option<NaiveDate>,
    gender: Option<Gender>,
    reoffended: bool,
    offences: &impl OffenceLookup,
) -> Subject {
    Subject {
        age_band: age_band(date_of_birth, index),
        gender: gender_category(gender),
        prior_band: prior_band(prior_proven_offences(key, index, offences)),
        financial_year: FinancialYear::containing(index).to_string(),
        reoffended,
    }
}

/// What the extract says about one person of the pool.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PoolPerson {
    pub person_key: String,
    /// The 1st of the month of birth.
    pub birth_month: Option<NaiveDate>,
    pub gender: Option<Gender>,
}

/// A person of the pool as a subject: the index date is their earliest offence (proven or
/// not) dated in the period; `None` when they have none there or would not be measurable.
pub fn pool_subject(
    person: &PoolPerson,
    period: super::DateRange,
    params: &ReoffendingParams,
    offences: &impl OffenceLookup,
) -> Option<Subject> {
    let index = offences
        .offences_of(&person.person_key)
        .iter()
        .map(|o| o.offence_date)
        .filter(|d| period.contains(*d))
        .min()?;
    let status = evaluate_member(
        Some(&person.person_key),
        index,
        Some(index),
        params,
        offences,
        None,
    );
    let MemberStatus::Measurable(outcome) = status else {
        return None;
    };
    Some(Subject {
        age_band: age_band(person.birth_month, index),
        gender: gender_category(person.gender),
        prior_band: prior_band(prior_proven_offences(&person.person_key, index, offences)),
        financial_year: FinancialYear::containing(index).to_string(),
        reoffended: outcome.days_to_first_reoffence.is_some(),
    })
}

/// One row of the balance table: a category of a variable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalanceRow {
    pub variable: Variable,
    pub category: String,
    /// Share among all measurable treated (matched or not).
    pub treated_share: f64,
    /// Share among the whole pool.
    pub pool_share: f64,
    /// Weighted share among the comparison (pool members of matched strata).
    pub comparison_share: Option<f64>,
    /// Standardised difference, treated against the whole pool.
    pub standardised_difference_before: Option<f64>,
    /// Standardised difference, treated against the weighted comparison.
    pub standardised_difference_after: Option<f64>,
}

/// How the matched comparison was built.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matching {
    /// Measurable treated in a stratum with nobody from the pool.
    pub treated_unmatched: u64,
    /// Measurable people in the pool.
    pub pool_size: u64,
    /// Pool members in matched strata.
    pub pool_used: u64,
    /// (Σw)² / Σw².
    pub effective_comparison_size: Option<f64>,
    /// The variables matched on.
    pub variables: Vec<Variable>,
    /// Variables left out because the extract does not carry them, with why.
    pub variables_left_out: Vec<Variable>,
    pub strata_matched: u64,
    pub balance: Vec<BalanceRow>,
}

#[derive(Default)]
struct Stratum {
    treated: u64,
    treated_reoffenders: u64,
    pool: u64,
    pool_reoffenders: u64,
}

/// Standardised difference of two shares: `(a − b) / √((a(1−a) + b(1−b)) / 2)`; 0 when
/// both are equal, `None` when the spread is 0 and they differ.
pub fn standardised_difference(a: f64, b: f64) -> Option<f64> {
    let spread = ((a * (1.0 - a) + b * (1.0 - b)) / 2.0).sqrt();
    if a == b {
        Some(0.0)
    } else if spread > 0.0 {
        Some((a - b) / spread)
    } else {
        None
    }
}

/// The matched comparison of `treated` (the measurable treatment cohort) with `pool`,
/// exactly matched on `variables`.
pub fn matched_comparison(
    treated: &[Subject],
    pool: &[Subject],
    variables: &[Variable],
    variables_left_out: &[Variable],
    label: &str,
) -> Comparison {
    let mut strata: BTreeMap<Vec<&str>, Stratum> = BTreeMap::new();
    for s in treated {
        let st = strata.entry(s.stratum(variables)).or_default();
        st.treated += 1;
        st.treated_reoffenders += u64::from(s.reoffended);
    }
    for s in pool {
        let st = strata.entry(s.stratum(variables)).or_default();
        st.pool += 1;
        st.pool_reoffenders += u64::from(s.reoffended);
    }
    let matched = || strata.values().filter(|s| s.treated > 0 && s.pool > 0);
    let n_t: u64 = matched().map(|s| s.treated).sum();
    let k_t: u64 = matched().map(|s| s.treated_reoffenders).sum();
    let pool_used: u64 = matched().map(|s| s.pool).sum();
    let pool_reoffenders: u64 = matched().map(|s| s.pool_reoffenders).sum();
    let nt = n_t as f64;
    let p_t = ratio(k_t as f64, nt);
    // Σ w·y / Σ w with w = t/c: Σ t·r / Σ t.
    let p_c = ratio(
        matched()
            .map(|s| s.treated as f64 * s.pool_reoffenders as f64 / s.pool as f64)
            .sum::<f64>()
            + 0.0,
        nt,
    );
    let comparison_variance: f64 = matched()
        .map(|s| {
            let r = s.pool_reoffenders as f64 / s.pool as f64;
            (s.treated as f64 / nt).powi(2) * r * (1.0 - r) / s.pool as f64
        })
        .sum::<f64>()
        + 0.0;
    let difference = p_t.zip(p_c).map(|(a, b)| a - b);
    let se = p_t.map(|p| (p * (1.0 - p) / nt + comparison_variance).sqrt());
    let (difference_ci, z) = match (difference, se) {
        (Some(d), Some(se)) if se > 0.0 => {
            (Some([d - Z_MATCHED * se, d + Z_MATCHED * se]), Some(d / se))
        }
        (Some(d), Some(_)) => (Some([d, d]), None),
        _ => (None, None),
    };
    let p_value =
        z.map(|z| 2.0 * 0.5 * statrs::function::erf::erfc(z.abs() / std::f64::consts::SQRT_2));
    // Σw = n_t, Σw² = Σ c·(t/c)² = Σ t²/c.
    let sum_w2: f64 = matched()
        .map(|s| (s.treated as f64).powi(2) / s.pool as f64)
        .sum();
    let effective = (sum_w2 > 0.0).then(|| nt * nt / sum_w2);
    let big_enough = n_t >= MIN_COMPARISON_MEASURABLE
        && effective.is_some_and(|e| e >= MIN_COMPARISON_MEASURABLE as f64);
    let verdict = verdict(big_enough, k_t, p_value);
    let statement = if verdict == ComparisonVerdict::TooSmall {
        format!(
            "No comparison statement: a matched comparison needs at least \
             {MIN_COMPARISON_MEASURABLE} matched people who took part and an effective \
             comparison size of at least {MIN_COMPARISON_MEASURABLE}."
        )
    } else {
        statement(verdict, difference, label)
    };
    let comparison_rate_ci = p_c.map(|p| {
        let half = Z_MATCHED * comparison_variance.sqrt();
        [(p - half).max(0.0), (p + half).min(1.0)]
    });
    let balance = balance(treated, pool, &strata, variables, n_t);
    Comparison {
        method: ComparisonMethod::Matched,
        comparison_label: label.to_string(),
        treatment_measurable: n_t,
        treatment_reoffenders: k_t,
        treatment_rate: p_t,
        treatment_rate_ci: wilson(k_t, n_t, Z_95),
        comparison_measurable: pool_used,
        comparison_reoffenders: pool_reoffenders,
        comparison_rate: p_c,
        comparison_rate_ci,
        difference,
        difference_ci,
        z,
        p_value,
        fisher_p_value: None,
        verdict,
        statement,
        matching: Some(Matching {
            treated_unmatched: treated.len() as u64 - n_t,
            pool_size: pool.len() as u64,
            pool_used,
            effective_comparison_size: effective,
            variables: variables.to_vec(),
            variables_left_out: variables_left_out.to_vec(),
            strata_matched: matched().count() as u64,
            balance,
        }),
    }
}

/// The balance table: for each variable's categories seen among the treated or the pool,
/// in the variable's order, the three shares and the standardised differences.
fn balance(
    treated: &[Subject],
    pool: &[Subject],
    strata: &BTreeMap<Vec<&str>, Stratum>,
    variables: &[Variable],
    n_t: u64,
) -> Vec<BalanceRow> {
    let mut rows = Vec::new();
    for (position, variable) in variables.iter().enumerate() {
        let mut categories: Vec<String> = treated
            .iter()
            .chain(pool)
            .map(|s| s.value(*variable).to_string())
            .collect();
        let order = |c: &str| -> (usize, String) {
            let list: &[&str] = match variable {
                Variable::AgeBand => &AGE_BANDS,
                Variable::Gender => &GENDERS,
                Variable::PriorProvenOffences => &PRIOR_BANDS,
                Variable::FinancialYear => &[],
            };
            (
                list.iter().position(|x| *x == c).unwrap_or(list.len()),
                c.to_string(),
            )
        };
        categories.sort_by_key(|c| order(c));
        categories.dedup();
        for category in categories {
            let share = |people: &[Subject]| {
                let n = people
                    .iter()
                    .filter(|s| s.value(*variable) == category)
                    .count();
                n as f64 / people.len().max(1) as f64
            };
            let treated_share = share(treated);
            let pool_share = share(pool);
            // The weighted pool of matched strata: each stratum weighs t_s in all.
            // `+ 0.0`: an empty float sum is −0.0, which would print as "-0".
            let comparison_share = ratio(
                strata
                    .iter()
                    .filter(|(k, s)| s.treated > 0 && s.pool > 0 && k[position] == category)
                    .map(|(_, s)| s.treated as f64)
                    .sum::<f64>()
                    + 0.0,
                n_t as f64,
            );
            rows.push(BalanceRow {
                variable: *variable,
                category,
                treated_share,
                pool_share,
                comparison_share,
                standardised_difference_before: standardised_difference(treated_share, pool_share),
                standardised_difference_after: comparison_share
                    .and_then(|c| standardised_difference(treated_share, c)),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn subject(age: &'static str, prior: &'static str, reoffended: bool) -> Subject {
        Subject {
            age_band: age,
            gender: "male",
            prior_band: prior,
            financial_year: "2024-25".into(),
            reoffended,
        }
    }

    #[test]
    fn ages_are_whole_years_at_the_index_date() {
        assert_eq!(age_band(Some(d("2008-05-14")), d("2024-05-13")), "14-15");
        assert_eq!(age_band(Some(d("2008-05-14")), d("2024-05-14")), "16-17");
        assert_eq!(age_band(Some(d("2016-01-01")), d("2024-05-14")), "10-13");
        assert_eq!(age_band(Some(d("1999-05-01")), d("2024-05-14")), "25+");
        assert_eq!(age_band(Some(d("2000-06-01")), d("2024-05-14")), "18-24");
        assert_eq!(age_band(None, d("2024-05-14")), "unknown");
        assert_eq!(prior_band(0), "0");
        assert_eq!(prior_band(3), "2-3");
        assert_eq!(prior_band(7), "7+");
    }

    /// Two strata: A (treated 4, 1 reoffends; pool 2, 1 reoffends) and B (treated 2, 2
    /// reoffend; pool 4, 1 reoffends); one treated person in stratum C with no pool.
    /// By hand: n_T = 6, k_T = 3, p_T = 0.5; w_A = 2, w_B = 0.5;
    /// p_C = (4·0.5 + 2·0.25) / 6 = 2.5/6; d = 0.5 − 2.5/6 = 1/12;
    /// var = 0.25/6 + (4/6)²·0.25/2 + (2/6)²·0.1875/4 = 0.041666… + 0.055555… + 0.005208…
    /// Σw² = 4²/2 + 2²/4 = 9, ESS = 36/9 = 4.
    #[test]
    fn a_small_matched_comparison_by_hand() {
        let mut treated = vec![
            subject("14-15", "0", true),
            subject("14-15", "0", false),
            subject("14-15", "0", false),
            subject("14-15", "0", false),
            subject("16-17", "1", true),
            subject("16-17", "1", true),
            subject("25+", "7+", true),
        ];
        let pool = vec![
            subject("14-15", "0", true),
            subject("14-15", "0", false),
            subject("16-17", "1", true),
            subject("16-17", "1", false),
            subject("16-17", "1", false),
            subject("16-17", "1", false),
        ];
        let vars = [Variable::AgeBand, Variable::PriorProvenOffences];
        let c = matched_comparison(&treated, &pool, &vars, &[], "similar people");
        assert_eq!((c.treatment_measurable, c.treatment_reoffenders), (6, 3));
        assert_eq!((c.comparison_measurable, c.comparison_reoffenders), (6, 2));
        assert!((c.comparison_rate.unwrap() - 2.5 / 6.0).abs() < 1e-15);
        assert!((c.difference.unwrap() - 1.0 / 12.0).abs() < 1e-15);
        let var = 0.25 / 6.0
            + (4.0f64 / 6.0).powi(2) * 0.25 / 2.0
            + (2.0f64 / 6.0).powi(2) * 0.1875 / 4.0;
        let ci = c.difference_ci.unwrap();
        assert!((ci[0] - (1.0 / 12.0 - 1.959964 * var.sqrt())).abs() < 1e-15);
        assert!((c.z.unwrap() - (1.0 / 12.0) / var.sqrt()).abs() < 1e-12);
        // var = 0.10243055555555554, z = 0.26037782196164777;
        // 2 * scipy.stats.norm.sf(0.26037782196164777) = 0.7945723486232792
        assert!((c.p_value.unwrap() - 0.7945723486232792).abs() < 1e-12);
        let m = c.matching.as_ref().unwrap();
        assert_eq!((m.treated_unmatched, m.pool_size, m.pool_used), (1, 6, 6));
        assert!((m.effective_comparison_size.unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(c.verdict, ComparisonVerdict::TooSmall);
        assert_eq!(c.fisher_p_value, None);
        // Balance: age 14-15 is 4/7 of the treated, 2/6 of the pool, 4/6 weighted.
        let row = m
            .balance
            .iter()
            .find(|r| r.variable == Variable::AgeBand && r.category == "14-15")
            .unwrap();
        assert!((row.treated_share - 4.0 / 7.0).abs() < 1e-15);
        assert!((row.pool_share - 2.0 / 6.0).abs() < 1e-15);
        assert!((row.comparison_share.unwrap() - 4.0 / 6.0).abs() < 1e-15);
        treated.clear();
        let empty = matched_comparison(&treated, &pool, &vars, &[], "x");
        assert_eq!(empty.treatment_rate, None);
        assert_eq!(empty.verdict, ComparisonVerdict::TooSmall);
    }
}
