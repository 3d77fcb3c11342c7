//! The certificate's Ed25519 keys: generated, written as PKCS#8 / SPKI PEM (what openssl and the
//! supply-chain tools read), loaded with errors that say what the file should hold.

use std::path::Path;

use anyhow::Context as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _};
use ed25519_dalek::{SigningKey, VerifyingKey};

/// A new key from the operating system's generator.
pub fn generate() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

/// The key's id: the SHA-256 of its SubjectPublicKeyInfo (DER), in hex, as
/// `openssl pkey -pubin -in KEY.pub -outform DER | sha256sum` prints it.
pub fn key_id(key: &VerifyingKey) -> String {
    let der = key.to_public_key_der().expect("an Ed25519 public key encodes");
    contract::sha256_hex(der.as_bytes())
}

/// The public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
pub fn public_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF).expect("an Ed25519 public key encodes")
}

/// Writes the private key to `private` (mode 0600, PKCS#8 PEM) and its public key to `public`.
pub fn write_pair(key: &SigningKey, private: &Path, public: &Path) -> anyhow::Result<()> {
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("an Ed25519 private key encodes");
    contract::files::write_private(private, pem.as_bytes())
        .with_context(|| format!("failed to write {}", private.display()))?;
    std::fs::write(public, public_pem(&key.verifying_key()))
        .with_context(|| format!("failed to write {}", public.display()))
}

/// The signing key in `path` (PKCS#8 PEM, as `harness keygen` or `openssl genpkey -algorithm
/// ed25519` writes it).
pub fn load_signing(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))?;
    SigningKey::from_pkcs8_pem(&text).map_err(|_| {
        anyhow::anyhow!(
            "{} holds no Ed25519 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`); make one with `harness keygen`",
            path.display()
        )
    })
}

/// The verifying key in `path` (SPKI PEM, the `.pub` file `harness keygen` writes).
pub fn load_verifying(path: &Path) -> anyhow::Result<VerifyingKey> {
    let text = std::fs::read_to_string(path).with_context(|| format!("failed to read {}", path.display()))?;
    if let Ok(key) = VerifyingKey::from_public_key_pem(&text) {
        return Ok(key);
    }
    if text.contains("PRIVATE KEY") {
        anyhow::bail!(
            "{} is a private key: give its public key (the `.pub` file `harness keygen` wrote)",
            path.display()
        );
    }
    anyhow::bail!(
        "{} holds no Ed25519 public key in SPKI PEM (`-----BEGIN PUBLIC KEY-----`), as `harness keygen` writes it",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_pair_loads_back_and_the_private_half_is_the_owners_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public) = (dir.path().join("k"), dir.path().join("k.pub"));
        let key = generate();
        write_pair(&key, &private, &public).unwrap();
        assert_eq!(load_signing(&private).unwrap().to_bytes(), key.to_bytes());
        assert_eq!(load_verifying(&public).unwrap(), key.verifying_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(std::fs::read_to_string(&public).unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(key_id(&key.verifying_key()).len(), 64);
    }

    #[test]
    fn the_wrong_file_is_named_with_what_it_should_hold() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public) = (dir.path().join("k"), dir.path().join("k.pub"));
        write_pair(&generate(), &private, &public).unwrap();
        let err = load_verifying(&private).unwrap_err().to_string();
        assert!(err.contains("is a private key") && err.contains(".pub"), "{err}");
        let err = load_signing(&public).unwrap_err().to_string();
        assert!(err.contains("PKCS#8") && err.contains("harness keygen"), "{err}");
        let err = load_signing(&dir.path().join("missing")).unwrap_err().to_string();
        assert!(err.contains("failed to read") && err.contains("missing"), "{err}");
    }
}
