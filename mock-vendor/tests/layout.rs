//! The crate's layout stays as ARCHITECTURE.md says: every source file says its job on its first
//! line and stays under about 600 lines, its modules import one way (no circle), and the vendor
//! shapes only translate (no shape module but `shape/mod.rs`, which says where faults cannot show,
//! reads a fault).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of `src/` (`shape::cursor` for `src/shape/cursor.rs`) with its text.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, &format!("{prefix}{stem}::"), out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let name =
                    if stem == "mod" { prefix.trim_end_matches("::").to_owned() } else { format!("{prefix}{stem}") };
                out.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), "", &mut out);
    out
}

/// The text a module's own code depends on: comments and its unit tests left out.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    text.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n")
}

/// The modules `module` names: `crate::x::...` paths (also inside `use crate::{...}` groups),
/// `super::x` from a submodule, and a parent's `child::` paths.
fn imports(module: &str, text: &str, all: &BTreeSet<String>) -> BTreeSet<String> {
    let code = code(text);
    let parent = module.rsplit_once("::").map(|(p, _)| p.to_owned());
    let mut named = BTreeSet::new();
    let resolve = |path: &str| {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| all.contains(m))
    };
    let words: Vec<&str> = code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).collect();
    for word in words {
        let path = if let Some(rest) = word.strip_prefix("crate::") {
            rest.to_owned()
        } else if let (Some(rest), Some(parent)) = (word.strip_prefix("super::"), &parent) {
            format!("{parent}::{rest}")
        } else if module != "lib" && module != "main" {
            format!("{module}::{word}")
        } else {
            continue;
        };
        if let Some(found) = resolve(path.trim_end_matches(':')) {
            named.insert(found);
        }
    }
    // `use crate::{a, b::c}`: each name of the group.
    for group in code.split("crate::{").skip(1) {
        for name in group.split('}').next().unwrap().split(',') {
            if let Some(found) = resolve(name.split_whitespace().next().unwrap_or("")) {
                named.insert(found);
            }
        }
    }
    named.remove(module);
    named
}

#[test]
fn no_module_imports_in_a_circle() {
    let modules = modules();
    let all: BTreeSet<String> = modules.keys().filter(|m| *m != "lib" && *m != "main").cloned().collect();
    let graph: BTreeMap<&str, BTreeSet<String>> =
        all.iter().map(|m| (m.as_str(), imports(m, &modules[m], &all))).collect();
    assert!(graph["shape"].contains("shape::cursor"), "the parent names its children: {:?}", graph["shape"]);
    assert!(graph["shape::cursor"].contains("answer"), "{:?}", graph["shape::cursor"]);
    // Depth-first from each module: reaching it again is a circle.
    for start in graph.keys() {
        let mut stack: Vec<Vec<&str>> = vec![vec![start]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            for next in &graph[path.last().unwrap()] {
                assert_ne!(next, start, "an import circle: {} -> {next}", path.join(" -> "));
                if seen.insert(next.as_str()) {
                    stack.push([path.clone(), vec![next.as_str()]].concat());
                }
            }
        }
    }
}

#[test]
fn files_say_their_job_and_stay_small() {
    for (module, text) in modules() {
        assert!(text.starts_with("//!"), "{module} does not open with a `//!` line saying its job");
        let lines = text.lines().count();
        assert!(lines <= 600, "{module} is {lines} lines long (about 600 at most)");
    }
}

#[test]
fn the_shapes_only_translate() {
    for (module, text) in modules() {
        if module.starts_with("shape::") {
            assert!(!code(&text).contains("Fault"), "{module} reads a fault: faults belong in answer and records");
        }
    }
}
