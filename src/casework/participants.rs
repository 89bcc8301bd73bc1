//! Registering a participant: the provider's case reference, an optional police
//! identifier (keyed at once, never kept), date of birth, gender, ethnicity, district.

use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::{AuditAction, Ethnicity, Gender, OrganisationKind};
use crate::domain::ids::{OrganisationId, ParticipantId};
use crate::domain::person_key::{person_key, PoliceIdError};
use crate::domain::validation::Input;
use crate::store::participants::{self, Participant, ParticipantFields};
use crate::store::{organisations, write_transaction};

use super::corrections::Diff;
use super::{audit_change, duplicate_on, CaseError, Ctx};

/// The provider a new record belongs to: the actor's own organisation, or for admins
/// (who belong to the OPCC) the provider named by `organisation_id`.
pub fn owner(
    conn: &mut DbConn,
    ctx: &Ctx,
    input: &mut Input,
) -> Result<Option<OrganisationId>, CaseError> {
    match ctx.actor.scope() {
        Scope::Organisation(o) => Ok(Some(o)),
        Scope::Aggregate => Err(CaseError::NotFound),
        Scope::All => {
            let Some(id) = input.id("organisation_id", "Select the provider") else {
                return Ok(None);
            };
            let known = organisations::list(conn)?
                .iter()
                .any(|o| o.id.0 == id && o.kind == OrganisationKind::Provider);
            if !known {
                input.error("organisation_id", "Select the provider");
                return Ok(None);
            }
            Ok(Some(OrganisationId(id)))
        }
    }
}

/// The person key of `police_id` (keyed at once; `None` when empty or bad).
fn police_key(input: &mut Input, ctx: &Ctx) -> Option<String> {
    match input.raw("police_id") {
        "" => None,
        raw => match person_key(ctx.secret, raw) {
            Ok(k) => Some(k.into_string()),
            // Never echo the identifier: the message says only what is wrong.
            Err(PoliceIdError::TooLong) => {
                input.error(
                    "police_id",
                    "The police identifier must be 64 characters or fewer",
                );
                None
            }
            Err(_) => {
                input.error(
                    "police_id",
                    "The police identifier can only contain letters, numbers, '/' and '-'",
                );
                None
            }
        },
    }
}

type Details = (
    Option<String>,
    Option<chrono::NaiveDate>,
    Option<Gender>,
    Option<Ethnicity>,
    Option<String>,
);

/// The fields a participant is registered and corrected with (all but the reference).
fn details(input: &mut Input, ctx: &Ctx) -> Details {
    let key = police_key(input, ctx);
    let date_of_birth = input.opt_birth_date("date_of_birth", "the date of birth", ctx.today);
    let gender = input.word_or("gender", Gender::NotKnown);
    let ethnicity = input.word_or("ethnicity", Ethnicity::NotStated);
    let district = input.opt_text("district", 100);
    (key, date_of_birth, gender, ethnicity, district)
}

/// The text of a participant's fields, for a pre-filled form or a merge patch.
pub fn as_pairs(p: &ParticipantFields) -> Vec<(String, String)> {
    vec![
        (
            "date_of_birth".into(),
            p.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("gender".into(), p.gender.as_str().into()),
        ("ethnicity".into(), p.ethnicity.as_str().into()),
        ("district".into(), p.district.clone().unwrap_or_default()),
    ]
}

/// Corrects a participant's date of birth, gender, ethnicity, district or police
/// identifier (re-keyed; an empty one keeps the key held), with a `reason`.
pub fn change(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: ParticipantId,
    patch: Input,
) -> Result<Participant, CaseError> {
    let old = participants::find(conn, ctx.actor.scope(), id)?;
    let mut input = patch.over(as_pairs(&old.fields));
    let reason = super::corrections::reason(&mut input);
    let (key, date_of_birth, gender, ethnicity, district) = details(&mut input, ctx);
    input.finish()?;
    let (Some(reason), Some(gender), Some(ethnicity)) = (reason, gender, ethnicity) else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    let new = ParticipantFields {
        reference: old.fields.reference.clone(),
        person_key: key.or(old.fields.person_key.clone()),
        date_of_birth,
        gender,
        ethnicity,
        district,
    };
    let diff = diff(&old.fields, &new);
    write_transaction(conn, |conn| {
        if !diff.is_empty() {
            participants::update(conn, id, &new)?;
            diff.audit(conn, ctx, AuditAction::Update, "participant", id, &reason)?;
        }
        Ok::<_, CaseError>(())
    })?;
    Ok(Participant { fields: new, ..old })
}

/// What a change of a participant changes: every field is personal, so only named.
/// Corrections and imports (`imports::casework`) both describe changes with it.
pub fn diff(old: &ParticipantFields, new: &ParticipantFields) -> Diff {
    let mut diff = Diff::default();
    diff.personal("person_key", &old.person_key, &new.person_key);
    diff.personal("date_of_birth", &old.date_of_birth, &new.date_of_birth);
    diff.personal("gender", &old.gender, &new.gender);
    diff.personal("ethnicity", &old.ethnicity, &new.ethnicity);
    diff.personal("district", &old.district, &new.district);
    diff
}

/// Registers a participant. A police identifier already keyed for another participant
/// of the organisation is a `PossibleDuplicate`, unless `allow_duplicate` is set.
pub fn register(
    conn: &mut DbConn,
    ctx: &Ctx,
    mut input: Input,
) -> Result<ParticipantId, CaseError> {
    let organisation = owner(conn, ctx, &mut input)?;
    let reference = input.text("reference", 64, "Enter the participant's case reference");
    let (key, date_of_birth, gender, ethnicity, district) = details(&mut input, ctx);
    input.finish()?;
    let (Some(organisation), Some(reference), Some(gender), Some(ethnicity)) =
        (organisation, reference, gender, ethnicity)
    else {
        return Err(CaseError::Invalid(Vec::new()));
    };
    if let Some(k) = &key {
        let existing = participants::with_person_key(conn, organisation, k)?;
        if !existing.is_empty() && !input.flag("allow_duplicate") {
            return Err(CaseError::PossibleDuplicate(existing));
        }
    }
    let fields = ParticipantFields {
        reference,
        person_key: key,
        date_of_birth,
        gender,
        ethnicity,
        district,
    };
    write_transaction(conn, |conn| {
        let id = participants::insert(conn, organisation, &fields).map_err(duplicate_on(
            "reference",
            "A participant with this case reference is already registered",
        ))?;
        let mut changed = vec!["reference", "gender", "ethnicity"];
        for (name, present) in [
            ("person_key", fields.person_key.is_some()),
            ("date_of_birth", fields.date_of_birth.is_some()),
            ("district", fields.district.is_some()),
        ] {
            if present {
                changed.push(name);
            }
        }
        audit_change(conn, ctx, AuditAction::Create, "participant", id, &changed)?;
        Ok(id)
    })
}
