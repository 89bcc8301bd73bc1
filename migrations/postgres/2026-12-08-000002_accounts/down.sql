DROP TABLE recovery_codes;
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE login_sessions DROP COLUMN second_factor_at;
ALTER TABLE login_sessions DROP COLUMN stage;
ALTER TABLE users DROP COLUMN must_change_password;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_secret;
