//! Personal data at rest: AES-256-GCM encryption, keyed hashes for exact look-ups,
//! and masking for display.
//!
//! One 32-byte master key (the file `master.key` in the data directory, mode 0600, or
//! `LOANBOOK_MASTER_KEY` as 64 hex digits) yields two keys by HMAC-SHA256 derivation:
//! one encrypts, one hashes. A stored value is `1 ‖ nonce(12) ‖ ciphertext ‖ tag(16)`.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

use crate::StoreError;

/// The name of the key file in the data directory.
pub const KEY_FILE: &str = "master.key";
const FORMAT_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// The keys for personal data.
#[derive(Clone)]
pub struct Keys {
    cipher: Aes256Gcm,
    lookup: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

fn derive(master: &[u8; 32], purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

fn parse_hex_key(text: &str) -> Result<[u8; 32], StoreError> {
    let bytes = hex::decode(text.trim())
        .map_err(|_| StoreError::Key("expected 64 hexadecimal digits".into()))?;
    bytes
        .try_into()
        .map_err(|_| StoreError::Key("expected 64 hexadecimal digits (32 bytes)".into()))
}

impl Keys {
    /// Keys derived from a 32-byte master key.
    pub fn from_master(master: &[u8; 32]) -> Keys {
        let enc = derive(master, "loanbook/pii-encryption/v1");
        Keys {
            cipher: Aes256Gcm::new(&enc.into()),
            lookup: derive(master, "loanbook/pii-lookup/v1"),
        }
    }

    /// Keys from `LOANBOOK_MASTER_KEY`, else from `DATA_DIR/master.key`.
    ///
    /// # Errors
    /// [`StoreError::Key`] when neither exists or the key is malformed.
    pub fn load(data_dir: &Path) -> Result<Keys, StoreError> {
        if let Ok(text) = std::env::var("LOANBOOK_MASTER_KEY") {
            return Ok(Keys::from_master(&parse_hex_key(&text)?));
        }
        let path = data_dir.join(KEY_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            StoreError::Key(format!(
                "cannot read {} ({e}); run `loanbook init` or set LOANBOOK_MASTER_KEY",
                path.display()
            ))
        })?;
        Ok(Keys::from_master(&parse_hex_key(&text)?))
    }

    /// Loads the keys, creating `DATA_DIR/master.key` (mode 0600) with a random key
    /// when there is no key yet. Returns whether a key was created.
    ///
    /// # Errors
    /// [`StoreError::Key`] or [`StoreError::Io`].
    pub fn load_or_create(data_dir: &Path) -> Result<(Keys, bool), StoreError> {
        if std::env::var("LOANBOOK_MASTER_KEY").is_ok() || data_dir.join(KEY_FILE).exists() {
            return Keys::load(data_dir).map(|k| (k, false));
        }
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", data_dir.display())))?;
        let mut master = [0u8; 32];
        OsRng.fill_bytes(&mut master);
        let path = data_dir.join(KEY_FILE);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", path.display())))?;
        writeln!(file, "{}", hex::encode(master))
            .map_err(|e| StoreError::Io(format!("cannot write {}: {e}", path.display())))?;
        Ok((Keys::from_master(&master), true))
    }

    /// Encrypts `plaintext` with a fresh random nonce.
    pub fn encrypt(&self, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts what [`Keys::encrypt`] produced.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] for a wrong key, a tampered value or an unknown format.
    pub fn decrypt(&self, stored: &[u8]) -> Result<String, StoreError> {
        let corrupt = || {
            StoreError::Corrupt(
                "an encrypted value does not decrypt (wrong key or tampered)".into(),
            )
        };
        if stored.len() < 1 + NONCE_LEN || stored[0] != FORMAT_VERSION {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = stored[1..].split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map_err(|_| corrupt())
    }

    /// The keyed hash that finds `value` of `kind` (e.g. `id_number`) without storing it.
    pub fn lookup_hash(&self, kind: &str, value: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.lookup).expect("HMAC takes any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Shows the first `keep_start` and last `keep_end` characters, `*` between:
/// `mask("110101199003078515", 4, 4)` = `1101**********8515`.
pub fn mask(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - keep_start - keep_end;
    let mut out: String = chars[..keep_start].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}

/// A resident ID number masked as `1101**********1234`.
pub fn mask_id_number(value: &str) -> String {
    mask(value, 4, 4)
}

/// A mobile number masked as `138****5678`.
pub fn mask_phone(value: &str) -> String {
    mask(value, 3, 4)
}

/// An address masked after its first six characters.
pub fn mask_address(value: &str) -> String {
    let chars = value.chars().count();
    mask(value, chars.min(6), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::from_master(&[7u8; 32])
    }

    #[test]
    fn encrypts_with_fresh_nonces_and_decrypts() {
        let k = keys();
        let a = k.encrypt("110101199003078515");
        let b = k.encrypt("110101199003078515");
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(!String::from_utf8_lossy(&a).contains("110101"));
        assert_eq!(k.decrypt(&a).unwrap(), "110101199003078515");
    }

    #[test]
    fn tampering_or_a_wrong_key_is_detected() {
        let k = keys();
        let mut stored = k.encrypt("13800138000");
        let last = stored.len() - 1;
        stored[last] ^= 1;
        assert!(matches!(k.decrypt(&stored), Err(StoreError::Corrupt(_))));
        let other = Keys::from_master(&[8u8; 32]);
        assert!(other.decrypt(&k.encrypt("x")).is_err());
        assert!(k.decrypt(&[]).is_err());
    }

    #[test]
    fn lookup_hashes_are_keyed_and_kind_separated() {
        let k = keys();
        assert_eq!(
            k.lookup_hash("phone", "13800138000"),
            k.lookup_hash("phone", "13800138000")
        );
        assert_ne!(
            k.lookup_hash("phone", "13800138000"),
            k.lookup_hash("id_number", "13800138000")
        );
        assert_ne!(
            k.lookup_hash("phone", "13800138000"),
            Keys::from_master(&[8u8; 32]).lookup_hash("phone", "13800138000")
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id_number("110101199003078515"), "1101**********8515");
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_address("北京市朝阳区建国路88号"), "北京市朝阳区******");
        assert_eq!(mask("abc", 2, 2), "***");
    }

    #[test]
    fn key_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        if std::env::var("LOANBOOK_MASTER_KEY").is_ok() {
            return;
        }
        let (k1, created) = Keys::load_or_create(dir.path()).unwrap();
        assert!(created);
        let (k2, created) = Keys::load_or_create(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(k2.decrypt(&k1.encrypt("same key")).unwrap(), "same key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
