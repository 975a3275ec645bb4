//! Every image the README and the notes under `docs/` show is committed: a
//! picture the README links but nobody committed (`docs/screenshots/` once was
//! git-ignored) shows as a broken link only on the hosting site, so the test
//! command says so instead.

use std::path::{Path, PathBuf};

/// The targets of the markdown images `![alt](target)` or `![alt](target "title")`
/// in `text`, in order.
fn image_targets(text: &str) -> Vec<&str> {
    let mut targets = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("![") {
        rest = &rest[start + 2..];
        // The alt text ends at the first `](`; an image without one is not a link.
        let Some(close) = rest.find("](") else { break };
        let after = &rest[close + 2..];
        let Some(end) = after.find(')') else { break };
        let inside = after[..end].trim();
        // `<a b.png>` may hold spaces; otherwise a space starts the title.
        let target = match inside.strip_prefix('<') {
            Some(bracketed) => bracketed.split('>').next().unwrap_or(""),
            None => inside.split_whitespace().next().unwrap_or(""),
        };
        targets.push(target);
        rest = &after[end..];
    }
    targets
}

/// The README and the other notes at the top, and everything under `docs/`.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e == "md"))
        .collect();
    walk(&root.join("docs"), &mut files);
    files.sort();
    files
}

/// Whether `root` is a git work tree that git can read.
fn is_checkout(root: &Path) -> bool {
    std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|output| output.status.success() && output.stdout.starts_with(b"true"))
}

#[test]
fn image_links_are_read_from_markdown() {
    let text = "| ![the list](docs/a.png) | ![x](<b c.png> \"title\") |\n![](https://example.com/c.png) [not](d.png)";
    assert_eq!(image_targets(text), ["docs/a.png", "b c.png", "https://example.com/c.png"]);
}

#[test]
fn every_image_the_docs_show_is_committed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = markdown_files(&root);
    assert!(files.iter().any(|f| f.ends_with("README.md")), "{files:?}");
    // In a checkout, on disk is not enough: an ignored file is there only on
    // the machine that made it. (A tree without git has only what was committed.)
    let tracked = is_checkout(&root).then(|| {
        let root = root.clone();
        move |path: &Path| {
            std::process::Command::new("git")
                .arg("-C")
                .arg(&root)
                .args(["ls-files", "--error-unmatch", "--"])
                .arg(path)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        }
    });
    let mut linked = 0;
    let mut missing = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for target in image_targets(&text) {
            // Remote pictures are the host's business; a fragment is not part of the file.
            if target.contains("://") || target.starts_with("data:") {
                continue;
            }
            let target = target.split(['#', '?']).next().unwrap_or(target);
            linked += 1;
            let path = file.parent().unwrap().join(target);
            if !path.is_file() || tracked.as_ref().is_some_and(|tracked| !tracked(&path)) {
                missing
                    .push(format!("{} links {target}", file.strip_prefix(&root).unwrap_or(file).display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "images linked but not in the repository (scripts/screenshots makes the console's):\n{}",
        missing.join("\n")
    );
    assert!(linked >= 3, "the README's three console screenshots at least");
}
