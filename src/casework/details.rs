//! What a record's page and its API answer both show: a referral with its attendance and
//! outcome records, a session with its register, a programme with its targets and
//! allocations. Loaded here, in the actor's scope, as store types; the API turns them
//! into its views and the pages into theirs, so neither depends on the other.

use crate::domain::access::Actor;
use crate::domain::enums::AttendanceStatus;
use crate::domain::ids::{ProgrammeId, ReferralId, SessionId};
use crate::store::funding_streams::Allocation;
use crate::store::outcomes::{OutcomeFilter, OutcomeRecord};
use crate::store::programmes::Programme;
use crate::store::referrals::Referral;
use crate::store::sessions::{AttendanceOfReferral, RegisterLine, Session};
use crate::store::targets::Target;
use crate::store::{self, StoreError};

/// A referral with its sessions, the hours delivered and its outcome records.
#[derive(Debug, Clone)]
pub struct ReferralDetail {
    pub referral: Referral,
    pub attendance: Vec<AttendanceOfReferral>,
    /// Sum of hours credited at attended sessions.
    pub hours_delivered: f64,
    pub outcomes: Vec<OutcomeRecord>,
}

/// The referral `id` as `actor` may see it.
pub fn referral(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: ReferralId,
) -> Result<ReferralDetail, StoreError> {
    let referral = store::referrals::find(conn, actor.scope(), id)?;
    let attendance = store::sessions::attendance_of_referral(conn, id)?;
    let hours_delivered = attendance
        .iter()
        .filter(|a| a.status == AttendanceStatus::Attended)
        .filter_map(|a| a.hours)
        .sum::<f64>()
        + 0.0;
    let filter = OutcomeFilter {
        referral: Some(id),
        ..OutcomeFilter::default()
    };
    let outcomes = store::outcomes::list(conn, actor.scope(), &filter, 1000, 0)?;
    Ok(ReferralDetail {
        referral,
        attendance,
        hours_delivered,
        outcomes,
    })
}

/// A session with its register.
#[derive(Debug, Clone)]
pub struct SessionDetail {
    pub session: Session,
    pub register: Vec<RegisterLine>,
}

/// The session `id` as `actor` may see it.
pub fn session(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: SessionId,
) -> Result<SessionDetail, StoreError> {
    let session = store::sessions::find(conn, actor.scope(), id)?;
    let register = store::sessions::register_of(conn, id)?;
    Ok(SessionDetail { session, register })
}

/// A programme with its targets and funding allocations.
#[derive(Debug, Clone)]
pub struct ProgrammeDetail {
    pub programme: Programme,
    pub targets: Vec<Target>,
    pub allocations: Vec<Allocation>,
    /// The outcome framework, in form order (empty: any measure).
    pub measures: Vec<store::measures::Measure>,
}

/// The programme `id` as `actor` may see it.
pub fn programme(
    conn: &mut crate::db::DbConn,
    actor: &Actor,
    id: ProgrammeId,
) -> Result<ProgrammeDetail, StoreError> {
    Ok(ProgrammeDetail {
        programme: store::programmes::find_visible(conn, actor.scope(), id)?,
        targets: store::targets::of_programme(conn, id)?,
        allocations: store::funding_streams::allocations_of_programme(conn, id)?,
        measures: store::measures::framework(conn, id)?,
    })
}
