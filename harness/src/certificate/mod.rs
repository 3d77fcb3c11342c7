//! A run turned into a certificate anyone can check offline, byte for byte. Every file of the
//! run's folder is a subject of an in-toto Statement v1 (its path and SHA-256); the predicate is
//! the verdict and what was run (vendor, profile, capabilities, deviations, the harness version and
//! digests of the catalogue and schemas it judged with). The statement is signed with Ed25519 in a
//! DSSE envelope written as [`MANIFEST`]: formats the supply-chain ecosystem already verifies, so
//! a third party can check a certificate with their own tools as well as with
//! `harness verify-certificate`.

pub mod dsse;
pub mod keys;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::report::{CapabilitiesReport, Counts, Report, VendorInfo};

/// The signed manifest, at the top of the certificate's folder; the one file not among its subjects.
pub const MANIFEST: &str = "certificate.dsse.json";
/// The public key a demo certificate was signed with (its private half is thrown away).
pub const DEMO_PUBLIC_KEY: &str = "signer.pub";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const PREDICATE_TYPE: &str = "https://conformance.integrator.example/certificate/v1";

/// An in-toto Statement v1 whose subjects are the certificate's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Predicate,
}

/// One file: its path under the folder (`/`-separated) and `{"sha256": hex}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

/// What the certificate says: the verdict and what produced it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predicate {
    /// As every report shows it: `CONFORMANT`, `NOT CONFORMANT`, ...
    pub verdict: String,
    pub exit_code: i32,
    pub vendor: VendorInfo,
    pub run_id: String,
    pub started_at: String,
    pub finished_at: String,
    /// When the certificate was signed (RFC 3339, UTC).
    pub certified_at: String,
    pub harness_version: String,
    pub counts: Counts,
    /// Each optional capability: declared, discovered, and whether its checks ran.
    pub capabilities: CapabilitiesReport,
    /// The deviations the integrator agreed, each with its effect on this run (waived, expired,
    /// stale, unused).
    #[serde(default)]
    pub deviations: Vec<crate::deviations::Applied>,
    /// Why checks needing an operator were skipped (`certify --non-interactive`), when they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_interactive_reason: Option<String>,
    /// SHA-256 of `harness list --format json`: the check catalogue the run judged with.
    pub catalogue_sha256: String,
    /// SHA-256 of the embedded CONTRACT.md.
    pub contract_sha256: String,
    /// SHA-256 of each embedded schema, by file name (`schemas/<name>`).
    pub schemas_sha256: BTreeMap<String, String>,
}

impl Predicate {
    /// The predicate of `report`'s run, certified now.
    pub fn of(report: &Report, non_interactive_reason: Option<String>) -> Self {
        Self {
            verdict: report.headline(),
            exit_code: report.exit_code,
            vendor: report.vendor.clone(),
            run_id: report.run_id.clone(),
            started_at: report.started_at.clone(),
            finished_at: report.finished_at.clone(),
            certified_at: contract::rfc3339_millis(contract::unix_now_ms()),
            harness_version: report.harness_version.clone(),
            counts: report.counts.clone(),
            capabilities: report.capabilities.clone(),
            deviations: report.deviations.clone(),
            non_interactive_reason,
            catalogue_sha256: sha256_hex(crate::catalogue::render(crate::catalogue::Format::Json).as_bytes()),
            contract_sha256: crate::report::html::contract_digest(),
            schemas_sha256: contract::SchemaId::ALL
                .iter()
                .map(|s| (s.file_name().to_owned(), sha256_hex(s.source().as_bytes())))
                .collect(),
        }
    }
}

/// What is wrong with one file of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// Its bytes are not those signed.
    Changed(String),
    /// Signed, and no longer there.
    Removed(String),
    /// There, and not signed.
    Added(String),
    /// Not a plain file (a link, a device): a certificate holds files only.
    NotAFile(String),
    /// A name that is not UTF-8: it could not be told apart from another in the manifest.
    NotUtf8(String),
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Changed(name) => write!(f, "{name}: changed since it was signed (its SHA-256 differs)"),
            Self::Removed(name) => write!(f, "{name}: signed, and missing"),
            Self::Added(name) => write!(f, "{name}: added after signing (not in the manifest)"),
            Self::NotAFile(name) => write!(f, "{name}: not a plain file"),
            Self::NotUtf8(name) => write!(f, "{name}: a name that is not UTF-8"),
        }
    }
}

/// Why a certificate does not verify.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{MANIFEST}: the signature does not verify: {0}")]
    Signature(#[from] dsse::DsseError),
    #[error("{MANIFEST}: {0}")]
    Statement(String),
    #[error("the files are not those signed:\n  {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Files(Vec<FileProblem>),
}

/// A certificate that verified: its statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub statement: Statement,
    /// The id of the key it verified with.
    pub key_id: String,
}

/// Signs every file under `dir` with `key`, writing [`MANIFEST`] there; an earlier manifest is
/// replaced. The manifest is written whole or not at all.
pub fn sign(dir: &Path, key: &SigningKey, predicate: Predicate) -> anyhow::Result<Statement> {
    let (files, odd) = files_under(dir).with_context(|| format!("failed to list {}", dir.display()))?;
    if let Some(problem) = odd.first() {
        anyhow::bail!("cannot certify {}: {problem}", dir.display());
    }
    let mut subject = Vec::with_capacity(files.len());
    for (name, path) in files {
        let bytes = std::fs::read(&path).with_context(|| format!("failed to read {}", path.display()))?;
        subject.push(Subject { name, digest: BTreeMap::from([("sha256".to_owned(), sha256_hex(&bytes))]) });
    }
    let statement =
        Statement { statement_type: STATEMENT_TYPE.into(), subject, predicate_type: PREDICATE_TYPE.into(), predicate };
    let payload = serde_json::to_vec(&statement)?;
    let envelope = dsse::sign(PAYLOAD_TYPE, &payload, key);
    let manifest = dir.join(MANIFEST);
    contract::files::write_whole(&manifest, &serde_json::to_vec_pretty(&envelope)?)
        .with_context(|| format!("failed to write {}", manifest.display()))?;
    Ok(statement)
}

/// Verifies the certificate in `dir` with `key`: the manifest's signature, then every file's
/// digest, and that no file was added or removed. Offline, reading each file once.
pub fn verify(dir: &Path, key: &VerifyingKey) -> Result<Verified, VerifyError> {
    let manifest = dir.join(MANIFEST);
    let unreadable = |path: &Path, reason: String| VerifyError::Unreadable { path: path.to_owned(), reason };
    let text = std::fs::read(&manifest).map_err(|e| {
        let reason = if e.kind() == std::io::ErrorKind::NotFound {
            format!("no {MANIFEST} here: not a certificate (`harness certify` writes one)")
        } else {
            e.to_string()
        };
        unreadable(&manifest, reason)
    })?;
    // A manifest that is there but does not read is a certificate that does not verify (a
    // changed byte), not a usage error.
    let envelope: dsse::Envelope = serde_json::from_slice(&text)
        .map_err(|e| VerifyError::Statement(format!("not a DSSE envelope (changed since it was signed?): {e}")))?;
    let payload = dsse::open(&envelope, PAYLOAD_TYPE, key)?;
    let statement: Statement = serde_json::from_slice(&payload)
        .map_err(|e| VerifyError::Statement(format!("the signed payload is not a certificate statement: {e}")))?;
    if statement.statement_type != STATEMENT_TYPE || statement.predicate_type != PREDICATE_TYPE {
        return Err(VerifyError::Statement(format!(
            "a statement of `{}` about `{}`, not a certificate (`{PREDICATE_TYPE}`)",
            statement.statement_type, statement.predicate_type
        )));
    }
    let (files, mut problems) = files_under(dir).map_err(|e| unreadable(dir, e.to_string()))?;
    let present: BTreeMap<String, PathBuf> = files.into_iter().collect();
    let mut signed = BTreeSet::new();
    for subject in &statement.subject {
        if !signed.insert(subject.name.as_str()) {
            return Err(VerifyError::Statement(format!("`{}` is listed twice among the subjects", subject.name)));
        }
        let Some(path) = present.get(&subject.name) else {
            problems.push(FileProblem::Removed(subject.name.clone()));
            continue;
        };
        let bytes = std::fs::read(path).map_err(|e| unreadable(path, e.to_string()))?;
        if subject.digest.get("sha256") != Some(&sha256_hex(&bytes)) {
            problems.push(FileProblem::Changed(subject.name.clone()));
        }
    }
    problems.extend(present.keys().filter(|n| !signed.contains(n.as_str())).map(|n| FileProblem::Added(n.clone())));
    if !problems.is_empty() {
        return Err(VerifyError::Files(problems));
    }
    Ok(Verified { statement, key_id: keys::key_id(key) })
}

/// The plain files of a folder by their `/`-separated paths, sorted; and what is there that is
/// neither a plain file nor a folder.
type Listed = (Vec<(String, PathBuf)>, Vec<FileProblem>);

/// Every plain file under `dir` but the manifest.
fn files_under(dir: &Path) -> std::io::Result<Listed> {
    let mut files = Vec::new();
    let mut odd = Vec::new();
    let mut stack = vec![(String::new(), dir.to_owned())];
    while let Some((prefix, folder)) = stack.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let kind = entry.file_type()?;
            if entry.file_name().to_str().is_none() {
                odd.push(FileProblem::NotUtf8(name));
            } else if kind.is_dir() {
                stack.push((format!("{name}/"), entry.path()));
            } else if !kind.is_file() {
                odd.push(FileProblem::NotAFile(name));
            } else if name != MANIFEST {
                files.push((name, entry.path()));
            }
        }
    }
    files.sort();
    Ok((files, odd))
}

pub use contract::sha256_hex;

#[cfg(test)]
mod tests;
