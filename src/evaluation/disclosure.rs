//! Disclosure control for published reports (DESIGN.md section 4.6).
//!
//! A report's counts are variables of a [`DisclosureModel`]; the sums a reader can see
//! (a total and its parts, such as referrals = accepted + declined + pending, or a
//! breakdown's rows adding up to an engagement figure) are its equations. Primary
//! suppression hides counts from 1 to threshold − 1 (shown as "<5"); secondary
//! suppression then hides further cells (shown as "[c]") until no suppressed value can be
//! worked out exactly from any single equation, using everything the reader knows: the
//! shown values, that a "<5" cell is between 1 and 4 and that a "[c]" cell is at least 0.
//! Rates and statistics are never recomputed here: the report computes them from exact
//! figures and only hides those that depend on a suppressed count. See
//! `docs/methodology.md#disclosure-control`.

use serde::Serialize;

/// The default threshold: counts 1 to 4 are suppressed.
pub const DEFAULT_THRESHOLD: u64 = 5;
/// How a secondarily suppressed value is shown (the GSS symbol for "confidential").
pub const SECONDARY_SYMBOL: &str = "[c]";

/// How one count is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Shown,
    /// 1 to threshold − 1, shown as "<threshold".
    Primary,
    /// Hidden so that another suppressed value cannot be worked out; shown as "[c]".
    Secondary,
}

impl Visibility {
    pub fn is_suppressed(self) -> bool {
        self != Visibility::Shown
    }

    /// The text shown in place of a suppressed value; `None` when the value is shown.
    pub fn symbol(self, threshold: u64) -> Option<String> {
        match self {
            Visibility::Shown => None,
            Visibility::Primary => Some(format!("<{threshold}")),
            Visibility::Secondary => Some(SECONDARY_SYMBOL.to_string()),
        }
    }
}

/// A sum the reader can see: `values[total] = Σ values[parts]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equation {
    pub total: usize,
    pub parts: Vec<usize>,
}

/// The counts of a report and the sums between them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DisclosureModel {
    values: Vec<u64>,
    equations: Vec<Equation>,
}

impl DisclosureModel {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a count and returns its variable number.
    pub fn count(&mut self, value: u64) -> usize {
        self.values.push(value);
        self.values.len() - 1
    }

    /// Declares that `total` is the sum of `parts`. An equation that does not hold in the
    /// data (which would mean a bug in the caller) is ignored rather than trusted.
    pub fn sum(&mut self, total: usize, parts: Vec<usize>) {
        let holds = self.values.get(total).is_some_and(|t| {
            parts
                .iter()
                .map(|p| self.values.get(*p).copied())
                .sum::<Option<u64>>()
                == Some(*t)
        });
        if holds && !parts.is_empty() {
            self.equations.push(Equation { total, parts });
        }
    }

    pub fn values(&self) -> &[u64] {
        &self.values
    }

    pub fn equations(&self) -> &[Equation] {
        &self.equations
    }

    /// Primary then secondary suppression at `threshold` (counts below it and above zero
    /// are suppressed). Definition: `docs/methodology.md#disclosure-control`.
    pub fn suppress(&self, threshold: u64) -> Vec<Visibility> {
        let mut vis: Vec<Visibility> = self
            .values
            .iter()
            .map(|v| {
                if *v >= 1 && *v < threshold {
                    Visibility::Primary
                } else {
                    Visibility::Shown
                }
            })
            .collect();
        // Each pass hides one more value or turns a "<t" into "[c]", so this ends.
        while let Some(eq) = self
            .equations
            .iter()
            .find(|eq| !pinned(eq, &self.values, &vis, threshold).is_empty())
        {
            self.protect(eq, &mut vis);
        }
        vis
    }

    /// Hides one more value of an equation that gives a suppressed value away: the
    /// smallest shown non-zero part, else a shown zero part, else the shown total; if
    /// everything is already hidden, the reader's bounds are loosened by showing the total
    /// (or the largest part) as "[c]" instead of "<t".
    fn protect(&self, eq: &Equation, vis: &mut [Visibility]) {
        let shown_parts = || {
            eq.parts
                .iter()
                .copied()
                .filter(|p| vis[*p] == Visibility::Shown)
        };
        let candidate = shown_parts()
            .filter(|p| self.values[*p] > 0)
            .min_by_key(|p| (self.values[*p], *p))
            .or_else(|| shown_parts().next())
            .or_else(|| (vis[eq.total] == Visibility::Shown).then_some(eq.total))
            .or_else(|| (vis[eq.total] == Visibility::Primary).then_some(eq.total))
            .or_else(|| {
                eq.parts
                    .iter()
                    .copied()
                    .filter(|p| vis[*p] == Visibility::Primary)
                    .max_by_key(|p| (self.values[*p], *p))
            });
        if let Some(c) = candidate {
            vis[c] = Visibility::Secondary;
        }
    }
}

/// What a reader knows about a value: `[low, high]` (high may be infinite).
pub fn reader_bounds(value: u64, visibility: Visibility, threshold: u64) -> (f64, f64) {
    match visibility {
        Visibility::Shown => (value as f64, value as f64),
        Visibility::Primary => (1.0, (threshold - 1) as f64),
        Visibility::Secondary => (0.0, f64::INFINITY),
    }
}

/// The suppressed variables of `eq` whose value the equation pins down exactly, given the
/// reader's bounds on every member.
pub fn pinned(eq: &Equation, values: &[u64], vis: &[Visibility], threshold: u64) -> Vec<usize> {
    let bounds = |i: usize| reader_bounds(values[i], vis[i], threshold);
    let (total_lo, total_hi) = bounds(eq.total);
    let parts_lo: f64 = eq.parts.iter().map(|p| bounds(*p).0).sum();
    let parts_hi: f64 = eq.parts.iter().map(|p| bounds(*p).1).sum();
    let mut found = Vec::new();
    if vis[eq.total].is_suppressed() {
        let lo = total_lo.max(parts_lo);
        let hi = total_hi.min(parts_hi);
        if lo >= hi {
            found.push(eq.total);
        }
    }
    for &p in eq.parts.iter().filter(|p| vis[**p].is_suppressed()) {
        let (own_lo, own_hi) = bounds(p);
        // Sums of the other parts' bounds; an infinite upper bound stays infinite.
        let others_lo = parts_lo - own_lo;
        let others_hi = if own_hi.is_infinite() {
            eq.parts
                .iter()
                .filter(|q| **q != p)
                .map(|q| bounds(*q).1)
                .sum()
        } else {
            parts_hi - own_hi
        };
        let lo = own_lo.max(total_lo - others_hi);
        let hi = own_hi.min(total_hi - others_lo);
        if lo >= hi {
            found.push(p);
        }
    }
    found
}

/// Every suppressed variable that some single equation gives away (empty after
/// [`DisclosureModel::suppress`]).
pub fn recoverable(model: &DisclosureModel, vis: &[Visibility], threshold: u64) -> Vec<usize> {
    let mut all: Vec<usize> = model
        .equations()
        .iter()
        .flat_map(|eq| pinned(eq, model.values(), vis, threshold))
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

/// A table with row totals, column totals and a grand total, as a model: returns the
/// model and the variable numbers of `cells[r][c]`, row totals, column totals and grand
/// total. For tests and for callers with a plain table.
pub fn table_model(cells: &[Vec<u64>]) -> (DisclosureModel, TableVars) {
    let mut m = DisclosureModel::new();
    let vars: Vec<Vec<usize>> = cells
        .iter()
        .map(|row| row.iter().map(|v| m.count(*v)).collect())
        .collect();
    let columns = cells.first().map_or(0, Vec::len);
    let row_totals: Vec<usize> = cells.iter().map(|row| m.count(row.iter().sum())).collect();
    let column_totals: Vec<usize> = (0..columns)
        .map(|c| {
            m.count(
                cells
                    .iter()
                    .map(|row| row.get(c).copied().unwrap_or(0))
                    .sum(),
            )
        })
        .collect();
    let grand = m.count(cells.iter().flatten().sum());
    for (r, row) in vars.iter().enumerate() {
        m.sum(row_totals[r], row.clone());
    }
    for (c, total) in column_totals.iter().enumerate() {
        m.sum(
            *total,
            vars.iter().filter_map(|row| row.get(c).copied()).collect(),
        );
    }
    m.sum(grand, row_totals.clone());
    m.sum(grand, column_totals.clone());
    (
        m,
        TableVars {
            cells: vars,
            row_totals,
            column_totals,
            grand,
        },
    )
}

/// Variable numbers of a [`table_model`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableVars {
    pub cells: Vec<Vec<usize>>,
    pub row_totals: Vec<usize>,
    pub column_totals: Vec<usize>,
    pub grand: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Visibility::*;

    fn vis_of(
        cells: &[Vec<u64>],
    ) -> (
        Vec<Vec<Visibility>>,
        Vec<Visibility>,
        TableVars,
        DisclosureModel,
    ) {
        let (m, t) = table_model(cells);
        let v = m.suppress(5);
        let grid = t
            .cells
            .iter()
            .map(|row| row.iter().map(|i| v[*i]).collect())
            .collect();
        (grid, v, t, m)
    }

    #[test]
    fn small_counts_are_suppressed_and_zero_is_shown() {
        let mut m = DisclosureModel::new();
        let ids: Vec<usize> = [0, 1, 4, 5, 100].iter().map(|v| m.count(*v)).collect();
        let v = m.suppress(5);
        assert_eq!(
            ids.iter().map(|i| v[*i]).collect::<Vec<_>>(),
            [Shown, Primary, Primary, Shown, Shown]
        );
        assert_eq!(Primary.symbol(5).as_deref(), Some("<5"));
        assert_eq!(Secondary.symbol(5).as_deref(), Some("[c]"));
        assert_eq!(Shown.symbol(5), None);
    }

    #[test]
    fn the_threshold_is_configurable() {
        let mut m = DisclosureModel::new();
        let a = m.count(9);
        let b = m.count(10);
        let v = m.suppress(10);
        assert_eq!((v[a], v[b]), (Primary, Shown));
        assert_eq!(v[a].symbol(10).as_deref(), Some("<10"));
    }

    #[test]
    fn a_lone_suppressed_cell_in_a_row_takes_the_next_smallest_with_it() {
        // Row 3 + 12 + 7 + 30 = 52: 3 alone would be 52 − 12 − 7 − 30, so the next
        // smallest (7) is hidden too.
        let mut m = DisclosureModel::new();
        let cells: Vec<usize> = [3, 12, 7, 30].iter().map(|v| m.count(*v)).collect();
        let total = m.count(52);
        m.sum(total, cells.clone());
        let v = m.suppress(5);
        let shown: Vec<Visibility> = cells.iter().map(|c| v[*c]).collect();
        assert_eq!(shown, [Primary, Shown, Secondary, Shown]);
        assert_eq!(v[total], Shown);
    }

    #[test]
    fn secondary_suppression_spreads_through_rows_and_columns_until_nothing_is_given_away() {
        // [[3, 12, 7, 30], [20, 25, 40, 50]], row totals 52 and 135, column totals 23, 37,
        // 47, 80. By hand, taking equations rows first, then columns, each time the first
        // one that gives a value away:
        //  1. row 1: 3 alone → hide the smallest other, 7;
        //  2. column 1: 3 alone → hide 20;
        //  3. row 2: 20 alone → hide its smallest, 25;
        //  4. column 2: 25 alone → hide 12;
        //  5. column 3: 7 = 47 − 40 → hide 40.
        let (grid, v, t, m) = vis_of(&[vec![3, 12, 7, 30], vec![20, 25, 40, 50]]);
        assert_eq!(grid[0], [Primary, Secondary, Secondary, Shown]);
        assert_eq!(grid[1], [Secondary, Secondary, Secondary, Shown]);
        assert!(recoverable(&m, &v, 5).is_empty());
        assert_eq!(v[t.grand], Shown);
    }

    #[test]
    fn two_suppressed_ones_that_add_up_to_two_are_protected() {
        // Row 1 + 1 + 30 = 32: both small cells are hidden, but their sum is 2 and each is
        // at least 1, so both would be known to be 1. A third cell must go.
        let mut m = DisclosureModel::new();
        let a = m.count(1);
        let b = m.count(1);
        let c = m.count(30);
        let total = m.count(32);
        m.sum(total, vec![a, b, c]);
        let v = m.suppress(5);
        assert_eq!(
            (v[a], v[b], v[c], v[total]),
            (Primary, Primary, Secondary, Shown)
        );
        assert!(recoverable(&m, &v, 5).is_empty());
    }

    #[test]
    fn a_small_total_with_all_its_parts_small_is_still_protected() {
        // 1 + 1 + 1 + 1 = 4: every value is "<5", and four parts of at least 1 adding to at
        // most 4 would all be 1; the total is shown as "[c]" to break that.
        let mut m = DisclosureModel::new();
        let parts: Vec<usize> = (0..4).map(|_| m.count(1)).collect();
        let total = m.count(4);
        m.sum(total, parts.clone());
        let v = m.suppress(5);
        assert_eq!(v[total], Secondary);
        assert!(recoverable(&m, &v, 5).is_empty());
    }

    #[test]
    fn an_equation_that_does_not_hold_is_ignored() {
        let mut m = DisclosureModel::new();
        let a = m.count(2);
        let total = m.count(10);
        m.sum(total, vec![a]);
        assert!(m.equations().is_empty());
    }

    proptest! {
        // No regression files: they would land outside this module's files.
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn no_suppressed_cell_can_be_worked_out_from_a_row_or_column_total(
            cells in prop::collection::vec(prop::collection::vec(
                prop_oneof![3 => 0_u64..6, 2 => 0_u64..40], 1..5), 1..5),
            threshold in 2_u64..8,
        ) {
            let width = cells[0].len();
            let cells: Vec<Vec<u64>> = cells.into_iter().map(|mut r| { r.resize(width, 0); r }).collect();
            let (m, _) = table_model(&cells);
            let v = m.suppress(threshold);
            prop_assert!(recoverable(&m, &v, threshold).is_empty());
            for (value, vis) in m.values().iter().zip(&v) {
                // Every small count is hidden; zero is never shown as "<t".
                if *value >= 1 && *value < threshold {
                    prop_assert!(vis.is_suppressed());
                }
                if *value == 0 {
                    prop_assert_ne!(*vis, Primary);
                }
            }
        }
    }
}
