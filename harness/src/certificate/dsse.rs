//! DSSE, the envelope the supply-chain ecosystem signs attestations in
//! (<https://github.com/secure-systems-lab/dsse>): a payload, its type, and signatures over the
//! pre-authentication encoding of both, so a signature can never be read as another type's.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

/// A signed envelope, as JSON (`payload` and `sig` in standard base64).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub payload: String,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// A hint naming the key ([`super::keys::key_id`]); verification never trusts it.
    #[serde(default)]
    pub keyid: String,
    pub sig: String,
}

/// Why an envelope did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsseError {
    #[error("the payload is not base64: {0}")]
    Payload(String),
    #[error("the payload type is `{found}`, not `{expected}`")]
    PayloadType { expected: String, found: String },
    #[error("it carries no signature")]
    Unsigned,
    #[error("no signature verifies with this key (signed by {signed_by}; this key is {key})")]
    WrongKey { signed_by: String, key: String },
}

/// DSSE v1's pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(body)> <body>`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Signs `payload` of `payload_type` with `key`.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    let signature = key.sign(&pae(payload_type, payload));
    Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.to_owned(),
        signatures: vec![EnvelopeSignature {
            keyid: super::keys::key_id(&key.verifying_key()),
            sig: STANDARD.encode(signature.to_bytes()),
        }],
    }
}

/// The payload, once one of the envelope's signatures verifies with `key` over the payload as
/// `expected_type`.
pub fn open(envelope: &Envelope, expected_type: &str, key: &VerifyingKey) -> Result<Vec<u8>, DsseError> {
    if envelope.payload_type != expected_type {
        return Err(DsseError::PayloadType { expected: expected_type.into(), found: envelope.payload_type.clone() });
    }
    let payload = STANDARD.decode(&envelope.payload).map_err(|e| DsseError::Payload(e.to_string()))?;
    if envelope.signatures.is_empty() {
        return Err(DsseError::Unsigned);
    }
    let message = pae(&envelope.payload_type, &payload);
    let verifies = |s: &EnvelopeSignature| {
        let bytes = STANDARD.decode(&s.sig).ok()?;
        let signature = Signature::from_slice(&bytes).ok()?;
        key.verify(&message, &signature).ok()
    };
    if envelope.signatures.iter().any(|s| verifies(s).is_some()) {
        return Ok(payload);
    }
    let signed_by = envelope.signatures.iter().map(|s| format!("key {}", s.keyid)).collect::<Vec<_>>().join(", ");
    Err(DsseError::WrongKey { signed_by, key: super::keys::key_id(key) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn the_pre_authentication_encoding_is_dsse_v1s() {
        // The specification's own example (protocol.md, "Test vectors"-style): lengths in decimal.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn an_envelope_opens_with_its_key_only() {
        let envelope = sign("application/vnd.in-toto+json", b"{\"a\":1}", &key(1));
        assert_eq!(open(&envelope, "application/vnd.in-toto+json", &key(1).verifying_key()).unwrap(), b"{\"a\":1}");
        let wrong = open(&envelope, "application/vnd.in-toto+json", &key(2).verifying_key()).unwrap_err();
        assert!(matches!(wrong, DsseError::WrongKey { .. }), "{wrong}");
    }

    #[test]
    fn a_changed_payload_or_type_does_not_open() {
        let envelope = sign("t", b"verdict: CONFORMANT", &key(1));
        let mut changed = envelope.clone();
        changed.payload = STANDARD.encode(b"verdict: C0NFORMANT");
        assert!(matches!(open(&changed, "t", &key(1).verifying_key()), Err(DsseError::WrongKey { .. })));
        let mut retyped = envelope.clone();
        retyped.payload_type = "u".into();
        assert!(matches!(open(&retyped, "t", &key(1).verifying_key()), Err(DsseError::PayloadType { .. })));
        assert!(matches!(open(&retyped, "u", &key(1).verifying_key()), Err(DsseError::WrongKey { .. })));
        let mut unsigned = envelope;
        unsigned.signatures.clear();
        assert_eq!(open(&unsigned, "t", &key(1).verifying_key()), Err(DsseError::Unsigned));
    }
}
