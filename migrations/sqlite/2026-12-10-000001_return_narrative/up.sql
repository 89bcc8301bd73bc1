-- Quarterly returns a commissioner can read (issue 15; docs/casework.md, "Quarterly
-- returns"): the provider's narrative, and a submitted return the provider withdrew before
-- a decision ('withdrawn'). SQLite cannot change a CHECK constraint, so the table is
-- rebuilt (nothing refers to it).
CREATE TABLE quarterly_returns_new (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    quarter TEXT NOT NULL CHECK (length(quarter) = 10),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'returned', 'unlocked', 'withdrawn')),
    comment TEXT NOT NULL DEFAULT '',
    submitted_by INTEGER REFERENCES users (id),
    submitted_at TEXT,
    decided_by INTEGER REFERENCES users (id),
    decided_at TEXT,
    updated_at TEXT NOT NULL,
    narrative TEXT NOT NULL DEFAULT '',
    UNIQUE (programme_id, quarter)
) STRICT;
INSERT INTO quarterly_returns_new (id, programme_id, quarter, status, comment, submitted_by,
    submitted_at, decided_by, decided_at, updated_at)
SELECT id, programme_id, quarter, status, comment, submitted_by, submitted_at, decided_by,
    decided_at, updated_at FROM quarterly_returns;
DROP TABLE quarterly_returns;
ALTER TABLE quarterly_returns_new RENAME TO quarterly_returns;
-- The commissioner's home page lists the returns awaiting a decision.
CREATE INDEX quarterly_returns_status_idx ON quarterly_returns (status);
