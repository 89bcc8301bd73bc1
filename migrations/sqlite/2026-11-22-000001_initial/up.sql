-- Outcomes: the whole domain schema of DESIGN.md section 2.
-- Enumerated values are checked here as well as in the domain layer, so that no code
-- path (imports, restores, hand edits) can store a word the service does not know.

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    kind TEXT NOT NULL CHECK (kind IN ('provider', 'commissioner', 'vru')),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('caseworker', 'provider_manager', 'commissioner', 'analyst', 'admin')),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX users_organisation_idx ON users (organisation_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
) STRICT;
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Browser sessions live in the database so that several instances share them and an
-- admin can revoke them. `id_hash` is the SHA-256 of the cookie value.
CREATE TABLE login_sessions (
    id INTEGER PRIMARY KEY,
    id_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    flash TEXT,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;
CREATE INDEX login_sessions_user_idx ON login_sessions (user_id);

-- Sign-in attempts, for throttling per account and per client address. The account is
-- stored as a keyed hash of the email, never the address typed.
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    account_key TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    succeeded INTEGER NOT NULL,
    attempted_at TEXT NOT NULL
) STRICT;
CREATE INDEX login_attempts_account_idx ON login_attempts (account_key, attempted_at);
CREATE INDEX login_attempts_client_idx ON login_attempts (client_addr, attempted_at);

CREATE TABLE funding_streams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    funder TEXT NOT NULL,
    financial_year TEXT NOT NULL CHECK (length(financial_year) = 7),
    amount_pence INTEGER NOT NULL CHECK (amount_pence >= 0),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE programmes (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind TEXT NOT NULL CHECK (kind IN ('mentoring', 'workshop', 'immediate_justice', 'outreach', 'diversion', 'perpetrator', 'other')),
    delivery TEXT NOT NULL CHECK (delivery IN ('individual', 'group', 'mixed')),
    min_age INTEGER CHECK (min_age >= 0),
    max_age INTEGER CHECK (max_age >= 0),
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organisation_id, name),
    CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
) STRICT;

CREATE TABLE allocations (
    id INTEGER PRIMARY KEY,
    funding_stream_id INTEGER NOT NULL REFERENCES funding_streams (id),
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    amount_pence INTEGER NOT NULL CHECK (amount_pence >= 0),
    created_at TEXT NOT NULL,
    UNIQUE (funding_stream_id, programme_id)
) STRICT;
CREATE INDEX allocations_programme_idx ON allocations (programme_id);

CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    financial_year TEXT NOT NULL CHECK (length(financial_year) = 7),
    metric TEXT NOT NULL CHECK (length(metric) BETWEEN 1 AND 100),
    value REAL NOT NULL CHECK (value >= 0),
    created_at TEXT NOT NULL,
    UNIQUE (programme_id, financial_year, metric)
) STRICT;

CREATE TABLE participants (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 64),
    person_key TEXT CHECK (person_key IS NULL OR length(person_key) = 64),
    date_of_birth TEXT,
    gender TEXT NOT NULL DEFAULT 'not_known' CHECK (gender IN ('female', 'male', 'other', 'not_known')),
    ethnicity TEXT NOT NULL DEFAULT 'not_stated' CHECK (ethnicity IN ('asian', 'black', 'mixed', 'white', 'other', 'not_stated')),
    district TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organisation_id, reference)
) STRICT;
CREATE INDEX participants_person_key_idx ON participants (person_key);
CREATE INDEX participants_organisation_person_key_idx ON participants (organisation_id, person_key);

CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL CHECK (length(reference) BETWEEN 1 AND 64),
    participant_id INTEGER NOT NULL REFERENCES participants (id),
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    referred_on TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('police', 'youth_justice', 'school', 'social_care', 'probation', 'health', 'oocr_hub', 'self', 'other')),
    reason TEXT NOT NULL DEFAULT '',
    decision TEXT NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'accepted', 'declined')),
    decided_on TEXT,
    closure TEXT NOT NULL DEFAULT 'open' CHECK (closure IN ('open', 'completed', 'withdrawn', 'disengaged')),
    closed_on TEXT,
    required_hours REAL CHECK (required_hours >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organisation_id, reference),
    -- Lets attendance prove, by foreign key, that it joins a session of the same programme.
    UNIQUE (id, programme_id),
    CHECK ((decision = 'pending') = (decided_on IS NULL)),
    CHECK (decided_on IS NULL OR decided_on >= referred_on),
    CHECK (closure = 'open' OR decision = 'accepted'),
    CHECK ((closure = 'open') = (closed_on IS NULL)),
    CHECK (closed_on IS NULL OR (closed_on >= referred_on AND closed_on >= decided_on))
) STRICT;
CREATE INDEX referrals_programme_referred_idx ON referrals (programme_id, referred_on);
CREATE INDEX referrals_participant_idx ON referrals (participant_id);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    reference TEXT CHECK (reference IS NULL OR length(reference) BETWEEN 1 AND 64),
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('one_to_one', 'group', 'workshop', 'reparation', 'outreach')),
    duration_minutes INTEGER CHECK (duration_minutes >= 0),
    headcount INTEGER NOT NULL DEFAULT 0 CHECK (headcount >= 0),
    district TEXT,
    venue TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (organisation_id, reference),
    UNIQUE (id, programme_id)
) STRICT;
CREATE INDEX sessions_programme_date_idx ON sessions (programme_id, date);

CREATE TABLE attendance (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    referral_id INTEGER NOT NULL,
    programme_id INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('attended', 'did_not_attend', 'cancelled')),
    hours REAL CHECK (hours >= 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (session_id, referral_id),
    FOREIGN KEY (session_id, programme_id) REFERENCES sessions (id, programme_id),
    FOREIGN KEY (referral_id, programme_id) REFERENCES referrals (id, programme_id),
    CHECK (status = 'attended' OR hours IS NULL OR hours = 0)
) STRICT;
CREATE INDEX attendance_referral_idx ON attendance (referral_id);

CREATE TABLE outcome_measures (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    min_value REAL NOT NULL,
    max_value REAL NOT NULL,
    higher_is_better INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (min_value < max_value)
) STRICT;

CREATE TABLE outcome_records (
    id INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES referrals (id),
    measure_id INTEGER NOT NULL REFERENCES outcome_measures (id),
    timepoint TEXT NOT NULL CHECK (timepoint IN ('baseline', 'review', 'exit', 'follow_up')),
    recorded_on TEXT NOT NULL,
    value REAL NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (referral_id, measure_id, timepoint, recorded_on)
) STRICT;
CREATE INDEX outcome_records_measure_idx ON outcome_records (measure_id);

CREATE TABLE group_surveys (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    session_id INTEGER REFERENCES sessions (id),
    measure_id INTEGER NOT NULL REFERENCES outcome_measures (id),
    timepoint TEXT NOT NULL CHECK (timepoint IN ('baseline', 'exit')),
    recorded_on TEXT NOT NULL,
    respondents INTEGER NOT NULL CHECK (respondents >= 0),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX group_surveys_programme_idx ON group_surveys (programme_id, recorded_on);

CREATE TABLE group_survey_counts (
    id INTEGER PRIMARY KEY,
    group_survey_id INTEGER NOT NULL REFERENCES group_surveys (id) ON DELETE CASCADE,
    scale_value INTEGER NOT NULL,
    respondents INTEGER NOT NULL CHECK (respondents >= 0),
    UNIQUE (group_survey_id, scale_value)
) STRICT;

CREATE TABLE import_batches (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER REFERENCES organisations (id),
    kind TEXT NOT NULL CHECK (kind IN ('programmes', 'measures', 'participants', 'referrals', 'sessions', 'attendance', 'outcomes', 'offences', 'comparison')),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    rows_total INTEGER NOT NULL CHECK (rows_total >= 0),
    rows_inserted INTEGER NOT NULL DEFAULT 0,
    rows_updated INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    extract_date TEXT,
    superseded_at TEXT,
    created_by INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX import_batches_kind_idx ON import_batches (kind, created_at);

CREATE TABLE offence_records (
    id INTEGER PRIMARY KEY,
    import_batch_id INTEGER NOT NULL REFERENCES import_batches (id),
    person_key TEXT NOT NULL CHECK (length(person_key) = 64),
    offence_date TEXT NOT NULL,
    offence_group TEXT NOT NULL CHECK (offence_group IN ('homicide', 'violence_with_injury', 'violence_without_injury', 'rape', 'other_sexual_offences', 'robbery', 'domestic_burglary', 'non_domestic_burglary', 'vehicle_offences', 'theft_from_person', 'shoplifting', 'other_theft', 'criminal_damage_arson', 'criminal_damage_other', 'possession_of_weapons', 'public_order', 'drug_offences', 'miscellaneous')),
    proven_on TEXT,
    CHECK (proven_on IS NULL OR proven_on >= offence_date)
) STRICT;
CREATE INDEX offence_records_person_date_idx ON offence_records (person_key, offence_date);
CREATE INDEX offence_records_batch_idx ON offence_records (import_batch_id);

-- A comparison cohort (e.g. matched by a police analyst): pseudonymous keys with index dates.
CREATE TABLE comparison_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    import_batch_id INTEGER REFERENCES import_batches (id),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE comparison_members (
    id INTEGER PRIMARY KEY,
    comparison_group_id INTEGER NOT NULL REFERENCES comparison_groups (id) ON DELETE CASCADE,
    person_key TEXT NOT NULL CHECK (length(person_key) = 64),
    index_date TEXT NOT NULL,
    UNIQUE (comparison_group_id, person_key)
) STRICT;

-- Quarterly returns: a provider manager submits a quarter of a programme, a commissioner
-- approves it (locking the quarter's records) or returns it with a comment.
CREATE TABLE quarterly_returns (
    id INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    quarter TEXT NOT NULL CHECK (length(quarter) = 10),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'returned', 'unlocked')),
    comment TEXT NOT NULL DEFAULT '',
    submitted_by INTEGER REFERENCES users (id),
    submitted_at TEXT,
    decided_by INTEGER REFERENCES users (id),
    decided_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (programme_id, quarter)
) STRICT;

-- The audit trail: append-only, each event carrying the SHA-256 of the previous one.
-- `changed_fields` names fields, never their personal values.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    user_id INTEGER,
    organisation_id INTEGER,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT,
    changed_fields TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX audit_events_entity_idx ON audit_events (entity, entity_id);
CREATE INDEX audit_events_user_idx ON audit_events (user_id, occurred_at);
