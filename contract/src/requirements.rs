//! The requirements of CONTRACT.md as data: id, level and text, parsed from the copy of the
//! contract embedded in this crate, so every FAIL and advisory a report shows can quote the text
//! the vendor broke.

use std::sync::LazyLock;

/// The contract this crate implements, word for word (`contract/CONTRACT.md`, a copy of
/// `../shared/CONTRACT.md`; a test keeps the two equal).
pub const CONTRACT_MD: &str = include_str!("../CONTRACT.md");

/// One row of a requirement table (`| id | level | requirement |`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement<'a> {
    /// `SIG-2`.
    pub id: &'a str,
    /// `MUST`, `SHOULD`, `MAY`, or a qualified level such as `MUST (if WHM-1)`; `—` for MAP-*.
    pub level: &'a str,
    /// The requirement's text as CONTRACT.md words it (Markdown).
    pub text: &'a str,
}

impl Requirement<'_> {
    /// `SIG-2 (MUST): every delivery carries ...`, for a report line.
    pub fn quote(&self) -> String {
        format!("{} ({}): {}", self.id, self.level, self.text)
    }
}

/// Whether `s` looks like a requirement id: capitals, a hyphen, digits.
fn is_id(s: &str) -> bool {
    s.split_once('-').is_some_and(|(prefix, n)| {
        !prefix.is_empty()
            && prefix.chars().all(|c| c.is_ascii_uppercase())
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
    })
}

/// Every requirement row of a CONTRACT.md text, in document order. The text cell may itself hold
/// `|` (inside code: MAP-2's `<ts>|<sig>`), so a row is split at its first two separators only.
pub fn parse(markdown: &str) -> Vec<Requirement<'_>> {
    markdown
        .lines()
        .filter_map(|line| {
            let row = line.trim().strip_prefix('|')?.strip_suffix('|')?;
            let mut cells = row.splitn(3, '|');
            let (id, level, text) = (cells.next()?.trim(), cells.next()?.trim(), cells.next()?.trim());
            is_id(id).then_some(Requirement { id, level, text })
        })
        .collect()
}

static ALL: LazyLock<Vec<Requirement<'static>>> = LazyLock::new(|| parse(CONTRACT_MD));

/// Every requirement of the embedded contract.
pub fn all() -> &'static [Requirement<'static>] {
    &ALL
}

/// The requirement with this id.
pub fn get(id: &str) -> Option<&'static Requirement<'static>> {
    ALL.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_with_pipes_inside_the_text() {
        let md = "| id | level | requirement |\n|---|---|---|\n| MAP-2 | — | `<ts>|<sig>` in one header |\n| SIG-2 | MUST | within 300 s. |\n";
        assert_eq!(
            parse(md),
            [
                Requirement { id: "MAP-2", level: "—", text: "`<ts>|<sig>` in one header" },
                Requirement { id: "SIG-2", level: "MUST", text: "within 300 s." },
            ]
        );
    }

    #[test]
    fn the_embedded_contract_has_every_section_s_requirements() {
        let ids: Vec<&str> = all().iter().map(|r| r.id).collect();
        for id in ["ACC-1", "SITE-2", "INV-5", "ID-2", "PAGE-6", "EVT-6", "AUTH-8", "SIG-4", "RPL-1", "DLV-6"] {
            assert!(ids.contains(&id), "{id} not parsed from CONTRACT.md");
        }
        for id in ["WHM-4", "FB-4", "MAP-2"] {
            assert!(ids.contains(&id), "{id} not parsed from CONTRACT.md");
        }
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "a requirement id appears twice");
        let sig2 = get("SIG-2").unwrap();
        assert_eq!(sig2.level, "MUST");
        assert!(sig2.text.starts_with("Every delivery carries `X-Webhook-Timestamp`"), "{}", sig2.text);
        assert_eq!(get("WHM-2").unwrap().level, "MUST (if WHM-1)");
        assert!(get("NOPE-1").is_none());
    }

    /// The embedded copy is the shared contract, word for word (when the shared folder is beside
    /// the repository, as in CI and the workspace).
    #[test]
    fn the_embedded_copy_equals_the_shared_contract() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/CONTRACT.md");
        if let Ok(shared) = std::fs::read_to_string(path) {
            assert!(shared == CONTRACT_MD, "contract/CONTRACT.md differs from {path}: copy it over");
        }
    }
}
