-- Finding people (issue 15; docs/casework.md "Finding people", docs/performance.md
-- "Issue 15"). A case-insensitive search by the start of a reference is a range on
-- lower(reference) (`lower(reference) >= 'ux-test' AND lower(reference) < 'ux-tesu'`),
-- which these expression indexes serve: by organisation for provider staff, across
-- organisations for admins.
CREATE INDEX participants_org_reference_lower_idx ON participants (organisation_id, lower(reference));
CREATE INDEX participants_reference_lower_idx ON participants (lower(reference));
-- Born on a day, a district: an equality, then the list's own order (organisation,
-- reference), so SQLite need not walk the organisation's reference index instead.
CREATE INDEX participants_org_birth_idx ON participants (organisation_id, date_of_birth, reference);
CREATE INDEX participants_org_district_idx ON participants (organisation_id, lower(district), reference);
CREATE INDEX referrals_org_reference_lower_idx ON referrals (organisation_id, lower(reference));
CREATE INDEX referrals_reference_lower_idx ON referrals (lower(reference));
-- A status is an equality on (closure, decision); newest referral first.
CREATE INDEX referrals_org_status_idx ON referrals (organisation_id, closure, decision, referred_on, id);
CREATE INDEX referrals_org_referred_idx ON referrals (organisation_id, referred_on, id);
CREATE INDEX referrals_referred_idx ON referrals (referred_on, id);
CREATE INDEX referrals_programme_status_idx ON referrals (programme_id, closure, decision, referred_on, id);

-- The people a session is for, chosen on the session page (one-to-one sessions list
-- only these on their register instead of every open referral of the programme).
CREATE TABLE session_participants (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    referral_id INTEGER NOT NULL,
    programme_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (session_id, referral_id),
    FOREIGN KEY (session_id, programme_id) REFERENCES sessions (id, programme_id) ON DELETE CASCADE,
    FOREIGN KEY (referral_id, programme_id) REFERENCES referrals (id, programme_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX session_participants_referral_idx ON session_participants (referral_id);
