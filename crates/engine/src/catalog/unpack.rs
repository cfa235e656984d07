//! Stores that arrive as one archive file — a `.tar.gz` or a `.zip`, such as
//! a CasaOS or Umbrel store downloaded from GitHub and uploaded through the
//! web UI — unpacked into a folder of the home, owner-only and within the
//! store limits. Only plain files are written, at plain relative names (no
//! link, no `..`, nothing absolute, nothing hidden), so an archive cannot
//! write outside its folder.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::tree::{safe_name, MAX_FILE, MAX_STORE};
use crate::{Error, Result};

/// No archive may hold more entries.
const MAX_ENTRIES: usize = 50_000;

/// What an archive is, by its first bytes (browsers and `curl` name files freely).
enum Format {
    TarGz,
    Zip,
}

fn format_of(archive: &Path) -> Result<Format> {
    let mut magic = [0u8; 4];
    let read = std::fs::File::open(archive)
        .and_then(|mut f| f.read(&mut magic))
        .map_err(|cause| Error::Read {
            path: archive.to_path_buf(),
            cause,
        })?;
    match &magic[..read] {
        [0x1f, 0x8b, ..] => Ok(Format::TarGz),
        [b'P', b'K', 3, 4] | [b'P', b'K', 5, 6] => Ok(Format::Zip),
        _ => Err(Error::Unsupported {
            path: archive.to_path_buf(),
            message: "is neither a .tar.gz nor a .zip archive; upload a store as one of those"
                .into(),
        }),
    }
}

/// Unpacks the store archive `archive` into `into` (created; it must not
/// exist) and returns the store's folder: `into`, or the one folder the
/// archive holds everything in (as GitHub's downloads do).
pub fn unpack_store(archive: &Path, into: &Path) -> Result<PathBuf> {
    let format = format_of(archive)?;
    let mut writer = Writer {
        archive,
        into,
        total: 0,
        entries: 0,
    };
    make_dir(into)?;
    let file = std::fs::File::open(archive).map_err(|cause| Error::Read {
        path: archive.to_path_buf(),
        cause,
    })?;
    match format {
        Format::TarGz => {
            let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
            let entries = tar
                .entries()
                .map_err(|e| writer.damaged(format!("not a .tar.gz archive: {e}")))?;
            for entry in entries {
                let mut entry = entry.map_err(|e| writer.damaged(e.to_string()))?;
                if !entry.header().entry_type().is_file() {
                    continue;
                }
                let name = entry
                    .path()
                    .map_err(|e| writer.damaged(e.to_string()))?
                    .to_string_lossy()
                    .into_owned();
                let size = entry.header().size().unwrap_or(u64::MAX);
                writer.file(&name, size, &mut entry)?;
            }
        }
        Format::Zip => {
            let mut zip = zip::ZipArchive::new(file)
                .map_err(|e| writer.damaged(format!("not a .zip archive: {e}")))?;
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).map_err(|e| writer.damaged(e.to_string()))?;
                if !entry.is_file() || entry.is_symlink() {
                    continue;
                }
                let name = entry
                    .name()
                    .map_err(|e| writer.damaged(e.to_string()))?
                    .into_owned();
                let size = entry.size();
                writer.file(&name, size, &mut entry)?;
            }
        }
    }
    if writer.entries == 0 {
        return Err(Error::Unsupported {
            path: archive.to_path_buf(),
            message: "holds no files".into(),
        });
    }
    Ok(store_root(into))
}

/// Writes an archive's files under `into`, counting them against the limits.
struct Writer<'a> {
    archive: &'a Path,
    into: &'a Path,
    total: u64,
    entries: usize,
}

impl Writer<'_> {
    fn damaged(&self, why: String) -> Error {
        Error::Unsupported {
            path: self.archive.to_path_buf(),
            message: format!("damaged archive: {why}"),
        }
    }

    fn file(&mut self, name: &str, size: u64, content: &mut dyn Read) -> Result<()> {
        let name = name.trim_start_matches("./");
        // Links, `..`, absolute and hidden names (`.git/`, `.github/`) are left out.
        if !safe_name(name) {
            return Ok(());
        }
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(Error::Unsupported {
                path: self.archive.to_path_buf(),
                message: format!("holds more than {MAX_ENTRIES} files, more than a store may"),
            });
        }
        if size > MAX_FILE {
            return Err(Error::TooLarge {
                path: PathBuf::from(name),
                size,
                limit: MAX_FILE,
            });
        }
        self.total += size;
        if self.total > MAX_STORE {
            return Err(Error::TooLarge {
                path: self.archive.to_path_buf(),
                size: self.total,
                limit: MAX_STORE,
            });
        }
        let path = self.into.join(name);
        let mut dir = self.into.to_path_buf();
        for part in Path::new(name)
            .parent()
            .into_iter()
            .flat_map(Path::components)
        {
            dir.push(part);
            if !dir.is_dir() {
                make_dir(&dir)?;
            }
        }
        let mut write = |path: &Path| -> std::io::Result<()> {
            let mut out = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            // The header's size is what is counted: no more is read than it says.
            std::io::copy(&mut content.take(size), &mut out)?;
            out.flush()
        };
        match write(&path) {
            Ok(()) => Ok(()),
            // The same name twice (an archive may repeat one): the first stays.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(cause) => Err(Error::Write { path, cause }),
        }
    }
}

fn make_dir(dir: &Path) -> Result<()> {
    DirBuilder::new()
        .mode(0o700)
        .create(dir)
        .map_err(|cause| Error::Write {
            path: dir.to_path_buf(),
            cause,
        })
}

/// The store's folder in what was unpacked: the one folder everything is
/// in (as in GitHub's downloads), unless the top is a store itself (a Berth
/// store with an index.json, a CasaOS store of just `Apps/`, an Umbrel
/// store of one app folder).
fn store_root(top: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(top)
        .map(|e| e.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    match &entries[..] {
        [only]
            if only.is_dir()
                && !top.join("index.json").is_file()
                && !top.join("Apps").is_dir()
                && !only.join("umbrel-app.yml").is_file() =>
        {
            only.clone()
        }
        _ => top.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("berth-unpack-{}-{name}", std::process::id()));
        std::fs::remove_dir_all(&d).ok();
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn tar_gz(path: &Path, files: &[(&str, &[u8])]) {
        let out = std::fs::File::create(path).unwrap();
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            out,
            flate2::Compression::fast(),
        ));
        for (name, bytes) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // Set by hand: `append_data` refuses `..`, which is the point here.
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            tar.append(&header, *bytes).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    }

    #[test]
    fn a_github_style_zip_unpacks_to_its_one_folder() {
        let d = dir("zip");
        let archive = d.join("store.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for (name, text) in [
            (
                "AppStore-main/Apps/whoami/docker-compose.yml",
                "services: {}\n",
            ),
            ("AppStore-main/.github/workflow.yml", "x"),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        let root = unpack_store(&archive, &d.join("out")).unwrap();
        assert_eq!(root, d.join("out/AppStore-main"));
        assert!(root.join("Apps/whoami/docker-compose.yml").is_file());
        assert!(
            !root.join(".github").exists(),
            "hidden folders are left out"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join("Apps/whoami/docker-compose.yml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn names_leaving_the_folder_are_not_written() {
        let d = dir("escape");
        let archive = d.join("store.tar.gz");
        tar_gz(
            &archive,
            &[
                ("../escaped.txt", b"x"),
                ("/tmp/abs.txt", b"x"),
                ("Apps/a/docker-compose.yml", b"services: {}\n"),
            ],
        );
        let root = unpack_store(&archive, &d.join("out")).unwrap();
        assert_eq!(
            root,
            d.join("out"),
            "a CasaOS store of just Apps/ is the top"
        );
        assert!(root.join("Apps/a/docker-compose.yml").is_file());
        assert!(!d.join("escaped.txt").exists());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn what_is_not_an_archive_is_refused_in_a_sentence() {
        let d = dir("text");
        let archive = d.join("notes.txt");
        std::fs::write(&archive, "just some text").unwrap();
        let err = unpack_store(&archive, &d.join("out"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is neither a .tar.gz nor a .zip archive"),
            "{err}"
        );
        let empty = d.join("empty.tar.gz");
        tar_gz(&empty, &[]);
        let err = unpack_store(&empty, &d.join("out2"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds no files"), "{err}");
        std::fs::remove_dir_all(&d).ok();
    }
}
