//! Participants: the pseudonymous people a provider works with. Every query takes the
//! actor's `Scope`; a participant of another organisation is `NotFound`, exactly like one
//! that does not exist. (The casework routes build on this; for now it answers the
//! minimal read API.)

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::StoreError;
use crate::db::schema::participants;
use crate::db::DbConn;
use crate::domain::access::Scope;
use crate::domain::ids::{OrganisationId, ParticipantId};
use crate::scoped;

/// A participant as the API shows it: never the person key itself, only whether there is one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub organisation_id: OrganisationId,
    pub reference: String,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: String,
    pub ethnicity: String,
    pub district: Option<String>,
    pub has_person_key: bool,
}

type Row = (
    i64,
    i64,
    String,
    Option<NaiveDate>,
    String,
    String,
    Option<String>,
    Option<String>,
);

macro_rules! columns {
    () => {
        (
            participants::id,
            participants::organisation_id,
            participants::reference,
            participants::date_of_birth,
            participants::gender,
            participants::ethnicity,
            participants::district,
            participants::person_key,
        )
    };
}

fn from_row(r: Row) -> Participant {
    Participant {
        id: ParticipantId(r.0),
        organisation_id: OrganisationId(r.1),
        reference: r.2,
        date_of_birth: r.3,
        gender: r.4,
        ethnicity: r.5,
        district: r.6,
        has_person_key: r.7.is_some(),
    }
}

pub fn find(conn: &mut DbConn, scope: Scope, id: ParticipantId) -> Result<Participant, StoreError> {
    scoped!(
        participants::table,
        scope.records(),
        participants::organisation_id
    )
    .filter(participants::id.eq(id.0))
    .select(columns!())
    .first::<Row>(conn)
    .map(from_row)
    .map_err(StoreError::from_query)
}

/// A page of the scope's participants, by reference.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    limit: i64,
    offset: i64,
) -> Result<Vec<Participant>, StoreError> {
    Ok(scoped!(
        participants::table,
        scope.records(),
        participants::organisation_id
    )
    .order((participants::organisation_id, participants::reference))
    .limit(limit)
    .offset(offset)
    .select(columns!())
    .load::<Row>(conn)?
    .into_iter()
    .map(from_row)
    .collect())
}

pub fn count(conn: &mut DbConn, scope: Scope) -> Result<i64, StoreError> {
    Ok(scoped!(
        participants::table,
        scope.records(),
        participants::organisation_id
    )
    .count()
    .get_result(conn)?)
}
