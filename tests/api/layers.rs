//! The shape of the code, kept by a test (docs/architecture.md): data flows one way, so the
//! lower layers never name the ones above them. `domain` names no other module of the
//! crate; `evaluation` only `domain`; `store`, `reports` and `evaluation` never `web`.

use std::path::{Path, PathBuf};

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

/// Each `crate::<module>` a layer's files name, with the file that names it.
fn named_modules(layer: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(!files.is_empty(), "no sources under src/{layer}");
    let mut named = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("crate::") {
            let module: String = text[at + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            named.push((module, file.display().to_string()));
        }
    }
    named
}

fn assert_names_only(layer: &str, allowed: &[&str]) {
    let wrong: Vec<_> = named_modules(layer)
        .into_iter()
        .filter(|(m, _)| !allowed.contains(&m.as_str()))
        .collect();
    assert!(wrong.is_empty(), "src/{layer} names {wrong:?}");
}

#[test]
fn the_domain_names_no_other_module() {
    assert_names_only("domain", &["domain"]);
}

#[test]
fn the_evaluation_names_only_the_domain() {
    assert_names_only("evaluation", &["domain", "evaluation"]);
}

#[test]
fn store_reports_and_evaluation_never_name_the_web_layer() {
    for layer in ["store", "reports", "evaluation"] {
        let web: Vec<_> = named_modules(layer)
            .into_iter()
            .filter(|(m, _)| m == "web")
            .collect();
        assert!(web.is_empty(), "src/{layer} names the web layer: {web:?}");
    }
}

/// The access gate (`web::auth`) sits above the routes, which sit above the pages and the
/// API: handlers take who is asking from `web::session`, so nothing below the gate names
/// it and routes → pages → session never leads back to routes.
#[test]
fn pages_and_the_api_never_name_the_access_gate() {
    for layer in ["web/pages", "web/api"] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(layer);
        let mut files = Vec::new();
        sources(&root, &mut files);
        assert!(!files.is_empty(), "no sources under src/{layer}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for gate in ["web::auth", "super::auth", "super::super::auth"] {
                assert!(
                    !text.contains(gate),
                    "{} names the access gate ({gate})",
                    file.display()
                );
            }
        }
    }
}

/// Pages and the API are siblings: pages load through `store`, `casework`, `imports` and
/// the shared web modules (`web::shared`, `web::session`, `web::uploads`), never through
/// the API's handlers, so a change to the API's JSON cannot change a page.
#[test]
fn pages_never_name_the_api() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/pages");
    let mut files = Vec::new();
    sources(&root, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for api in ["web::api", "super::api"] {
            assert!(
                !text.contains(api),
                "{} names the API module ({api})",
                file.display()
            );
        }
    }
}
