//! Police identifiers and person keys.
//!
//! A clear police identifier (e.g. a PNC or force nominal number) is normalised — trimmed,
//! upper-cased, inner whitespace removed — and keyed with HMAC-SHA256 under the service's
//! secret the moment it arrives. Only the hex key is ever stored; the identifier itself is
//! never kept, logged or echoed in an error message. The same key computed for police
//! offence extracts is how reoffending is matched.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The secret used to key identifiers. Debug output never shows it.
#[derive(Clone)]
pub struct PersonKeySecret(Vec<u8>);

impl PersonKeySecret {
    pub fn new(bytes: Vec<u8>) -> Self {
        PersonKeySecret(bytes)
    }
}

impl std::fmt::Debug for PersonKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonKeySecret(…)")
    }
}

/// A pseudonymous person key: 64 lower-case hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonKey(String);

impl PersonKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Wraps a key read back from storage.
    pub fn from_stored(hex: String) -> Self {
        PersonKey(hex)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoliceIdError {
    #[error("the police identifier is empty")]
    Empty,
    #[error("the police identifier is too long (at most 64 characters)")]
    TooLong,
    #[error("the police identifier may contain only letters, digits, '/' and '-'")]
    BadCharacter,
}

/// Normalises a clear identifier: trimmed, upper-cased, inner whitespace removed.
pub fn normalise_police_id(raw: &str) -> Result<String, PoliceIdError> {
    let normalised: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect();
    if normalised.is_empty() {
        return Err(PoliceIdError::Empty);
    }
    if normalised.chars().count() > 64 {
        return Err(PoliceIdError::TooLong);
    }
    if !normalised
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-')
    {
        return Err(PoliceIdError::BadCharacter);
    }
    Ok(normalised)
}

/// The person key of a clear identifier. Errors never contain the identifier.
pub fn person_key(
    secret: &PersonKeySecret,
    raw_police_id: &str,
) -> Result<PersonKey, PoliceIdError> {
    Keyer::new(secret).key(raw_police_id)
}

/// Keys many identifiers with one secret: the HMAC's keyed state is computed once and
/// cloned per identifier (a police extract has millions).
#[derive(Clone)]
pub struct Keyer {
    mac: Hmac<Sha256>,
}

impl Keyer {
    pub fn new(secret: &PersonKeySecret) -> Self {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        let mac = Hmac::<Sha256>::new_from_slice(&secret.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        Keyer { mac }
    }

    /// The person key of a clear identifier. Errors never contain the identifier.
    pub fn key(&self, raw_police_id: &str) -> Result<PersonKey, PoliceIdError> {
        let normalised = normalise_police_id(raw_police_id)?;
        let mut mac = self.mac.clone();
        mac.update(normalised.as_bytes());
        Ok(PersonKey(hex::encode(mac.finalize().into_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_normalised_before_keying() {
        let secret = PersonKeySecret::new(b"test secret".to_vec());
        let a = person_key(&secret, " 12ab 345/6 ").unwrap();
        let b = person_key(&secret, "12AB345/6").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 64);
    }

    #[test]
    fn the_key_is_hmac_sha256_of_the_normalised_identifier() {
        // Independent value: python3 -c "import hmac,hashlib;
        //   print(hmac.new(b'key', b'AB123', hashlib.sha256).hexdigest())"
        let secret = PersonKeySecret::new(b"key".to_vec());
        assert_eq!(
            person_key(&secret, "ab 123").unwrap().as_str(),
            "e24a32ef7ffe67e7b644672248d4f53fce425eeb8c1145a537b4a2f4f8999b1e"
        );
    }

    #[test]
    fn different_secrets_give_different_keys() {
        let a = person_key(&PersonKeySecret::new(b"one".to_vec()), "X1").unwrap();
        let b = person_key(&PersonKeySecret::new(b"two".to_vec()), "X1").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn errors_do_not_echo_the_identifier() {
        let err = person_key(&PersonKeySecret::new(vec![1]), "SECRET!ID").unwrap_err();
        assert_eq!(err, PoliceIdError::BadCharacter);
        assert!(!err.to_string().contains("SECRET"));
        assert_eq!(
            normalise_police_id("   ").unwrap_err(),
            PoliceIdError::Empty
        );
    }
}
