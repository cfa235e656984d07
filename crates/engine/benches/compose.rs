//! Compose pipeline throughput over the whole corpus, one thread, with the
//! peer measured in the same run: `docker compose config` on the same files.
//! Also prints the YAML parser alone, the ceiling for any pipeline built on it.
//!
//! Run: `BERTH_CORPUS=../shared/corpus cargo bench -p berth-engine --bench compose`

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use berth_engine::compose::{load_bytes, LoadOptions};
use berth_engine::rewrite::{render, PortAllocator, RenderRequest};

/// Runs `f` over all files for at least `min` and returns files per second.
fn rate(files: usize, min: Duration, mut f: impl FnMut()) -> f64 {
    f(); // warm-up round
    let start = Instant::now();
    let mut rounds = 0;
    while start.elapsed() < min {
        f();
        rounds += 1;
    }
    (rounds * files) as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let mut files = Vec::new();
    berth_testkit::compose_files(&berth_testkit::corpus(), &mut files);
    let texts: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let bytes: usize = texts.iter().map(Vec::len).sum();
    let options = LoadOptions {
        project_name: Some("bench".into()),
        ..Default::default()
    };
    println!(
        "corpus: {} files, {:.1} MiB ({} bytes/file on average)",
        files.len(),
        bytes as f64 / 1048576.0,
        bytes / files.len()
    );

    let parse_only = rate(files.len(), Duration::from_secs(3), || {
        for t in &texts {
            let _ = std::hint::black_box(serde_yaml::from_slice::<serde_yaml::Value>(t));
        }
    });
    let normalize = rate(files.len(), Duration::from_secs(3), || {
        for (f, t) in files.iter().zip(&texts) {
            let _ = std::hint::black_box(load_bytes(t, f, &options));
        }
    });
    let home = std::env::temp_dir().join(format!("berth-bench-{}", std::process::id()));
    let renderable: Vec<&PathBuf> = files
        .iter()
        .zip(&texts)
        .filter(|(f, t)| load_bytes(t, f, &options).is_ok())
        .map(|(f, _)| f)
        .collect();
    let normalize_render = rate(renderable.len(), Duration::from_secs(3), || {
        let mut ports = PortAllocator::in_memory().without_host_probe();
        for (i, f) in renderable.iter().enumerate() {
            let request = RenderRequest {
                app_id: format!("app{i}"),
                home: home.clone(),
                host: Default::default(),
                settings: Default::default(),
                limits: Default::default(),
                consent: true,
                shares: Vec::new(),
                no_host_port: false,
            };
            let _ = std::hint::black_box(render(f, &request, &mut ports));
        }
    });

    let docker = Command::new("docker").args(["compose", "version"]).output();
    assert!(
        docker.is_ok_and(|o| o.status.success()),
        "`docker compose` v2 is needed as the peer: install it as .ci/setup-docker does"
    );
    let sample: Vec<&PathBuf> = files.iter().step_by(8).collect();
    let start = Instant::now();
    for f in &sample {
        let _ = Command::new("docker")
            .args(["compose", "-f"])
            .arg(f)
            .args(["-p", "bench", "config", "--format", "json"])
            .output();
    }
    let peer = sample.len() as f64 / start.elapsed().as_secs_f64();

    println!("yaml_serde parse alone (ceiling)  {parse_only:>9.0} files/s");
    println!("berth normalize                   {normalize:>9.0} files/s");
    println!(
        "berth normalize + render          {normalize_render:>9.0} files/s  ({} renderable files)",
        renderable.len()
    );
    println!(
        "docker compose config (peer)      {peer:>9.1} files/s  ({} files, one process each)",
        sample.len()
    );
    println!(
        "ratio normalize / peer            {:>9.0}x",
        normalize / peer
    );
    println!(
        "ratio normalize+render / peer     {:>9.0}x",
        normalize_render / peer
    );
    println!(
        "goal >= 5000 files/s normalize+render: {}",
        if normalize_render >= 5000.0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
