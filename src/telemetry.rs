//! Logging. Records carry ids and route patterns, never personal data — and, in case one
//! slips through (a library's debug output, a future `tracing::debug!`), every line is
//! redacted at the logging layer before it is written:
//!
//! - the values of fields named like personal data or secrets (`reference`,
//!   `date_of_birth`, `district`, `email`, `police_id`, `csrf_token`, `session`,
//!   `cookie`, `password`, `token`, ...), in text (`name=value`), JSON (`"name":"value"`)
//!   and debug (`"name": String("value")`) form, become `[redacted]`;
//! - anything shaped like an email address becomes `[email]`;
//! - runs of 32 or more hexadecimal characters (session ids, CSRF and API tokens, keys)
//!   become `[secret]`.
//!
//! Libraries known to log values (handlebars logs the data it renders at debug level)
//! are capped at `warn` whatever `OUTCOMES_LOG` says (finding M3).
//! `OUTCOMES_LOG_FORMAT=json` writes one JSON object per line instead of text.

use std::io::Write;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Targets capped at `warn` (they log values they handle at debug or trace level).
const CAPPED: &[&str] = &[
    "handlebars=warn",
    "actix_http=info",
    "actix_server=info",
    "h2=warn",
    "hyper=warn",
    "reqwest=warn",
    "rustls=warn",
    "diesel=warn",
];

/// Field names whose values are never written.
const SENSITIVE_FIELDS: &[&str] = &[
    "reference",
    "date_of_birth",
    "dob",
    "district",
    "email",
    "police_id",
    "csrf_token",
    "login_csrf",
    "csrf",
    "session",
    "session_id",
    "cookie",
    "password",
    "token",
    "display_name",
    "postcode",
];

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `OUTCOMES_LOG_FORMAT`: `json`, or text (the default).
    pub fn from_env() -> Self {
        match std::env::var("OUTCOMES_LOG_FORMAT") {
            Ok(v) if v.trim().eq_ignore_ascii_case("json") => LogFormat::Json,
            _ => LogFormat::Text,
        }
    }
}

/// The filter for `spec` (`OUTCOMES_LOG`), with the capped targets added last.
pub fn filter(spec: &str) -> EnvFilter {
    let mut filter = EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new("info"));
    for directive in CAPPED {
        if let Ok(d) = directive.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Installs the global subscriber once (later calls are ignored, as in tests).
pub fn init(spec: &str) {
    let _ = init_with(spec, LogFormat::from_env(), std::io::stderr);
}

/// Installs the global subscriber writing redacted lines to `writer`; an error when one
/// is already installed.
pub fn init_with<W>(spec: &str, format: LogFormat, writer: W) -> Result<(), String>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(spec))
        .with_writer(Redacting(writer))
        .with_target(false);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|e| e.to_string())
}

/// A `MakeWriter` whose writers redact each line (see the module docs).
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;
    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

fn is_email_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// One line with personal values and secrets replaced (see the module docs).
pub fn redact(line: &str) -> String {
    let line = redact_fields(line);
    let line = redact_emails(&line);
    redact_hex(&line)
}

fn redact_fields(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let bytes = line.as_bytes();
    let mut i = 0;
    'outer: while i < line.len() {
        for name in SENSITIVE_FIELDS {
            if !line[i..].starts_with(name) {
                continue;
            }
            // A whole name: not the tail of a longer identifier.
            if i > 0 {
                let before = bytes[i - 1] as char;
                if before.is_ascii_alphanumeric() || before == '_' {
                    continue;
                }
            }
            let mut j = i + name.len();
            if j < line.len() && (bytes[j] as char == '"') {
                j += 1;
            }
            let rest = &line[j..];
            let sep = if rest.starts_with('=') || rest.starts_with(':') {
                1
            } else {
                continue;
            };
            let mut k = j + sep;
            while k < line.len() && bytes[k] == b' ' {
                k += 1;
            }
            let value_end = value_end(line, k);
            out.push_str(&line[i..k]);
            out.push_str("[redacted]");
            i = value_end;
            continue 'outer;
        }
        let c = line[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Where the value starting at `start` ends: a quoted string (with escapes), a debug
/// `String("...")`, or up to a space, comma or closing bracket.
fn value_end(line: &str, start: usize) -> usize {
    let rest = &line[start..];
    let quoted_from = if rest.starts_with('"') {
        Some(start + 1)
    } else if rest.starts_with("String(\"") || rest.starts_with("Some(\"") {
        Some(start + rest.find('"').unwrap_or(0) + 1)
    } else {
        None
    };
    if let Some(from) = quoted_from {
        let bytes = line.as_bytes();
        let mut k = from;
        while k < line.len() {
            match bytes[k] {
                b'\\' => k += 2,
                b'"' => {
                    k += 1;
                    // The closing parenthesis of String("...").
                    while k < line.len() && bytes[k] == b')' {
                        k += 1;
                    }
                    return k.min(line.len());
                }
                _ => k += 1,
            }
        }
        return line.len();
    }
    rest.find([' ', ',', '}', ')', '\n'])
        .map(|n| start + n)
        .unwrap_or(line.len())
}

fn redact_emails(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let prefix: Vec<char> = out.chars().collect();
            let mut l = prefix.len();
            while l > 0 && is_email_char(prefix[l - 1]) {
                l -= 1;
            }
            let mut r = i + 1;
            while r < chars.len()
                && (chars[r].is_ascii_alphanumeric() || matches!(chars[r], '.' | '-'))
            {
                r += 1;
            }
            let domain: String = chars[i + 1..r].iter().collect();
            let domain = domain.trim_end_matches('.');
            if l < prefix.len() && domain.contains('.') {
                let left = prefix[..l].iter().collect::<String>().len();
                out.truncate(left);
                out.push_str("[email]");
                i = i + 1 + domain.chars().count();
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

fn redact_hex(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 32 {
            out.push_str("[secret]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in line.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_values_and_secrets_are_redacted_in_every_form() {
        let line = r#"rendering "district": String("Amber Valley"), "reference": String("IJ-0000001") email=jo@remedi.org csrf_token=3a822c00aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff {"date_of_birth":"2010-04-01","route":"/participants/{id}"} contact Jo.Smith+x@example.co.uk now"#;
        let r = redact(line);
        for leak in [
            "Amber Valley",
            "IJ-0000001",
            "jo@remedi.org",
            "3a822c00",
            "2010-04-01",
            "Jo.Smith",
            "example.co.uk",
        ] {
            assert!(!r.contains(leak), "{leak} in {r}");
        }
        assert!(r.contains("\"route\":\"/participants/{id}\""), "{r}");
        assert!(r.contains("rendering"), "{r}");
        assert!(r.ends_with(" now"), "{r}");
    }

    #[test]
    fn ordinary_lines_are_left_alone() {
        let line =
            "2026-12-07T00:00:00Z INFO request method=GET route=/participants/{id} status=200 ms=3";
        assert_eq!(redact(line), line);
    }
}
