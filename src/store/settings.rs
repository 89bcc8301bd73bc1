//! Service settings an admin sets: for now the organisation-specific parts of the privacy
//! notice. Stored as name → text in `service_settings`; a name that was never set reads
//! as its default, so a fresh installation has a complete notice.

use std::collections::HashMap;

use diesel::prelude::*;

use super::audit::{self, NewEvent};
use super::{now, write_transaction, StoreError};
use crate::db::schema::service_settings as s;
use crate::db::DbConn;
use crate::domain::access::Actor;
use crate::domain::enums::AuditAction;

/// The privacy notice's settings: (name, label, default). The order is the form's.
pub const PRIVACY_SETTINGS: &[(&str, &str, &str)] = &[
    (
        "controller",
        "Data controller",
        "The Office of the Police and Crime Commissioner, which commissions the programmes \
         and runs this service.",
    ),
    (
        "controller_contact",
        "How to contact the controller",
        "Write to the Office of the Police and Crime Commissioner at its published address, \
         or use the contact form on its website.",
    ),
    (
        "dpo_contact",
        "How to contact the data protection officer",
        "Write to the data protection officer of the Office of the Police and Crime \
         Commissioner at the same address, marking your letter \"Data protection officer\".",
    ),
    (
        "recipients",
        "Who else receives the data",
        "The provider that works with you sees your records. The police force's analysts \
         supply offence records, matched by a code made from your police identifier; they \
         receive no records back. Commissioners and analysts see only figures about groups \
         of people, never about one person. Published reports hold no figure about fewer \
         than 5 people.",
    ),
    (
        "retention",
        "How long the data is kept",
        "Records about a person are kept for their programme's retention period (6 years \
         unless the programme sets another) after their last activity with it, then erased. Published reports keep their figures, which describe \
         groups, not people.",
    ),
];

/// The value of every privacy setting (stored, or its default), by name.
pub fn privacy(conn: &mut DbConn) -> Result<HashMap<&'static str, String>, StoreError> {
    let names: Vec<&str> = PRIVACY_SETTINGS.iter().map(|(n, _, _)| *n).collect();
    let stored: HashMap<String, String> = s::table
        .filter(s::name.eq_any(names))
        .select((s::name, s::value))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(PRIVACY_SETTINGS
        .iter()
        .map(|(name, _, default)| {
            let value = stored
                .get(*name)
                .filter(|v| !v.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| default.to_string());
            (*name, value)
        })
        .collect())
}

/// Sets privacy settings (name → text; empty restores the default), audited by name.
pub fn set_privacy(
    conn: &mut DbConn,
    actor: &Actor,
    values: &[(&'static str, String)],
) -> Result<(), StoreError> {
    write_transaction(conn, |conn| {
        let t = now();
        let mut changed = Vec::new();
        for (name, value) in values {
            let current: Option<String> = s::table
                .find(*name)
                .select(s::value)
                .first(conn)
                .optional()?;
            if current.as_deref() == Some(value.as_str()) || (current.is_none() && value.is_empty())
            {
                continue;
            }
            diesel::delete(s::table.find(*name)).execute(conn)?;
            diesel::insert_into(s::table)
                .values((
                    s::name.eq(*name),
                    s::value.eq(value),
                    s::updated_at.eq(t),
                    s::updated_by.eq(Some(actor.user_id.0)),
                ))
                .execute(conn)?;
            changed.push(*name);
        }
        if !changed.is_empty() {
            audit::record(
                conn,
                NewEvent::new(AuditAction::Update, "privacy_notice")
                    .by(Some(actor))
                    .fields(&changed),
            )?;
        }
        Ok(())
    })
}
