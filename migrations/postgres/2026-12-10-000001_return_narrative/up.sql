-- Quarterly returns a commissioner can read (issue 15; docs/casework.md, "Quarterly
-- returns"): the provider's narrative, and a submitted return the provider withdrew before
-- a decision ('withdrawn').
ALTER TABLE quarterly_returns ADD COLUMN narrative TEXT NOT NULL DEFAULT '';
ALTER TABLE quarterly_returns DROP CONSTRAINT quarterly_returns_status_check;
ALTER TABLE quarterly_returns ADD CONSTRAINT quarterly_returns_status_check
    CHECK (status IN ('submitted', 'approved', 'returned', 'unlocked', 'withdrawn'));
-- The commissioner's home page lists the returns awaiting a decision.
CREATE INDEX quarterly_returns_status_idx ON quarterly_returns (status);
