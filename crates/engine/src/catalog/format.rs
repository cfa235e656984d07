//! The store format (docs/catalog-format.md): `index.json` and each app's
//! `app.yml`, and the checks that make an app installable.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::compose::Project;
use crate::policy::{self, Severity};
use crate::rewrite::valid_app_id;

/// The index of a store: which apps, and a digest of each of their files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub format: u32,
    pub name: String,
    /// Grows with every publication; a lower one than last seen is a rollback.
    pub sequence: u64,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// RFC 3339; a remote index past it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub apps: Vec<IndexEntry>,
}

/// One app in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct IndexEntry {
    pub id: String,
    pub version: String,
    /// File name (relative to the app's folder) → sha256, hex.
    pub files: BTreeMap<String, String>,
}

/// The compose profile of an app's migration service: off when the app runs,
/// on only for the update step that runs it.
pub const MIGRATION_PROFILE: &str = "migration";

/// An app's metadata: `<app>/app.yml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct AppMeta {
    pub id: String,
    pub name: String,
    pub version: String,
    pub tagline: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub icon: Option<String>,
    #[serde(default)]
    pub screenshots: Vec<String>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    pub main: MainService,
    #[serde(default)]
    pub settings: Vec<Setting>,
    #[serde(default)]
    pub architectures: Vec<String>,
    #[serde(default)]
    pub min_berth: Option<String>,
    #[serde(default)]
    pub release_notes: String,
    /// A one-off service run to its end before the new version starts, at
    /// each update to this version (`profiles: [migration]` in compose.yml,
    /// so it never runs with the app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
    /// Policy finding kinds the app is allowed to have (`device`, `host_network`, …).
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub resources: Resources,
    /// The server's shares (Movies, Music…) the app asks for: the user
    /// picks one for each before the first start (format 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shares: Vec<ShareRequest>,
    /// How a backup keeps the app's data consistent without stopping it:
    /// a dump taken in a running service, and how to load it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[specta(skip)]
    pub backup: Option<BackupHooks>,
}

/// `backup:` in app.yml: a dump a backup takes while the app runs, instead
/// of stopping it, and the command a restore feeds it to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupHooks {
    pub dump: DumpHook,
    /// Fed the dump on its standard input once a restore has started the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<ExecHook>,
    /// Named volumes of compose.yml the dump covers: not copied by a
    /// backup that takes the dump (a restore leaves them empty for the
    /// `restore` command to fill).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// A command run in a service's running container whose standard output
/// is the dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DumpHook {
    pub service: String,
    pub command: Vec<String>,
    /// Its name in the backup: `dumps/<file>`.
    pub file: String,
}

/// A command run in a service's running container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecHook {
    pub service: String,
    pub command: Vec<String>,
}

impl DumpHook {
    /// The program that makes the dump, for people (`pg_dump`, `sqlite3`):
    /// the first word of a `sh -c` script, else the command's own.
    pub fn tool(&self) -> String {
        let shells = ["sh", "bash", "/bin/sh", "/bin/bash"];
        let word = match self.command.as_slice() {
            [shell, flag, script, ..] if shells.contains(&shell.as_str()) && flag == "-c" => script
                .split_whitespace()
                .find(|w| !w.contains('=') && *w != "exec"),
            [first, ..] => Some(first.as_str()),
            [] => None,
        };
        let word = word.unwrap_or_default();
        word.rsplit('/').next().unwrap_or(word).to_string()
    }
}

/// The index format this Berth writes for a store whose apps ask for
/// shares; one without reads as [`FORMAT`] 1 still.
pub const FORMAT: u32 = 2;

/// A share an app asks for: which kind of folder, where its service sees
/// it, whether it writes there, and why (shown in the install dialog).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// The request's name in the app (`media`, `downloads`), a lowercase word.
    pub name: String,
    /// The share offered by default: one of the usual set (Movies, TV,
    /// Music, Photos, Books, Documents, Downloads) or any name.
    pub share: String,
    /// The service that mounts it; the main service when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Where the service sees it: an absolute path in the container. A
    /// volume of the compose file at the same place is its stand-in when
    /// no share is given (an empty folder of the app's own).
    pub target: String,
    /// `read` (the default) or `write`.
    #[serde(default)]
    pub access: ShareUse,
    /// Why the app asks, in one sentence for the user.
    pub why: String,
}

/// What an app may do in a share it is given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum ShareUse {
    #[default]
    Read,
    Write,
}

impl ShareRequest {
    /// The service that mounts it in an app whose main service is `main`.
    pub fn service_in<'a>(&'a self, main: &'a str) -> &'a str {
        self.service.as_deref().unwrap_or(main)
    }
}

/// Where "Open" goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct MainService {
    pub service: String,
    /// The container port.
    pub port: u16,
    #[serde(default)]
    pub path: Option<String>,
}

/// A value the user gives at install; `${name}` in the compose file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub name: String,
    pub label: String,
    #[serde(rename = "type", default)]
    pub kind: SettingKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
    /// A random secret of this many characters, made once at install and kept.
    #[serde(default)]
    pub generate: Option<u16>,
    #[serde(default)]
    pub description: String,
}

/// How a setting is asked for and checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum SettingKind {
    #[default]
    String,
    Password,
    Number,
    Bool,
    Select,
}

/// Default and minimum resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    #[serde(default)]
    pub default: ResourceSpec,
    #[serde(default)]
    pub minimum: ResourceSpec,
}

/// CPUs, memory and disk, as written in app.yml (`1.5`, `512m`, `2g`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    #[serde(default)]
    pub cpus: Option<f64>,
    #[serde(default)]
    pub memory: Option<String>,
    #[serde(default)]
    pub disk: Option<String>,
}

/// The permission names app.yml may declare: the policy's finding kinds.
pub const PERMISSIONS: &[&str] = &[
    "privileged",
    "capability",
    "device",
    "host_network",
    "host_pid",
    "host_ipc",
    "host_uts",
    "host_user_namespace",
    "host_cgroup",
    "docker_socket",
    "system_path",
    "bind_outside_app",
    "berth_files",
    "host_file",
    "other_app",
    "sysctl",
    "unconfined",
];

impl Setting {
    /// Whether `value` is acceptable for this setting; the reason if not.
    pub fn check(&self, value: &str) -> Result<(), String> {
        match self.kind {
            SettingKind::Number if value.parse::<f64>().is_err() => {
                Err(format!("{} must be a number, not \"{value}\"", self.label))
            }
            SettingKind::Bool if !matches!(value, "true" | "false") => Err(format!(
                "{} must be true or false, not \"{value}\"",
                self.label
            )),
            SettingKind::Select if !self.options.iter().any(|o| o == value) => Err(format!(
                "{} must be one of {}, not \"{value}\"",
                self.label,
                self.options.join(", ")
            )),
            _ => Ok(()),
        }
    }
}

impl AppMeta {
    /// Everything wrong with this app's metadata on its own, as sentences.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !valid_app_id(&self.id) {
            out.push(format!("\"{}\" is not a valid app id", self.id));
        }
        if semver::Version::parse(&self.version).is_err() {
            out.push(format!(
                "version \"{}\" is not semver (like 1.2.3)",
                self.version
            ));
        }
        if let Some(min) = &self.min_berth {
            match semver::Version::parse(min) {
                Err(_) => out.push(format!("min_berth \"{min}\" is not semver")),
                Ok(min) => {
                    let ours = semver::Version::parse(env!("CARGO_PKG_VERSION")).expect("semver");
                    if min > ours {
                        out.push(format!("it needs Berth {min} or newer (this is {ours})"));
                    }
                }
            }
        }
        if self.name.trim().is_empty() || self.tagline.trim().is_empty() {
            out.push("name and tagline must not be empty".into());
        }
        for p in &self.permissions {
            if !PERMISSIONS.contains(&p.as_str()) {
                out.push(format!(
                    "unknown permission \"{p}\" (known: {})",
                    PERMISSIONS.join(", ")
                ));
            }
        }
        let mut requests = BTreeSet::new();
        let mut targets = BTreeSet::new();
        for r in &self.shares {
            let name_ok = !r.name.is_empty()
                && r.name.len() <= 32
                && r.name.starts_with(|c: char| c.is_ascii_lowercase())
                && r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !name_ok {
                out.push(format!(
                    "share \"{}\" is not a lowercase word (a-z, 0-9, -)",
                    r.name
                ));
            }
            if !requests.insert(&r.name) {
                out.push(format!("share {} is asked for twice", r.name));
            }
            if crate::model::ShareName::new(&r.share).is_err() {
                out.push(format!(
                    "share {}: \"{}\" is not a share name",
                    r.name, r.share
                ));
            }
            let clean = crate::compose::clean(std::path::Path::new(&r.target));
            if !r.target.starts_with('/') || clean.as_os_str() == "/" {
                out.push(format!(
                    "share {}: target \"{}\" must be a folder path in the container (like /media)",
                    r.name, r.target
                ));
            }
            if !targets.insert((r.service_in(&self.main.service).to_string(), clean)) {
                out.push(format!(
                    "share {}: another share is mounted at {} already",
                    r.name, r.target
                ));
            }
            if r.why.trim().is_empty() {
                out.push(format!(
                    "share {} does not say why the app asks for it",
                    r.name
                ));
            }
        }
        if let Some(b) = &self.backup {
            let f = &b.dump.file;
            if f.is_empty()
                || f.contains('/')
                || f.contains('\\')
                || f == "."
                || f == ".."
                || f.starts_with('.')
            {
                out.push(format!(
                    "backup.dump.file \"{f}\" must be a plain file name (like db.sql), without / or a leading dot"
                ));
            }
            let empty = |c: &[String]| c.is_empty() || c.iter().all(|w| w.trim().is_empty());
            if empty(&b.dump.command) {
                out.push("backup.dump.command is empty: give the command that writes the dump to its standard output".into());
            }
            if !b.exclude.is_empty() && b.restore.is_none() {
                out.push("backup.exclude needs backup.restore: without it a restore would leave the excluded volumes empty".into());
            }
            if b.restore.as_ref().is_some_and(|r| empty(&r.command)) {
                out.push("backup.restore.command is empty: give the command that reads the dump on its standard input".into());
            }
        }
        let mut names = BTreeSet::new();
        for s in &self.settings {
            let name_ok = !s.name.is_empty()
                && !s.name.starts_with(|c: char| c.is_ascii_digit())
                && s.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !name_ok {
                out.push(format!("setting \"{}\" is not a variable name", s.name));
            }
            if !names.insert(&s.name) {
                out.push(format!("setting {} is declared twice", s.name));
            }
            if s.kind == SettingKind::Select && s.options.is_empty() {
                out.push(format!("setting {} is a select without options", s.name));
            }
            if let Some(d) = &s.default {
                if let Err(e) = s.check(d) {
                    out.push(format!("setting {}: default: {e}", s.name));
                }
            }
            if s.generate.is_some()
                && !matches!(s.kind, SettingKind::String | SettingKind::Password)
            {
                out.push(format!(
                    "setting {} generates a secret but is not a string or password",
                    s.name
                ));
            }
            if s.generate == Some(0) {
                out.push(format!("setting {} generates an empty secret", s.name));
            }
        }
        out
    }

    /// What is wrong with this app against its loaded compose file: the main
    /// service must exist, and every warning or severe policy finding must be
    /// declared in `permissions`.
    pub fn problems_with(&self, project: &Project) -> Vec<String> {
        let mut out = Vec::new();
        if !project
            .services()
            .any(|(name, _)| name == self.main.service)
        {
            out.push(format!(
                "main service \"{}\" is not in compose.yml",
                self.main.service
            ));
        }
        if let Some(migration) = &self.migration {
            match project.services().find(|(name, _)| name == migration) {
                None => out.push(format!(
                    "migration service \"{migration}\" is not in compose.yml (with profiles: [{MIGRATION_PROFILE}])"
                )),
                Some((_, svc)) => {
                    let profiles = svc.get("profiles").and_then(|p| p.as_sequence());
                    if !profiles.is_some_and(|p| p.iter().any(|p| p.as_str() == Some(MIGRATION_PROFILE))) {
                        out.push(format!(
                            "migration service \"{migration}\" needs profiles: [{MIGRATION_PROFILE}], or it would run with the app"
                        ));
                    }
                }
            }
            if *migration == self.main.service {
                out.push(format!(
                    "the migration service \"{migration}\" cannot be the main service"
                ));
            }
        }
        for r in &self.shares {
            let service = r.service_in(&self.main.service);
            if !project.services().any(|(name, _)| name == service) {
                out.push(format!(
                    "share {}: service \"{service}\" is not in compose.yml",
                    r.name
                ));
            }
        }
        if let Some(b) = &self.backup {
            let mut services = vec![("backup.dump", &b.dump.service)];
            if let Some(r) = &b.restore {
                services.push(("backup.restore", &r.service));
            }
            for (what, service) in services {
                if !project.services().any(|(name, _)| name == service) {
                    out.push(format!(
                        "{what}: service \"{service}\" is not in compose.yml"
                    ));
                }
            }
            let volumes = project.model.get("volumes").and_then(|v| v.as_mapping());
            for v in &b.exclude {
                if !volumes.is_some_and(|m| m.contains_key(v.as_str())) {
                    out.push(format!(
                        "backup.exclude: \"{v}\" is not a named volume of compose.yml (under volumes:)"
                    ));
                }
            }
        }
        for f in policy::check(project, None).findings {
            if f.severity < Severity::Warning {
                continue;
            }
            let kind = f.kind.name().to_string();
            if kind == "bind_outside_app" {
                continue; // checked against the app's real folder at render time
            }
            if !self.permissions.contains(&kind) {
                out.push(format!(
                    "{} ({}) but app.yml does not declare the permission \"{kind}\"",
                    f.message, f.at
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{load_bytes, LoadOptions};

    fn problems(migration: &str, compose: &str) -> Vec<String> {
        let meta: AppMeta = serde_yaml::from_str(&format!(
            "id: app\nname: App\nversion: 1.0.0\ntagline: t\nmain: {{ service: web, port: 80 }}\n{migration}"
        ))
        .unwrap();
        let options = LoadOptions {
            project_name: Some("app".into()),
            profiles: vec![MIGRATION_PROFILE.into()],
            ..Default::default()
        };
        let project = load_bytes(
            compose.as_bytes(),
            std::path::Path::new("compose.yml"),
            &options,
        )
        .unwrap();
        meta.problems_with(&project)
    }

    const WEB: &str = "services:\n  web:\n    image: x\n";

    fn meta_with(extra: &str) -> AppMeta {
        serde_yaml::from_str(&format!(
            "id: app\nname: App\nversion: 1.0.0\ntagline: t\nmain: {{ service: web, port: 80 }}\n{extra}"
        ))
        .unwrap()
    }

    #[test]
    fn a_backup_dump_names_a_service_a_command_and_a_plain_file() {
        let db = format!(
            "{WEB}  db:\n    image: x\n    volumes: [db-data:/data]\nvolumes:\n  db-data: {{}}\n"
        );
        let good = "backup:\n  dump: { service: db, command: [sh, -c, 'pg_dump -U \"$U\" app'], file: db.sql }\n  restore: { service: db, command: [psql] }\n  exclude: [db-data]\n";
        let meta = meta_with(good);
        assert!(meta.problems().is_empty(), "{:?}", meta.problems());
        assert!(problems(good, &db).is_empty(), "{:?}", problems(good, &db));
        assert_eq!(meta.backup.unwrap().dump.tool(), "pg_dump");

        let bad = "backup:\n  dump: { service: nope, command: [], file: ../db.sql }\n  restore: { service: gone, command: [''] }\n  exclude: [other]\n";
        let own = meta_with(bad).problems();
        assert!(own.iter().any(|p| p.contains("plain file name")), "{own:?}");
        assert!(
            own.iter().any(|p| p.contains("dump.command is empty")),
            "{own:?}"
        );
        assert!(
            own.iter().any(|p| p.contains("restore.command is empty")),
            "{own:?}"
        );
        let against = problems(bad, &db);
        assert!(
            against
                .iter()
                .any(|p| p.contains("backup.dump: service \"nope\"")),
            "{against:?}"
        );
        assert!(
            against
                .iter()
                .any(|p| p.contains("backup.restore: service \"gone\"")),
            "{against:?}"
        );
        assert!(
            against
                .iter()
                .any(|p| p.contains("\"other\" is not a named volume")),
            "{against:?}"
        );
        let no_restore = meta_with(
            "backup:\n  dump: { service: db, command: [x], file: f }\n  exclude: [db-data]\n",
        );
        assert!(
            no_restore
                .problems()
                .iter()
                .any(|p| p.contains("exclude needs backup.restore")),
            "{:?}",
            no_restore.problems()
        );
        for file in ["a/b.sql", "..", ".hidden"] {
            let m = meta_with(&format!(
                "backup:\n  dump: {{ service: db, command: [x], file: '{file}' }}\n"
            ));
            assert!(!m.problems().is_empty(), "{file} accepted");
        }
        let unknown: Result<AppMeta, _> = serde_yaml::from_str(
            "id: app\nname: App\nversion: 1.0.0\ntagline: t\nmain: { service: web, port: 80 }\nbackup:\n  dump: { service: db, command: [x], file: f }\n  hook: x\n",
        );
        assert!(unknown.is_err(), "unknown fields are refused");
    }

    #[test]
    fn a_migration_must_be_a_service_kept_off_by_its_profile() {
        assert!(problems("", WEB).is_empty());
        let ok = format!("{WEB}  migrate:\n    image: x\n    profiles: [migration]\n");
        assert!(problems("migration: migrate", &ok).is_empty());
        let missing = problems("migration: migrate", WEB);
        assert!(missing[0].contains("is not in compose.yml"), "{missing:?}");
        let always_on = format!("{WEB}  migrate:\n    image: x\n");
        let on = problems("migration: migrate", &always_on);
        assert!(on[0].contains("needs profiles: [migration]"), "{on:?}");
        let main = problems("migration: web", WEB);
        assert!(
            main.iter()
                .any(|p| p.contains("cannot be the main service")),
            "{main:?}"
        );
    }
}
