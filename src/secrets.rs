//! The service's secrets: a session key and the person-key (HMAC) key.
//!
//! They come from the environment (`OUTCOMES_SESSION_KEY`, `OUTCOMES_HMAC_KEY`) or from a
//! key file. A missing key file is created on first start with mode 0600, so a fresh
//! machine needs no set-up; an existing file with wider permissions is refused.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use rand::RngCore;

use crate::config::Settings;
use crate::domain::person_key::PersonKeySecret;

#[derive(Clone)]
pub struct Secrets {
    pub session_key: Vec<u8>,
    pub person_key: PersonKeySecret,
    /// The audit chain's HMAC key, derived from the HMAC key (never stored in the
    /// database; see `store::audit`).
    pub audit_key: Vec<u8>,
    /// The key that encrypts TOTP secrets at rest, derived from the HMAC key (which never
    /// changes: person keys depend on it).
    pub totp_key: [u8; 32],
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

fn decode_key(name: &str, hex_text: &str) -> anyhow::Result<Vec<u8>> {
    let bytes =
        hex::decode(hex_text.trim()).with_context(|| format!("{name} must be hexadecimal"))?;
    if bytes.len() < 32 {
        bail!("{name} must be at least 32 bytes (64 hex characters)");
    }
    Ok(bytes)
}

fn random_hex() -> String {
    let mut bytes = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Secrets {
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        let (session, hmac, file_audit) = match (&settings.session_key, &settings.hmac_key) {
            (Some(s), Some(h)) => (s.clone(), h.clone(), None),
            (s, h) => {
                let file = read_or_create_key_file(&settings.key_file)?;
                (
                    s.clone().unwrap_or(file.session),
                    h.clone().unwrap_or(file.hmac),
                    file.audit,
                )
            }
        };
        let hmac = decode_key("the HMAC key", &hmac)?;
        let audit_key = match settings.audit_key.as_ref().or(file_audit.as_ref()) {
            Some(hex_text) => decode_key("the audit key", hex_text)?,
            None => crate::store::audit::derive_key(&hmac),
        };
        Ok(Secrets {
            session_key: decode_key("the session key", &session)?,
            totp_key: crate::domain::two_factor::derive_key(&hmac),
            audit_key,
            person_key: PersonKeySecret::new(hmac),
        })
    }

    /// Loads the secrets and installs the audit key for this process: what every path
    /// that writes or checks the audit trail calls first.
    pub fn load_and_install(settings: &Settings) -> anyhow::Result<Self> {
        let secrets = Self::load(settings)?;
        crate::store::audit::install_key(&secrets.audit_key)?;
        Ok(secrets)
    }
}

/// The lines of a key file: `session_key=`, `hmac_key=` and the optional `audit_key=`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyFile {
    session: String,
    hmac: String,
    audit: Option<String>,
}

fn read_or_create_key_file(path: &Path) -> anyhow::Result<KeyFile> {
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                writeln!(
                    file,
                    "# Outcomes secrets. Keep private; back up with the database."
                )?;
                writeln!(file, "session_key={}", random_hex())?;
                writeln!(file, "hmac_key={}", random_hex())?;
                file.sync_all()?;
                tracing::info!(path = %path.display(), "created a new key file");
            }
            // Another process created it first: read theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "the key file {} is readable by others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            );
        }
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the key file {}", path.display()))?;
    let mut session = None;
    let mut hmac = None;
    let mut audit = None;
    for line in text.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("session_key=") {
            session = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("hmac_key=") {
            hmac = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("audit_key=") {
            audit = Some(v.to_string());
        }
    }
    match (session, hmac) {
        (Some(session), Some(hmac)) => Ok(KeyFile {
            session,
            hmac,
            audit,
        }),
        _ => bail!(
            "the key file {} must hold session_key= and hmac_key= lines",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_file_is_created_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/outcomes.key");
        let first = read_or_create_key_file(&path).unwrap();
        let second = read_or_create_key_file(&path).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.session.len(), 128);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_file_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "session_key=00\nhmac_key=00\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = read_or_create_key_file(&path).unwrap_err();
            assert!(err.to_string().contains("chmod 600"));
        }
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(decode_key("k", "abcd").is_err());
        assert!(decode_key("k", &"ab".repeat(32)).is_ok());
    }
}
