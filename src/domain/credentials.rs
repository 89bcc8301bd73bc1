//! Credentials: email addresses, passwords and their Argon2id hashes, API tokens and
//! session ids, and the keyed hashes that let us count sign-in attempts without storing
//! what was typed.
//!
//! Passwords are hashed with Argon2id at the crate's default (OWASP-recommended) cost.
//! Tokens and session ids are 256 random bits, so a plain SHA-256 is enough to store them:
//! nobody can brute-force a preimage of a random 256-bit value.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use rand::distributions::{Alphanumeric, DistString};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

pub const MIN_PASSWORD_LENGTH: usize = 12;
const MAX_PASSWORD_LENGTH: usize = 256;

/// A syntactically plausible email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("Enter an email address in the correct format, like name@example.org")]
    Email,
    #[error("The password must be at least {MIN_PASSWORD_LENGTH} characters")]
    PasswordTooShort,
    #[error("The password must be at most {MAX_PASSWORD_LENGTH} characters")]
    PasswordTooLong,
    #[error("The password is on a list of common passwords: choose one that is harder to guess, like three random words")]
    PasswordCommon,
    #[error("The password must not contain your email address or its name part")]
    PasswordContainsEmail,
}

impl Email {
    pub fn parse(s: &str) -> Result<Self, CredentialError> {
        let s = s.trim().to_lowercase();
        let Some((local, domain)) = s.split_once('@') else {
            return Err(CredentialError::Email);
        };
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && s.len() <= 320
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Email(s))
        } else {
            Err(CredentialError::Email)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The common passwords a new password may not be (data/passwords/README.md: 661,596
/// from SecLists-derived packages), sorted, one a line, gzip-compressed in the binary.
static COMMON_PASSWORDS_GZ: &[u8] = include_bytes!("../../data/passwords/common-passwords.txt.gz");

/// Whether `password` (as typed, or lower-cased) is on the list of common passwords. The
/// list is streamed from the compressed copy on each call (tens of milliseconds), so it
/// never sits in memory: passwords are set rarely.
pub fn is_common_password(password: &str) -> bool {
    use std::io::BufRead;
    let lower = password.to_lowercase();
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(COMMON_PASSWORDS_GZ));
    reader
        .split(b'\n')
        .map_while(Result::ok)
        .any(|line| line == password.as_bytes() || line == lower.as_bytes())
}

/// A new password that meets the policy (NCSC: at least 12 characters, not a common
/// password, not containing the user's email; no composition rules). Never printed by Debug.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

impl NewPassword {
    /// A password for no one in particular (the demo's): length and the common list.
    pub fn parse(s: &str) -> Result<Self, CredentialError> {
        let n = s.chars().count();
        if n < MIN_PASSWORD_LENGTH {
            Err(CredentialError::PasswordTooShort)
        } else if n > MAX_PASSWORD_LENGTH {
            Err(CredentialError::PasswordTooLong)
        } else if is_common_password(s) {
            Err(CredentialError::PasswordCommon)
        } else {
            Ok(NewPassword(s.to_string()))
        }
    }

    /// A password for the user with this email: `parse`, and it must not contain the
    /// email's local part (of three characters or more), in any case.
    pub fn parse_for(s: &str, email: &Email) -> Result<Self, CredentialError> {
        let n = s.chars().count();
        if n < MIN_PASSWORD_LENGTH {
            return Err(CredentialError::PasswordTooShort);
        }
        let lower = s.to_lowercase();
        let local = email.as_str().split('@').next().unwrap_or_default();
        if lower.contains(email.as_str()) || (local.chars().count() >= 3 && lower.contains(local)) {
            return Err(CredentialError::PasswordContainsEmail);
        }
        Self::parse(s)
    }

    /// A random 20-character password (about 119 bits), for `--generate-password` and resets.
    pub fn generate() -> Self {
        NewPassword(Alphanumeric.sample_string(&mut rand::thread_rng(), 20))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The Argon2id PHC string (`$argon2id$v=19$...`), with a fresh random salt.
    pub fn hash(&self) -> anyhow::Result<String> {
        Argon2::default()
            .hash_password(self.0.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    }
}

/// The Argon2id PHC string of a secret that is not a password (a recovery code).
pub fn hash_secret(secret: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(secret.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a secret: {e}"))
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// Spends the same work as a real verification, for unknown accounts, so that the time a
/// failed sign-in takes does not tell whether the account exists.
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| {
        NewPassword::generate()
            .hash()
            .unwrap_or_else(|_| String::from("$argon2id$v=19$m=19456,t=2,p=1$invalid"))
    });
    let _ = verify_password(password, phc);
}

/// 256 random bits as 64 hex characters.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 as lower-case hex: how session ids and API tokens are stored.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// The prefix of every API token, so that a leaked token is recognisable in a scan.
pub const TOKEN_PREFIX: &str = "otk_";

/// A new API token: shown once, stored as its SHA-256.
pub fn generate_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_secret())
}

/// HMAC-SHA256(key, purpose ‖ value) as hex: the keyed hash that stands for an account or a
/// client address in `login_attempts` and the audit trail. Without the key it cannot be
/// turned back into the address by trying likely emails.
pub fn keyed_hash(key: &[u8], purpose: &str, value: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(purpose.as_bytes());
    mac.update(b"\0");
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A lifetime as `token add --expires-in` takes it: a whole number and `d` (days), `w`
/// (weeks) or `h` (hours), e.g. `90d`; at most ten years.
pub fn parse_lifetime(s: &str) -> Result<chrono::Duration, String> {
    let s = s.trim();
    let bad = || format!("'{s}' is not a lifetime: expected a number and d, w or h, like 90d");
    let unit = s.chars().last().ok_or_else(bad)?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    let d = match unit {
        'd' => chrono::Duration::days(n),
        'w' => chrono::Duration::weeks(n),
        'h' => chrono::Duration::hours(n),
        _ => return Err(bad()),
    };
    if n <= 0 || d > chrono::Duration::days(3653) {
        return Err(format!(
            "'{s}' must be more than nothing and at most ten years"
        ));
    }
    Ok(d)
}

/// Constant-time string equality (for CSRF tokens).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Jo.Bloggs@Remedi.ORG ").unwrap().as_str(),
            "jo.bloggs@remedi.org"
        );
        for bad in ["", "jo", "jo@", "@x.org", "jo@x", "jo @x.org", "a@b@c.org"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_shorter_than_twelve_characters_are_refused() {
        assert_eq!(
            NewPassword::parse("elevenchars").unwrap_err(),
            CredentialError::PasswordTooShort
        );
        assert!(NewPassword::parse("twelve chars").is_ok());
        assert!(!format!("{:?}", NewPassword::parse("twelve chars").unwrap()).contains("twelve"));
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case_and_no_composition_rule_applies() {
        for common in [
            "password1234",
            "aaaaaaaaaaaa",
            "PASSWORD1234",
            "qwertyuiop12",
        ] {
            assert_eq!(
                NewPassword::parse(common).unwrap_err(),
                CredentialError::PasswordCommon,
                "{common}"
            );
        }
        // Lower-case words and spaces only: no composition rule refuses it.
        assert!(NewPassword::parse("violet kettle harbour").is_ok());
    }

    #[test]
    fn a_password_containing_the_email_or_its_name_part_is_refused() {
        let email = Email::parse("jo.bloggs@remedi.org").unwrap();
        for bad in ["Jo.Bloggs-2026-x", "my jo.bloggs@remedi.org"] {
            assert_eq!(
                NewPassword::parse_for(bad, &email).unwrap_err(),
                CredentialError::PasswordContainsEmail,
                "{bad}"
            );
        }
        assert!(NewPassword::parse_for("violet kettle harbour", &email).is_ok());
        assert_eq!(
            NewPassword::parse_for("short", &email).unwrap_err(),
            CredentialError::PasswordTooShort
        );
    }

    #[test]
    fn the_common_list_holds_at_least_100000_passwords() {
        use std::io::BufRead;
        let n = std::io::BufReader::new(flate2::read::GzDecoder::new(COMMON_PASSWORDS_GZ))
            .lines()
            .count();
        assert!(n >= 100_000, "{n}");
    }

    #[test]
    fn a_password_verifies_against_its_argon2id_hash_only() {
        let p = NewPassword::parse("correct horse battery").unwrap();
        let phc = p.hash().unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse battery!", &phc));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        assert_eq!(NewPassword::generate().expose().len(), 20);
        let t = generate_token();
        assert!(t.starts_with(TOKEN_PREFIX) && t.len() == 68);
        assert_ne!(generate_token(), t);
        assert_eq!(sha256_hex("abc").len(), 64);
    }

    #[test]
    fn keyed_hashes_depend_on_key_and_purpose() {
        let a = keyed_hash(b"k1", "account", "a@b.org");
        assert_ne!(a, keyed_hash(b"k2", "account", "a@b.org"));
        assert_ne!(a, keyed_hash(b"k1", "client", "a@b.org"));
        assert_eq!(a, keyed_hash(b"k1", "account", "a@b.org"));
    }

    #[test]
    fn lifetimes_are_days_weeks_or_hours() {
        assert_eq!(parse_lifetime("90d").unwrap(), chrono::Duration::days(90));
        assert_eq!(parse_lifetime("2w").unwrap(), chrono::Duration::days(14));
        assert_eq!(parse_lifetime("12h").unwrap(), chrono::Duration::hours(12));
        for bad in ["", "d", "90", "0d", "-1d", "90m", "99999d"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
