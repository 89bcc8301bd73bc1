//! Small hand-written SVG charts: bars, lines and rates with interval whiskers. Each has a
//! `<title>` and a `<desc>` and is always shown beside the table of its data (HTML and
//! PDF). A figure without a value (hidden in published mode, or null) is never drawn: its
//! bar is left out and labelled with its text ("<5", "[c]" or "–"), so a chart cannot
//! reveal what the table hides. Every piece of text is XML-escaped; no styles are used
//! (presentation attributes only), so the SVG works under a strict Content-Security-Policy.

use std::fmt::Write;

/// GOV.UK Frontend colours: blue, orange, green (told apart by markers and dashes too).
const COLOURS: [&str; 3] = ["#1d70b8", "#f47738", "#00703c"];
const DASHES: [&str; 3] = ["", "6 3", "2 3"];
const TEXT: &str = "#0b0c0c";
const GRID: &str = "#b1b4b6";
const FONT: &str = "Liberation Sans, Arial, sans-serif";

/// One bar: its label, its value (none: not drawn) and the text printed beside it.
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub text: String,
}

/// One line of a line chart; `None` values are gaps.
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// A rate (0 to 1) with its interval.
pub struct RateInterval {
    pub label: String,
    pub rate: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub text: String,
}

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn open(width: u32, height: u32, title: &str, desc: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" \
         font-family=\"{FONT}\" font-size=\"13\">\
         <title id=\"chart-title\">{}</title><desc id=\"chart-desc\">{}</desc>\
         <rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>",
        escape(title),
        escape(desc)
    )
}

fn text(out: &mut String, x: f64, y: f64, anchor: &str, s: &str) {
    let _ = write!(
        out,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" fill=\"{TEXT}\">{}</text>",
        escape(s)
    );
}

/// A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten.
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if step * magnitude >= max {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// A horizontal bar chart.
pub fn bar(title: &str, desc: &str, bars: &[Bar]) -> String {
    let (label_w, bar_w, row_h, top) = (150.0, 300.0, 30.0, 10.0);
    let width = 540;
    let height = (top * 2.0 + row_h * bars.len() as f64) as u32;
    let max = nice_max(bars.iter().filter_map(|b| b.value).fold(0.0, f64::max));
    let mut out = open(width, height, title, desc);
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        text(&mut out, label_w - 8.0, y + 19.0, "end", &b.label);
        let w = b.value.map(|v| (v / max * bar_w).max(0.0)).unwrap_or(0.0);
        if b.value.is_some() {
            let _ = write!(
                out,
                "<rect x=\"{label_w:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                y + 4.0,
                row_h - 8.0,
                COLOURS[0]
            );
        }
        text(&mut out, label_w + w + 6.0, y + 19.0, "start", &b.text);
    }
    let _ = write!(
        out,
        "<line x1=\"{label_w}\" y1=\"{top}\" x2=\"{label_w}\" y2=\"{:.1}\" stroke=\"{TEXT}\"/></svg>",
        height as f64 - top
    );
    out
}

/// A line chart of several series over the same labels (e.g. quarters).
pub fn line(title: &str, desc: &str, labels: &[String], series: &[Series]) -> String {
    let (left, right, top, bottom) = (50.0, 20.0, 20.0, 70.0);
    let (width, height) = (540u32, 280u32);
    let plot_w = width as f64 - left - right;
    let plot_h = height as f64 - top - bottom;
    let max = nice_max(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .fold(0.0, |a, b| a.max(*b)),
    );
    let n = labels.len().max(1);
    let x = |i: usize| left + plot_w * (i as f64 + 0.5) / n as f64;
    let y = |v: f64| top + plot_h * (1.0 - v / max);
    let mut out = open(width, height, title, desc);
    for tick in 0..=4 {
        let v = max * tick as f64 / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{0:.1}\" x2=\"{1:.1}\" y2=\"{0:.1}\" stroke=\"{GRID}\"/>",
            y(v),
            left + plot_w
        );
        text(&mut out, left - 6.0, y(v) + 4.0, "end", &trim_number(v));
    }
    for (i, l) in labels.iter().enumerate() {
        text(&mut out, x(i), top + plot_h + 18.0, "middle", l);
    }
    for (k, s) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let dash = DASHES[k % DASHES.len()];
        // Consecutive shown points are joined; a hidden point breaks the line.
        let mut run: Vec<(f64, f64)> = Vec::new();
        let flush = |out: &mut String, run: &mut Vec<(f64, f64)>| {
            if run.len() > 1 {
                let points: Vec<String> =
                    run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
                let _ = write!(
                    out,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{}/>",
                    points.join(" "),
                    if dash.is_empty() {
                        String::new()
                    } else {
                        format!(" stroke-dasharray=\"{dash}\"")
                    }
                );
            }
            run.clear();
        };
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => run.push((x(i), y(*v))),
                None => flush(&mut out, &mut run),
            }
        }
        flush(&mut out, &mut run);
        for (i, v) in s.values.iter().enumerate() {
            if let Some(v) = v {
                marker(&mut out, k, x(i), y(*v), colour);
            }
        }
        let lx = left + 150.0 * k as f64;
        let ly = height as f64 - 22.0;
        marker(&mut out, k, lx + 6.0, ly - 4.0, colour);
        text(&mut out, lx + 16.0, ly, "start", &s.name);
    }
    out.push_str("</svg>");
    out
}

/// Circle, square, triangle: series differ by shape as well as colour.
fn marker(out: &mut String, k: usize, x: f64, y: f64, colour: &str) {
    let _ = match k % 3 {
        0 => write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{colour}\"/>"
        ),
        1 => write!(
            out,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"8\" height=\"8\" fill=\"{colour}\"/>",
            x - 4.0,
            y - 4.0
        ),
        _ => write!(
            out,
            "<polygon points=\"{x:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"{colour}\"/>",
            y - 5.0,
            x - 5.0,
            y + 4.0,
            x + 5.0,
            y + 4.0
        ),
    };
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Splits `label` into lines of at most `width` characters at spaces (a longer word
/// stays whole), so that long names (two programmes' names) fit beside a chart.
pub fn wrap(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in label.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Rates (0 to 100%) as points with interval whiskers, one row per group; long labels
/// wrap onto several lines and their row grows to fit.
pub fn interval(title: &str, desc: &str, rows: &[RateInterval]) -> String {
    let (label_w, plot_w, top, axis_h, line_h) = (170.0, 290.0, 10.0, 30.0, 15.0);
    let width = 540;
    let labels: Vec<Vec<String>> = rows.iter().map(|r| wrap(&r.label, 24)).collect();
    let heights: Vec<f64> = labels
        .iter()
        .map(|l| (line_h * l.len() as f64 + 14.0).max(34.0))
        .collect();
    let bottom = top + heights.iter().sum::<f64>();
    let height = (bottom + axis_h) as u32;
    let x = |v: f64| label_w + plot_w * v.clamp(0.0, 1.0);
    let mut out = open(width, height, title, desc);
    for tick in 0..=4 {
        let v = tick as f64 / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{bottom:.1}\" stroke=\"{GRID}\"/>",
            x(v)
        );
        text(
            &mut out,
            x(v),
            bottom + 18.0,
            "middle",
            &format!("{}%", tick * 25),
        );
    }
    let mut y0 = top;
    for ((r, lines), h) in rows.iter().zip(&labels).zip(&heights) {
        let cy = y0 + h / 2.0;
        y0 += h;
        let first = cy + 4.0 - line_h * (lines.len() as f64 - 1.0) / 2.0;
        for (k, l) in lines.iter().enumerate() {
            text(&mut out, label_w - 8.0, first + line_h * k as f64, "end", l);
        }
        if let (Some(lo), Some(hi)) = (r.low, r.high) {
            let _ = write!(
                out,
                "<line x1=\"{:.1}\" y1=\"{cy:.1}\" x2=\"{:.1}\" y2=\"{cy:.1}\" stroke=\"{TEXT}\" stroke-width=\"1.5\"/>\
                 <line x1=\"{0:.1}\" y1=\"{2:.1}\" x2=\"{0:.1}\" y2=\"{3:.1}\" stroke=\"{TEXT}\" stroke-width=\"1.5\"/>\
                 <line x1=\"{1:.1}\" y1=\"{2:.1}\" x2=\"{1:.1}\" y2=\"{3:.1}\" stroke=\"{TEXT}\" stroke-width=\"1.5\"/>",
                x(lo),
                x(hi),
                cy - 6.0,
                cy + 6.0
            );
        }
        if let Some(rate) = r.rate {
            let _ = write!(
                out,
                "<circle cx=\"{:.1}\" cy=\"{cy:.1}\" r=\"5\" fill=\"{}\"/>",
                x(rate),
                COLOURS[0]
            );
        }
        text(
            &mut out,
            label_w + plot_w + 12.0,
            cy + 4.0,
            "start",
            &r.text,
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_bar_is_not_drawn_and_is_labelled_with_its_symbol() {
        let svg = bar(
            "Funnel",
            "Two bars",
            &[
                Bar {
                    label: "Referred".into(),
                    value: Some(12.0),
                    text: "12".into(),
                },
                Bar {
                    label: "Completed".into(),
                    value: None,
                    text: "<5".into(),
                },
            ],
        );
        assert_eq!(svg.matches("<rect x=").count(), 1);
        assert!(svg.contains(">&lt;5</text>"));
        assert!(svg.contains("<title id=\"chart-title\">Funnel</title>"));
        assert!(svg.contains("<desc id=\"chart-desc\">Two bars</desc>"));
    }

    #[test]
    fn labels_from_data_are_escaped() {
        let svg = bar(
            "t",
            "d",
            &[Bar {
                label: "<script>alert('x')</script> & co".into(),
                value: Some(1.0),
                text: "1".into(),
            }],
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; co"));
    }

    #[test]
    fn a_hidden_point_breaks_the_line_and_a_hidden_rate_has_no_marker() {
        let svg = line(
            "t",
            "d",
            &["Q1".into(), "Q2".into(), "Q3".into()],
            &[Series {
                name: "Referred".into(),
                values: vec![Some(5.0), None, Some(7.0)],
            }],
        );
        assert!(!svg.contains("<polyline"));
        // Two points plus the legend marker.
        assert_eq!(svg.matches("<circle").count(), 3);
        let svg = interval(
            "t",
            "d",
            &[RateInterval {
                label: "All".into(),
                rate: None,
                low: None,
                high: None,
                text: "[c]".into(),
            }],
        );
        assert!(!svg.contains("<circle"));
        assert!(svg.contains(">[c]</text>"));
    }

    #[test]
    fn long_labels_wrap_at_spaces() {
        assert_eq!(
            wrap("Immediate Justice (tailored workshop only)", 24),
            vec!["Immediate Justice", "(tailored workshop only)"]
        );
        assert_eq!(wrap("All referred", 24), vec!["All referred"]);
        assert_eq!(wrap("", 24), vec![""]);
        let svg = interval(
            "t",
            "d",
            &[RateInterval {
                label: "Immediate Justice (tailored workshop only)".into(),
                rate: Some(0.3),
                low: Some(0.2),
                high: Some(0.4),
                text: "30.0%".into(),
            }],
        );
        assert!(svg.contains(">Immediate Justice</text>"));
        assert!(svg.contains(">(tailored workshop only)</text>"));
    }

    #[test]
    fn axes_end_at_round_numbers() {
        assert_eq!(nice_max(7.0), 10.0);
        assert_eq!(nice_max(12.0), 20.0);
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(45.0), 50.0);
    }
}
