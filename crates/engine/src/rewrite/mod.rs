//! Rewrite for this host: turns an app's compose file into the file Berth
//! runs — project named after the app, data kept inside the app's folder,
//! host ports from the allocator, the standard environment, Berth's labels,
//! a restart policy and the limits the user set.

mod ports;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use crate::compose::{load_bytes, load_files, ComposeFiles, LoadOptions, Project, ServiceLimits};
pub use crate::model::app_dir;
use crate::model::{validate_limits, Layout};
use crate::policy::{self, PolicyReport};
use crate::{Error, Result};

pub use ports::{PortAllocator, PortChoice};

/// Facts about this host offered to every app.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// Time zone, e.g. `Europe/Paris`.
    pub tz: String,
    /// User and group the apps' files belong to.
    pub puid: u32,
    pub pgid: u32,
    /// The name this server answers to on the home network.
    pub domain: String,
}

impl Default for HostSettings {
    fn default() -> Self {
        HostSettings {
            tz: "Etc/UTC".into(),
            puid: 1000,
            pgid: 1000,
            domain: "localhost".into(),
        }
    }
}

/// Everything a render needs besides the compose file and the port allocator.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    pub app_id: String,
    /// The Berth home; the app lives in `<home>/apps/<app_id>/`.
    pub home: PathBuf,
    pub host: HostSettings,
    /// Values of the app's settings, offered to interpolation.
    pub settings: BTreeMap<String, String>,
    /// Limits applied to every service (`None` fields leave the app's own).
    pub limits: ServiceLimits,
    /// The user consented to what the app asks of the host (every finding of
    /// warning or severe level: devices, host network, folders outside its own…).
    pub consent: bool,
    /// The shares given to the app, each mounted in its service; the user's
    /// choice of a share is consent to that mount.
    pub shares: Vec<crate::shares::AppShare>,
    /// Leave the main service's web port off the host: the app is reached
    /// by its name through Berth's proxy only (its other ports, such as DNS
    /// or MQTT, stay published). The main service is a store app's `main`
    /// (its `app.yml` beside the compose file), else the first published port.
    pub no_host_port: bool,
}

/// A rendered app: the compose YAML to write and what was decided on the way.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub project: Project,
    /// Compose YAML that `docker compose -f` accepts with no environment.
    pub yaml: String,
    pub policy: PolicyReport,
    pub ports: Vec<PortChoice>,
    pub warnings: Vec<String>,
    /// The consent keys of the findings the choice of shares consented to.
    pub chosen: Vec<String>,
}

/// The rendered file's record of the findings the user consented to.
pub const CONSENT_KEY: &str = "x-berth-consent";

/// What the user consented to for a rendered app (finding keys).
pub fn consented(project: &Project) -> Vec<String> {
    project
        .model
        .get(CONSENT_KEY)
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

/// The findings of `report` that need consent and are not among `given`,
/// as sentences.
pub fn unconsented(report: &PolicyReport, given: &[String]) -> Vec<String> {
    report
        .needing_consent()
        .filter(|f| !given.contains(&f.consent_key()))
        .map(|f| format!("{} ({})", f.message, f.at))
        .collect()
}

/// Writes bind sources lexically clean, so the kernel never resolves a `..`
/// after a link: what Docker mounts is the path the policy checked.
fn clean_bind_sources(svc: &mut Mapping) {
    let Some(Value::Sequence(volumes)) = svc.get_mut("volumes") else {
        return;
    };
    for v in volumes.iter_mut() {
        if v.get("type").and_then(Value::as_str) != Some("bind") {
            continue;
        }
        if let Some(source) = v.get_mut("source") {
            if let Some(text) = source.as_str() {
                let cleaned = crate::compose::clean(Path::new(text));
                *source = Value::String(cleaned.to_string_lossy().into_owned());
            }
        }
    }
}

pub use crate::model::valid_app_id;

/// Renders `compose_file` for this host as app `request.app_id`; a folder
/// renders its main file with its override file merged on top, as docker
/// compose reads that folder ([`ComposeFiles::find`]).
pub fn render(
    compose_file: &Path,
    request: &RenderRequest,
    ports: &mut PortAllocator,
) -> Result<Rendered> {
    render_with_profiles(compose_file, request, ports, &[])
}

/// [`render`] with compose profiles on (an update's migration service).
pub fn render_with_profiles(
    compose_file: &Path,
    request: &RenderRequest,
    ports: &mut PortAllocator,
    profiles: &[&str],
) -> Result<Rendered> {
    let main = request
        .no_host_port
        .then(|| store_main(compose_file))
        .flatten();
    render_loaded(request, ports, profiles, main, |options| {
        let files = ComposeFiles::find(compose_file)?;
        load_files(&files.main, &files.overrides, options)
    })
}

/// [`render`] for a compose file's text, read as the file at `path` would
/// be (its folder is the project's, for `.env`, `env_file` and includes):
/// what installing that file will do, before it is written anywhere.
pub fn render_text(
    text: &[u8],
    path: &Path,
    request: &RenderRequest,
    ports: &mut PortAllocator,
) -> Result<Rendered> {
    render_loaded(request, ports, &[], None, |options| {
        load_bytes(text, path, options)
    })
}

/// Renders the project `load` reads with the options it is given.
fn render_loaded(
    request: &RenderRequest,
    ports: &mut PortAllocator,
    profiles: &[&str],
    main: Option<(String, u32)>,
    load: impl Fn(&LoadOptions) -> Result<Project>,
) -> Result<Rendered> {
    let app = request.app_id.as_str();
    if !valid_app_id(app) {
        return Err(Error::InvalidAppId {
            id: app.to_string(),
        });
    }
    validate_limits(&request.limits)?;
    let dir = app_dir(&request.home, app);

    // APP_PORT is the host port of the app's first published port, which the
    // allocator decides; so a first pass finds that port, on the assembled
    // model, and a second pass renders with it. Any of the app's files
    // (included, extended, override) may refer to it, so the second pass
    // runs whenever there is a port.
    let load = |app_port: Option<u16>| {
        let mut project = load(&load_options(request, &dir, app_port, profiles))?;
        if request.no_host_port {
            unpublish_main(&mut project, main.as_ref());
        }
        Ok::<_, Error>(project)
    };
    let first_pass = load(None)?;
    let mut project = match first_published(&first_pass) {
        Some((service, target, protocol, requested)) => load(Some(
            ports
                .assign(app, &service, target, &protocol, requested)?
                .published,
        ))?,
        None => first_pass,
    };

    // Never the app's own word for what it was given.
    if let Some(doc) = project.model.as_mapping_mut() {
        doc.remove(crate::shares::SHARES_KEY);
    }
    let share_places =
        crate::shares::mount_shares(&mut project.model, &request.shares, &request.home)?;
    let chosen = |f: &policy::Finding| {
        share_places
            .iter()
            .any(|p| f.at == *p || f.at.starts_with(&format!("{p}.")))
    };
    let policy = policy::check(&project, Some(&dir));
    let needing: Vec<&policy::Finding> = policy.needing_consent().collect();
    let asked: Vec<String> = needing
        .iter()
        .filter(|f| !chosen(f))
        .map(|f| format!("{} ({})", f.message, f.at))
        .collect();
    if !request.consent && !asked.is_empty() {
        return Err(Error::ConsentRequired {
            app: app.to_string(),
            findings: asked,
        });
    }
    for (name, svc) in project.services() {
        policy::guard_binds(&project, &Layout::data_in(&dir), name, svc)?;
    }
    // What the user consented to travels with the file (whose hash Berth
    // keeps), so that loading it again can check nothing was added.
    let chosen_keys: Vec<String> = needing
        .iter()
        .filter(|f| chosen(f))
        .map(|f| f.consent_key())
        .collect();
    let consented: Vec<Value> = needing
        .iter()
        .map(|f| Value::String(f.consent_key()))
        .collect();
    if let Some(doc) = project.model.as_mapping_mut() {
        doc.remove(CONSENT_KEY);
        if !consented.is_empty() {
            doc.insert(CONSENT_KEY.into(), Value::Sequence(consented));
        }
    }

    let mut choices = Vec::new();
    let mut warnings = std::mem::take(&mut project.warnings);
    let services = project
        .model
        .get_mut("services")
        .and_then(Value::as_mapping_mut)
        .expect("a normalized model has services");
    for (name, svc) in services.iter_mut() {
        let name = name.as_str().unwrap_or_default().to_string();
        let svc = svc
            .as_mapping_mut()
            .expect("normalized services are mappings");
        publish_ports(app, &name, svc, ports, &mut choices, &mut warnings)?;
        clean_bind_sources(svc);
        // Its contents are in `environment` now; the rendered file must not
        // read host files again when it is loaded.
        svc.remove("env_file");
        label(svc, app);
        if !svc.contains_key("restart") {
            svc.insert("restart".into(), "unless-stopped".into());
        }
        request.limits.apply_to_if_set(svc);
    }
    for c in &choices {
        if let Some(note) = &c.note {
            warnings.push(format!("{} ({}): {note}", c.service, c.target));
        }
    }
    let yaml = project.to_yaml();
    Ok(Rendered {
        project,
        yaml,
        policy,
        ports: choices,
        warnings,
        chosen: chosen_keys,
    })
}

impl ServiceLimits {
    /// [`ServiceLimits::apply_to`], when any limit is given.
    pub(crate) fn apply_to_if_set(&self, svc: &mut Mapping) {
        if self.cpus.is_some()
            || self.memory.is_some()
            || self.pids.is_some()
            || self.memory_swap.is_some()
        {
            self.apply_to(svc);
        }
    }
}

/// The environment an app's compose file is read with: host facts, the
/// app's place, its settings; nothing from Berth's own process environment,
/// so the same inputs always render the same file.
fn load_options(
    request: &RenderRequest,
    dir: &Path,
    app_port: Option<u16>,
    profiles: &[&str],
) -> LoadOptions {
    let host = &request.host;
    let data = Layout::data_in(dir).to_string_lossy().into_owned();
    let port = app_port.map(|p| p.to_string()).unwrap_or_default();
    let url = match app_port {
        Some(p) => format!("http://{}:{p}", host.domain),
        None => format!("http://{}", host.domain),
    };
    let mut env: BTreeMap<String, String> = [
        ("TZ", host.tz.clone()),
        ("PUID", host.puid.to_string()),
        ("PGID", host.pgid.to_string()),
        ("HDA_DOMAIN", host.domain.clone()),
        ("APP_ID", request.app_id.clone()),
        ("APP_DATA_DIR", data),
        ("APP_URL", url),
        ("APP_PORT", port),
        // The names CasaOS and Umbrel apps use for the same facts.
        ("AppID", request.app_id.clone()),
        ("DEVICE_DOMAIN_NAME", host.domain.clone()),
        ("DEVICE_HOSTNAME", host.domain.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    env.extend(request.settings.clone());
    LoadOptions {
        project_name: Some(request.app_id.clone()),
        environment: env,
        profiles: profiles.iter().map(|p| p.to_string()).collect(),
        working_dir: None,
        bind_base: Some(dir.to_path_buf()),
    }
}

/// The main service and container port a store app's `app.yml` names,
/// when there is one beside `compose_file` (or in it, a folder).
fn store_main(compose_file: &Path) -> Option<(String, u32)> {
    let dir = if compose_file.is_dir() {
        compose_file
    } else {
        compose_file.parent()?
    };
    let bytes = std::fs::read(dir.join("app.yml")).ok()?;
    let meta: crate::catalog::AppMeta = serde_yaml::from_slice(&bytes).ok()?;
    Some((meta.main.service, u32::from(meta.main.port)))
}

/// Takes the main web port (`main`, else the first published port) off
/// the host: its `ports` entries go, and the container port is listed in
/// `expose` instead (where "Open" and the proxy find it).
fn unpublish_main(project: &mut Project, main: Option<&(String, u32)>) {
    let Some((service, target)) = main
        .cloned()
        .or_else(|| first_published(project).map(|(s, t, _, _)| (s, t)))
    else {
        return;
    };
    let Some(svc) = project
        .model
        .get_mut("services")
        .and_then(|s| s.get_mut(service.as_str()))
        .and_then(Value::as_mapping_mut)
    else {
        return;
    };
    if let Some(Value::Sequence(list)) = svc.get_mut("ports") {
        list.retain(|p| {
            let tcp = p.get("protocol").and_then(Value::as_str).unwrap_or("tcp") == "tcp";
            !(tcp && p.get("target").and_then(Value::as_u64) == Some(u64::from(target)))
        });
        if list.is_empty() {
            svc.remove("ports");
        }
    }
    let expose = svc
        .entry("expose".into())
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if let Value::Sequence(list) = expose {
        let listed = list.iter().any(|e| {
            e.as_str().and_then(|s| s.parse::<u32>().ok()) == Some(target)
                || e.as_u64() == Some(u64::from(target))
        });
        if !listed {
            list.push(Value::String(target.to_string()));
        }
    }
}

/// The first published port of the first service that publishes one.
fn first_published(project: &Project) -> Option<(String, u32, String, Option<u16>)> {
    project.services().find_map(|(name, svc)| {
        let ports = svc.get("ports")?.as_sequence()?;
        ports.iter().find_map(|p| {
            let published = p.get("published")?.as_str()?;
            Some((
                name.to_string(),
                p.get("target")?.as_u64()? as u32,
                p.get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("tcp")
                    .to_string(),
                published.parse().ok(),
            ))
        })
    })
}

fn publish_ports(
    app: &str,
    service: &str,
    svc: &mut Mapping,
    ports: &mut PortAllocator,
    choices: &mut Vec<PortChoice>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let Some(Value::Sequence(list)) = svc.get_mut("ports") else {
        return Ok(());
    };
    for port in list.iter_mut() {
        let Some(m) = port.as_mapping_mut() else {
            continue;
        };
        let Some(published) = m
            .get("published")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            // Unpublished ports get a random host port from Docker at each start.
            continue;
        };
        let target = m.get("target").and_then(Value::as_u64).unwrap_or_default() as u32;
        let protocol = m
            .get("protocol")
            .and_then(Value::as_str)
            .unwrap_or("tcp")
            .to_string();
        let Ok(requested) = published.parse::<u16>() else {
            warnings.push(format!(
                "{service}: the host port range {published} is kept as the app asked; Berth allocates single ports only"
            ));
            continue;
        };
        let choice = ports.assign(app, service, target, &protocol, Some(requested))?;
        m.insert("published".into(), choice.published.to_string().into());
        choices.push(choice);
    }
    Ok(())
}

fn label(svc: &mut Mapping, app: &str) {
    let labels = svc
        .entry("labels".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Some(labels) = labels.as_mapping_mut() {
        labels.insert("berth.app".into(), app.into());
        labels.insert("berth.managed".into(), "true".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str, text: &str) -> (PathBuf, PathBuf) {
        let root =
            std::env::temp_dir().join(format!("berth-rewrite-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let file = root.join("compose.yml");
        std::fs::write(&file, text).unwrap();
        (file, root.join("home"))
    }

    fn request(app: &str, home: &Path) -> RenderRequest {
        RenderRequest {
            app_id: app.into(),
            home: home.to_path_buf(),
            host: HostSettings {
                tz: "Europe/Paris".into(),
                puid: 1001,
                pgid: 1002,
                domain: "hda.local".into(),
            },
            settings: [("ADMIN_USER".to_string(), "alice".to_string())].into(),
            limits: ServiceLimits::default(),
            consent: false,
            shares: Vec::new(),
            no_host_port: false,
        }
    }

    const APP: &str = "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    volumes: ['./data/www:/www', 'cache:/cache']\n    environment:\n      TZ: $TZ\n      URL: $APP_URL\n      USER: ${ADMIN_USER}\n      DATA: ${APP_DATA_DIR}\n  db:\n    image: postgres\n    restart: always\nvolumes:\n  cache:\n";

    #[test]
    fn no_host_port_leaves_only_the_main_web_port_off_the_host() {
        let text = "services:\n  web:\n    image: nginx\n    ports: ['8080:80', '1883:1883']\n    environment: {PORT: $APP_PORT}\n  dns:\n    image: dns\n    ports: ['53:53/udp']\n";
        let (file, home) = fixture("quiet", text);
        let mut ports = PortAllocator::in_memory().without_host_probe();
        let mut quiet = request("quiet", &home);
        quiet.no_host_port = true;
        let r = render(&file, &quiet, &mut ports).unwrap();
        let web = &r.project.model["services"]["web"];
        let targets: Vec<u64> = web["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|p| p["target"].as_u64().unwrap())
            .collect();
        assert_eq!(targets, [1883], "only the web port goes: {web:?}");
        assert_eq!(web["expose"][0].as_str(), Some("80"));
        assert_eq!(
            r.project.model["services"]["dns"]["ports"][0]["target"].as_u64(),
            Some(53)
        );
        assert!(r.ports.iter().all(|c| c.target != 80), "{:?}", r.ports);
        // APP_PORT is a port on the host, so never the one left off.
        assert_ne!(web["environment"]["PORT"].as_str(), Some("8080"));

        // A store app's `main` (its app.yml beside the compose file) is
        // the one left off, not the first port.
        let store_text = "services:\n  broker:\n    image: mqtt\n    ports: ['1884:1883']\n  ui:\n    image: ui\n    ports: ['8081:3000']\n";
        let (file, home) = fixture("quiet-store", store_text);
        std::fs::write(
            file.with_file_name("app.yml"),
            "id: broker\nname: Broker\nversion: '1'\ntagline: t\nmain: {service: ui, port: 3000}\n",
        )
        .unwrap();
        let mut quiet = request("quiet-store", &home);
        quiet.no_host_port = true;
        let r = render(&file, &quiet, &mut ports).unwrap();
        let services = &r.project.model["services"];
        assert!(services["ui"].get("ports").is_none(), "{services:?}");
        assert_eq!(services["ui"]["expose"][0].as_str(), Some("3000"));
        assert_eq!(
            services["broker"]["ports"][0]["target"].as_u64(),
            Some(1883)
        );
    }

    #[test]
    fn renders_for_this_host() {
        let (file, home) = fixture("basic", APP);
        let mut ports = PortAllocator::in_memory().without_host_probe();
        let r = render(&file, &request("myapp", &home), &mut ports).unwrap();
        let web = &r.project.model["services"]["web"];
        assert_eq!(r.project.name, "myapp");
        let dir = app_dir(&home, "myapp");
        assert_eq!(
            web["volumes"][0]["source"].as_str().unwrap(),
            dir.join("data/www").to_str().unwrap()
        );
        assert_eq!(web["environment"]["TZ"].as_str(), Some("Europe/Paris"));
        assert_eq!(
            web["environment"]["URL"].as_str(),
            Some("http://hda.local:8080")
        );
        assert_eq!(web["environment"]["USER"].as_str(), Some("alice"));
        assert_eq!(
            web["environment"]["DATA"].as_str().unwrap(),
            dir.join("data").to_str().unwrap()
        );
        assert_eq!(web["labels"]["berth.app"].as_str(), Some("myapp"));
        assert_eq!(web["restart"].as_str(), Some("unless-stopped"));
        assert_eq!(
            r.project.model["services"]["db"]["restart"].as_str(),
            Some("always")
        );
        assert_eq!(r.ports.len(), 1);
        assert_eq!(r.ports[0].published, 8080);
        assert!(r.yaml.contains("name: myapp"));
    }

    #[test]
    fn a_text_renders_as_the_same_file_on_disk_would() {
        let (file, home) = fixture("text", APP);
        let from_file = render(
            &file,
            &request("myapp", &home),
            &mut PortAllocator::in_memory().without_host_probe(),
        )
        .unwrap();
        // The text names a file not written yet: nothing on disk is read.
        let unwritten = home.join("apps/myapp/source/0123/compose.yml");
        let from_text = render_text(
            APP.as_bytes(),
            &unwritten,
            &request("myapp", &home),
            &mut PortAllocator::in_memory().without_host_probe(),
        )
        .unwrap();
        assert!(!unwritten.exists());
        assert_eq!(from_text.yaml, from_file.yaml);
        assert_eq!(from_text.ports, from_file.ports);
        // Its consent is refused the same way, before anything else.
        let privileged = "services:\n  web:\n    image: nginx\n    privileged: true\n";
        let mut req = request("myapp", &home);
        req.app_id = "../x".into();
        assert!(matches!(
            render_text(
                privileged.as_bytes(),
                &unwritten,
                &req,
                &mut PortAllocator::in_memory()
            ),
            Err(Error::InvalidAppId { .. })
        ));
        let refused = render_text(
            privileged.as_bytes(),
            &unwritten,
            &request("myapp", &home),
            &mut PortAllocator::in_memory().without_host_probe(),
        );
        assert!(
            matches!(&refused, Err(Error::ConsentRequired { findings, .. }) if findings[0].contains("privileged")),
            "{refused:?}"
        );
    }

    #[test]
    fn a_taken_port_moves_and_app_port_follows() {
        let (file, home) = fixture("taken", APP);
        let mut ports = PortAllocator::in_memory().without_host_probe();
        render(&file, &request("first", &home), &mut ports).unwrap();
        let second = render(&file, &request("second", &home), &mut ports).unwrap();
        let published = second.ports[0].published;
        assert_ne!(published, 8080);
        assert!(
            second
                .warnings
                .iter()
                .any(|w| w.contains("port 8080 is used by first")),
            "{:?}",
            second.warnings
        );
        let url = second.project.model["services"]["web"]["environment"]["URL"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(url, format!("http://hda.local:{published}"));
        let again = render(&file, &request("second", &home), &mut ports).unwrap();
        assert_eq!(again.ports[0].published, published, "stable across renders");
    }

    #[test]
    fn limits_apply_to_every_service() {
        let (file, home) = fixture("limits", APP);
        let mut req = request("lim", &home);
        req.limits = ServiceLimits {
            cpus: Some(0.5),
            memory: Some(256 << 20),
            pids: Some(64),
            memory_swap: None,
        };
        let r = render(
            &file,
            &req,
            &mut PortAllocator::in_memory().without_host_probe(),
        )
        .unwrap();
        for (_, svc) in r.project.services() {
            assert_eq!(ServiceLimits::of(svc).memory, Some(256 << 20));
            assert_eq!(ServiceLimits::of(svc).pids, Some(64));
        }
        req.limits.memory = Some(1024);
        assert!(matches!(
            render(&file, &req, &mut PortAllocator::in_memory()),
            Err(Error::InvalidLimit { what: "memory", .. })
        ));
    }

    #[test]
    fn severe_findings_and_outside_binds_need_consent() {
        let (file, home) = fixture("severe", "services:\n  a:\n    image: x\n    privileged: true\n    volumes: ['/mnt/media:/media']\n");
        let mut req = request("risky", &home);
        let err = render(&file, &req, &mut PortAllocator::in_memory())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("needs your consent")
                && err.contains("privileged")
                && err.contains("/mnt/media"),
            "{err}"
        );
        req.consent = true;
        let ok = render(&file, &req, &mut PortAllocator::in_memory()).unwrap();
        assert!(ok.policy.is_severe());
        let (file, home) = fixture(
            "escape",
            "services:\n  a:\n    image: x\n    volumes: ['../../../etc:/etc']\n",
        );
        let err = render(
            &file,
            &request("escape", &home),
            &mut PortAllocator::in_memory(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("outside its own data folder"),
            "a `..` escape is refused like any outside folder: {err}"
        );
    }

    /// A folder renders as docker compose reads it, override file merged;
    /// the main port and APP_PORT/APP_URL are found on the assembled model,
    /// so a service that only an included file defines gets them too.
    #[test]
    fn a_folder_renders_with_its_override_and_included_files() {
        let (file, home) = fixture(
            "folder",
            "include: [web.yml]\nservices:\n  db: {image: postgres}\n",
        );
        let dir = file.parent().unwrap();
        std::fs::write(
            dir.join("web.yml"),
            "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    environment: {URL: $APP_URL, PORT: $APP_PORT}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("compose.override.yml"),
            "services:\n  db:\n    environment: {MODE: override}\n",
        )
        .unwrap();
        let mut ports = PortAllocator::in_memory().without_host_probe();
        render(&file, &request("taker", &home), &mut ports).unwrap();
        let r = render(dir, &request("folder", &home), &mut ports).unwrap();
        let published = r.ports[0].published;
        assert_ne!(published, 8080, "8080 went to the first app");
        let model = &r.project.model["services"];
        assert_eq!(
            model["web"]["environment"]["URL"].as_str(),
            Some(format!("http://hda.local:{published}").as_str())
        );
        assert_eq!(
            model["web"]["environment"]["PORT"].as_str(),
            Some(published.to_string().as_str())
        );
        assert_eq!(
            model["db"]["environment"]["MODE"].as_str(),
            Some("override")
        );
        let alone = render(&file, &request("alone", &home), &mut ports).unwrap();
        assert!(alone.project.model["services"]["db"]
            .get("environment")
            .is_none());
    }

    #[test]
    fn bad_app_ids_are_refused() {
        let (file, home) = fixture("ids", APP);
        for id in [
            "",
            "Upper",
            "-lead",
            "has space",
            "dot.ted",
            &"a".repeat(64),
        ] {
            assert!(
                matches!(
                    render(&file, &request(id, &home), &mut PortAllocator::in_memory()),
                    Err(Error::InvalidAppId { .. })
                ),
                "{id}"
            );
        }
    }
}
