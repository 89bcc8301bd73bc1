-- Data protection (issue 18, part a): each programme's lawful basis and whether its
-- participants' police identifiers may be linked to police data (on for every existing
-- programme, so existing figures do not change); a referral's record that the person
-- objected to that linkage; the organisation-specific parts of the privacy notice; and
-- the access log (who looked at which participant), hash-chained under the audit key.
ALTER TABLE programmes ADD COLUMN lawful_basis TEXT NOT NULL DEFAULT 'public_task' CHECK (lawful_basis IN ('public_task', 'legitimate_interests', 'consent', 'legal_obligation'));
ALTER TABLE programmes ADD COLUMN offence_data_condition TEXT NOT NULL DEFAULT 'statutory_purposes' CHECK (offence_data_condition IN ('statutory_purposes', 'preventing_unlawful_acts', 'consent', 'official_authority'));
ALTER TABLE programmes ADD COLUMN police_linkage INTEGER NOT NULL DEFAULT 1 CHECK (police_linkage IN (0, 1));
ALTER TABLE referrals ADD COLUMN linkage_objection INTEGER NOT NULL DEFAULT 0 CHECK (linkage_objection IN (0, 1));
CREATE TABLE service_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by INTEGER REFERENCES users (id)
) STRICT;
-- `subject` is a keyed hash of the participant's id (never the id or reference in
-- clear), so the log outlives an erasure without naming anyone.
CREATE TABLE access_log (
    id INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    user_id INTEGER,
    organisation_id INTEGER,
    role TEXT NOT NULL,
    subject TEXT NOT NULL,
    page TEXT NOT NULL,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX access_log_subject_idx ON access_log (subject, id);
