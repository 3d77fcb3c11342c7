//! The `harness init` template's hints work as written: every commented `key = value` line (with
//! the commented lines right after it that belong with it, and a commented `[section]` header
//! with its keys) loads when uncommented, replacing the active line of the same key.

use harness::config::VendorConfig;

/// A commented line the template offers as an alternative: its key (or `[section]`).
fn hint_key(line: &str) -> Option<String> {
    let rest = line.strip_prefix("# ")?;
    if let Some(section) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Some(format!("[{section}]"));
    }
    let (key, _) = rest.split_once(" = ")?;
    key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then(|| key.to_owned())
}

/// The key an active line sets, if it sets one.
fn active_key(line: &str) -> Option<&str> {
    let (key, _) = line.split_once(" = ")?;
    (!key.starts_with('#') && !key.starts_with('[') && !key.contains(' ')).then_some(key)
}

/// The section each line is in (`""` before the first header).
fn sections(lines: &[&str]) -> Vec<String> {
    let mut current = String::new();
    lines
        .iter()
        .map(|line| {
            if let Some(name) = line.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                current = name.to_owned();
            }
            current.clone()
        })
        .collect()
}

/// Runs of consecutive hint lines; a key repeated within a run starts the next one (the
/// alternatives `secret = {...}` / `secret = {...}` are two hints, not one).
fn hint_blocks(lines: &[&str]) -> Vec<Vec<usize>> {
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let mut open = false;
    for (i, line) in lines.iter().enumerate() {
        let Some(key) = hint_key(line) else {
            open = false;
            continue;
        };
        let repeats =
            open && blocks.last().is_some_and(|b| b.iter().any(|&j| hint_key(lines[j]).as_deref() == Some(&key)));
        if !open || repeats {
            blocks.push(Vec::new());
        }
        blocks.last_mut().expect("a block").push(i);
        open = true;
    }
    blocks
}

/// The template with one hint block uncommented and the active lines it replaces removed.
fn with_hint(lines: &[&str], block: &[usize]) -> String {
    let sections = sections(lines);
    let section_of_block = {
        let first = lines[block[0]];
        match hint_key(first) {
            Some(k) if k.starts_with('[') => k.trim_matches(['[', ']']).to_owned(),
            _ => sections[block[0]].clone(),
        }
    };
    let keys: Vec<String> = block.iter().filter_map(|&i| hint_key(lines[i])).collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if block.contains(&i) {
            out.push(line.trim_start_matches("# ").to_owned());
        } else if sections[i] == section_of_block && active_key(line).is_some_and(|k| keys.iter().any(|h| h == k)) {
            out.push(format!("# replaced: {line}"));
        } else {
            out.push((*line).to_owned());
        }
    }
    out.join("\n")
}

#[test]
fn every_hint_of_the_template_loads_when_uncommented() {
    let lines: Vec<&str> = VendorConfig::TEMPLATE.lines().collect();
    let blocks = hint_blocks(&lines);
    assert!(blocks.len() >= 10, "the template offers its alternatives as commented lines: {blocks:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor.toml");
    // The file `deviations_file` names, as a programme would keep it beside vendor.toml.
    let agreed = "[[deviations]]\ncheck = \"events.catalog\"\nrequirement = \"EVT-5\"\nreason = \"r\"\n\
                  reference = \"INT-1\"\nexpires = \"2027-03-31\"\n";
    std::fs::write(dir.path().join("deviations.toml"), agreed).unwrap();
    let mut broken = Vec::new();
    for block in &blocks {
        let text = with_hint(&lines, block);
        std::fs::write(&path, &text).unwrap();
        if let Err(e) = VendorConfig::load(&path) {
            let hint: Vec<&str> = block.iter().map(|&i| lines[i]).collect();
            broken.push(format!("{hint:#?}: {e:#}"));
        }
    }
    assert!(broken.is_empty(), "hints that do not load as written:\n{}", broken.join("\n"));
}

#[test]
fn the_hints_take_effect() {
    let lines: Vec<&str> = VendorConfig::TEMPLATE.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vendor.toml");
    let load = |needle: &str| {
        let block = hint_blocks(&lines)
            .into_iter()
            .find(|b| b.iter().any(|&i| lines[i].contains(needle)))
            .unwrap_or_else(|| panic!("no hint holds {needle}"));
        std::fs::write(&path, with_hint(&lines, &block)).unwrap();
        VendorConfig::load(&path).unwrap()
    };
    assert_eq!(load("profile = \"cursor\"").profile.name, "cursor");
    assert!(matches!(load("kind = \"prompt\"").trigger, harness::config::TriggerConfig::Prompt { wait_secs: 120 }));
    assert!(load("[second_account]").second_account.is_some());
    assert!(matches!(load("management-api").webhook.secret, harness::config::WebhookSecretSource::ManagementApi));
}
