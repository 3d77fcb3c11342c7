//! Signing and verifying a certificate folder: every way its bytes can differ from those signed
//! is refused, naming the file.

use super::*;

fn predicate() -> Predicate {
    let report = crate::report::example(Vec::new(), false);
    Predicate::of(&report, None)
}

/// A signed folder like a run's: files at the top and in `evidence/`.
fn signed() -> (tempfile::TempDir, SigningKey) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("report.json"), b"{\"verdict\":\"CONFORMANT\"}").unwrap();
    std::fs::write(dir.path().join("report.html"), b"<html></html>").unwrap();
    std::fs::create_dir(dir.path().join("evidence")).unwrap();
    std::fs::write(dir.path().join("evidence/schema.account.json"), b"{}").unwrap();
    let key = SigningKey::from_bytes(&[7; 32]);
    sign(dir.path(), &key, predicate()).unwrap();
    (dir, key)
}

fn problems(dir: &Path, key: &VerifyingKey) -> Vec<FileProblem> {
    match verify(dir, key) {
        Err(VerifyError::Files(problems)) => problems,
        other => panic!("expected file problems, got {other:?}"),
    }
}

#[test]
fn a_signed_folder_verifies_and_lists_every_file_but_the_manifest() {
    let (dir, key) = signed();
    let verified = verify(dir.path(), &key.verifying_key()).unwrap();
    let names: Vec<&str> = verified.statement.subject.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["evidence/schema.account.json", "report.html", "report.json"]);
    assert_eq!(verified.statement.predicate, predicate_without_time(&verified.statement.predicate));
    assert_eq!(verified.key_id, keys::key_id(&key.verifying_key()));
    // The manifest is a DSSE envelope of an in-toto statement, readable by other tools.
    let envelope: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(MANIFEST)).unwrap()).unwrap();
    assert_eq!(envelope["payloadType"], PAYLOAD_TYPE);
    assert_eq!(envelope["signatures"].as_array().unwrap().len(), 1);
}

/// The predicate with its signing time taken from `signed` (the rest must be what was given).
fn predicate_without_time(signed: &Predicate) -> Predicate {
    Predicate { certified_at: signed.certified_at.clone(), ..predicate() }
}

#[test]
fn one_changed_byte_in_any_file_is_refused_naming_it() {
    let (dir, key) = signed();
    let path = dir.path().join("evidence/schema.account.json");
    std::fs::write(&path, b"{ }").unwrap();
    assert_eq!(
        problems(dir.path(), &key.verifying_key()),
        [FileProblem::Changed("evidence/schema.account.json".into())]
    );
    let err = verify(dir.path(), &key.verifying_key()).unwrap_err().to_string();
    assert!(err.contains("evidence/schema.account.json: changed"), "{err}");
}

#[test]
fn an_added_or_removed_file_is_refused_naming_it() {
    let (dir, key) = signed();
    std::fs::write(dir.path().join("extra.txt"), b"x").unwrap();
    std::fs::remove_file(dir.path().join("report.html")).unwrap();
    assert_eq!(
        problems(dir.path(), &key.verifying_key()),
        [FileProblem::Removed("report.html".into()), FileProblem::Added("extra.txt".into())]
    );
}

#[test]
fn another_key_or_an_edited_manifest_is_refused() {
    let (dir, _key) = signed();
    let other = SigningKey::from_bytes(&[8; 32]);
    let err = verify(dir.path(), &other.verifying_key()).unwrap_err();
    assert!(matches!(err, VerifyError::Signature(dsse::DsseError::WrongKey { .. })), "{err}");
    assert!(err.to_string().contains(MANIFEST), "{err}");
    // The statement edited in the envelope (a FAIL made a PASS): the signature no longer holds.
    let manifest = dir.path().join(MANIFEST);
    let mut envelope: dsse::Envelope = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let mut statement: Statement = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &envelope.payload).unwrap(),
    )
    .unwrap();
    statement.predicate.verdict = "CONFORMANT (edited)".into();
    envelope.payload =
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, serde_json::to_vec(&statement).unwrap());
    std::fs::write(&manifest, serde_json::to_vec(&envelope).unwrap()).unwrap();
    let key = SigningKey::from_bytes(&[7; 32]);
    assert!(matches!(verify(dir.path(), &key.verifying_key()), Err(VerifyError::Signature(_))));
}

#[test]
fn a_folder_without_a_manifest_is_not_a_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let err = verify(dir.path(), &SigningKey::from_bytes(&[7; 32]).verifying_key()).unwrap_err().to_string();
    assert!(err.contains("no certificate.dsse.json here"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_link_is_not_certified() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), b"a").unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
    let err = sign(dir.path(), &SigningKey::from_bytes(&[7; 32]), predicate()).unwrap_err().to_string();
    assert!(err.contains("b: not a plain file"), "{err}");
    assert!(!dir.path().join(MANIFEST).exists());
}

#[test]
fn the_predicate_names_what_the_run_was_judged_with() {
    let p = predicate();
    assert_eq!(p.catalogue_sha256.len(), 64);
    assert_eq!(p.contract_sha256, crate::report::html::contract_digest());
    assert_eq!(p.schemas_sha256.len(), contract::SchemaId::ALL.len());
    assert_eq!(p.schemas_sha256["account.json"], sha256_hex(contract::SchemaId::Account.source().as_bytes()));
}

#[cfg(unix)]
#[test]
fn a_name_that_is_not_utf8_is_refused_on_both_sides() {
    use std::os::unix::ffi::OsStrExt as _;
    let (dir, key) = signed();
    let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"evidence/a\xff"));
    std::fs::write(&odd, b"x").unwrap();
    let problems = problems(dir.path(), &key.verifying_key());
    assert!(
        matches!(problems.as_slice(), [FileProblem::NotUtf8(name)] if name.starts_with("evidence/a")),
        "{problems:?}"
    );
    let err = sign(dir.path(), &key, predicate()).unwrap_err().to_string();
    assert!(err.contains("not UTF-8"), "{err}");
}

#[test]
fn a_manifest_that_does_not_read_or_lists_a_file_twice_is_invalid_not_an_error() {
    let (dir, key) = signed();
    let manifest = dir.path().join(MANIFEST);
    let original = std::fs::read(&manifest).unwrap();
    let mut broken = original.clone();
    broken[0] = b'[';
    std::fs::write(&manifest, &broken).unwrap();
    assert!(matches!(verify(dir.path(), &key.verifying_key()), Err(VerifyError::Statement(_))));
    // The same subject twice, properly signed: refused.
    let envelope: dsse::Envelope = serde_json::from_slice(&original).unwrap();
    let payload = dsse::open(&envelope, PAYLOAD_TYPE, &key.verifying_key()).unwrap();
    let mut statement: Statement = serde_json::from_slice(&payload).unwrap();
    statement.subject.push(statement.subject[0].clone());
    let twice = dsse::sign(PAYLOAD_TYPE, &serde_json::to_vec(&statement).unwrap(), &key);
    std::fs::write(&manifest, serde_json::to_vec(&twice).unwrap()).unwrap();
    let err = verify(dir.path(), &key.verifying_key()).unwrap_err().to_string();
    assert!(err.contains("listed twice"), "{err}");
}
