//! The typed ids of `domain::ids` and the closed vocabularies of `domain::enums` as diesel
//! column types: a `BigInt` column read straight into its id and a `Text` column into its
//! enum (`gender: Gender` in a `Queryable` row), so that the store never parses words by
//! hand. The domain stays free of diesel: the impls live here, in the same
//! crate. A word the enum does not know is a deserialisation error naming the vocabulary,
//! the value and every accepted word.

use diesel::deserialize::{self, FromSql, Queryable};
use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::Sqlite;

use super::{MultiBackend, MultiRawValue};
use crate::domain::enums::*;
use crate::domain::ids::*;

macro_rules! sql_words {
    ($($name:ty),+ $(,)?) => {$(
        impl FromSql<Text, Sqlite> for $name {
            fn from_sql(
                mut value: <Sqlite as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                Ok(value.read_text().parse::<$name>()?)
            }
        }

        impl FromSql<Text, Pg> for $name {
            fn from_sql(
                value: <Pg as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                Ok(std::str::from_utf8(value.as_bytes())?.parse::<$name>()?)
            }
        }

        impl FromSql<Text, MultiBackend> for $name {
            fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
                value.from_sql::<Self, Text>()
            }
        }

        impl Queryable<Text, MultiBackend> for $name {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

sql_words!(
    OrganisationKind,
    Role,
    ProgrammeKind,
    Delivery,
    ReferralSource,
    Decision,
    Closure,
    SessionKind,
    AttendanceStatus,
    Timepoint,
    Gender,
    Ethnicity,
    OffenceGroup,
    ImportKind,
    AuditAction,
    ReturnStatus,
    ReferralStatus,
    LawfulBasis,
    OffenceDataCondition,
    AccessPage,
    ErasureReason,
);

macro_rules! sql_ids {
    ($($name:ident),+ $(,)?) => {$(
        impl FromSql<BigInt, MultiBackend> for $name {
            fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
                value.from_sql::<i64, BigInt>().map($name)
            }
        }

        impl Queryable<BigInt, MultiBackend> for $name {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

sql_ids!(
    OrganisationId,
    UserId,
    ProgrammeId,
    FundingStreamId,
    ParticipantId,
    ReferralId,
    SessionId,
    MeasureId,
    ImportBatchId,
    ReturnId,
);
