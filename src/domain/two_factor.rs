//! Two-factor sign-in: time-based one-time codes (RFC 6238: HMAC-SHA1, six digits, 30-second
//! steps, one step of clock drift either way), the encryption of their secrets at rest,
//! single-use recovery codes, and who must use a second factor.
//!
//! A TOTP secret is stored only encrypted (AES-256-GCM, a fresh nonce each time) under a
//! key derived from the HMAC key, which never enters the database: a copy of the database
//! does not give anyone the codes. Recovery codes are 50 random bits each, shown once and
//! stored as Argon2id hashes like passwords.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::Rng;
use rand::RngCore;
use sha2::Sha256;
use totp_rs::{Algorithm, TOTP};

use super::enums::Role;

/// Seconds in one time step.
pub const STEP_SECONDS: u64 = 30;
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Outcomes";

/// Who must sign in with a second factor (`OUTCOMES_REQUIRE_2FA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Admins, analysts and commissioners (the default); provider staff may enrol.
    #[default]
    Roles,
    /// Every user.
    All,
    /// No one is made to enrol (the demo); users who enrolled are still asked.
    Off,
}

impl std::str::FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "roles" | "" => Ok(Policy::Roles),
            "all" => Ok(Policy::All),
            "off" => Ok(Policy::Off),
            other => Err(format!(
                "'{other}' is not a two-factor policy: expected roles, all or off"
            )),
        }
    }
}

impl Policy {
    /// Whether a user of this role must have a second factor to sign in.
    pub fn requires(self, role: Role) -> bool {
        match self {
            Policy::All => true,
            Policy::Off => false,
            Policy::Roles => matches!(role, Role::Admin | Role::Analyst | Role::Commissioner),
        }
    }
}

/// A new random TOTP secret: 160 bits, as RFC 4226 recommends.
pub fn generate_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn totp(secret: &[u8], account: &str) -> Result<TOTP, String> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret.to_vec(),
        Some(ISSUER.to_string()),
        account.replace(':', " "),
    )
    .map_err(|e| format!("a TOTP secret: {e}"))
}

/// The secret in base32, for typing into an authenticator app by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    base32_encode(secret)
}

/// The enrolment QR code (an `otpauth://` URI) as a `data:image/png;base64,…` URI, for an
/// `<img>` (the Content-Security-Policy allows `img-src data:`).
pub fn qr_data_uri(secret: &[u8], account: &str) -> Result<String, String> {
    let png = totp(secret, account)?.get_qr_base64()?;
    Ok(format!("data:image/png;base64,{png}"))
}

/// The code for a Unix time (for tests and the demo).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> Result<String, String> {
    Ok(totp(secret, "")?.generate(unix_seconds))
}

/// Checks a typed code at `unix_seconds`: the step it belongs to (the current one or one
/// either side), if it is right and later than `last_step` (a code works once).
pub fn verify(
    secret: &[u8],
    typed: &str,
    unix_seconds: u64,
    last_step: Option<i64>,
) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "").ok()?;
    let now = (unix_seconds / STEP_SECONDS) as i64;
    [now - 1, now, now + 1]
        .into_iter()
        .filter(|step| *step >= 0 && last_step.is_none_or(|last| *step > last))
        .find(|step| {
            let code = t.generate(*step as u64 * STEP_SECONDS);
            super::credentials::constant_time_eq(&code, &typed)
        })
}

/// The key that encrypts TOTP secrets, derived from the HMAC key.
pub fn derive_key(hmac_key: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(hmac_key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"outcomes totp secrets v1");
    mac.finalize().into_bytes().into()
}

/// `v1:<nonce hex>:<ciphertext hex>`: the secret under AES-256-GCM.
pub fn seal(key: &[u8; 32], secret: &[u8]) -> Result<String, String> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|e| e.to_string())?;
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), secret)
        .map_err(|_| "encrypting a TOTP secret failed".to_string())?;
    Ok(format!("v1:{}:{}", hex::encode(nonce), hex::encode(sealed)))
}

/// The secret `seal` stored, or an error when the key is not the one that sealed it.
pub fn open(key: &[u8; 32], stored: &str) -> Result<Vec<u8>, String> {
    let mut parts = stored.split(':');
    let (Some("v1"), Some(nonce), Some(sealed), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("a stored TOTP secret is not in the v1 format".into());
    };
    let nonce = hex::decode(nonce).map_err(|e| e.to_string())?;
    let sealed = hex::decode(sealed).map_err(|e| e.to_string())?;
    if nonce.len() != 12 {
        return Err("a stored TOTP secret has a bad nonce".into());
    }
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|e| e.to_string())?;
    cipher
        .decrypt(Nonce::from_slice(&nonce), sealed.as_ref())
        .map_err(|_| "a stored TOTP secret does not open with this key".into())
}

/// Letters and digits that cannot be confused with each other when read aloud or typed.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// Ten new recovery codes, `xxxxx-xxxxx` (about 49 bits each).
pub fn generate_recovery_codes() -> Vec<String> {
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut s = String::with_capacity(11);
            for i in 0..10 {
                if i == 5 {
                    s.push('-');
                }
                s.push(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char);
            }
            s
        })
        .collect()
}

/// A typed recovery code as it is hashed: lower-case, spaces and hyphens dropped.
pub fn normalise_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn base32_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in data {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 test vectors (secret "12345678901234567890"), whose
    /// eight-digit codes end in these six digits.
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, t).unwrap(), code, "T={t}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_only_once() {
        let secret = b"12345678901234567890";
        // 1111111109 is in step 37037036; the code is accepted up to one step later.
        let step = verify(secret, "081804", 1_111_111_109 + 30, None).unwrap();
        assert_eq!(step, 37_037_036);
        assert_eq!(verify(secret, "081804", 1_111_111_109, Some(step)), None);
        assert_eq!(verify(secret, "081804", 1_111_111_109 + 90, None), None);
        assert_eq!(verify(secret, "08180", 1_111_111_109, None), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            secret_base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_only_and_holds_no_clear_text() {
        let key = derive_key(b"k1");
        let sealed = seal(&key, b"12345678901234567890").unwrap();
        assert!(!sealed.contains(&hex::encode(b"12345678901234567890")));
        assert_eq!(open(&key, &sealed).unwrap(), b"12345678901234567890");
        assert!(open(&derive_key(b"k2"), &sealed).is_err());
        assert_ne!(seal(&key, b"12345678901234567890").unwrap(), sealed);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_typed_loosely() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), 10);
        let set: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        assert_eq!(normalise_recovery_code(" AbCde-fGhjk "), "abcdefghjk");
    }

    #[test]
    fn the_policy_requires_admins_analysts_and_commissioners_by_default() {
        let p: Policy = "roles".parse().unwrap();
        assert!(p.requires(Role::Admin) && p.requires(Role::Analyst));
        assert!(p.requires(Role::Commissioner));
        assert!(!p.requires(Role::Caseworker) && !p.requires(Role::ProviderManager));
        assert!(Policy::All.requires(Role::Caseworker));
        assert!(!Policy::Off.requires(Role::Admin));
        assert!("sometimes".parse::<Policy>().is_err());
    }
}
