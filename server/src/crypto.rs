//! Secrets at rest: the master key, AES-256-GCM sealing of provider credentials, Kestrel
//! key generation and hashing.
//!
//! Provider credentials are sealed with AES-256-GCM under the master key, with a random
//! 96-bit nonce per seal and the key's id as associated data, so a ciphertext moved to
//! another key's row fails to open. Kestrel keys are 256-bit random strings; only their
//! SHA-256 is stored (they are not passwords: a fast hash is enough against guessing).

use std::fmt;
use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

/// Prefix of every Kestrel API key.
pub const KEY_PREFIX: &str = "ks-";

/// The 32-byte key that seals provider credentials. Never logged: `Debug` shows nothing.
pub struct MasterKey {
    key: LessSafeKey,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes, as 64 hex digits or base64")]
    BadMasterKey,
    #[error("cannot read the master key file {path}: {source}")]
    KeyFile { path: String, source: std::io::Error },
    #[error("stored credentials cannot be decrypted (wrong master key, or the data was altered)")]
    Open,
    #[error("the system random generator failed")]
    Random,
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| CryptoError::BadMasterKey)?;
        Ok(MasterKey { key: LessSafeKey::new(unbound) })
    }

    /// Parses 64 hex digits or base64 (standard or URL-safe) of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(t).ok_or(CryptoError::BadMasterKey)?
        } else {
            STANDARD
                .decode(t)
                .or_else(|_| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')))
                .map_err(|_| CryptoError::BadMasterKey)?
        };
        if bytes.len() != 32 {
            return Err(CryptoError::BadMasterKey);
        }
        MasterKey::from_bytes(&bytes)
    }

    /// Reads a key file: hex or base64 text, or exactly 32 raw bytes.
    pub fn from_file(path: &Path) -> Result<Self, CryptoError> {
        let raw =
            std::fs::read(path).map_err(|source| CryptoError::KeyFile { path: path.display().to_string(), source })?;
        match std::str::from_utf8(&raw).ok().map(MasterKey::parse) {
            Some(Ok(k)) => Ok(k),
            _ if raw.len() == 32 => MasterKey::from_bytes(&raw),
            _ => Err(CryptoError::BadMasterKey),
        }
    }

    /// Reads `path`, or creates it with a fresh random key (hex, mode 0600) when missing.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        if path.exists() {
            return MasterKey::from_file(path);
        }
        let bytes = random_bytes::<32>()?;
        let io = |source| CryptoError::KeyFile { path: path.display().to_string(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        write_private(path, encode_hex(&bytes).as_bytes()).map_err(io)?;
        MasterKey::from_bytes(&bytes)
    }

    /// Encrypts `plain`, bound to `context` (the key id): base64 of nonce || ciphertext || tag.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Result<String, CryptoError> {
        let nonce_bytes = random_bytes::<NONCE_LEN>()?;
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .map_err(|_| CryptoError::Open)?;
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        Ok(STANDARD.encode(out))
    }

    /// Decrypts what [`MasterKey::seal`] produced for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        let raw = STANDARD.decode(sealed).map_err(|_| CryptoError::Open)?;
        if raw.len() < NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Open)?;
        let mut buf = ct.to_vec();
        let plain =
            self.key.open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf).map_err(|_| CryptoError::Open)?;
        Ok(plain.to_vec())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut b = [0u8; N];
    SystemRandom::new().fill(&mut b).map_err(|_| CryptoError::Random)?;
    Ok(b)
}

/// A new Kestrel key: `ks-` and 43 URL-safe base64 characters (256 random bits).
pub fn new_api_key() -> Result<String, CryptoError> {
    Ok(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()?)))
}

/// A new public key id, `key_` and 16 hex digits: safe to show, log and revoke by.
pub fn new_key_id() -> Result<String, CryptoError> {
    Ok(format!("key_{}", encode_hex(&random_bytes::<8>()?)))
}

/// What is stored of a Kestrel key (and of the admin token, for comparison): SHA-256, hex.
pub fn hash_secret(secret: &str) -> String {
    encode_hex(ring::digest::digest(&ring::digest::SHA256, secret.as_bytes()).as_ref())
}

/// Compares two secrets in time independent of where they differ (by their hashes).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    let (ha, hb) = (
        ring::digest::digest(&ring::digest::SHA256, a.as_bytes()),
        ring::digest::digest(&ring::digest::SHA256, b.as_bytes()),
    );
    ha.as_ref().iter().zip(hb.as_ref()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn encode_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_context_binding() {
        let k = MasterKey::parse(&"ab".repeat(32)).unwrap();
        let sealed = k.seal("key_1", b"sk-secret").unwrap();
        assert!(!sealed.contains("sk-secret"));
        assert_eq!(k.open("key_1", &sealed).unwrap(), b"sk-secret");
        assert!(k.open("key_2", &sealed).is_err());
        let other = MasterKey::parse(&STANDARD.encode([7u8; 32])).unwrap();
        assert!(other.open("key_1", &sealed).is_err());
    }

    #[test]
    fn master_key_formats() {
        assert!(MasterKey::parse("short").is_err());
        assert!(MasterKey::parse(&"0".repeat(63)).is_err());
        assert!(MasterKey::parse(&URL_SAFE_NO_PAD.encode([1u8; 32])).is_ok());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        let a = MasterKey::load_or_create(&p).unwrap();
        let b = MasterKey::load_or_create(&p).unwrap();
        assert_eq!(b.open("x", &a.seal("x", b"y").unwrap()).unwrap(), b"y");
    }

    #[test]
    fn keys_look_right() {
        let k = new_api_key().unwrap();
        assert!(k.starts_with("ks-") && k.len() == 46, "{k}");
        assert_ne!(k, new_api_key().unwrap());
        assert_eq!(hash_secret(&k).len(), 64);
        assert!(secrets_equal("a", "a") && !secrets_equal("a", "b"));
    }
}
