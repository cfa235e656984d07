//! Conformance: `berth compose normalize` must equal `docker compose config
//! --format json` — same file, same environment, same project name — on the
//! fields the engine acts on, for every file of the corpus and of our own
//! edge cases; where docker compose refuses a file, Berth must refuse it too.
//! A file that docker compose would find in its folder is read as the
//! folder, on both sides: its override file is found and merged on top.
//!
//! Needs the real `docker compose` v2 (the oracle) and `BERTH_CORPUS`
//! pointing at the shared corpus (read in place, never copied).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use berth_engine::compose::{load_file, ComposeFiles, LoadOptions};
use berth_testkit::{compose_files, corpus, require_compose};
use serde_json::Value;

/// Service fields compared with the oracle.
const FIELDS: &[&str] = &[
    "image",
    "command",
    "entrypoint",
    "environment",
    "ports",
    "volumes",
    "depends_on",
    "healthcheck",
    "restart",
    "deploy.resources",
    "cap_add",
    "cap_drop",
    "privileged",
    "network_mode",
    "networks",
    "user",
    "labels",
    "devices",
    "working_dir",
    "hostname",
    "tmpfs",
    "extra_hosts",
];
/// Top-level sections compared with the oracle.
const TOP_FIELDS: &[&str] = &["networks", "volumes"];
const PROJECT: &str = "conf";

fn environment() -> BTreeMap<String, String> {
    [
        ("PATH", std::env::var("PATH").unwrap_or_default().as_str()),
        ("HOME", "/home/conformance"),
        ("TZ", "Etc/UTC"),
        ("PUID", "1000"),
        ("PGID", "1000"),
        ("SET_BUT_EMPTY", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// What one case runs with besides the environment: its path and the
/// profiles listed one a line in its `profiles`.
struct Case {
    /// The case's folder when its file is the one docker compose finds there
    /// (so the folder's override file, if any, is merged on top, both sides
    /// discovering it on their own); else the file alone, as with `-f`.
    path: PathBuf,
    profiles: Vec<String>,
}

impl Case {
    fn of(file: &Path) -> Case {
        let dir = file.parent().expect("a compose file is in a folder");
        let path = match ComposeFiles::find(dir) {
            Ok(found) if found.main == file => dir.to_path_buf(),
            _ => file.to_path_buf(),
        };
        let profiles = std::fs::read_to_string(dir.join("profiles"))
            .map(|t| t.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        Case { path, profiles }
    }
}

fn oracle(case: &Case, env: &BTreeMap<String, String>) -> Result<Value, String> {
    let mut cmd = Command::new("docker");
    cmd.arg("compose");
    // With no `-f`, docker compose finds the files in the project folder
    // (compose-go's default file names), override file included.
    let flag = if case.path.is_dir() {
        "--project-directory"
    } else {
        "-f"
    };
    cmd.arg(flag).arg(&case.path);
    for profile in &case.profiles {
        cmd.args(["--profile", profile]);
    }
    let out = cmd
        .args(["-p", PROJECT, "config", "--format", "json"])
        .env_clear()
        .envs(env)
        .output()
        .expect("cannot run `docker`; install the docker CLI and docker compose v2 (see .ci/setup-docker)");
    if out.status.success() {
        serde_json::from_slice(&out.stdout).map_err(|e| format!("oracle printed invalid JSON: {e}"))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn field<'a>(v: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(v, |v, k| v.get(k))
}

/// Numbers compare by value (docker prints 0.5 where we may hold 0.5000).
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(Some(p), Some(q)))
        }
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            x.len() == y.len() && x.iter().all(|(k, p)| same(Some(p), y.get(k)))
        }
        (a, b) => a == b,
    }
}

fn compare(file: &Path, env: &BTreeMap<String, String>) -> Vec<String> {
    let case = Case::of(file);
    let expected = oracle(&case, env);
    let options = LoadOptions {
        project_name: Some(PROJECT.into()),
        environment: env.clone(),
        profiles: case.profiles.clone(),
        ..Default::default()
    };
    let ours = load_file(&case.path, &options).map(|p| p.to_json());
    let (expected, ours) = match (expected, ours) {
        (Err(_), Err(_)) => return vec![],
        (Err(e), Ok(_)) => {
            return vec![format!(
                "docker compose refuses it ({e}) but Berth accepts it"
            )]
        }
        (Ok(_), Err(e)) => {
            return vec![format!(
                "Berth refuses it ({e}) but docker compose accepts it"
            )]
        }
        (Ok(e), Ok(o)) => (e, o),
    };
    let mut diffs = Vec::new();
    let empty = serde_json::Map::new();
    let exp_services = expected["services"].as_object().unwrap_or(&empty);
    let our_services = ours["services"].as_object().unwrap_or(&empty);
    let mut names: Vec<&String> = exp_services.keys().chain(our_services.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (Some(e), Some(o)) = (exp_services.get(name), our_services.get(name)) else {
            diffs.push(format!(
                "service {name}: present in only one of docker compose / Berth"
            ));
            continue;
        };
        for f in FIELDS {
            let (a, b) = (field(e, f), field(o, f));
            if !same(a, b) {
                diffs.push(format!(
                    "services.{name}.{f}: docker compose {} / Berth {}",
                    a.map(|v| v.to_string()).unwrap_or("(absent)".into()),
                    b.map(|v| v.to_string()).unwrap_or("(absent)".into())
                ));
            }
        }
    }
    for f in TOP_FIELDS {
        let (a, b) = (expected.get(*f), ours.get(*f));
        if !same(a, b) {
            diffs.push(format!(
                "{f}: docker compose {} / Berth {}",
                a.map(|v| v.to_string()).unwrap_or("(absent)".into()),
                b.map(|v| v.to_string()).unwrap_or("(absent)".into())
            ));
        }
    }
    diffs
}

#[test]
fn normalize_matches_docker_compose_config() {
    let corpus = corpus();
    require_compose();

    let mut files = Vec::new();
    compose_files(&corpus, &mut files);
    let corpus_count = files.len();
    assert!(
        corpus_count >= 200,
        "BERTH_CORPUS={} holds only {corpus_count} compose files; is it the shared corpus?",
        corpus.display()
    );
    let edge = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compose-edge");
    compose_files(&edge, &mut files);
    let edge_count = files.len() - corpus_count;
    assert!(
        edge_count > 0,
        "no edge-case files under {}",
        edge.display()
    );

    let env = environment();
    let results = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().unwrap();
                    *n += 1;
                    *n - 1
                };
                let Some(file) = files.get(i) else { break };
                let diffs = compare(file, &env);
                results.lock().unwrap().push((file.clone(), diffs));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort();
    let failing: Vec<_> = results.iter().filter(|(_, d)| !d.is_empty()).collect();
    for (file, diffs) in &failing {
        eprintln!("MISMATCH {}", file.display());
        for d in diffs {
            eprintln!("    {d}");
        }
    }
    let agree = results.len() - failing.len();
    eprintln!(
        "conformance: {agree}/{} files agree with docker compose config ({:.1}%): {corpus_count} corpus files, {edge_count} edge cases",
        results.len(),
        100.0 * agree as f64 / results.len() as f64
    );
    assert!(
        failing.is_empty(),
        "{} files differ from docker compose config (listed above)",
        failing.len()
    );
}

/// The YAML Berth writes must read back to the very same model, or a
/// rendered file would not mean what Berth decided (a literal `$`, say).
#[test]
fn normalized_yaml_reloads_to_the_same_model() {
    let corpus = corpus();
    let mut files = Vec::new();
    compose_files(&corpus, &mut files);
    compose_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compose-edge"),
        &mut files,
    );
    let env = environment();
    let options = LoadOptions {
        project_name: Some(PROJECT.into()),
        environment: env,
        ..Default::default()
    };
    let scratch = std::env::temp_dir().join(format!("berth-reload-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut checked = 0;
    for file in &files {
        let Ok(first) = load_file(file, &options) else {
            continue;
        };
        let again_path = scratch.join("compose.yml");
        std::fs::write(&again_path, first.to_yaml()).unwrap();
        let reload_options = LoadOptions {
            working_dir: Some(first.working_dir.clone()),
            ..options.clone()
        };
        let second = load_file(&again_path, &reload_options).unwrap_or_else(|e| {
            panic!(
                "{}: the normalized YAML does not load again: {e}",
                file.display()
            )
        });
        assert_eq!(
            first.model,
            second.model,
            "{}: reloading changed the model",
            file.display()
        );
        checked += 1;
    }
    std::fs::remove_dir_all(&scratch).ok();
    assert!(checked > 200, "only {checked} files loaded");
}

/// A dependency cycle is reported as docker compose reports it (the same
/// cycle, found in the same name order), with the file and where to look.
#[test]
fn cycles_are_named_as_docker_compose_names_them() {
    let edge = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compose-edge");
    let env = environment();
    for case in [
        "refuse-cycle",
        "refuse-cycle-self",
        "refuse-cycle-implicit",
        "refuse-cycle-profiles",
    ] {
        let file = edge.join(case).join("compose.yml");
        let case = Case::of(&file);
        let theirs = oracle(&case, &env).expect_err("docker compose refuses a cycle");
        let cycle = theirs
            .lines()
            .find_map(|l| l.split_once("dependency cycle detected: "))
            .map(|(_, c)| c.trim().to_string())
            .unwrap_or_else(|| panic!("{}: docker compose said {theirs}", file.display()));
        let options = LoadOptions {
            project_name: Some(PROJECT.into()),
            environment: env.clone(),
            profiles: case.profiles.clone(),
            ..Default::default()
        };
        let ours = load_file(&file, &options).unwrap_err().to_string();
        assert!(
            ours.contains(&format!("dependency cycle detected: {cycle};"))
                && ours.contains(&file.display().to_string()),
            "{}: docker compose: {theirs}; Berth: {ours}",
            file.display()
        );
    }
}
