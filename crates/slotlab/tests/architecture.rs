//! The layering ARCHITECTURE.md writes down, enforced: every `crate::…`
//! path in the library's sources (tests included) names a module in the
//! same layer or one below, and no two files import each other, directly
//! or round a longer loop.
//!
//! The layer order is read from ARCHITECTURE.md's "## Layers" list, so the
//! page and the check cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Layer of each top-level module, lowest first, from ARCHITECTURE.md: the
/// numbered items under "## Layers", each naming its modules in backticks.
fn layers(architecture: &str) -> BTreeMap<String, usize> {
    let section = architecture
        .split("\n## ")
        .find(|s| s.starts_with("Layers"))
        .expect("ARCHITECTURE.md has a '## Layers' section");
    let mut layers = BTreeMap::new();
    for line in section.lines() {
        let Some((number, rest)) = line.split_once(". ") else {
            continue;
        };
        let Ok(number) = number.trim().parse::<usize>() else {
            continue;
        };
        // The modules are the backticked names before the first ": ".
        let names = rest.split(": ").next().unwrap_or("");
        for name in names.split('`').skip(1).step_by(2) {
            if let Some(module) = name.strip_prefix("slotlab::") {
                layers.insert(module.to_owned(), number);
            }
        }
    }
    layers
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path inside the crate: `lab/compare.rs` → `lab::compare`,
/// `lab/mod.rs` → `lab`, `lib.rs` → ``.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The code of `text` without comments and string literals, so that a
/// path in a doc comment or a message is not taken for an import.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if text[i..].starts_with("/*") {
            i += text[i..].find("*/").map_or(bytes.len() - i, |e| e + 2);
        } else if bytes[i] == b'"' {
            // Raw strings in these sources use r"…" or r#"…"#; neither
            // holds a `crate::` path we need, so skip to the closing quote.
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if bytes[i] == b'\''
            && i + 2 < bytes.len()
            && (bytes[i + 2] == b'\'' || bytes[i + 1] == b'\\')
        {
            // A char literal ('"', '\n'), not a lifetime.
            let from = if bytes[i + 1] == b'\\' { i + 3 } else { i + 2 };
            i = text[from..]
                .find('\'')
                .map_or(bytes.len(), |e| from + e + 1);
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The modules a file's code refers to: `crate::a::b` and `super::x` paths,
/// and the items of `use crate::{a, b::c}` groups, as absolute module paths
/// (as long as they name modules that exist).
fn references(
    code: &str,
    here: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let mut resolve = |mut path: Vec<String>| {
        // The longest prefix that is a module of this crate.
        while !path.is_empty() {
            if modules.contains(&path) {
                found.insert(path);
                return;
            }
            path.pop();
        }
    };
    let tokens: Vec<&str> = code
        .split(|c: char| {
            !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{' || c == '}' || c == ',')
        })
        .filter(|t| !t.is_empty())
        .collect();
    let joined = tokens.join(" ");
    for start in joined
        .match_indices("crate::")
        .map(|(i, _)| i)
        .chain(joined.match_indices("super::").map(|(i, _)| i))
    {
        if start > 0 && !joined[..start].ends_with([' ', '{', ',', ':']) {
            continue;
        }
        let rest = &joined[start..];
        let path_text: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut segments: Vec<&str> = path_text.split("::").filter(|s| !s.is_empty()).collect();
        let mut base: Vec<String> = Vec::new();
        match segments.first() {
            Some(&"crate") => {
                segments.remove(0);
            }
            Some(&"super") => {
                base = here.to_vec();
                // `super` from a file module is its parent; each further
                // `super` goes one up.
                while segments.first() == Some(&"super") {
                    segments.remove(0);
                    base.pop();
                }
            }
            _ => continue,
        }
        let mut path = base.clone();
        path.extend(segments.iter().map(|s| (*s).to_owned()));
        // A `{…}` group after the path: each item is a path of its own.
        let after = &rest[path_text.len()..];
        if let Some(group) = after.strip_prefix('{') {
            let group: String = group.chars().take_while(|c| *c != '}').collect();
            for item in group.split(',') {
                let item = item.trim().trim_start_matches('{');
                if item.is_empty() || item == "self" {
                    resolve(path.clone());
                    continue;
                }
                let mut sub = path.clone();
                sub.extend(
                    item.split("::")
                        .filter(|s| !s.is_empty() && *s != "self")
                        .map(str::to_owned),
                );
                resolve(sub);
            }
        } else {
            resolve(path);
        }
    }
    found.remove(here);
    found
}

struct Crate {
    /// Each file's module path and the modules its code refers to.
    files: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

fn read_crate(src: &Path) -> Crate {
    let mut paths = Vec::new();
    sources(src, &mut paths);
    let modules: BTreeSet<Vec<String>> = paths.iter().map(|p| module_of(src, p)).collect();
    let mut files = BTreeMap::new();
    for path in &paths {
        let here = module_of(src, path);
        let code = code_only(&std::fs::read_to_string(path).unwrap());
        files.insert(here.clone(), references(&code, &here, &modules));
    }
    Crate { files }
}

/// Upward imports: (file, module it names, their layers).
fn upward(krate: &Crate, layers: &BTreeMap<String, usize>) -> Vec<String> {
    let mut wrong = Vec::new();
    for (file, refs) in &krate.files {
        let Some(top) = file.first() else { continue };
        let Some(&own) = layers.get(top) else {
            wrong.push(format!(
                "{}: module '{top}' has no layer in ARCHITECTURE.md",
                file.join("::")
            ));
            continue;
        };
        for target in refs {
            let Some(other) = target.first() else {
                continue;
            };
            if other == top {
                continue;
            }
            match layers.get(other) {
                Some(&layer) if layer > own => wrong.push(format!(
                    "{} (layer {own}) imports {} (layer {layer})",
                    file.join("::"),
                    target.join("::")
                )),
                Some(_) => {}
                None => wrong.push(format!(
                    "{} imports '{other}', which has no layer",
                    file.join("::")
                )),
            }
        }
    }
    wrong
}

/// Files that reach themselves through other files' imports. A `mod.rs`
/// using its own submodules is its job, so edges from a parent module down
/// into its children are left out; what remains are imports between
/// siblings and upward, where a loop is a design smell.
fn cycles(krate: &Crate) -> Vec<String> {
    let edges: BTreeMap<&Vec<String>, Vec<&Vec<String>>> = krate
        .files
        .iter()
        .map(|(file, refs)| {
            let targets = refs
                .iter()
                .filter(|t| !t.starts_with(file) && krate.files.contains_key(*t))
                .collect();
            (file, targets)
        })
        .collect();
    let mut found = Vec::new();
    for start in edges.keys() {
        // Depth-first search for a path back to `start`.
        let mut stack: Vec<(&Vec<String>, Vec<&Vec<String>>)> = vec![(start, vec![start])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in edges.get(node).into_iter().flatten() {
                if next == start {
                    let names: Vec<String> = path.iter().map(|p| p.join("::")).collect();
                    found.push(format!("{} -> {}", names.join(" -> "), start.join("::")));
                } else if seen.insert(*next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push((next, longer));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let layers = layers(&architecture);
    assert!(
        layers.len() >= 5,
        "too few layers read from ARCHITECTURE.md: {layers:?}"
    );
    let krate = read_crate(&root().join("crates/slotlab/src"));
    let wrong = upward(&krate, &layers);
    assert!(
        wrong.is_empty(),
        "imports against the layer order:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_file_imports_itself_round_a_loop() {
    for src in [
        "crates/slotlab/src",
        "crates/slotlab-stream/src",
        "crates/slotlab-broker/src",
    ] {
        let loops = cycles(&read_crate(&root().join(src)));
        assert!(
            loops.is_empty(),
            "{src}: import cycles:\n{}",
            loops.join("\n")
        );
    }
}

/// The checks themselves: a wrong import and a loop are both caught.
#[test]
fn the_checks_catch_a_wrong_import_and_a_loop() {
    let layers = layers(
        "# x\n\n## Layers\n\n1. `slotlab::measure`: low\n2. `slotlab::lab`, `slotlab::python`: high\n\n## Next\n3. `slotlab::report`\n",
    );
    assert_eq!(layers.len(), 3);
    assert_eq!(
        (layers["measure"], layers["lab"], layers["python"]),
        (1, 2, 2)
    );
    let modules: BTreeSet<Vec<String>> = [
        vec!["measure"],
        vec!["lab"],
        vec!["lab", "a"],
        vec!["lab", "b"],
        vec!["python"],
    ]
    .into_iter()
    .map(|m| m.into_iter().map(str::to_owned).collect())
    .collect();
    let m = |s: &str| -> Vec<String> {
        s.split("::")
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let code = code_only(
        "use crate::lab::{a::Thing, b};\n// crate::python in a comment\nlet s = \"crate::python\";\nfn f() { super::b::g() }",
    );
    let refs = references(&code, &m("lab::a"), &modules);
    assert_eq!(refs, BTreeSet::from([m("lab::b")]));
    let files = BTreeMap::from([
        (m("measure"), BTreeSet::from([m("lab")])),
        (m("lab::a"), BTreeSet::from([m("lab::b")])),
        (m("lab::b"), BTreeSet::from([m("lab::a"), m("measure")])),
    ]);
    let krate = Crate { files };
    assert_eq!(
        upward(&krate, &layers),
        ["measure (layer 1) imports lab (layer 2)"]
    );
    assert_eq!(cycles(&krate).len(), 2, "{:?}", cycles(&krate));
}
