//! The report as HTML: the `reports/body` template (GOV.UK Frontend markup) over the
//! report's view. Charts are embedded as `data:` SVG images (allowed by the service's
//! `img-src 'self' data:` policy) with their description as alternative text, so no
//! markup is ever passed through unescaped; the table beside each chart gives its values.

use base64::Engine;
use serde_json::Value;

use super::view::ReportView;
use crate::templates;

/// The template context of a view: the view itself, each chart with a `data_uri`.
pub fn context(view: &ReportView) -> Value {
    let mut ctx = serde_json::to_value(view).unwrap_or(Value::Null);
    if let Some(sections) = ctx.get_mut("sections").and_then(Value::as_array_mut) {
        for section in sections {
            let Some(charts) = section.get_mut("charts").and_then(Value::as_array_mut) else {
                continue;
            };
            for chart in charts {
                let svg = chart.get("svg").and_then(Value::as_str).unwrap_or_default();
                let uri = format!(
                    "data:image/svg+xml;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(svg)
                );
                chart["data_uri"] = Value::String(uri);
            }
        }
    }
    ctx
}

/// The page body, for a page that wraps it in `layouts/base`
/// (`{{> reports/body}}` with [`context`] merged into the page's context).
pub fn render_body(view: &ReportView) -> Result<String, handlebars::RenderError> {
    templates::render("reports/body", &context(view))
}

/// A standalone HTML document (the command line's `--format html`).
pub fn render_document(view: &ReportView) -> Result<String, handlebars::RenderError> {
    templates::render("reports/document", &context(view))
}
