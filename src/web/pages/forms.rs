//! The shape every question page shares: a list of fields rendered by `pages/form`, a
//! POST that runs one casework command, and then either a flash message and a redirect
//! (POST/redirect/GET) or the same page again with a 422 (409 when the change touches a
//! quarter whose return is approved), the error summary linking to
//! each field and the values typed kept (never a police identifier).
//!
//! A page handler only says which fields it asks for (`build`, which also looks the
//! record up in the actor's scope, so another organisation's record is a 404 before any
//! field is read) and which command a submission runs (`submit`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use super::{render_status, viewer_context};
use crate::casework::{CaseError, Ctx};
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::date_input::{self, Part};
use crate::domain::validation::{FieldError, Input};
use crate::store::login_sessions;
use crate::web::errors::{blocking, AppError, PageError};
use crate::web::security::CspNonce;
use crate::web::session::{see_other, Viewer};
use crate::web::AppState;

/// How a field is asked.
pub enum Widget {
    Text,
    /// The GOV.UK date input: day, month and year boxes (`name-day`, `name-month`,
    /// `name-year`) in a fieldset, read by `domain::date_input`.
    Date,
    Number,
    Textarea,
    Select(Vec<(String, String)>),
    Radios(Vec<(String, String)>),
    /// One checkbox (value `yes`) with this label; the field's label is the legend.
    Checkbox(String),
    /// Several checkboxes (value, label), each sent as `name_<value>` = `yes`; the
    /// field's label is the legend.
    Checkboxes(Vec<(String, String)>),
    Hidden,
}

pub struct Field {
    pub name: String,
    pub label: String,
    pub hint: Option<String>,
    pub kind: Widget,
    /// Shown only while another field has one of these values (`assets/reveal.js`;
    /// without JavaScript it is always shown, its label saying when it applies).
    pub reveal: Option<(String, Vec<String>)>,
}

impl Field {
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: Widget) -> Self {
        Field {
            name: name.into(),
            label: label.into(),
            hint: None,
            kind,
            reveal: None,
        }
    }

    /// Shows the field only while `field` has one of `values` (a conditional reveal).
    pub fn reveal_when(mut self, field: &str, values: Vec<String>) -> Self {
        self.reveal = Some((field.to_string(), values));
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// A date of something that happened: the hint's example is a month ago.
    pub fn date(name: &str, label: &str) -> Self {
        let example = crate::domain::calendar::add_months(today(), -1);
        Field::new(name, label, Widget::Date).hint(date_input::example(example))
    }

    /// A date of birth: the hint's example is 14 years ago, the age of a typical
    /// participant, so it is plausible.
    pub fn birth_date(name: &str, label: &str) -> Self {
        let example = crate::domain::calendar::add_months(today(), -14 * 12);
        Field::new(name, label, Widget::Date).hint(date_input::example(example))
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The options of a closed vocabulary: (word, label with underscores as spaces).
pub fn words(all: &[&'static str]) -> Vec<(String, String)> {
    all.iter()
        .map(|w| {
            let label = w.replace('_', " ");
            let mut c = label.chars();
            let label = match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => label,
            };
            (w.to_string(), label)
        })
        .collect()
}

/// A question page.
pub struct Form {
    pub heading: String,
    pub caption: Option<String>,
    pub action: String,
    pub submit: &'static str,
    pub back: Option<String>,
    pub fields: Vec<Field>,
}

/// Fields whose typed value is never shown again.
const NEVER_REDISPLAYED: &[&str] = &["police_id", "csrf_token"];

/// Said at the police identifier when the page comes back with errors after one was typed.
pub const POLICE_ID_NOT_KEPT: &str =
    "For privacy we did not keep the police identifier you entered. Enter it again.";

/// One box of a date input.
#[derive(Serialize)]
struct DateBox {
    /// `name-day`, `name-month`, `name-year`.
    name: String,
    label: &'static str,
    value: String,
    /// The width class: 2 characters for the day, 4 for the month (a name is allowed)
    /// and the year.
    width: u8,
    numeric: bool,
    error: bool,
}

/// The boxes of a date field: the values typed, or the parts of an ISO value (a
/// correction page's current value, a query's prefill); the wrong parts highlighted.
fn date_boxes(name: &str, input: &Input, has_error: bool) -> Vec<DateBox> {
    let names = Part::ALL.map(|p| format!("{name}-{}", p.word()));
    let typed = names.iter().any(|n| input.has(n));
    let values: [String; 3] = if typed {
        names.clone().map(|n| input.raw(&n).to_string())
    } else {
        crate::domain::period::parse_date(input.raw(name))
            .map(date_input::boxes)
            .unwrap_or_default()
    };
    let wrong = if has_error {
        match date_input::parse(&values[0], &values[1], &values[2]) {
            Err(e) => e.parts(),
            Ok(_) => Part::ALL.to_vec(),
        }
    } else {
        Vec::new()
    };
    Part::ALL
        .into_iter()
        .zip(names)
        .zip(values)
        .map(|((part, name), value)| DateBox {
            name,
            label: match part {
                Part::Day => "Day",
                Part::Month => "Month",
                Part::Year => "Year",
            },
            value,
            width: if part == Part::Day { 2 } else { 4 },
            numeric: part != Part::Month,
            error: wrong.contains(&part),
        })
        .collect()
}

/// An option of a select or radios field.
#[derive(Serialize)]
struct OptionView<'a> {
    value: String,
    text: &'a str,
    selected: bool,
}

/// A field as `pages/form` reads it: one of the widget flags is true.
#[derive(Serialize)]
struct FieldView<'a> {
    name: &'a str,
    label: &'a str,
    hint: &'a Option<String>,
    value: &'a str,
    error: Option<&'a str>,
    options: Vec<OptionView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    box_label: Option<&'a str>,
    /// The date input's boxes (a date field only).
    boxes: Vec<DateBox>,
    text: bool,
    date: bool,
    number: bool,
    textarea: bool,
    hidden: bool,
    select: bool,
    radios: bool,
    checkbox: bool,
    checkboxes: bool,
    /// The field whose value reveals this one, and those values (comma separated).
    reveal_field: Option<&'a str>,
    reveal_values: Option<String>,
}

/// A link in the error summary.
#[derive(Serialize)]
struct SummaryLink {
    href: String,
    text: String,
}

/// A link offered beside a warning.
#[derive(Serialize)]
pub struct WarningLink {
    href: String,
    text: String,
}

/// A warning shown above the form (a possible duplicate).
#[derive(Serialize)]
pub struct Warning {
    text: &'static str,
    links: Vec<WarningLink>,
}

/// The view of `pages/form`.
#[derive(Serialize)]
struct FormView<'a> {
    heading: &'a str,
    caption: &'a Option<String>,
    action: &'a str,
    submit: &'static str,
    back: &'a Option<String>,
    fields: Vec<FieldView<'a>>,
    errors: Vec<SummaryLink>,
    warning: Option<Warning>,
    /// A field is revealed by another's value: the page loads `assets/reveal.js`.
    reveals: bool,
}

fn context(form: &Form, input: &Input, errors: &[FieldError], warning: Option<Warning>) -> Value {
    // A police identifier typed on a page that comes back with errors is not shown
    // again: say so, and ask for it again (unless it has an error of its own).
    let mut errors = errors.to_vec();
    if !errors.is_empty()
        && !input.raw("police_id").is_empty()
        && form.fields.iter().any(|f| f.name == "police_id")
        && !errors.iter().any(|e| e.field == "police_id")
    {
        errors.push(FieldError::new("police_id", POLICE_ID_NOT_KEPT));
    }
    let errors = &errors[..];
    let fields = form
        .fields
        .iter()
        .map(|f| {
            let value = if NEVER_REDISPLAYED.contains(&f.name.as_str()) {
                ""
            } else {
                input.raw(&f.name)
            };
            let options = match &f.kind {
                Widget::Select(o) | Widget::Radios(o) => o
                    .iter()
                    .map(|(v, t)| OptionView {
                        value: v.clone(),
                        text: t,
                        selected: v == value,
                    })
                    .collect(),
                Widget::Checkboxes(o) => o
                    .iter()
                    .map(|(v, t)| {
                        let name = format!("{}_{v}", f.name);
                        OptionView {
                            selected: input.flag(&name),
                            value: name,
                            text: t,
                        }
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let error = errors
                .iter()
                .find(|e| e.field == f.name)
                .map(|e| e.message.as_str());
            FieldView {
                name: &f.name,
                label: &f.label,
                hint: &f.hint,
                value,
                error,
                boxes: match f.kind {
                    Widget::Date => date_boxes(&f.name, input, error.is_some()),
                    _ => Vec::new(),
                },
                options,
                box_label: match &f.kind {
                    Widget::Checkbox(text) => Some(text),
                    _ => None,
                },
                text: matches!(f.kind, Widget::Text),
                date: matches!(f.kind, Widget::Date),
                number: matches!(f.kind, Widget::Number),
                textarea: matches!(f.kind, Widget::Textarea),
                hidden: matches!(f.kind, Widget::Hidden),
                select: matches!(f.kind, Widget::Select(_)),
                radios: matches!(f.kind, Widget::Radios(_)),
                checkbox: matches!(f.kind, Widget::Checkbox(_)),
                checkboxes: matches!(f.kind, Widget::Checkboxes(_)),
                reveal_field: f.reveal.as_ref().map(|(field, _)| field.as_str()),
                reveal_values: f.reveal.as_ref().map(|(_, values)| values.join(",")),
            }
        })
        .collect();
    // Errors about fields not on the page (e.g. a register line) link to the form.
    // A date's error links to its first wrong box.
    let summary = errors
        .iter()
        .map(|e| SummaryLink {
            href: match form.fields.iter().find(|f| f.name == e.field) {
                Some(f) if matches!(f.kind, Widget::Date) => {
                    let boxes = date_boxes(&f.name, input, true);
                    let first = boxes.iter().find(|b| b.error).unwrap_or(&boxes[0]);
                    format!("#{}", first.name)
                }
                Some(_) => format!("#{}", e.field),
                None => "#main-content".into(),
            },
            text: e.message.clone(),
        })
        .collect();
    serde_json::to_value(FormView {
        heading: &form.heading,
        caption: &form.caption,
        action: &form.action,
        submit: form.submit,
        back: &form.back,
        fields,
        errors: summary,
        warning,
        reveals: form.fields.iter().any(|f| f.reveal.is_some()),
    })
    .unwrap_or(Value::Null)
}

fn page(
    status: StatusCode,
    nonce: &CspNonce,
    viewer: &Viewer,
    form: &Form,
    body: Value,
) -> Result<HttpResponse, PageError> {
    let title = if status == StatusCode::OK {
        form.heading.clone()
    } else {
        format!("Error: {}", form.heading)
    };
    render_status(
        status,
        "pages/form",
        &viewer_context(&title, nonce, viewer, "", &body),
    )
}

/// Builds the page's form: looks its records up in the actor's scope (404 for another
/// organisation's) and lists the fields with their options.
pub type Build = Box<dyn FnOnce(&mut DbConn, &Actor) -> Result<Form, AppError> + Send>;
/// Runs the command; returns where to go and the flash message.
pub type Submit =
    Box<dyn FnOnce(&mut DbConn, &Ctx, Input) -> Result<(String, String), CaseError> + Send>;

fn pairs(form: Vec<(String, String)>) -> Input {
    Input::from_pairs(form)
}

/// `GET`: the empty page (query values prefill fields, e.g. `participant_id`).
pub async fn show(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    actor: Actor,
    query: Vec<(String, String)>,
    build: Build,
) -> Result<HttpResponse, PageError> {
    let form = blocking(move || build(&mut *state.conn()?, &actor)).await?;
    let body = context(&form, &pairs(query), &[], None);
    page(StatusCode::OK, &nonce, &viewer, &form, body)
}

/// `POST`: runs the command; redirects with a flash, or shows the page again with 422.
pub async fn submit(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
    actor: Actor,
    fields: Vec<(String, String)>,
    build: Build,
    submit: Submit,
) -> Result<HttpResponse, PageError> {
    let session = viewer.session_id;
    let outcome = blocking(move || {
        let mut conn = state.conn()?;
        let form = build(&mut conn, &actor)?;
        let input = pairs(fields);
        let kept = input.clone();
        let ctx = crate::web::shared::page_ctx(&state, &actor);
        match submit(&mut conn, &ctx, input) {
            Ok((location, flash)) => {
                if let Some(id) = session {
                    login_sessions::set_flash(&mut conn, id, &flash)?;
                }
                Ok(Ok(location))
            }
            Err(CaseError::Invalid(errors)) => {
                Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, form, kept, errors, None)))
            }
            Err(CaseError::Locked(error)) => {
                Ok(Err((StatusCode::CONFLICT, form, kept, vec![error], None)))
            }
            Err(CaseError::PossibleDuplicate(existing)) => {
                let warning = Warning {
                    text: "A participant with this police identifier is already registered. Use the existing record, or enter the police identifier again and choose to register another.",
                    links: existing
                        .iter()
                        .map(|p| WarningLink {
                            href: format!("/participants/{}", p.id),
                            text: format!("Use the existing record {}", p.fields.reference),
                        })
                        .collect(),
                };
                let errors = vec![FieldError::new(
                    "police_id",
                    "A participant with this police identifier is already registered",
                )];
                Ok(Err((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    form,
                    kept,
                    errors,
                    Some(warning),
                )))
            }
            Err(e) => Err(AppError::from(e)),
        }
    })
    .await?;
    match outcome {
        Ok(location) => Ok(see_other(&location)),
        Err((status, form, input, errors, warning)) => {
            let body = context(&form, &input, &errors, warning);
            page(status, &nonce, &viewer, &form, body)
        }
    }
}

/// Clears the flash message once a page has shown it.
pub fn shown(conn: &mut DbConn, viewer: &Viewer) -> Result<(), AppError> {
    if let (Some(id), Some(_)) = (viewer.session_id, &viewer.flash) {
        login_sessions::clear_flash(conn, id)?;
    }
    Ok(())
}
