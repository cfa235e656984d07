//! The content type of a file Berth serves (the web UI's files, store
//! pictures), by its extension.

/// Whether `path` is a picture (by its extension): only pictures of a store
/// app are served, never its other files.
pub fn is_picture(path: &str) -> bool {
    content_type(path).starts_with("image/")
}

/// `path`'s content type; unknown kinds are served as bytes, never as pages.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}
