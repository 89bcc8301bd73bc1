//! Statistical building blocks: proportion intervals, tests for two proportions and paired
//! tests for outcome measures.
//!
//! Each function returns `None` where the statistic is undefined (a zero denominator, no
//! variance) instead of NaN, so that a report shows "–" rather than a number that looks
//! real. Every function is checked against SciPy or statsmodels values in the tests below;
//! the exact Python call is written beside each expected value. See
//! `docs/methodology.md#statistics`.

use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::factorial::ln_binomial;

/// The two-sided 95% normal quantile, z such that P(|Z| <= z) = 0.95.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A closed interval `[low, high]`.
pub type Interval = [f64; 2];

fn standard_normal_sf(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2)
}

/// Wilson score interval for `k` successes out of `n` with normal quantile `z`
/// (`Z_95` for 95%). `None` when `n` is zero.
/// Definition: `docs/methodology.md#wilson-score-interval`.
pub fn wilson(k: u64, n: u64, z: f64) -> Option<Interval> {
    if n == 0 || k > n {
        return None;
    }
    let (k, n) = (k as f64, n as f64);
    let z2 = z * z;
    let denominator = n + z2;
    let centre = (k + z2 / 2.0) / denominator;
    let half = z / denominator * (k * (n - k) / n + z2 / 4.0).sqrt();
    Some([(centre - half).max(0.0), (centre + half).min(1.0)])
}

/// Newcombe's hybrid score interval (Newcombe 1998, method 10) for the difference of two
/// proportions `k1/n1 − k2/n2`, at 95%. `None` when either denominator is zero.
/// Definition: `docs/methodology.md#comparison-with-another-cohort`.
pub fn newcombe_hybrid(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<Interval> {
    let [l1, u1] = wilson(k1, n1, Z_95)?;
    let [l2, u2] = wilson(k2, n2, Z_95)?;
    let p1 = k1 as f64 / n1 as f64;
    let p2 = k2 as f64 / n2 as f64;
    let difference = p1 - p2;
    let below = ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let above = ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some([difference - below, difference + above])
}

/// Two-proportion z-test with the pooled proportion: returns `(z, two-sided p)`.
/// `None` when a denominator is zero or the pooled proportion is 0 or 1 (no variance).
/// Definition: `docs/methodology.md#comparison-with-another-cohort`.
pub fn two_proportion_z(k1: u64, n1: u64, k2: u64, n2: u64) -> Option<(f64, f64)> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (k1f, n1f, k2f, n2f) = (k1 as f64, n1 as f64, k2 as f64, n2 as f64);
    let pooled = (k1f + k2f) / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se == 0.0 || !se.is_finite() {
        return None;
    }
    let z = (k1f / n1f - k2f / n2f) / se;
    Some((z, (2.0 * standard_normal_sf(z.abs())).min(1.0)))
}

/// Fisher's exact test, two-sided, for the 2×2 table `[[a, b], [c, d]]`.
///
/// The p-value is the sum of the probabilities of all tables with the same margins that
/// are no more likely than the observed one, as SciPy's `fisher_exact` does. Tables whose
/// probability equals the observed one within a relative 1e-7 count as "no more likely"
/// (R's `fisher.test` tolerance; SciPy uses 1e-14, which floating-point error in the
/// log-gamma function can miss for tables that are mathematically equally likely).
/// Definition: `docs/methodology.md#comparison-with-another-cohort`.
pub fn fisher_exact_two_sided(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let row1 = a + b;
    let row2 = c + d;
    let col1 = a + c;
    let total = row1 + row2;
    if row1 == 0 || row2 == 0 || col1 == 0 || col1 == total {
        return 1.0;
    }
    // log P(X = x) for X ~ Hypergeometric(total, row1, col1), up to the common divisor.
    let log_weight =
        |x: u64| ln_binomial(row1, x) + ln_binomial(row2, col1 - x) - ln_binomial(total, col1);
    let low = col1.saturating_sub(row2);
    let high = col1.min(row1);
    let observed = log_weight(a);
    let threshold = observed + (1.0 + 1e-7_f64).ln();
    let mut p = 0.0;
    for x in low..=high {
        let w = log_weight(x);
        if w <= threshold {
            p += w.exp();
        }
    }
    p.min(1.0)
}

/// The result of a paired comparison of `after − before`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedT {
    pub mean_difference: f64,
    /// 95% confidence interval of the mean difference; `None` when n < 2 or the
    /// differences have no variance.
    pub ci: Option<Interval>,
    /// Two-sided p-value of the paired t-test; `None` when n < 2 or no variance.
    pub p_value: Option<f64>,
}

/// Paired t-test of the differences `d` (exit − baseline), as
/// `scipy.stats.ttest_rel(exit, baseline)` with its 95% interval. `None` for no pairs.
/// Definition: `docs/methodology.md#outcome-measures`.
pub fn paired_t(differences: &[f64]) -> Option<PairedT> {
    let n = differences.len();
    if n == 0 {
        return None;
    }
    let mean = differences.iter().sum::<f64>() / n as f64;
    let mut result = PairedT {
        mean_difference: mean,
        ci: None,
        p_value: None,
    };
    if n < 2 {
        return Some(result);
    }
    let variance = differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let se = (variance / n as f64).sqrt();
    // A variance that is zero up to rounding makes t meaningless (SciPy returns NaN);
    // written so that a NaN standard error also lands here.
    if se.is_nan() || se <= 1e-12 * mean.abs().max(1.0) {
        return Some(result);
    }
    let Ok(t_dist) = StudentsT::new(0.0, 1.0, (n - 1) as f64) else {
        return Some(result);
    };
    let t = mean / se;
    let quantile = t_dist.inverse_cdf(0.975);
    result.ci = Some([mean - quantile * se, mean + quantile * se]);
    result.p_value = Some((2.0 * t_dist.sf(t.abs())).min(1.0));
    Some(result)
}

/// Wilcoxon signed-rank test, two-sided, of the differences `d`, matching SciPy's default
/// `scipy.stats.wilcoxon(x, y)` (SciPy 1.17: `zero_method='wilcox'`, `correction=False`,
/// `method='auto'`):
///
/// - zero differences are dropped before ranking; absolute differences are ranked with
///   average ranks for ties, and the statistic is R+ (sum of the ranks of positive
///   differences);
/// - n ≤ 50 (n counts the zeros) with no ties and no zeros: exact null distribution;
/// - ties or zeros with n ≤ 13: SciPy runs a permutation test over all 2^n sign flips,
///   which is exact, so we enumerate the same distribution;
/// - otherwise the normal approximation with the tie correction and no continuity
///   correction.
///
/// `None` when there are no non-zero differences (SciPy returns NaN).
/// Definition: `docs/methodology.md#outcome-measures`.
pub fn wilcoxon_signed_rank(differences: &[f64]) -> Option<f64> {
    let n_all = differences.len();
    let mut nonzero: Vec<f64> = differences.iter().copied().filter(|d| *d != 0.0).collect();
    let has_zeros = nonzero.len() < n_all;
    if nonzero.is_empty() {
        return None;
    }
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let (doubled_ranks, tie_sizes) = doubled_average_ranks(&nonzero);
    let has_ties = tie_sizes.iter().any(|t| *t > 1);
    let doubled_r_plus: u64 = nonzero
        .iter()
        .zip(&doubled_ranks)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| *r)
        .sum();
    let exact = if has_ties || has_zeros {
        n_all <= 13
    } else {
        n_all <= 50
    };
    if exact {
        Some(exact_signed_rank_p(&doubled_ranks, doubled_r_plus))
    } else {
        Some(normal_signed_rank_p(
            nonzero.len() as f64,
            doubled_r_plus as f64 / 2.0,
            &tie_sizes,
        ))
    }
}

/// Average ranks of the sorted absolute values, doubled so that half ranks are integers,
/// and the sizes of the tie groups.
fn doubled_average_ranks(sorted_by_abs: &[f64]) -> (Vec<u64>, Vec<u64>) {
    let mut ranks = vec![0_u64; sorted_by_abs.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < sorted_by_abs.len() {
        let mut end = start + 1;
        while end < sorted_by_abs.len() && sorted_by_abs[end].abs() == sorted_by_abs[start].abs() {
            end += 1;
        }
        // Ranks start+1 ..= end average to (start + 1 + end) / 2; doubled: start + 1 + end.
        let doubled = (start + 1 + end) as u64;
        ranks[start..end].iter_mut().for_each(|r| *r = doubled);
        ties.push((end - start) as u64);
        start = end;
    }
    (ranks, ties)
}

/// Exact two-sided p-value `2·min(P(R+ ≤ r), P(R+ ≥ r))` under the null hypothesis that
/// every sign is equally likely, by counting sign assignments (dynamic programming over
/// the doubled rank sums).
fn exact_signed_rank_p(doubled_ranks: &[u64], doubled_r_plus: u64) -> f64 {
    let max_sum: u64 = doubled_ranks.iter().sum();
    let mut ways = vec![0.0_f64; max_sum as usize + 1];
    ways[0] = 1.0;
    let mut reach = 0_usize;
    for &r in doubled_ranks {
        let r = r as usize;
        for s in (0..=reach).rev() {
            if ways[s] != 0.0 {
                ways[s + r] += ways[s];
            }
        }
        reach += r;
    }
    let total: f64 = ways.iter().sum();
    let observed = doubled_r_plus as usize;
    let at_most: f64 = ways[..=observed].iter().sum();
    let at_least: f64 = ways[observed..].iter().sum();
    (2.0 * at_most.min(at_least) / total).min(1.0)
}

fn normal_signed_rank_p(n: f64, r_plus: f64, tie_sizes: &[u64]) -> f64 {
    let mean = n * (n + 1.0) / 4.0;
    let tie_correction: f64 = tie_sizes
        .iter()
        .map(|t| {
            let t = *t as f64;
            t * t * t - t
        })
        .sum();
    let variance = (n * (n + 1.0) * (2.0 * n + 1.0) - tie_correction / 2.0) / 24.0;
    if variance <= 0.0 {
        return 1.0;
    }
    let z = (r_plus - mean) / variance.sqrt();
    (2.0 * standard_normal_sf(z.abs())).min(1.0)
}

/// The median of `values` (the mean of the two middle values for an even count); `None`
/// when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

/// The arithmetic mean; `None` when empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// `numerator / denominator`, `None` for a zero denominator (shown as "–").
pub fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    if denominator == 0.0 {
        None
    } else {
        Some(numerator / denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    fn close_pair(actual: Interval, expected: Interval, tolerance: f64) {
        close(actual[0], expected[0], tolerance);
        close(actual[1], expected[1], tolerance);
    }

    #[test]
    fn wilson_matches_statsmodels() {
        // statsmodels proportion_confint(109, 351, alpha=0.05, method='wilson')
        //   = (0.2644044076812516, 0.3607803144140136)
        close_pair(
            wilson(109, 351, Z_95).unwrap(),
            [0.2644044076812516, 0.3607803144140136],
            1e-12,
        );
        // proportion_confint(0, 10, method='wilson') = (0.0, 0.27753279986288926)
        close_pair(
            wilson(0, 10, Z_95).unwrap(),
            [0.0, 0.27753279986288926],
            1e-12,
        );
        // proportion_confint(10, 10, method='wilson') = (0.7224672001371106, 1.0)
        close_pair(
            wilson(10, 10, Z_95).unwrap(),
            [0.7224672001371106, 1.0],
            1e-12,
        );
        // proportion_confint(3, 7, method='wilson') = (0.15821985525146964, 0.7495416354723428)
        close_pair(
            wilson(3, 7, Z_95).unwrap(),
            [0.15821985525146964, 0.7495416354723428],
            1e-12,
        );
        // proportion_confint(1, 1, method='wilson') = (0.2065493143772374, 1.0)
        close_pair(
            wilson(1, 1, Z_95).unwrap(),
            [0.2065493143772374, 1.0],
            1e-12,
        );
        assert_eq!(wilson(0, 0, Z_95), None);
    }

    #[test]
    fn newcombe_hybrid_matches_statsmodels() {
        // statsmodels confint_proportions_2indep(109, 351, 140, 360, method='newcomb',
        //   compare='diff') = (-0.14732650937978553, -0.00821685120893588)
        close_pair(
            newcombe_hybrid(109, 351, 140, 360).unwrap(),
            [-0.14732650937978553, -0.00821685120893588],
            1e-12,
        );
        // confint_proportions_2indep(5, 60, 12, 61, method='newcomb')
        //   = (-0.23897825068513712, 0.012902680331974295)
        close_pair(
            newcombe_hybrid(5, 60, 12, 61).unwrap(),
            [-0.23897825068513712, 0.012902680331974295],
            1e-12,
        );
        // confint_proportions_2indep(0, 20, 3, 25, method='newcomb')
        //   = (-0.2995579392092733, 0.05915689189369627)
        close_pair(
            newcombe_hybrid(0, 20, 3, 25).unwrap(),
            [-0.2995579392092733, 0.05915689189369627],
            1e-12,
        );
        // confint_proportions_2indep(30, 30, 25, 40, method='newcomb')
        //   = (0.200319667251175, 0.529675608626989)
        close_pair(
            newcombe_hybrid(30, 30, 25, 40).unwrap(),
            [0.200319667251175, 0.529675608626989],
            1e-12,
        );
        assert_eq!(newcombe_hybrid(1, 0, 1, 2), None);
    }

    #[test]
    fn two_proportion_z_matches_statsmodels_pooled_test() {
        // statsmodels proportions_ztest([109, 140], [351, 360])
        //   = (-2.1894978598386947, 0.02856067393224494)
        let (z, p) = two_proportion_z(109, 351, 140, 360).unwrap();
        close(z, -2.1894978598386947, 1e-12);
        // statrs's erfc is accurate to about 1e-10 relative, so p-values are compared at 1e-9.
        close(p, 0.02856067393224494, 1e-9 * 0.0286);
        // proportions_ztest([5, 12], [60, 61]) = (-1.7945646509468007, 0.0727230893974353)
        let (z, p) = two_proportion_z(5, 60, 12, 61).unwrap();
        close(z, -1.7945646509468007, 1e-12);
        close(p, 0.0727230893974353, 1e-9 * 0.0727);
        // proportions_ztest([30, 25], [30, 40]) = (3.7839373433213472, 0.0001543667005010918)
        let (z, p) = two_proportion_z(30, 30, 25, 40).unwrap();
        close(z, 3.7839373433213472, 1e-12);
        close(p, 0.0001543667005010918, 1e-9 * 0.000154);
        // No variance when nobody (or everybody) reoffended in both groups.
        assert_eq!(two_proportion_z(0, 10, 0, 12), None);
    }

    #[test]
    fn fisher_exact_matches_scipy() {
        let cases: [([u64; 4], f64); 9] = [
            // scipy.stats.fisher_exact([[12, 5], [9, 11]]).pvalue = 0.18452531943850797
            ([12, 5, 9, 11], 0.18452531943850797),
            // scipy.stats.fisher_exact([[3, 5], [4, 50]]).pvalue = 0.039707492465292815
            ([3, 5, 4, 50], 0.039707492465292815),
            // scipy.stats.fisher_exact([[109, 242], [140, 220]]).pvalue = 0.03367950400856572
            ([109, 242, 140, 220], 0.03367950400856572),
            // scipy.stats.fisher_exact([[0, 5], [3, 2]]).pvalue = 0.16666666666666666
            ([0, 5, 3, 2], 0.16666666666666666),
            // scipy.stats.fisher_exact([[10, 10], [10, 10]]).pvalue = 1.0
            ([10, 10, 10, 10], 1.0),
            // scipy.stats.fisher_exact([[2, 7], [8, 2]]).pvalue = 0.02301413756522116
            ([2, 7, 8, 2], 0.02301413756522116),
            // scipy.stats.fisher_exact([[1, 9], [11, 3]]).pvalue = 0.0027594561852200836
            ([1, 9, 11, 3], 0.0027594561852200836),
            // scipy.stats.fisher_exact([[5, 0], [1, 4]]).pvalue = 0.047619047619047616
            ([5, 0, 1, 4], 0.047619047619047616),
            // scipy.stats.fisher_exact([[1000, 2000], [1100, 1900]]).pvalue = 0.007364099121621419
            ([1000, 2000, 1100, 1900], 0.007364099121621419),
        ];
        for ([a, b, c, d], expected) in cases {
            close(
                fisher_exact_two_sided(a, b, c, d),
                expected,
                1e-10 * expected.max(1e-3),
            );
        }
        assert_eq!(fisher_exact_two_sided(0, 0, 4, 5), 1.0);
    }

    #[test]
    fn paired_t_matches_scipy_ttest_rel() {
        // baseline [3,2,4,1,3,2,5,3], exit [4,4,4,2,5,3,5,4]:
        // scipy.stats.ttest_rel(exit, baseline).pvalue = 0.007246989820287885
        // .confidence_interval() = (0.3680275858630755, 1.6319724141369245); mean 1.0
        let d = [1.0, 2.0, 0.0, 1.0, 2.0, 1.0, 0.0, 1.0];
        let t = paired_t(&d).unwrap();
        close(t.mean_difference, 1.0, 1e-12);
        close(t.p_value.unwrap(), 0.007246989820287885, 1e-9);
        close_pair(
            t.ci.unwrap(),
            [0.3680275858630755, 1.6319724141369245],
            1e-9,
        );
        // baseline [1.5,2.0,3.25,4.0,2.5], exit [2.0,1.0,4.0,4.5,3.75]:
        // scipy.stats.ttest_rel(exit, baseline).pvalue = 0.3471731076843431
        // .confidence_interval() = (-0.6434780536180292, 1.4434780536180294)
        let t = paired_t(&[0.5, -1.0, 0.75, 0.5, 1.25]).unwrap();
        close(t.p_value.unwrap(), 0.3471731076843431, 1e-9);
        close_pair(
            t.ci.unwrap(),
            [-0.6434780536180292, 1.4434780536180294],
            1e-9,
        );
    }

    #[test]
    fn paired_t_has_no_p_value_for_one_pair_or_no_variance() {
        let one = paired_t(&[2.0]).unwrap();
        assert_eq!(
            (one.mean_difference, one.ci, one.p_value),
            (2.0, None, None)
        );
        let flat = paired_t(&[1.0, 1.0, 1.0]).unwrap();
        assert_eq!((flat.ci, flat.p_value), (None, None));
        assert_eq!(paired_t(&[]), None);
    }

    #[test]
    fn wilcoxon_matches_scipy_default_on_every_branch() {
        // Exact, no ties, n = 8:
        // scipy.stats.wilcoxon([1.5,-0.5,2.25,0.5,1.25,3.0,-1.75,2.5]).pvalue = 0.1171875
        close(
            wilcoxon_signed_rank(&[1.5, -0.5, 2.25, 0.5, 1.25, 3.0, -1.75, 2.5]).unwrap(),
            0.1171875,
            1e-12,
        );
        // Ties and a zero, n = 8 <= 13 (SciPy's exhaustive permutation test):
        // scipy.stats.wilcoxon([1,2,2,3,-1,0,4,1]).pvalue = 0.0625
        close(
            wilcoxon_signed_rank(&[1.0, 2.0, 2.0, 3.0, -1.0, 0.0, 4.0, 1.0]).unwrap(),
            0.0625,
            1e-12,
        );
        // Ties, n = 7: scipy.stats.wilcoxon([1,-1,2,3,4,5,6]).pvalue = 0.046875
        close(
            wilcoxon_signed_rank(&[1.0, -1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap(),
            0.046875,
            1e-12,
        );
        // Exact, no ties, n = 7:
        // scipy.stats.wilcoxon([0.5,-0.25,1.0,2.0,-3.0,4.5,0.75]).pvalue = 0.296875
        close(
            wilcoxon_signed_rank(&[0.5, -0.25, 1.0, 2.0, -3.0, 4.5, 0.75]).unwrap(),
            0.296875,
            1e-12,
        );
        // Exact, no ties, n = 20: d_i = 0.5 i, negative when i % 4 == 0:
        // scipy.stats.wilcoxon(d).pvalue = 0.09730720520019531
        let d: Vec<f64> = (1..=20)
            .map(|i| {
                if i % 4 == 0 {
                    -0.5 * i as f64
                } else {
                    0.5 * i as f64
                }
            })
            .collect();
        close(
            wilcoxon_signed_rank(&d).unwrap(),
            0.09730720520019531,
            1e-12,
        );
        // Normal approximation, n = 60 > 50, no ties: d_i = i, negative when (i-1) % 3 == 0:
        // scipy.stats.wilcoxon(d).pvalue = 0.016733071607703435
        let d: Vec<f64> = (1..=60)
            .map(|i| {
                if (i - 1) % 3 == 0 {
                    -(i as f64)
                } else {
                    i as f64
                }
            })
            .collect();
        close(
            wilcoxon_signed_rank(&d).unwrap(),
            0.016733071607703435,
            1e-12,
        );
        // Normal approximation with tie correction, ties and a zero, n = 19 > 13:
        // scipy.stats.wilcoxon([1,1,2,2,3,-3,4,5,1,2,0,3,-2,4,5,6,2,1,1]).pvalue = 0.004127738812664594
        let d = [
            1.0, 1.0, 2.0, 2.0, 3.0, -3.0, 4.0, 5.0, 1.0, 2.0, 0.0, 3.0, -2.0, 4.0, 5.0, 6.0, 2.0,
            1.0, 1.0,
        ];
        close(
            wilcoxon_signed_rank(&d).unwrap(),
            0.004127738812664594,
            1e-12,
        );
        // All differences zero: SciPy returns NaN, we return None.
        assert_eq!(wilcoxon_signed_rank(&[0.0, 0.0]), None);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_two_middle_values() {
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 10.0]), Some(3.5));
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut []), None);
    }
}
