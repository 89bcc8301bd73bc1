//! Commissioning set-up pages (commissioners and admins): providers, programmes,
//! funding streams with allocations, contracted targets and outcome measures. Each
//! question page is a field list for `forms`; the overview lists what exists.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::forms::{self, Build, Field, Form, Widget};
use super::{render, viewer_context, Page};
use crate::casework::{self, setup::TARGET_METRICS};
use crate::domain::enums::{
    Delivery, LawfulBasis, OffenceDataCondition, OrganisationKind, ProgrammeKind,
};
use crate::domain::ids::{FundingStreamId, ProgrammeId};
use crate::store;
use crate::web::errors::{blocking, PageError};
use crate::web::security::CspNonce;
use crate::web::session::Viewer;
use crate::web::shared::PathId;
use crate::web::AppState;

type Fields = web::Form<Vec<(String, String)>>;

/// A provider on `/setup`.
#[derive(Serialize)]
struct ProviderLine {
    name: String,
}

/// A funding stream on `/setup`, its allocation as money.
#[derive(Serialize)]
struct StreamLine {
    id: FundingStreamId,
    name: String,
    year: String,
    amount: String,
}

/// An outcome measure on `/setup`, with its range.
#[derive(Serialize)]
struct MeasureLine {
    name: String,
    /// "1 to 5, higher is better".
    range: String,
}

/// The view of `pages/setup`.
#[derive(Serialize)]
struct SetupView {
    providers: Vec<ProviderLine>,
    streams: Vec<StreamLine>,
    measures: Vec<MeasureLine>,
}

/// `GET /setup`: providers, funding streams and measures, with links to add each.
pub async fn overview(
    state: web::Data<AppState>,
    nonce: CspNonce,
    viewer: Viewer,
) -> Result<HttpResponse, PageError> {
    let v = viewer.clone();
    let body = blocking(move || {
        let mut conn = state.conn()?;
        let providers = store::organisations::list(&mut conn)?
            .into_iter()
            .filter(|o| o.kind == OrganisationKind::Provider)
            .map(|o| ProviderLine { name: o.name })
            .collect();
        let streams = store::funding_streams::all(&mut conn)?
            .into_iter()
            .map(|f| StreamLine {
                id: f.id,
                name: f.name,
                year: f.financial_year,
                amount: crate::format::money_pence(f.amount_pence),
            })
            .collect();
        let measures = store::measures::all(&mut conn)?
            .into_iter()
            .map(|m| MeasureLine {
                name: super::casework::measure_name(&m),
                range: super::casework::measure_hint(&m),
            })
            .collect();
        forms::shown(&mut conn, &v)?;
        Ok(SetupView {
            providers,
            streams,
            measures,
        })
    })
    .await?;
    render(
        "pages/setup",
        &viewer_context("Commissioning set-up", &nonce, &viewer, "", &body),
    )
}

/// Radio options of a vocabulary, with its labels.
fn labelled<T: Copy>(
    all: &[T],
    word: fn(T) -> &'static str,
    label: fn(T) -> String,
) -> Vec<(String, String)> {
    all.iter()
        .map(|t| (word(*t).to_string(), label(*t)))
        .collect()
}

fn simple(heading: &'static str, action: String, fields: Vec<Field>) -> Form {
    Form {
        heading: heading.into(),
        caption: None,
        action,
        submit: "Save",
        back: Some("/setup".into()),
        fields,
    }
}

fn providers(
    conn: &mut crate::db::DbConn,
) -> Result<Vec<(String, String)>, crate::web::errors::AppError> {
    Ok(store::organisations::list(conn)?
        .into_iter()
        .filter(|o| o.kind == OrganisationKind::Provider)
        .map(|o| (o.id.to_string(), o.name))
        .collect())
}

/// Each set-up page: its form and the command its submission runs.
macro_rules! setup_page {
    ($show:ident, $save:ident, $build:expr, $run:expr) => {
        pub async fn $show(
            Page {
                state,
                nonce,
                viewer,
                actor,
            }: Page,
        ) -> Result<HttpResponse, PageError> {
            forms::show(state, nonce, viewer, actor, Vec::new(), Box::new($build)).await
        }

        pub async fn $save(
            Page {
                state,
                nonce,
                viewer,
                actor,
            }: Page,
            form: Fields,
        ) -> Result<HttpResponse, PageError> {
            forms::submit(
                state,
                nonce,
                viewer,
                actor,
                form.into_inner(),
                Box::new($build),
                Box::new($run),
            )
            .await
        }
    };
}

setup_page!(
    new_provider,
    create_provider,
    |_, _| Ok(simple(
        "Add a provider",
        "/setup/providers".into(),
        vec![Field::new("name", "Name", Widget::Text)]
    )),
    |conn, ctx, input| {
        casework::setup::add_provider(conn, ctx, input)?;
        Ok(("/setup".into(), "Provider added".into()))
    }
);

setup_page!(
    new_programme,
    create_programme,
    |conn, _| {
        let kinds = super::vocabulary_options::<ProgrammeKind>();
        let deliveries = super::vocabulary_options::<Delivery>();
        Ok(simple(
            "Add a programme",
            "/setup/programmes".into(),
            vec![
                Field::new(
                    "organisation_id",
                    "Provider",
                    Widget::Select(providers(conn)?),
                ),
                Field::new("name", "Name", Widget::Text),
                Field::new("kind", "Kind", Widget::Radios(kinds)),
                Field::new("delivery", "Delivery", Widget::Radios(deliveries)),
                Field::new(
                    "min_age",
                    "Youngest eligible age (optional)",
                    Widget::Number,
                ),
                Field::new("max_age", "Oldest eligible age (optional)", Widget::Number),
                Field::date("starts_on", "Start date"),
                Field::date("ends_on", "End date (optional)"),
                Field::new("description", "Description (optional)", Widget::Textarea),
                // Data protection (docs/data-protection.md): each optional, with defaults.
                Field::new(
                    "lawful_basis",
                    "Lawful basis for processing participants' data",
                    Widget::Radios(labelled(
                        LawfulBasis::ALL,
                        |b| b.as_str(),
                        |b| b.display_label(),
                    )),
                )
                .hint("If you do not choose one: public task"),
                Field::new(
                    "police_linkage",
                    "May participants' police identifiers be linked to police data?",
                    Widget::Radios(vec![
                        ("yes".into(), "Yes (reoffending is measured)".into()),
                        (
                            "no".into(),
                            "No (nobody is linked; reoffending is not measured)".into(),
                        ),
                    ]),
                )
                .hint("If you do not choose: yes"),
                Field::new(
                    "offence_data_condition",
                    "Condition for processing police-derived data",
                    Widget::Radios(labelled(
                        OffenceDataCondition::ALL,
                        |c| c.as_str(),
                        |c| c.display_label(),
                    )),
                )
                .hint("If you do not choose one: statutory and government purposes"),
                Field::new(
                    "measure",
                    "Outcome framework: the measures this programme records (optional)",
                    Widget::Checkboxes(
                        crate::store::measures::all(conn)?
                            .iter()
                            .map(|m| {
                                (
                                    m.id.to_string(),
                                    format!(
                                        "{} ({})",
                                        super::casework::measure_name(m),
                                        super::casework::measure_hint(m)
                                    ),
                                )
                            })
                            .collect(),
                    ),
                )
                .hint("Its outcome form asks these, and only these can be recorded. If you choose none, any measure can be recorded"),
            ],
        ))
    },
    |conn, ctx, input| {
        let id = casework::setup::add_programme(conn, ctx, input)?;
        Ok((format!("/programmes/{id}"), "Programme added".into()))
    }
);

setup_page!(
    new_funding_stream,
    create_funding_stream,
    |_, _| Ok(simple(
        "Add a funding stream",
        "/setup/funding-streams".into(),
        vec![
            Field::new("name", "Name", Widget::Text)
                .hint("For example, Serious Violence Duty grant 2025-26"),
            Field::new("funder", "Funder", Widget::Text).hint("For example, Home Office"),
            Field::new("financial_year", "Financial year", Widget::Text)
                .hint("For example, 2025-26"),
            Field::new("amount", "Amount in pounds", Widget::Text),
        ]
    )),
    |conn, ctx, input| {
        casework::setup::add_funding_stream(conn, ctx, input)?;
        Ok(("/setup".into(), "Funding stream added".into()))
    }
);

setup_page!(
    new_measure,
    create_measure,
    |_, _| {
        Ok(simple(
        "Add an outcome measure",
        "/setup/measures".into(),
        vec![
            Field::new("name", "Name", Widget::Text)
                .hint("For example, Feels safe in the community. The range is given below: do not repeat it in the name"),
            Field::new("min", "Lowest value", Widget::Number),
            Field::new("max", "Highest value", Widget::Number),
            Field::new(
                "higher_is_better",
                "Is a higher value better?",
                Widget::Radios(vec![
                    ("true".into(), "Yes".into()),
                    ("false".into(), "No".into())
                ])
            ),
        ]
    ))
    },
    |conn, ctx, input| {
        casework::setup::add_measure(conn, ctx, input)?;
        Ok(("/setup".into(), "Measure added".into()))
    }
);

fn target_form(id: ProgrammeId) -> Build {
    Box::new(move |conn, actor| {
        let p = store::programmes::find_visible(conn, actor.scope(), id)?;
        let metrics = forms::words(TARGET_METRICS);
        Ok(Form {
            heading: "Set a contracted target".into(),
            caption: Some(p.fields.name),
            action: format!("/programmes/{id}/targets/new"),
            submit: "Save",
            back: Some(format!("/programmes/{id}")),
            fields: vec![
                Field::new("financial_year", "Financial year", Widget::Text)
                    .hint("For example, 2025-26"),
                Field::new("metric", "Figure", Widget::Select(metrics)),
                Field::new("value", "Target", Widget::Number)
                    .hint("A count, or a fraction for rates (0.8 for 80%)"),
            ],
        })
    })
}

pub async fn new_target(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
) -> Result<HttpResponse, PageError> {
    forms::show(state, nonce, viewer, actor, Vec::new(), target_form(id)).await
}

pub async fn create_target(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<ProgrammeId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        target_form(id),
        Box::new(move |conn, ctx, input| {
            casework::setup::add_target(conn, ctx, id, input)?;
            Ok((format!("/programmes/{id}"), "Target set".into()))
        }),
    )
    .await
}

fn allocation_form(id: FundingStreamId) -> Build {
    Box::new(move |conn, _| {
        let stream = store::funding_streams::find(conn, id)?;
        let programmes = store::programmes::all(conn)?
            .into_iter()
            .map(|p| (p.id.to_string(), p.fields.name))
            .collect();
        Ok(Form {
            heading: "Allocate funding to a programme".into(),
            caption: Some(stream.name),
            action: format!("/funding-streams/{id}/allocations/new"),
            submit: "Save",
            back: Some("/setup".into()),
            fields: vec![
                Field::new("programme_id", "Programme", Widget::Select(programmes)),
                Field::new("amount", "Amount in pounds", Widget::Text),
            ],
        })
    })
}

pub async fn new_allocation(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<FundingStreamId>,
) -> Result<HttpResponse, PageError> {
    forms::show(state, nonce, viewer, actor, Vec::new(), allocation_form(id)).await
}

pub async fn create_allocation(
    Page {
        state,
        nonce,
        viewer,
        actor,
    }: Page,
    PathId(id): PathId<FundingStreamId>,
    form: Fields,
) -> Result<HttpResponse, PageError> {
    forms::submit(
        state,
        nonce,
        viewer,
        actor,
        form.into_inner(),
        allocation_form(id),
        Box::new(move |conn, ctx, input| {
            casework::setup::allocate(conn, ctx, id, input)?;
            Ok(("/setup".into(), "Funding allocated".into()))
        }),
    )
    .await
}
