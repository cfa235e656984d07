// The web UI (ui/dist, built by `npm run build` in ui/) is compiled into the
// binary. Without a build, a page saying how to make one is embedded instead,
// so the Rust side builds on its own.
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dist = manifest.join("../../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let dir = if dist.join("index.html").is_file() {
        dist.canonicalize().unwrap()
    } else {
        let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("ui-missing");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(
            out.join("index.html"),
            "<!doctype html><meta charset=utf-8><title>Berth</title><h1>Berth's web UI was not built</h1><p>Run <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>, then rebuild Berth (<code>./scripts/run</code> does both).</p>",
        )
        .unwrap();
        out
    };
    println!("cargo:rustc-env=BERTH_UI_DIST={}", dir.display());
}
