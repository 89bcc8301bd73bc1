//! Generated rows waiting to be written, and the ids the demo assigns. Ids are assigned
//! here rather than by the database so that a chunk's referrals, sessions and attendance
//! can refer to each other before anything is written, and multi-row inserts need no
//! `RETURNING` (whose row order neither backend promises).

use super::{DemoCounts, DemoError};
use crate::db::DbConn;
use crate::domain::ids::{ImportBatchId, ParticipantId, ReferralId, SessionId};
use crate::store::group_surveys::GroupSurvey;
use crate::store::offences::NewOffence;
use crate::store::outcomes::OutcomeFields;
use crate::store::participants::Participant;
use crate::store::referrals::Referral;
use crate::store::sessions::{AttendanceFields, Session};
use crate::store::{self};

/// Tables whose ids the demo assigns; PostgreSQL's sequences are moved past them.
pub(super) const ID_TABLES: &[&str] = &["participants", "referrals", "sessions", "group_surveys"];

/// The next free id of each table the demo assigns ids in.
pub(super) struct Ids {
    participant: i64,
    referral: i64,
    session: i64,
    group_survey: i64,
}

impl Ids {
    pub fn load(conn: &mut DbConn) -> Result<Self, DemoError> {
        Ok(Ids {
            participant: store::participants::max_id(conn)? + 1,
            referral: store::referrals::max_id(conn)? + 1,
            session: store::sessions::max_id(conn)? + 1,
            group_survey: store::group_surveys::max_id(conn)? + 1,
        })
    }

    pub fn participant(&mut self) -> ParticipantId {
        self.participant += 1;
        ParticipantId(self.participant - 1)
    }

    pub fn referral(&mut self) -> ReferralId {
        self.referral += 1;
        ReferralId(self.referral - 1)
    }

    pub fn session(&mut self) -> SessionId {
        self.session += 1;
        SessionId(self.session - 1)
    }

    pub fn group_survey(&mut self) -> i64 {
        self.group_survey += 1;
        self.group_survey - 1
    }
}

#[derive(Default)]
pub(super) struct Rows {
    pub participants: Vec<Participant>,
    pub referrals: Vec<Referral>,
    pub sessions: Vec<Session>,
    pub attendance: Vec<AttendanceFields>,
    pub outcomes: Vec<OutcomeFields>,
    pub group_surveys: Vec<GroupSurvey>,
    pub offences: Vec<NewOffence>,
}

impl Rows {
    /// Writes every row in foreign-key order, counts them and empties the buffers.
    pub fn write(
        &mut self,
        conn: &mut DbConn,
        batch: ImportBatchId,
        counts: &mut DemoCounts,
    ) -> Result<(), DemoError> {
        store::participants::insert_many_with_ids(conn, &self.participants)?;
        store::referrals::insert_many_with_ids(conn, &self.referrals)?;
        store::sessions::insert_many_with_ids(conn, &self.sessions)?;
        store::sessions::insert_attendance_many(conn, &self.attendance)?;
        store::outcomes::insert_many(conn, &self.outcomes)?;
        store::group_surveys::insert_many_with_ids(conn, &self.group_surveys)?;
        store::offences::insert_many(conn, batch, &self.offences)?;
        counts.participants += self.participants.len() as u64;
        counts.referrals += self.referrals.len() as u64;
        counts.sessions += self.sessions.len() as u64;
        counts.attendance += self.attendance.len() as u64;
        counts.outcome_records += self.outcomes.len() as u64;
        counts.group_surveys += self.group_surveys.len() as u64;
        counts.offence_records += self.offences.len() as u64;
        *self = Rows::default();
        Ok(())
    }

    /// Rows waiting, to decide when to write.
    pub fn len(&self) -> usize {
        self.participants.len()
            + self.referrals.len()
            + self.sessions.len()
            + self.attendance.len()
            + self.outcomes.len()
            + self.group_surveys.len()
            + self.offences.len()
    }
}

/// Writes `rows` in one transaction (BEGIN IMMEDIATE on SQLite), then moves PostgreSQL's
/// sequences, so that an interrupted demo never leaves them behind the assigned ids.
pub(super) fn commit(
    conn: &mut DbConn,
    rows: &mut Rows,
    batch: ImportBatchId,
    counts: &mut DemoCounts,
) -> Result<(), DemoError> {
    crate::store::write_transaction(conn, |c| {
        rows.write(c, batch, counts)?;
        store::sync_id_sequences(c, ID_TABLES)?;
        Ok(())
    })
}
