//! The rooms of `contract`, `suites` and `harness` stay as ARCHITECTURE.md says: every source
//! file says its job on its first line (`//!`) and stays under about 600 lines, and a crate's
//! top-level modules import one way, no circle (`mock-vendor/tests/layout.rs` holds the mock to
//! the same, module by module).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CRATES: &[&str] = &["contract", "suites", "harness"];
const MAX_LINES: usize = 600;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn src_of(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(krate).join("src")
}

/// The top-level module a file belongs to (`client` for `src/client/walk/kinds.rs`).
fn top_module(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

/// `crate::<module>` paths in code (comments and unit tests left out), also the names of a
/// `use crate::{a, b::c}` group.
fn named_modules(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    let code: String = code.lines().map(|l| l.split("//").next().unwrap()).collect::<Vec<_>>().join("\n");
    let mut named = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let group = rest.strip_prefix('{').map(|g| &g[..g.find('}').unwrap_or(g.len())]);
        let words: Vec<&str> = match group {
            Some(group) => group.split(',').map(|p| p.trim().split("::").next().unwrap_or("")).collect(),
            None => vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("")],
        };
        named.extend(words.into_iter().filter(|w| modules.contains(*w)).map(str::to_owned));
    }
    named
}

/// A circle among `edges`, as the modules along it, if there is one.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == at) {
            let mut found = path[start..].to_vec();
            found.push(at.to_owned());
            return Some(found);
        }
        if !done.insert(at.to_owned()) {
            return None;
        }
        path.push(at.to_owned());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|m| visit(m, edges, &mut Vec::new(), &mut done))
}

/// Each top-level module with the top-level modules its code names.
fn imports_of(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = src_of(krate);
    let files = sources(&src);
    let modules: BTreeSet<String> =
        files.iter().map(|f| top_module(&src, f)).filter(|m| m != "lib" && m != "main").collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = top_module(&src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let named = named_modules(&std::fs::read_to_string(file).unwrap(), &modules);
        edges.entry(module.clone()).or_default().extend(named.into_iter().filter(|m| *m != module));
    }
    edges
}

#[test]
fn top_level_modules_import_one_way() {
    for krate in CRATES {
        let edges = imports_of(krate);
        assert!(edges.len() > 3, "{krate}: {edges:?}");
        if let Some(found) = circle(&edges) {
            panic!("{krate}: an import circle: {}", found.join(" -> "));
        }
    }
}

#[test]
fn the_circle_finder_finds_a_circle() {
    let edge = |a: &str, b: &[&str]| (a.to_owned(), b.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>());
    let with = BTreeMap::from([edge("a", &["b"]), edge("b", &["c"]), edge("c", &["a"]), edge("d", &[])]);
    assert_eq!(circle(&with), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    assert_eq!(circle(&BTreeMap::from([edge("a", &["b"]), edge("b", &[])])), None);
    let modules: BTreeSet<String> = ["client", "config", "report"].iter().map(|s| (*s).to_owned()).collect();
    let named = named_modules("use crate::{client::X, report};\nlet y = crate::config::Z;\n// crate::none", &modules);
    assert_eq!(named, modules);
}

#[test]
fn every_source_file_says_its_job_and_stays_short() {
    let mut wrong = Vec::new();
    for krate in CRATES {
        for file in sources(&src_of(krate)) {
            let text = std::fs::read_to_string(&file).unwrap();
            let shown = file.display().to_string();
            if !text.starts_with("//!") {
                wrong.push(format!("{shown}: no `//!` line saying its job"));
            }
            let lines = text.lines().count();
            if lines > MAX_LINES {
                wrong.push(format!("{shown}: {lines} lines (split it along its seams)"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
