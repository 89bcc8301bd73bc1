//! Files previewed on the upload page and held until the user confirms the import
//! (docs/data-formats.md, "Preview, confirm and undo"). A held file belongs to the sign-in
//! session that uploaded it and expires after `HELD_FOR`; it is found by the SHA-256 of a
//! random id that only the preview form carries (in the POST body, never in a URL).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::{now, StoreError};
use crate::db::schema::pending_uploads as p;
use crate::db::DbConn;
use crate::domain::enums::ImportKind;
use crate::domain::ids::OrganisationId;

/// How long a previewed file is held.
pub const HELD_FOR: Duration = Duration::minutes(30);

/// A held file.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub kind: ImportKind,
    pub file_name: String,
    pub organisation_id: Option<OrganisationId>,
    pub content: Vec<u8>,
    pub expires_at: NaiveDateTime,
}

/// Holds a file for `session`; `id_hash` is the SHA-256 (hex) of the id given to the form.
/// Expired files of every session are removed first.
pub fn hold(
    conn: &mut DbConn,
    id_hash: &str,
    session: i64,
    pending: &Pending,
) -> Result<(), StoreError> {
    let t = now();
    diesel::delete(p::table.filter(p::expires_at.lt(t))).execute(conn)?;
    // One preview at a time per session: a new upload replaces the one not confirmed.
    diesel::delete(p::table.filter(p::login_session_id.eq(session))).execute(conn)?;
    diesel::insert_into(p::table)
        .values((
            p::id_hash.eq(id_hash),
            p::login_session_id.eq(session),
            p::kind.eq(pending.kind.as_str()),
            p::file_name.eq(&pending.file_name),
            p::organisation_id.eq(pending.organisation_id.map(|o| o.0)),
            p::content.eq(&pending.content),
            p::created_at.eq(t),
            p::expires_at.eq(pending.expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes (finds and removes) the file held under `id_hash` for `session`, if it has not
/// expired.
pub fn take(conn: &mut DbConn, id_hash: &str, session: i64) -> Result<Option<Pending>, StoreError> {
    type Held = (ImportKind, String, Option<i64>, Vec<u8>, NaiveDateTime);
    let found: Option<(i64, Held)> = p::table
        .filter(p::id_hash.eq(id_hash))
        .filter(p::login_session_id.eq(session))
        .filter(p::expires_at.ge(now()))
        .select((
            p::id,
            (
                p::kind,
                p::file_name,
                p::organisation_id,
                p::content,
                p::expires_at,
            ),
        ))
        .first(conn)
        .optional()?;
    let Some((id, (kind, file_name, organisation_id, content, expires_at))) = found else {
        return Ok(None);
    };
    diesel::delete(p::table.find(id)).execute(conn)?;
    Ok(Some(Pending {
        kind,
        file_name,
        organisation_id: organisation_id.map(OrganisationId),
        content,
        expires_at,
    }))
}

/// Removes the file held for `session` (the user cancelled).
pub fn discard(conn: &mut DbConn, session: i64) -> Result<(), StoreError> {
    diesel::delete(p::table.filter(p::login_session_id.eq(session))).execute(conn)?;
    Ok(())
}
