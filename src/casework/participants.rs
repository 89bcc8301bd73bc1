//! Registering a participant: the provider's case reference, an optional police
//! identifier (keyed at once, never kept), date of birth, gender, ethnicity, district.

use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::enums::{AuditAction, OrganisationKind};
use crate::domain::ids::{OrganisationId, ParticipantId};
use crate::domain::person_key::{person_key, PoliceIdError};
use crate::domain::validation::Input;
use crate::store::participants::{self, ParticipantFields};
use crate::store::{organisations, write_transaction};

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

/// Registers a participant. A police identifier already keyed for another participant
/// of the organisation is a `PossibleDuplicate`, unless `allow_duplicate` is set.
pub fn register(
    conn: &mut DbConn,
    ctx: &Ctx,
    mut input: Input,
) -> Result<ParticipantId, CaseError> {
    let organisation = owner(conn, ctx, &mut input)?;
    let reference = input.text("reference", 64, "Enter the participant's case reference");
    let key = match input.raw("police_id") {
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
    };
    let date_of_birth = input.opt_date("date_of_birth", "the date of birth", Some(ctx.today));
    let gender = input.word_or("gender", crate::domain::enums::Gender::NotKnown);
    let ethnicity = input.word_or("ethnicity", crate::domain::enums::Ethnicity::NotStated);
    let district = input.opt_text("district", 100);
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
