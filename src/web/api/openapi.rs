//! The OpenAPI document of the JSON API (`/api/openapi.json`) and Swagger UI
//! (`/api/docs/`), served from files compiled into the binary.
//!
//! Every handler carries `#[utoipa::path]`; `ApiDoc` lists them. A test checks that every
//! `/api/` route of the registry is in the document, so it cannot go stale. The request
//! bodies below are documentation: handlers read the same fields as text through
//! `domain::validation::Input`, so that a wrong value is a 422 naming the field rather
//! than a 400 from a deserializer.

use std::sync::{Arc, OnceLock};

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::domain::enums::{
    AttendanceStatus, Closure, Decision, Delivery, Ethnicity, Gender, ProgrammeKind,
    ReferralSource, SessionKind, Timepoint,
};
use crate::web::errors::AppError;

/// `POST /api/v1/participants`.
#[derive(Deserialize, ToSchema)]
pub struct NewParticipant {
    /// The provider's case reference (unique in the organisation, at most 64 characters).
    pub reference: String,
    /// Keyed with HMAC-SHA256 at once; never stored, logged or echoed.
    pub police_id: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Option<Gender>,
    pub ethnicity: Option<Ethnicity>,
    pub district: Option<String>,
    /// Register even though a participant with the same police identifier exists.
    pub allow_duplicate: Option<bool>,
    /// Admins only: the provider.
    pub organisation_id: Option<i64>,
}

/// `POST /api/v1/referrals`.
#[derive(Deserialize, ToSchema)]
pub struct NewReferral {
    pub participant_id: i64,
    pub programme_id: i64,
    /// The provider's reference; `R-<id>` when absent.
    pub reference: Option<String>,
    pub referred_on: NaiveDate,
    pub source: ReferralSource,
    pub reason: Option<String>,
    /// Reparation hours required: 5 to 20, and required, for Immediate Justice.
    pub required_hours: Option<f64>,
    /// True when the person objected to their police identifier being linked to police
    /// data: their reoffending is not measured (counted as "not linked: objection").
    /// False when absent.
    pub linkage_objection: Option<bool>,
}

/// `PATCH /api/v1/participants/{id}`: a JSON merge patch; absent fields are kept, `null`
/// clears an optional one.
#[derive(Deserialize, ToSchema)]
pub struct ParticipantPatch {
    /// Why the record is corrected (required; kept in the audit trail: no personal details).
    pub reason: String,
    /// A new police identifier, keyed at once; never stored, logged or echoed.
    pub police_id: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Option<Gender>,
    pub ethnicity: Option<Ethnicity>,
    pub district: Option<String>,
}

/// `PATCH /api/v1/referrals/{id}`: a JSON merge patch. The corrected decision and closure
/// must be a valid state as a whole: `"closure": "open", "closed_on": null` reopens;
/// `"decision": "pending"` (with the closure open) undoes a decision.
#[derive(Deserialize, ToSchema)]
pub struct ReferralPatch {
    /// Why the record is corrected (required).
    pub reason: String,
    pub reference: Option<String>,
    /// Only while no attendance or outcome is recorded against the referral.
    pub programme_id: Option<i64>,
    pub referred_on: Option<NaiveDate>,
    pub source: Option<ReferralSource>,
    /// The referral's own reason (`reason` is the correction's).
    pub referral_reason: Option<String>,
    pub required_hours: Option<f64>,
    pub decision: Option<Decision>,
    pub decided_on: Option<NaiveDate>,
    /// open (reopen), completed, withdrawn or disengaged.
    pub closure: Option<Closure>,
    pub closed_on: Option<NaiveDate>,
    /// Records (true) or withdraws (false) the person's objection to linkage to police
    /// data.
    pub linkage_objection: Option<bool>,
}

/// `PATCH /api/v1/sessions/{id}`: a JSON merge patch.
#[derive(Deserialize, ToSchema)]
pub struct SessionPatch {
    pub reason: String,
    pub date: Option<NaiveDate>,
    pub kind: Option<SessionKind>,
    pub duration_minutes: Option<i64>,
    pub headcount: Option<i64>,
    pub district: Option<String>,
    pub venue: Option<String>,
}

/// `PATCH /api/v1/outcomes/{id}`: a JSON merge patch.
#[derive(Deserialize, ToSchema)]
pub struct OutcomePatch {
    pub reason: String,
    pub timepoint: Option<Timepoint>,
    pub recorded_on: Option<NaiveDate>,
    pub value: Option<f64>,
}

/// `PATCH /api/v1/group-surveys/{id}`: the survey's counts, all of them.
#[derive(Deserialize, ToSchema)]
pub struct SurveyPatch {
    pub reason: String,
    /// Respondents by scale value, e.g. `{"3": 10, "4": 12}`.
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
}

/// `DELETE /api/v1/{kind}/{id}` and `POST /api/v1/{kind}/{id}/restore`.
#[derive(Deserialize, ToSchema)]
pub struct VoidBody {
    /// Why (required; kept in the audit trail: no personal details).
    pub reason: String,
    /// Voiding a participant with referrals, or a session with group surveys: void
    /// those too (without it the answer is a 422 naming them).
    pub confirm: Option<bool>,
}

/// `POST /api/v1/participants/{id}/merge`.
#[derive(Deserialize, ToSchema)]
pub struct MergeBody {
    /// The id of the participant to keep (of the same organisation; the same person).
    pub into: i64,
    /// Why (required; kept in the audit trail: no personal details).
    pub reason: String,
}

/// `POST /api/v1/participants/{id}/erase`.
#[derive(Deserialize, ToSchema)]
pub struct ErasureBody {
    /// Why: `request` (the person asked: right to erasure) or `retention`.
    pub reason: crate::domain::enums::ErasureReason,
    /// Admins only: erase despite an evaluation hold, for this reason (kept in the
    /// erasure record; no personal details).
    pub override_reason: Option<String>,
}

/// The erasure record that remains of an erased participant: no id, reference or key
/// of theirs.
#[derive(ToSchema)]
pub struct ErasureRecord {
    pub id: i64,
    pub organisation_id: i64,
    /// When (UTC).
    pub erased_at: String,
    pub reason: crate::domain::enums::ErasureReason,
    /// The user who erased; absent for the command line and the retention run.
    pub erased_by: Option<i64>,
    /// `page`, `api`, `cli` or `retention`.
    pub via: String,
    pub override_reason: Option<String>,
    /// Rows deleted per table (`participants`, `referrals`, `attendance`,
    /// `outcome_records`, `offence_records`, `offence_records_previous`,
    /// `comparison_members`) and `referrals_by_programme` (programme id → referrals).
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
}

/// `GET /api/v1/participants/{id}/export`: everything held about one participant.
#[derive(ToSchema)]
pub struct SubjectAccessExport {
    pub generated_at: String,
    pub organisation: String,
    /// The participant record, then any record merged into it (voided ones too).
    #[schema(value_type = Vec<Object>)]
    pub participants: Vec<serde_json::Value>,
    /// Whether a police identifier is held (as a keyed hash, never exported).
    pub police_identifier_held: bool,
    #[schema(value_type = Vec<Object>)]
    pub referrals: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub attendance: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub outcome_records: Vec<serde_json::Value>,
    /// The history of those records, from the audit trail.
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<serde_json::Value>,
    /// Archived reports whose cohort included one of their referrals.
    #[schema(value_type = Vec<Object>)]
    pub reports: Vec<serde_json::Value>,
    /// Admins only: police offence records under their key.
    #[schema(value_type = Option<Vec<Object>>)]
    pub police_offence_records: Option<Vec<serde_json::Value>>,
    /// The limits of the export, in words.
    pub notes: Vec<String>,
}

/// `PUT /api/v1/programmes/{id}/evaluation-hold`.
#[derive(Deserialize, ToSchema)]
pub struct HoldBody {
    /// The last day of the hold (today or later).
    pub ends_on: NaiveDate,
    /// Why (about the evaluation; no personal details).
    pub reason: String,
}

/// `POST /api/v1/referrals/{id}/decision`.
#[derive(Deserialize, ToSchema)]
pub struct Decide {
    /// accepted or declined.
    pub decision: Decision,
    /// On or after `referred_on`, not in the future.
    pub decided_on: NaiveDate,
}

/// `POST /api/v1/referrals/{id}/closure`.
#[derive(Deserialize, ToSchema)]
pub struct Close {
    /// completed, withdrawn or disengaged.
    pub closure: Closure,
    /// On or after the decision, not in the future.
    pub closed_on: NaiveDate,
}

/// `POST /api/v1/sessions`.
#[derive(Deserialize, ToSchema)]
pub struct NewSession {
    pub programme_id: i64,
    /// The provider's reference; `S-<id>` when absent.
    pub reference: Option<String>,
    pub date: NaiveDate,
    pub kind: SessionKind,
    pub duration_minutes: Option<i32>,
    /// Unnamed attendees (0 to 100,000).
    pub headcount: Option<i32>,
    pub district: Option<String>,
    pub venue: Option<String>,
}

/// One named line of a register.
#[derive(Deserialize, ToSchema)]
pub struct RegisterLineIn {
    pub referral_id: i64,
    pub status: AttendanceStatus,
    /// 0 to 24, only with `attended`.
    pub hours: Option<f64>,
}

/// `PUT /api/v1/sessions/{id}/attendance`: a whole register.
#[derive(Deserialize, ToSchema)]
pub struct Register {
    pub attendance: Vec<RegisterLineIn>,
    /// Unnamed attendees; absent keeps the session's.
    pub headcount: Option<i32>,
    /// Optional (at most 500 characters): makes the save a correction, whose history
    /// entry carries this reason and each mark's old and new value.
    pub reason: Option<String>,
}

/// `POST /api/v1/outcomes`.
#[derive(Deserialize, ToSchema)]
pub struct NewOutcome {
    pub referral_id: i64,
    pub measure_id: i64,
    pub timepoint: Timepoint,
    pub recorded_on: NaiveDate,
    /// Within the measure's range.
    pub value: f64,
}

/// `POST /api/v1/group-surveys`.
#[derive(Deserialize, ToSchema)]
pub struct NewSurvey {
    pub session_id: i64,
    pub measure_id: i64,
    /// baseline or exit.
    pub timepoint: Timepoint,
    /// Default: the session's date.
    pub recorded_on: Option<NaiveDate>,
    /// Respondents at each scale value, e.g. `{"1": 2, "4": 10}`.
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
}

/// `POST /api/v1/programmes`.
#[derive(Deserialize, ToSchema)]
pub struct NewProgramme {
    /// The provider that delivers it.
    pub organisation_id: i64,
    pub name: String,
    pub kind: ProgrammeKind,
    pub delivery: Delivery,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub description: Option<String>,
    /// The lawful basis for processing participants' data (UK GDPR Article 6(1));
    /// public_task when absent.
    pub lawful_basis: Option<crate::domain::enums::LawfulBasis>,
    /// The condition for processing police-derived data (UK GDPR Article 10, DPA 2018
    /// Schedule 1); statutory_purposes when absent.
    pub offence_data_condition: Option<crate::domain::enums::OffenceDataCondition>,
    /// Whether participants' police identifiers may be linked to police data for
    /// reoffending; true when absent. When false, every referral of the programme is
    /// counted as "not linked: programme does not link".
    pub police_linkage: Option<bool>,
    /// The programme's outcome framework: the ids of the outcome measures it records,
    /// separated by commas, in the order its outcome form asks them (e.g. `"3,5,8"`).
    /// Absent or empty: no framework, and any measure is accepted.
    pub measure_ids: Option<String>,
}

/// `POST /api/v1/programmes/{id}/targets`.
#[derive(Deserialize, ToSchema)]
pub struct NewTarget {
    /// e.g. 2025-26.
    pub financial_year: String,
    /// An engagement figure, e.g. referrals_received, completed, completion_rate.
    pub metric: String,
    /// A count, or a fraction for rates.
    pub value: f64,
}

/// `POST /api/v1/providers`.
#[derive(Deserialize, ToSchema)]
pub struct NewProvider {
    pub name: String,
}

/// `POST /api/v1/funding-streams`.
#[derive(Deserialize, ToSchema)]
pub struct NewFundingStream {
    pub name: String,
    pub funder: String,
    pub financial_year: String,
    /// In pounds, e.g. "125000" or "125,000.50".
    pub amount: String,
}

/// `POST /api/v1/funding-streams/{id}/allocations`.
#[derive(Deserialize, ToSchema)]
pub struct NewAllocation {
    pub programme_id: i64,
    /// In pounds.
    pub amount: String,
}

/// A report (`GET /api/v1/reports/...`), the JSON of DESIGN.md section 5 and
/// docs/reports.md. Its sections are objects of figures: a figure is a number, `null`
/// where there is nothing to compute, or a marker where it is withheld: `"[m]"` (the unit
/// rule: fewer people than the minimum cohort, or not whole financial years) or `"[c]"`
/// (published mode: disclosure control).
#[derive(ToSchema)]
#[schema(as = Report)]
pub struct ReportDocument {
    /// The name of the programme, provider or funding stream reported on.
    pub programme: String,
    /// The provider that runs the programme: a programme's report only (two providers may
    /// run programmes of the same name); absent from provider and funding-stream reports.
    pub provider: Option<String>,
    pub period: ReportPeriod,
    pub provenance: ReportProvenance,
    /// Referrals, acceptance, attendance, completion, reach and headcounts.
    #[schema(value_type = Object)]
    pub engagement: serde_json::Value,
    /// Proven reoffending of the cohort, by group, with the follow-up settings.
    #[schema(value_type = Object)]
    pub reoffending: serde_json::Value,
    /// Each outcome measure's paired change.
    #[schema(value_type = Vec<Object>)]
    pub outcomes: Vec<serde_json::Value>,
    /// Each group survey measure's change in positive share.
    #[schema(value_type = Vec<Object>)]
    pub group_surveys: Vec<serde_json::Value>,
    /// Allocation, costs per participant, completion and attendance, and targets.
    #[schema(value_type = Object)]
    pub money: serde_json::Value,
    /// Figures by age band, district, ethnicity, gender and referral source.
    #[schema(value_type = Object)]
    pub breakdowns: serde_json::Value,
    /// The figures of each quarter of the period.
    #[schema(value_type = Vec<Object>)]
    pub trend: Vec<serde_json::Value>,
    /// Which programme years are in the police-derived figures, and which were left out.
    #[schema(value_type = Object)]
    pub units: serde_json::Value,
}

/// The dates a report covers, inclusive.
#[derive(ToSchema)]
pub struct ReportPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// How a report was made, so that it can be reproduced.
#[derive(ToSchema)]
pub struct ReportProvenance {
    /// The date of the police extract the reoffending figures use (`null` without one).
    pub data_as_of: Option<NaiveDate>,
    /// When the report was computed (RFC 3339).
    pub generated_at: String,
    /// SHA-256 of the rows the report was computed from.
    pub input_sha256: String,
    pub methodology_version: String,
    /// Every setting the report was computed with (mode, follow-up, index, ...).
    #[schema(value_type = Object)]
    pub parameters: serde_json::Value,
    pub period: ReportPeriod,
    /// Where the rows were read, present only when a read replica is configured
    /// (`REPORTING_DATABASE_URL`).
    pub read_from: Option<ReportReadFrom>,
}

/// Which database a report's rows were read from (docs/operations.md, "Reports from a
/// read replica").
#[derive(ToSchema)]
pub struct ReportReadFrom {
    /// `replica`, or `primary` when the replica could not be used.
    pub database: String,
    /// The replica's last replayed change (the primary's commit time of it, RFC 3339):
    /// the rows hold every change committed up to then. `null` when read from the
    /// primary or when the replica had replayed nothing since it started.
    pub replayed_at: Option<String>,
    /// How far behind the primary the replica was, in seconds (`null` if not measured).
    pub lag_seconds: Option<f64>,
    /// Why the primary was read instead (`null` when read from the replica).
    pub fallback: Option<String>,
}

/// `POST /api/v1/measures`.
#[derive(Deserialize, ToSchema)]
pub struct NewMeasure {
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub higher_is_better: bool,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The error responses every operation can give, documented on every operation (so that
/// the document describes every status a client can receive; the schemathesis run of
/// `scripts/api-fuzz` checks it does): problem details are `application/problem+json`;
/// 401 without a valid credential and 403 for a role the route does not allow, on every
/// operation; 400 for a query string or body that cannot be read at all, where there is
/// one; 404 where the path names a record.
struct ProblemResponses;

/// The methods an operation of this API can have.
enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
}

/// What a status means on this API, for a response documented without its own words.
fn meaning(status: &str) -> &'static str {
    match status {
        "200" => "done: the body is described by the schema",
        "201" => "created: the new record, and its address in `Location`",
        "204" => "done: no body",
        "400" => "a query string or body that cannot be read",
        "403" => "the credential's role may not use this operation",
        "404" => "no such record, or another organisation's",
        "409" => "the change conflicts with what is stored (an approved quarter, a reference already used)",
        "413" => "the body is larger than the service takes",
        "422" => "the input breaks a rule: `errors` names each field (for files, each line and column) and what is expected",
        _ => "see the problem's detail",
    }
}

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                (Method::Get, &mut item.get),
                (Method::Put, &mut item.put),
                (Method::Post, &mut item.post),
                (Method::Delete, &mut item.delete),
                (Method::Patch, &mut item.patch),
            ];
            for (method, op) in operations {
                let Some(op) = op else { continue };
                // Problem bodies have their own media type.
                for response in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = response {
                        let is_problem = r.content.values().any(|c| {
                            matches!(c, RefOr::T(c) if matches!(&c.schema,
                                Some(RefOr::Ref(re)) if re.ref_location.ends_with("/Problem")))
                        });
                        if is_problem {
                            if let Some(c) = r.content.shift_remove("application/json") {
                                r.content.insert("application/problem+json".into(), c);
                            }
                        }
                    }
                }
                let params = op.parameters.as_deref().unwrap_or_default();
                let has_query = params.iter().any(
                    |p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)),
                );
                let has_path = path.contains('{');
                let has_paging = params
                    .iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.name == "limit"));
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description));
                };
                add("401", "no valid credential: sign in or send a bearer token");
                add("403", "the credential's role may not use this operation");
                if has_query || op.request_body.is_some() {
                    add(
                        "400",
                        "a query string or body that cannot be read (not JSON, or a number that is not a number)",
                    );
                }
                if has_path {
                    add("404", "no such record, or another organisation's");
                }
                if has_paging {
                    add(
                        "422",
                        "a `limit` outside 1 to 1000 or a negative `offset`: `errors` names it",
                    );
                }
                if op.request_body.is_some() {
                    add(
                        "413",
                        "the body is larger than the service takes (1 MiB of JSON; imports: see docs/data-formats.md)",
                    );
                }
                // A file's bytes may also be sent as `application/octet-stream` (the
                // handlers read the body whatever its type), which generated clients can
                // send where they cannot send `text/csv`.
                // Workbooks (XLSX, ODS, XLS) are recognised by their first bytes whatever
                // the type sent, and documented under their own types.
                if let Some(RefOr::T(body)) = op.request_body.as_mut() {
                    if body.content.contains_key("text/csv") {
                        for media in [
                            "application/octet-stream",
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            "application/vnd.oasis.opendocument.spreadsheet",
                        ] {
                            body.content.insert(
                                media.into(),
                                RefOr::T(
                                    ContentBuilder::new()
                                        .schema(Some(
                                            ObjectBuilder::new().schema_type(Type::String).format(
                                                Some(SchemaFormat::Custom("binary".into())),
                                            ),
                                        ))
                                        .build(),
                                ),
                            );
                        }
                    }
                }
                let writes = op.request_body.is_some() || !matches!(method, Method::Get);
                if writes {
                    add(
                        "409",
                        "the change conflicts with what is stored: a record dated in an approved (locked) quarter, a reference already used, or a step the record's state does not allow",
                    );
                }
                // Every response says what it is (OpenAPI requires a description): the
                // ones the handlers give without one say what their status means here.
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(r) = response {
                        if r.description.is_empty() {
                            r.description = meaning(status).to_string();
                        }
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Outcomes API",
        description = "Intervention outcome tracking: casework records, imports, exports and reports. \
                       Errors are RFC 9457 problem details; another organisation's record is 404.",
    ),
    security(("bearer" = [])),
    modifiers(&BearerAuth, &ProblemResponses),
    paths(
        super::me,
        super::organisations,
        super::participants,
        super::participant,
        super::register_participant,
        super::records::referrals,
        super::records::create_referral,
        super::records::referral,
        super::records::decide,
        super::records::close,
        super::records::sessions,
        super::records::create_session,
        super::records::session,
        super::records::put_attendance,
        super::records::outcomes,
        super::records::record_outcome,
        super::records::surveys,
        super::records::record_survey,
        super::corrections::patch_participant,
        super::corrections::patch_referral,
        super::corrections::patch_session,
        super::corrections::patch_outcome,
        super::corrections::patch_survey,
        super::corrections::void_participant,
        super::corrections::restore_participant,
        super::corrections::participant_history,
        super::corrections::void_referral,
        super::corrections::restore_referral,
        super::corrections::referral_history,
        super::corrections::void_session,
        super::corrections::restore_session,
        super::corrections::session_history,
        super::corrections::void_outcome,
        super::corrections::restore_outcome,
        super::corrections::outcome_history,
        super::corrections::void_survey,
        super::corrections::restore_survey,
        super::corrections::survey_history,
        super::merge::merge_participant,
        super::erasure::erase,
        super::erasure::export,
        super::erasure::set_hold,
        super::erasure::lift_hold,
        super::setup::programmes,
        super::setup::create_programme,
        super::setup::programme,
        super::setup::add_target,
        super::setup::add_provider,
        super::setup::funding_streams,
        super::setup::add_funding_stream,
        super::setup::allocate,
        super::setup::measures,
        super::setup::add_measure,
        super::files::import,
        super::files::import_offences,
        super::files::import_comparison_group,
        super::files::comparison_groups,
        super::files::import_programmes,
        super::files::import_measures,
        super::files::restore_offences,
        super::files::batches,
        super::files::export,
        super::reports::programme,
        super::reports::provider,
        super::reports::funding_stream,
        super::returns::list,
        super::returns::submit,
        super::returns::approve,
        super::returns::send_back,
        super::returns::unlock,
        super::returns::withdraw,
        super::returns::changes,
        openapi_json,
        docs,
    )
)]
pub struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "documentation",
    responses((status = 200, description = "the OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// The policy of the Swagger UI page alone: its own scripts, inline styles and data:
/// icons; everything else stays as tight as on every other page.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `GET /api/docs/{file}`: Swagger UI, from files compiled into the binary.
#[utoipa::path(get, path = "/api/docs/{file}", tag = "documentation",
    params(("file" = String, Path, description = "a Swagger UI file; empty for the page")),
    responses((status = 200, description = "Swagger UI")))]
pub async fn docs(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    static CONFIG: OnceLock<Arc<utoipa_swagger_ui::Config<'static>>> = OnceLock::new();
    let config = CONFIG
        .get_or_init(|| Arc::new(utoipa_swagger_ui::Config::from("/api/openapi.json")))
        .clone();
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(f)) => Ok(HttpResponse::Ok()
            .content_type(f.content_type)
            .insert_header(("content-security-policy", DOCS_CSP))
            .body(f.bytes.into_owned())),
        Ok(None) => Err(AppError::NotFound),
        Err(e) => Err(AppError::Internal(anyhow::anyhow!("swagger ui: {e}"))),
    }
}

/// `GET /api/docs`: to the page, so that its relative links resolve.
pub async fn docs_root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, "/api/docs/"))
        .finish()
}
