//! Commissioning set-up (commissioners and admins): providers, programmes, funding
//! streams, allocations of funding to programmes, contracted targets and outcome
//! measures.

use crate::db::DbConn;
use crate::domain::enums::{
    AuditAction, Delivery, LawfulBasis, OffenceDataCondition, OrganisationKind, ProgrammeKind,
};
use crate::domain::ids::{FundingStreamId, MeasureId, OrganisationId, ProgrammeId};
use crate::domain::period::FinancialYear;
use crate::domain::validation::Input;
use crate::store::measures::{self, MeasureFields};
use crate::store::programmes::{self, DataProtection, ProgrammeFields};
use crate::store::{funding_streams, organisations, targets, write_transaction, StoreError};

use super::{audit_change, duplicate_on, CaseError, Ctx};

/// The engagement figures a target can be set for (DESIGN.md section 4.1).
pub const TARGET_METRICS: &[&str] = &[
    "referrals_received",
    "referrals_accepted",
    "acceptance_rate",
    "engaged",
    "completed",
    "completion_rate",
    "sessions_delivered",
    "attendance_rate",
    "participants_reached",
    "anonymous_headcount",
    "hours_delivered",
];

/// Adds a provider organisation (`name`).
pub fn add_provider(
    conn: &mut DbConn,
    ctx: &Ctx,
    mut input: Input,
) -> Result<OrganisationId, CaseError> {
    let name = input.text("name", 200, "Enter the provider's name");
    input.finish()?;
    let name = name.unwrap_or_default();
    let org = organisations::create_by(conn, &name, OrganisationKind::Provider, Some(ctx.actor))
        .map_err(duplicate_on(
            "name",
            "An organisation with this name already exists",
        ))?;
    Ok(org.id)
}

/// Amounts in pounds as typed ("12,500", "£12500.50") → pence.
fn pence(input: &mut Input, field: &str) -> Option<i64> {
    let raw: String = input
        .raw(field)
        .chars()
        .filter(|c| !matches!(c, '£' | ',' | ' '))
        .collect();
    let ok = !raw.is_empty()
        && raw.chars().all(|c| c.is_ascii_digit() || c == '.')
        && raw.split('.').count() <= 2
        && raw.split('.').nth(1).is_none_or(|p| p.len() <= 2);
    let value = ok.then(|| raw.parse::<f64>().ok()).flatten();
    match value {
        Some(v) if v <= 1e11 => Some((v * 100.0).round() as i64),
        _ => {
            input.error(field, "Enter an amount in pounds, like 12500 or 12,500.50");
            None
        }
    }
}

fn financial_year(input: &mut Input) -> Option<String> {
    match input.raw("financial_year").parse::<FinancialYear>() {
        Ok(fy) => Some(fy.to_string()),
        Err(_) => {
            input.error("financial_year", "Enter a financial year, like 2025-26");
            None
        }
    }
}

/// Fields of a programme, checked (min ≤ max age, end on or after start).
fn programme_fields(input: &mut Input) -> Option<ProgrammeFields> {
    let name = input.text("name", 200, "Enter the programme's name");
    let kind = input.word::<ProgrammeKind>("kind");
    let delivery = input.word::<Delivery>("delivery");
    let min_age = input.opt_int("min_age", 0, 120);
    let max_age = input.opt_int("max_age", 0, 120);
    let starts_on = input.date("starts_on", "the start date", None);
    let ends_on = input.opt_date("ends_on", "the end date", None);
    let description = input.opt_text("description", 2000);
    if let (Some(Some(lo)), Some(Some(hi))) = (min_age, max_age) {
        if lo > hi {
            input.error(
                "max_age",
                "The oldest age must be the same as or more than the youngest",
            );
        }
    }
    if let (Some(s), Some(e)) = (starts_on, ends_on) {
        if e < s {
            input.error(
                "ends_on",
                "The end date must be the same as or after the start date",
            );
        }
    }
    Some(ProgrammeFields {
        name: name?,
        kind: kind?,
        delivery: delivery?,
        min_age: min_age?.map(|v| v as i32),
        max_age: max_age?.map(|v| v as i32),
        starts_on: starts_on?,
        ends_on,
        description: description.unwrap_or_default(),
    })
}

/// A yes/no answer that defaults to `default` when empty.
pub fn yes_no(input: &mut Input, field: &str, default: bool, message: &str) -> Option<bool> {
    match input.raw(field).trim().to_ascii_lowercase().as_str() {
        "" => Some(default),
        "yes" | "true" | "1" | "on" => Some(true),
        "no" | "false" | "0" | "off" => Some(false),
        _ => {
            input.error(field, message);
            None
        }
    }
}

/// A programme's lawful basis, offence data condition and police linkage; each optional,
/// with the defaults of [`DataProtection::default`].
fn data_protection(input: &mut Input) -> Option<DataProtection> {
    let d = DataProtection::default();
    let lawful_basis = input.word_or::<LawfulBasis>("lawful_basis", d.lawful_basis);
    let condition =
        input.word_or::<OffenceDataCondition>("offence_data_condition", d.offence_data_condition);
    let linkage = yes_no(
        input,
        "police_linkage",
        d.police_linkage,
        "Select yes if participants' police identifiers may be linked to police data",
    );
    Some(DataProtection {
        lawful_basis: lawful_basis?,
        offence_data_condition: condition?,
        police_linkage: linkage?,
    })
}

/// The outcome framework chosen for a programme: `measure_ids` as comma-separated ids
/// (the API, "3,5,8") or a `measure_<id>` box ticked for each (the set-up page), in the
/// order given (the page: the measures' order). Unknown ids are refused; none is an
/// empty framework (the programme then accepts any measure).
pub fn framework_choice(
    conn: &mut DbConn,
    input: &mut Input,
) -> Result<Option<Vec<MeasureId>>, CaseError> {
    let all = measures::all(conn)?;
    let mut chosen: Vec<MeasureId> = Vec::new();
    let mut ok = true;
    for part in input
        .raw("measure_ids")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>()
    {
        match part
            .parse::<i64>()
            .ok()
            .filter(|id| all.iter().any(|m| m.id.0 == *id))
        {
            Some(id) if !chosen.contains(&MeasureId(id)) => chosen.push(MeasureId(id)),
            Some(_) => {}
            None => {
                ok = false;
                input.error(
                    "measure_ids",
                    format!("'{part}' is not the id of an outcome measure; list measure ids separated by commas, like 3,5"),
                );
            }
        }
    }
    for m in &all {
        if input.flag(&format!("measure_{}", m.id)) && !chosen.contains(&m.id) {
            chosen.push(m.id);
        }
    }
    Ok(ok.then_some(chosen))
}

/// Adds a programme delivered by a provider (`organisation_id`).
pub fn add_programme(
    conn: &mut DbConn,
    ctx: &Ctx,
    mut input: Input,
) -> Result<ProgrammeId, CaseError> {
    let provider = input.id("organisation_id", "Select the provider that delivers it");
    if let Some(id) = provider {
        let ok = organisations::list(conn)?
            .iter()
            .any(|o| o.id.0 == id && o.kind == OrganisationKind::Provider);
        if !ok {
            input.error("organisation_id", "Select the provider that delivers it");
        }
    }
    let fields = programme_fields(&mut input);
    let protection = data_protection(&mut input);
    let framework = framework_choice(conn, &mut input)?;
    input.finish()?;
    let (Some(provider), Some(fields), Some(protection), Some(framework)) =
        (provider, fields, protection, framework)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    write_transaction(conn, |conn| {
        let id =
            programmes::insert(conn, OrganisationId(provider), &fields).map_err(duplicate_on(
                "name",
                "The provider already has a programme with this name",
            ))?;
        programmes::set_data_protection(conn, id, &protection)?;
        measures::set_framework(conn, id, &framework)?;
        audit_change(
            conn,
            ctx,
            AuditAction::Create,
            "programme",
            id,
            &[
                "organisation_id",
                "name",
                "kind",
                "delivery",
                "min_age",
                "max_age",
                "starts_on",
                "ends_on",
                "description",
                "lawful_basis",
                "offence_data_condition",
                "police_linkage",
                "measure_ids",
            ],
        )?;
        Ok(id)
    })
}

/// Adds a funding stream (`name`, `funder`, `financial_year`, `amount` in pounds).
pub fn add_funding_stream(
    conn: &mut DbConn,
    ctx: &Ctx,
    mut input: Input,
) -> Result<FundingStreamId, CaseError> {
    let name = input.text("name", 200, "Enter the funding stream's name");
    let funder = input.text("funder", 200, "Enter the funder");
    let year = financial_year(&mut input);
    let amount = pence(&mut input, "amount");
    input.finish()?;
    let (Some(name), Some(funder), Some(year), Some(amount)) = (name, funder, year, amount) else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    write_transaction(conn, |conn| {
        let id = funding_streams::insert(conn, &name, &funder, &year, amount).map_err(
            duplicate_on("name", "A funding stream with this name already exists"),
        )?;
        audit_change(
            conn,
            ctx,
            AuditAction::Create,
            "funding_stream",
            id,
            &["name", "funder", "financial_year", "amount_pence"],
        )?;
        Ok(id)
    })
}

/// Allocates part of a stream to a programme (`programme_id`, `amount` in pounds).
pub fn allocate(
    conn: &mut DbConn,
    ctx: &Ctx,
    stream: FundingStreamId,
    mut input: Input,
) -> Result<(), CaseError> {
    let stream = funding_streams::find(conn, stream)?;
    let programme = input.id("programme_id", "Select the programme");
    if let Some(id) = programme {
        if programmes::find(conn, ProgrammeId(id))?.is_none() {
            input.error("programme_id", "Select the programme");
        }
    }
    let amount = pence(&mut input, "amount");
    input.finish()?;
    let (Some(programme), Some(amount)) = (programme, amount) else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    write_transaction(conn, |conn| {
        funding_streams::allocate(conn, stream.id, ProgrammeId(programme), amount).map_err(
            duplicate_on("programme_id", "This stream already funds this programme"),
        )?;
        audit_change(
            conn,
            ctx,
            AuditAction::Create,
            "allocation",
            format!("{}:{programme}", stream.id),
            &["funding_stream_id", "programme_id", "amount_pence"],
        )?;
        Ok(())
    })
}

/// Sets a contracted target of a programme (`financial_year`, `metric`, `value`).
pub fn add_target(
    conn: &mut DbConn,
    ctx: &Ctx,
    programme: ProgrammeId,
    mut input: Input,
) -> Result<i64, CaseError> {
    let programme = programmes::find(conn, programme)?.ok_or(StoreError::NotFound)?;
    let year = financial_year(&mut input);
    let metric = input.raw("metric").to_string();
    if !TARGET_METRICS.contains(&metric.as_str()) {
        input.error(
            "metric",
            format!(
                "Select the figure the target is for: one of {}",
                TARGET_METRICS.join(", ")
            ),
        );
    }
    let max = if metric.ends_with("_rate") { 1.0 } else { 1e9 };
    let value = input.opt_number("value", 0.0, max).flatten();
    if value.is_none() && !input.has_error("value") {
        input.error("value", "Enter the target");
    }
    input.finish()?;
    let (Some(year), Some(value)) = (year, value) else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    write_transaction(conn, |conn| {
        let id =
            targets::insert(conn, programme.id, &year, &metric, value).map_err(duplicate_on(
                "metric",
                "This programme already has a target for this figure and year",
            ))?;
        audit_change(
            conn,
            ctx,
            AuditAction::Create,
            "target",
            id,
            &["programme_id", "financial_year", "metric", "value"],
        )?;
        Ok(id)
    })
}

/// Adds an outcome measure (`name`, `min`, `max`, `higher_is_better`).
pub fn add_measure(conn: &mut DbConn, ctx: &Ctx, mut input: Input) -> Result<MeasureId, CaseError> {
    let name = input.text("name", 200, "Enter the measure's name");
    let min = input.number("min", "the lowest value");
    let max = input.number("max", "the highest value");
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo >= hi {
            input.error("max", "The highest value must be more than the lowest");
        }
    }
    let higher_is_better = match input.raw("higher_is_better").to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => {
            input.error(
                "higher_is_better",
                "Select whether a higher value is better",
            );
            None
        }
    };
    input.finish()?;
    let (Some(name), Some(min), Some(max), Some(higher_is_better)) =
        (name, min, max, higher_is_better)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let fields = MeasureFields {
        name,
        min,
        max,
        higher_is_better,
    };
    write_transaction(conn, |conn| {
        let id = measures::insert(conn, &fields).map_err(duplicate_on(
            "name",
            "A measure with this name already exists",
        ))?;
        audit_change(
            conn,
            ctx,
            AuditAction::Create,
            "outcome_measure",
            id,
            &["name", "min", "max", "higher_is_better"],
        )?;
        Ok(id)
    })
}
