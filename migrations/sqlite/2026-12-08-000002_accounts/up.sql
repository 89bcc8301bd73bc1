-- Accounts (issue 16): two-factor sign-in, self-service passwords, token expiry.
-- `totp_secret` holds the TOTP secret encrypted with AES-256-GCM under a key derived from
-- the HMAC key (never the secret in clear); `totp_enabled_at` is NULL while an enrolment
-- is pending. `totp_last_step` is the last time step accepted, so a code is used once.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
-- Set when an admin sets the password: the next sign-in asks for a new one.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
-- Where a session's sign-in stands: 'complete', or waiting for the second factor
-- ('code'), for an enrolment ('enrol') or for a new password ('password').
ALTER TABLE login_sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'complete' CHECK (stage IN ('complete', 'code', 'enrol', 'password'));
ALTER TABLE login_sessions ADD COLUMN second_factor_at TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
-- Ten single-use recovery codes per enrolled user, as Argon2id hashes.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT
) STRICT;
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);
