-- Erasure, retention, evaluation holds and the report archive (issue 18, second part;
-- docs/erasure-and-retention.md).
--
-- A programme's retention period, in months after a participant's last activity; a
-- programme without a row keeps the default (72 months, six years).
CREATE TABLE retention_periods (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL UNIQUE REFERENCES programmes (id),
    months INTEGER NOT NULL CHECK (months BETWEEN 1 AND 1200),
    updated_by INTEGER,
    updated_at TEXT NOT NULL
) STRICT;
-- An evaluation hold: while it lasts (to `ends_on` inclusive), participants of the
-- programme whose reoffending follow-up is not over cannot be erased (docs). One per
-- programme; setting it again replaces it, lifting it deletes it (the audit trail keeps
-- every step).
CREATE TABLE evaluation_holds (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL UNIQUE REFERENCES programmes (id),
    ends_on TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    set_by INTEGER,
    set_at TEXT NOT NULL
) STRICT;
-- What remains of an erased participant: who erased, when, why and how many rows of each
-- table went (`counts`, JSON). Never the participant's id, reference or key.
CREATE TABLE erasures (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    erased_at TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('request', 'retention')),
    erased_by INTEGER,
    via TEXT NOT NULL CHECK (via IN ('page', 'api', 'cli', 'retention')),
    override_reason TEXT,
    counts TEXT NOT NULL
) STRICT;
CREATE INDEX erasures_erased_at_idx ON erasures (erased_at);
-- Every published or downloaded report, with its figures (the report JSON), parameters
-- and input hash, so that a published figure stays traceable after an erasure.
CREATE TABLE report_archive (
    id INTEGER PRIMARY KEY,
    archived_at TEXT NOT NULL,
    scope TEXT NOT NULL,
    scope_name TEXT NOT NULL,
    programme_ids TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('published', 'internal')),
    audience TEXT NOT NULL CHECK (audience IN ('provider', 'aggregate', 'operator')),
    format TEXT NOT NULL,
    via TEXT NOT NULL,
    user_id INTEGER,
    parameters TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    figures TEXT NOT NULL,
    figures_sha256 TEXT NOT NULL
) STRICT;
CREATE INDEX report_archive_scope_idx ON report_archive (scope, archived_at);
