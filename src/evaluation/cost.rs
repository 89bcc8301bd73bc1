//! The cost of crime: Home Office unit costs per offence (Heeks et al. 2018, 2015/16
//! prices) uprated to a report's price year with the HM Treasury GDP deflator.
//!
//! Both tables ship with the service (`data/cost_of_crime/`) and are embedded at build
//! time; a deployment may replace either by passing the text of another file with the same
//! format. Parsing is strict — a bad file is refused with its line number rather than
//! costing crime wrongly — and a price year missing from the deflator series is an error,
//! never a guess. See `docs/methodology.md#cost-of-crime`.

use std::collections::{BTreeMap, HashMap};

use crate::domain::enums::OffenceGroup;

/// The embedded default unit cost table.
pub const DEFAULT_UNIT_COSTS: &str =
    include_str!("../../data/cost_of_crime/unit_costs_heeks2018.csv");
/// The embedded default GDP deflator series.
pub const DEFAULT_DEFLATOR: &str = include_str!("../../data/cost_of_crime/gdp_deflator.csv");
/// The price year of the unit cost table.
pub const BASE_PRICE_YEAR: &str = "2015-16";

/// Why a cost table could not be read or used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostError {
    #[error("{file}: line {line}: {message}")]
    BadRow {
        file: &'static str,
        line: u64,
        message: String,
    },
    #[error("{file}: {message}")]
    BadFile { file: &'static str, message: String },
    #[error("price year '{0}' is not in the GDP deflator table; choose one of the years it lists")]
    UnknownPriceYear(String),
}

/// The unit costs and the deflator series, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct CostTables {
    /// Unit cost in pounds at 2015/16 prices; `None` = uncosted.
    unit_costs: HashMap<OffenceGroup, Option<f64>>,
    deflator: BTreeMap<String, f64>,
}

/// Unit costs at one price year, ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct PricedCosts {
    pub price_year: String,
    /// `deflator(price_year) / deflator(2015-16)`.
    pub uprating_factor: f64,
    /// Uprated unit cost by `OffenceGroup as usize` (an array: this is on the hot path of
    /// a million-member cohort).
    uprated: [Option<f64>; OffenceGroup::ALL.len()],
}

impl CostTables {
    /// The tables shipped with the service.
    pub fn embedded() -> Result<Self, CostError> {
        Self::from_texts(DEFAULT_UNIT_COSTS, DEFAULT_DEFLATOR)
    }

    /// Tables from the texts of a unit cost file and a deflator file (see the module doc
    /// for their format).
    pub fn from_texts(unit_costs_csv: &str, deflator_csv: &str) -> Result<Self, CostError> {
        let unit_costs = parse_unit_costs(unit_costs_csv)?;
        let deflator = parse_deflator(deflator_csv)?;
        if !deflator.contains_key(BASE_PRICE_YEAR) {
            return Err(CostError::BadFile {
                file: "deflator",
                message: format!("the series must include the base year {BASE_PRICE_YEAR}"),
            });
        }
        Ok(Self {
            unit_costs,
            deflator,
        })
    }

    /// The financial years the deflator series covers.
    pub fn price_years(&self) -> impl Iterator<Item = &str> {
        self.deflator.keys().map(String::as_str)
    }

    /// One line per table entry, sorted: the tables' part of a report's input hash.
    pub fn canonical_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .unit_costs
            .iter()
            .map(|(group, cost)| match cost {
                Some(c) => format!("unit_cost,{group},{c}"),
                None => format!("unit_cost,{group},"),
            })
            .chain(
                self.deflator
                    .iter()
                    .map(|(y, v)| format!("deflator,{y},{v}")),
            )
            .collect();
        lines.sort();
        lines
    }

    /// Unit costs uprated to `price_year` (e.g. `2025-26`).
    pub fn at_price_year(&self, price_year: &str) -> Result<PricedCosts, CostError> {
        let target = self
            .deflator
            .get(price_year)
            .ok_or_else(|| CostError::UnknownPriceYear(price_year.to_string()))?;
        let base = self
            .deflator
            .get(BASE_PRICE_YEAR)
            .ok_or_else(|| CostError::UnknownPriceYear(BASE_PRICE_YEAR.to_string()))?;
        let factor = target / base;
        let mut uprated = [None; OffenceGroup::ALL.len()];
        for (group, cost) in &self.unit_costs {
            uprated[*group as usize] = cost.map(|c| c * factor);
        }
        Ok(PricedCosts {
            price_year: price_year.to_string(),
            uprating_factor: factor,
            uprated,
        })
    }
}

impl PricedCosts {
    /// The cost of one offence of `group` at this price year; `None` when the group has no
    /// unit cost (it is then costed at zero and flagged as uncosted).
    pub fn unit_cost(&self, group: OffenceGroup) -> Option<f64> {
        self.uprated.get(group as usize).copied().flatten()
    }
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

fn column(headers: &csv::StringRecord, name: &str, file: &'static str) -> Result<usize, CostError> {
    headers
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| CostError::BadFile {
            file,
            message: format!("missing column '{name}'"),
        })
}

fn parse_unit_costs(text: &str) -> Result<HashMap<OffenceGroup, Option<f64>>, CostError> {
    const FILE: &str = "unit costs";
    let mut rdr = reader(text);
    let headers = rdr
        .headers()
        .map_err(|e| CostError::BadFile {
            file: FILE,
            message: e.to_string(),
        })?
        .clone();
    let group_col = column(&headers, "offence_group", FILE)?;
    let cost_col = column(&headers, "unit_cost_gbp", FILE)?;
    let mut costs = HashMap::new();
    for record in rdr.records() {
        let record = record.map_err(|e| CostError::BadFile {
            file: FILE,
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |message: String| CostError::BadRow {
            file: FILE,
            line,
            message,
        };
        let group: OffenceGroup = record
            .get(group_col)
            .unwrap_or_default()
            .parse()
            .map_err(|e: crate::domain::enums::UnknownValue| bad(e.to_string()))?;
        let cost = match record.get(cost_col).unwrap_or_default() {
            "" => None,
            text => Some(parse_non_negative(text).map_err(&bad)?),
        };
        if costs.insert(group, cost).is_some() {
            return Err(bad(format!("offence group '{group}' appears twice")));
        }
    }
    Ok(costs)
}

fn parse_deflator(text: &str) -> Result<BTreeMap<String, f64>, CostError> {
    const FILE: &str = "deflator";
    let mut rdr = reader(text);
    let headers = rdr
        .headers()
        .map_err(|e| CostError::BadFile {
            file: FILE,
            message: e.to_string(),
        })?
        .clone();
    let year_col = column(&headers, "financial_year", FILE)?;
    let value_col = column(&headers, "deflator", FILE)?;
    let mut series = BTreeMap::new();
    for record in rdr.records() {
        let record = record.map_err(|e| CostError::BadFile {
            file: FILE,
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |message: String| CostError::BadRow {
            file: FILE,
            line,
            message,
        };
        let year = record.get(year_col).unwrap_or_default();
        if !is_financial_year(year) {
            return Err(bad(format!(
                "'{year}' is not a financial year like 2015-16"
            )));
        }
        let value = parse_non_negative(record.get(value_col).unwrap_or_default()).map_err(&bad)?;
        if value == 0.0 {
            return Err(bad("a deflator cannot be zero".to_string()));
        }
        if series.insert(year.to_string(), value).is_some() {
            return Err(bad(format!("financial year '{year}' appears twice")));
        }
    }
    Ok(series)
}

fn parse_non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("'{text}' is not a non-negative number")),
    }
}

/// `YYYY-YY` where the second part is the year after the first.
fn is_financial_year(text: &str) -> bool {
    let Some((start, end)) = text.split_once('-') else {
        return false;
    };
    match (start.parse::<u32>(), end.parse::<u32>()) {
        (Ok(s), Ok(e)) => start.len() == 4 && end.len() == 2 && (s + 1) % 100 == e,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COSTS: &str = "# a comment\noffence_group,unit_cost_gbp,heeks_category,notes\n\
        violence_with_injury,14050,Violence with injury,x\nshoplifting,,none,uncosted\n";
    const DEFLATOR: &str = "# source\nfinancial_year,deflator\n2015-16,80\n2024-25,100\n";

    #[test]
    fn a_unit_cost_is_uprated_by_the_ratio_of_deflators() {
        let priced = CostTables::from_texts(COSTS, DEFLATOR)
            .unwrap()
            .at_price_year("2024-25")
            .unwrap();
        // 14,050 × 100 / 80 = 17,562.50
        assert_eq!(
            priced.unit_cost(OffenceGroup::ViolenceWithInjury),
            Some(17_562.5)
        );
        assert_eq!(priced.unit_cost(OffenceGroup::Shoplifting), None);
        // A group missing from the file is uncosted too.
        assert_eq!(priced.unit_cost(OffenceGroup::Homicide), None);
    }

    #[test]
    fn the_base_year_needs_no_uprating() {
        let priced = CostTables::from_texts(COSTS, DEFLATOR)
            .unwrap()
            .at_price_year("2015-16")
            .unwrap();
        assert_eq!(priced.uprating_factor, 1.0);
    }

    #[test]
    fn the_embedded_tables_read_and_match_the_readme_example() {
        let priced = CostTables::embedded()
            .unwrap()
            .at_price_year("2024-25")
            .unwrap();
        // data/cost_of_crime/README.md: 14,050 × 100.0000 / 74.5804 = 18,838.73
        let cost = priced.unit_cost(OffenceGroup::ViolenceWithInjury).unwrap();
        assert!((cost - 18_838.73).abs() < 0.005, "{cost}");
    }

    #[test]
    fn an_unknown_price_year_is_an_error() {
        let tables = CostTables::from_texts(COSTS, DEFLATOR).unwrap();
        assert_eq!(
            tables.at_price_year("2031-32").unwrap_err(),
            CostError::UnknownPriceYear("2031-32".into())
        );
    }

    #[test]
    fn a_bad_replacement_file_is_refused_with_its_line() {
        let bad_group = "offence_group,unit_cost_gbp\nviolence,10\n";
        let err = CostTables::from_texts(bad_group, DEFLATOR).unwrap_err();
        assert!(matches!(err, CostError::BadRow { line: 2, .. }), "{err}");
        assert!(err
            .to_string()
            .contains("'violence' is not a valid offence group"));

        let negative = "offence_group,unit_cost_gbp\nrobbery,-1\n";
        assert!(CostTables::from_texts(negative, DEFLATOR).is_err());

        let twice = "offence_group,unit_cost_gbp\nrobbery,1\nrobbery,2\n";
        assert!(CostTables::from_texts(twice, DEFLATOR)
            .unwrap_err()
            .to_string()
            .contains("appears twice"));

        let no_column = "group,cost\nrobbery,1\n";
        assert!(CostTables::from_texts(no_column, DEFLATOR)
            .unwrap_err()
            .to_string()
            .contains("missing column 'offence_group'"));

        let bad_year = "financial_year,deflator\n2015,80\n";
        assert!(CostTables::from_texts(COSTS, bad_year).is_err());

        let no_base = "financial_year,deflator\n2024-25,100\n";
        assert!(CostTables::from_texts(COSTS, no_base)
            .unwrap_err()
            .to_string()
            .contains("base year 2015-16"));
    }
}
