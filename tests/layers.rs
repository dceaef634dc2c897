//! The data flows one way: no top-level module of `src/` imports one above it, and no two
//! import each other. The layers are the README's ("Architecture", the block after
//! `<!-- layers -->`), one line per layer, lowest first; a module may use its own line and
//! the lines above it. A module is a top-level file or folder of `src/`; it uses another
//! when one of its files says `crate::other` (tests and doc links too: a test that needs a
//! higher module belongs to that module).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module names `text` reaches through `crate::`: `crate::a::b` gives `a`, and
/// `crate::{a::b, c}` gives `a` and `c`.
fn uses(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                // Top-level items of the group only: `{a::{b, c}, d}` names `a` and `d`.
                let (mut depth, mut start) = (0usize, true);
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => start = true,
                        c if start && !c.is_whitespace() => {
                            out.insert(ident(&group[j..]));
                            start = false;
                        }
                        _ => {}
                    }
                }
            }
            None => {
                out.insert(ident(rest));
            }
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// Module → the other modules it uses.
fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let module = |p: &Path| -> String {
        let first = p.strip_prefix(src).unwrap().components().next().unwrap();
        let name = first.as_os_str().to_str().unwrap();
        name.strip_suffix(".rs").unwrap_or(name).to_owned()
    };
    let mut g = Graph::new();
    for f in &files {
        g.entry(module(f)).or_default();
    }
    let names: BTreeSet<String> = g.keys().cloned().collect();
    for f in &files {
        let m = module(f);
        let text = std::fs::read_to_string(f).unwrap();
        let reached = uses(&text)
            .into_iter()
            .filter(|x| *x != m && names.contains(x));
        g.get_mut(&m).unwrap().extend(reached);
    }
    g
}

/// The layers declared in the README, lowest first (`#` starts a comment).
fn readme_layers(readme: &str) -> Vec<Vec<String>> {
    let (_, after) = readme
        .split_once("<!-- layers -->")
        .expect("README: the Architecture section's `<!-- layers -->` block");
    let block = after
        .trim_start()
        .strip_prefix("```text\n")
        .expect("README: a ```text block right after `<!-- layers -->`");
    let (block, _) = block
        .split_once("```")
        .expect("README: the layers block ends");
    block
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Every problem with `g` under `layers`: cycles, modules not in exactly one layer, layer
/// names that are no module, and uses of a higher layer. Empty when the tree is layered.
fn problems(g: &Graph, layers: &[Vec<String>]) -> Vec<String> {
    let mut out = Vec::new();
    for cycle in cycles(g) {
        out.push(format!("cycle among: {}", cycle.join(", ")));
    }
    let mut rank: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, layer) in layers.iter().enumerate() {
        for m in layer {
            if rank.insert(m, i).is_some() {
                out.push(format!("{m} is in two layers"));
            }
            if !g.contains_key(m) {
                out.push(format!(
                    "layer {} names {m}, which is no module of src/",
                    i + 1
                ));
            }
        }
    }
    for (m, used) in g {
        let Some(&mine) = rank.get(m.as_str()) else {
            out.push(format!(
                "{m} is in no layer: add it to the README's layer list"
            ));
            continue;
        };
        for x in used {
            if let Some(&theirs) = rank.get(x.as_str()) {
                if theirs > mine {
                    out.push(format!(
                        "{m} (layer {}) uses {x} (layer {}): a lower layer imports a higher one",
                        mine + 1,
                        theirs + 1
                    ));
                }
            }
        }
    }
    out
}

/// The strongly connected components of more than one module (Tarjan), each sorted.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        g: &'a Graph,
        next: usize,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.g[v] {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                comp.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.found.push(comp);
            }
        }
    }
    let mut s = State {
        g,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

fn tree() -> (Graph, Vec<Vec<String>>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    (graph(&root.join("src")), readme_layers(&readme))
}

#[test]
fn modules_import_only_their_own_layer_and_the_layers_below() {
    let (g, layers) = tree();
    let found = problems(&g, &layers);
    assert!(found.is_empty(), "\n{}\n", found.join("\n"));
}

// The check itself: the real tree with one planted back edge (the time helpers using the
// aggregator), and with a cycle inside one layer, must each be refused.
#[test]
fn a_planted_back_edge_or_cycle_is_refused() {
    let (mut g, layers) = tree();
    let low = layers.first().unwrap().first().unwrap().clone();
    g.get_mut(&low).unwrap().insert("aggregate".into());
    let found = problems(&g, &layers);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with(&format!("{low} (layer 1) uses aggregate"))),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with("cycle among: ")),
        "{found:?}"
    );

    let (mut g, layers) = tree();
    let same = layers.iter().find(|l| l.len() > 1).unwrap();
    let (a, b) = (same[0].clone(), same[1].clone());
    g.get_mut(&a).unwrap().insert(b.clone());
    g.get_mut(&b).unwrap().insert(a.clone());
    let found = problems(&g, &layers);
    let mut pair = [a, b];
    pair.sort();
    let want = format!("cycle among: {}", pair.join(", "));
    assert!(found.contains(&want), "{found:?}");
}

#[test]
fn crate_paths_are_read_through_groups() {
    let u = uses("use crate::{a::{b, c}, d};\nlet x = crate::e::f; // crate::g");
    let want: BTreeSet<String> = ["a", "d", "e", "g"].map(str::to_owned).into();
    assert_eq!(u, want);
}
