//! What of `web/` is served, by the web function (which embeds `web/`) and the
//! local server (which reads it from disk) alike: the page and what it loads,
//! nothing else. `web/` also holds notes for developers (`README.md`), and
//! whatever an editor leaves there; none of it is the public's.

use std::borrow::Cow;

/// Files at the top of `web/` that are served: the form, and its icon, which
/// every page links (`favicon.svg`) and which a browser asks for at
/// `/favicon.ico` when a page does not say (a JSON answer, an old browser).
pub const FILES: [&str; 3] = ["index.html", "favicon.svg", "favicon.ico"];

/// Directories of `web/` served whole: the style sheet, the ES modules, the
/// texts of the terms and the privacy notice (fetched by `js/terms.js`), the
/// verification page, the documents page, and the operators' console.
pub const DIRS: [&str; 6] = ["css/", "js/", "content/", "verify/", "documents/", "admin/"];

/// Pages that are a directory's `index.html`, served also without the
/// trailing slash: the verification link is `…/verify#token=…`, the
/// documents link `…/documents#token=…`, and an operator may type `…/admin`.
pub const PAGES: [&str; 3] = ["verify", "documents", "admin"];

/// The file under `web/` that a request path names, when the page needs it:
/// `index.html` for `/` (and for a directory); nothing for hidden files, empty
/// or relative segments, or anything outside [`FILES`] and [`DIRS`]. The path
/// is as it came (the web function's paths are API Gateway's raw paths); the
/// local server decodes percent escapes first, as its file server does.
pub fn served_file(path: &str) -> Option<Cow<'_, str>> {
    let relative = path.strip_prefix('/')?;
    let relative: Cow<'_, str> = if relative.is_empty() || relative.ends_with('/') {
        format!("{relative}index.html").into()
    } else if PAGES.contains(&relative) {
        format!("{relative}/index.html").into()
    } else {
        relative.into()
    };
    if relative
        .split('/')
        .any(|segment| segment.is_empty() || segment.starts_with('.') || segment.contains('\\'))
    {
        return None;
    }
    let allowed = FILES.contains(&relative.as_ref()) || DIRS.iter().any(|dir| relative.starts_with(dir));
    allowed.then_some(relative)
}

/// The `Content-Type` for a MIME type: text types, JavaScript, JSON and SVG
/// say UTF-8 (every file in `web/` is), so that no browser guesses.
pub fn content_type(essence: &str) -> Cow<'_, str> {
    let (kind, subtype) = essence.split_once('/').unwrap_or((essence, ""));
    let textual = kind == "text" || matches!(subtype, "javascript" | "json" | "svg+xml");
    if textual && !essence.contains(';') {
        format!("{essence}; charset=utf-8").into()
    } else {
        essence.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_and_what_it_loads_are_served() {
        let served = [
            ("/", "index.html"),
            ("/index.html", "index.html"),
            ("/css/form.css", "css/form.css"),
            ("/js/form.js", "js/form.js"),
            ("/js/routes.js", "js/routes.js"),
            ("/content/terms.txt", "content/terms.txt"),
            ("/verify", "verify/index.html"),
            ("/verify/", "verify/index.html"),
            ("/documents", "documents/index.html"),
            ("/documents/", "documents/index.html"),
            ("/css/documents.css", "css/documents.css"),
            ("/admin", "admin/index.html"),
            ("/admin/", "admin/index.html"),
            ("/admin/js/console.js", "admin/js/console.js"),
            ("/favicon.ico", "favicon.ico"),
            ("/favicon.svg", "favicon.svg"),
        ];
        for (path, file) in served {
            assert_eq!(served_file(path).as_deref(), Some(file), "{path}");
        }
        for path in [
            "/README.md",
            "/readme.md",
            "/Cargo.toml",
            "/js/.eslintrc",
            "/.git/config",
            "//index.html",
            "/../Cargo.toml",
            "/js/../README.md",
            "/js/..\\README.md",
            "/css",
            "index.html",
            "/index.html.bak",
        ] {
            assert_eq!(served_file(path), None, "{path}");
        }
    }

    #[test]
    fn text_types_say_utf_8() {
        assert_eq!(content_type("text/html"), "text/html; charset=utf-8");
        assert_eq!(content_type("text/css"), "text/css; charset=utf-8");
        assert_eq!(content_type("text/javascript"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("application/javascript"), "application/javascript; charset=utf-8");
        assert_eq!(content_type("image/svg+xml"), "image/svg+xml; charset=utf-8");
        assert_eq!(content_type("text/plain; charset=utf-8"), "text/plain; charset=utf-8");
        assert_eq!(content_type("image/png"), "image/png");
    }

    /// Every page links the icon, relative to itself as its style sheet is
    /// (the site may sit under a path), and the icon is served.
    #[test]
    fn every_page_links_the_icon() {
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
        for page in ["index.html", "verify/index.html", "documents/index.html", "admin/index.html"] {
            let html = std::fs::read_to_string(web.join(page)).unwrap();
            let up = "../".repeat(page.matches('/').count());
            let link = format!(r#"<link rel="icon" href="{up}favicon.svg" type="image/svg+xml">"#);
            assert!(html.contains(&link), "{page} links the icon: {link}");
        }
        for icon in ["/favicon.svg", "/favicon.ico"] {
            assert!(served_file(icon).is_some(), "{icon}");
            assert!(web.join(&icon[1..]).is_file(), "{icon}");
        }
    }

    /// Every file of the checkout's `web/` but the developers' notes is one the
    /// page needs: a new directory must be added to [`DIRS`] or it is not served.
    #[test]
    fn everything_in_web_but_the_notes_is_served() {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/"));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web");
        let mut files = Vec::new();
        walk(&root, &root, &mut files);
        assert!(files.len() > 3, "{files:?}");
        for file in files {
            let served = served_file(&format!("/{file}")).is_some();
            assert_eq!(served, file != "README.md", "{file}");
        }
    }
}
