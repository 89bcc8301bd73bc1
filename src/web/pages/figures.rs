//! A programme's engagement figures (DESIGN.md 4.1) as a GOV.UK summary list: the
//! quarterly return's check-your-answers page, the decision page and the role home pages
//! show them with the reports' labels and number formats.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::reports::view::{format_value, NumberFormat};

/// A figure: its label and value as people read them.
#[derive(Debug, Clone, Serialize)]
pub struct FigureLine {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
}

/// The engagement figures in the order of the reports' engagement table. `reparation`:
/// the programme is Immediate Justice (reparation hours are asked of it alone).
const ENGAGEMENT: [(&str, &str, NumberFormat); 17] = [
    (
        "referrals_received",
        "Referrals received",
        NumberFormat::Count,
    ),
    (
        "referrals_accepted",
        "Referrals accepted",
        NumberFormat::Count,
    ),
    (
        "referrals_declined",
        "Referrals declined",
        NumberFormat::Count,
    ),
    (
        "referrals_pending",
        "Referrals waiting for a decision",
        NumberFormat::Count,
    ),
    ("acceptance_rate", "Acceptance rate", NumberFormat::Rate),
    (
        "engaged",
        "Referrals engaged (attended at least once)",
        NumberFormat::Count,
    ),
    ("completed", "Completed", NumberFormat::Count),
    ("withdrawn", "Withdrawn", NumberFormat::Count),
    ("disengaged", "Disengaged", NumberFormat::Count),
    ("completion_rate", "Completion rate", NumberFormat::Rate),
    (
        "median_days_to_first_session",
        "Median days from referral to first session",
        NumberFormat::Measure,
    ),
    (
        "sessions_delivered",
        "Sessions delivered",
        NumberFormat::Count,
    ),
    ("attendance_rate", "Attendance rate", NumberFormat::Rate),
    (
        "participants_reached",
        "Participants reached (named)",
        NumberFormat::Count,
    ),
    (
        "anonymous_headcount",
        "Attendances by headcount (group sessions)",
        NumberFormat::Count,
    ),
    ("hours_delivered", "Hours delivered", NumberFormat::Measure),
    (
        "hours_required",
        "Reparation hours required",
        NumberFormat::Measure,
    ),
];

/// The figures of an engagement map (`evaluation::engagement::Engagement` as JSON); a
/// figure with no value (a rate of nothing) reads "No data". Reparation hours are listed
/// for Immediate Justice programmes only.
pub fn engagement_lines(figures: &Map<String, Value>, reparation: bool) -> Vec<FigureLine> {
    ENGAGEMENT
        .iter()
        .filter(|(key, _, _)| reparation || *key != "hours_required")
        .filter_map(|(key, label, kind)| {
            let value = match figures.get(*key)? {
                Value::Number(n) => format_value(*kind, n.as_f64().unwrap_or_default()),
                Value::Null => "No data".to_string(),
                other => other.to_string(),
            };
            Some(FigureLine { key, label, value })
        })
        .collect()
}

/// The few figures a home page shows of a programme's year.
pub fn key_lines(figures: &Map<String, Value>) -> Vec<FigureLine> {
    const KEY: [&str; 6] = [
        "referrals_received",
        "engaged",
        "completed",
        "completion_rate",
        "sessions_delivered",
        "attendance_rate",
    ];
    engagement_lines(figures, false)
        .into_iter()
        .filter(|l| KEY.contains(&l.key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_with_labels_percentages_and_whole_hours() {
        let figures = serde_json::json!({
            "referrals_received": 1261, "completion_rate": 0.6875, "hours_delivered": -0.0,
            "hours_required": 12.5, "attendance_rate": null,
        });
        let lines = engagement_lines(figures.as_object().unwrap(), false);
        let text: Vec<(&str, &str)> = lines.iter().map(|l| (l.label, l.value.as_str())).collect();
        assert_eq!(
            text,
            [
                ("Referrals received", "1,261"),
                ("Completion rate", "68.8%"),
                ("Attendance rate", "No data"),
                ("Hours delivered", "0"),
            ]
        );
        let ij = engagement_lines(figures.as_object().unwrap(), true);
        assert_eq!(ij.last().unwrap().value, "12.5");
    }
}
