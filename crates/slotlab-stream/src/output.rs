//! Writing an output file without replacing what must not be replaced.
//!
//! Every file slotlab writes (`--out`, `--save`, `--json`, `--charts`,
//! `--rejects`) goes through [`OutputFile`]:
//!
//! - it is checked with [`OutputFile::check`] **before any work**: a path
//!   whose directory is missing, or that names a directory, fails at once
//!   instead of after minutes of measuring;
//! - a path that does not exist or names a regular file is replaced
//!   atomically: the contents go to a uniquely named temporary file created
//!   exclusively in the same directory (never through a planted symlink),
//!   which is fsync'd, given the old file's permissions (a new file gets
//!   0666 less the umask, as a shell redirect would), renamed over the
//!   target, and the directory is fsync'd;
//! - a symlink is followed: the file it names is replaced and the link
//!   stays a link (a dangling link creates its target);
//! - anything that is not a regular file — a device such as `/dev/full`
//!   or `/dev/stdout`, a FIFO — is written in place, never replaced, and a
//!   failed write is an error.
//!
//! A hard-linked regular file is replaced like any other: the path gets
//! the new contents, the other links keep the old ones.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Symlinks followed before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Why an output path cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The directory the file would go into does not exist (or is not a
    /// directory).
    #[error("{path}: no directory {dir}")]
    NoDirectory {
        /// The path as given.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },
    /// The path names a directory.
    #[error("{path} is a directory")]
    IsDirectory {
        /// The path as given.
        path: PathBuf,
    },
    /// The path has no file name (`..`, `/`).
    #[error("{path}: not a file path")]
    NotAFilePath {
        /// The path as given.
        path: PathBuf,
    },
    /// Symlinks that never end at a file.
    #[error("{path}: too many levels of symbolic links")]
    LinkLoop {
        /// The path as given.
        path: PathBuf,
    },
    /// The file system refused.
    #[error("cannot write {path}")]
    Io {
        /// The path as given.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

/// How a checked path will be written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// Replaced atomically: `file` (symlinks resolved) in `dir`, keeping
    /// `mode` when it existed.
    Replace {
        file: PathBuf,
        dir: PathBuf,
        mode: Option<u32>,
        owner: Option<(u32, u32)>,
    },
    /// Written in place: a device, a FIFO, a socket.
    InPlace,
}

/// An output path, checked; [`OutputFile::write`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    path: PathBuf,
    target: Target,
}

impl OutputFile {
    /// Checks `path` before any work is done: its directory exists, it is
    /// not a directory, its symlinks end.
    pub fn check(path: &Path) -> Result<Self, OutputError> {
        let io = |source| OutputError::Io {
            path: path.to_owned(),
            source,
        };
        let file = resolve_links(path)?;
        match fs::metadata(&file) {
            Ok(meta) if meta.is_dir() => Err(OutputError::IsDirectory {
                path: path.to_owned(),
            }),
            Ok(meta) if meta.is_file() => Ok(Self {
                path: path.to_owned(),
                target: Target::Replace {
                    dir: directory_of(path, &file)?,
                    file,
                    mode: Some(meta.permissions().mode()),
                    owner: Some((meta.uid(), meta.gid())),
                },
            }),
            Ok(_) => Ok(Self {
                path: path.to_owned(),
                target: Target::InPlace,
            }),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(Self {
                    path: path.to_owned(),
                    target: Target::Replace {
                        dir: directory_of(path, &file)?,
                        file,
                        mode: None,
                        owner: None,
                    },
                })
            }
            Err(e) => Err(io(e)),
        }
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` whole: atomically for a regular file, in place
    /// for anything else. On an error an earlier file is left as it was.
    pub fn write(&self, contents: &[u8]) -> Result<(), OutputError> {
        let io = |source| OutputError::Io {
            path: self.path.clone(),
            source,
        };
        match &self.target {
            Target::InPlace => {
                let mut file = OpenOptions::new()
                    .write(true)
                    .open(&self.path)
                    .map_err(io)?;
                file.write_all(contents).map_err(io)?;
                file.flush().map_err(io)
            }
            Target::Replace {
                file,
                dir,
                mode,
                owner,
            } => replace(file, dir, *mode, *owner, contents).map_err(io),
        }
    }
}

/// The file `path` finally names, following symlinks (relative ones from
/// the link's own directory); the path itself when it is not a link.
fn resolve_links(path: &Path) -> Result<PathBuf, OutputError> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current).map_err(|source| OutputError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(OutputError::LinkLoop {
        path: path.to_owned(),
    })
}

/// The existing directory `file` (the resolved `path`) goes into.
fn directory_of(path: &Path, file: &Path) -> Result<PathBuf, OutputError> {
    if file.file_name().is_none() {
        return Err(OutputError::NotAFilePath {
            path: path.to_owned(),
        });
    }
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if fs::metadata(&dir).is_ok_and(|m| m.is_dir()) {
        Ok(dir)
    } else {
        Err(OutputError::NoDirectory {
            path: path.to_owned(),
            dir,
        })
    }
}

/// A unique temporary file in `dir`, written, synced, given `mode` (or
/// 0666 less the umask), renamed over `file`, and `dir` synced.
fn replace(
    file: &Path,
    dir: &Path,
    mode: Option<u32>,
    owner: Option<(u32, u32)>,
    contents: &[u8],
) -> io::Result<()> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // `tempfile` opens with O_CREAT | O_EXCL under a random name, so a
    // planted file or symlink is never written through; the open mode is
    // masked by the umask as any new file's is.
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)?;
    temp.write_all(contents)?;
    if let Some(mode) = mode {
        temp.as_file()
            .set_permissions(Permissions::from_mode(mode & 0o7777))?;
    }
    if let Some((uid, gid)) = owner {
        // Only root may give a file away; anyone else keeps their own.
        let _ = std::os::unix::fs::fchown(temp.as_file(), Some(uid), Some(gid));
    }
    temp.as_file().sync_all()?;
    temp.persist(file).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(path: &Path, text: &str) -> Result<(), OutputError> {
        OutputFile::check(path)?.write(text.as_bytes())
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn new_and_existing_files_are_replaced_whole_keeping_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write(&path, "one").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "one");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o600, 0o600, "{mode:o}");
        assert_eq!(mode & 0o111, 0, "{mode:o}");
        fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        write(&path, "two").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        assert_eq!(entries(dir.path()), ["out.json"], "no temp file is left");
    }

    #[test]
    fn a_planted_temp_name_symlink_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "precious").unwrap();
        // The names a fixed-name writer would have used.
        for planted in [".report.json.tmp", ".report.json", "report.json.tmp"] {
            symlink(&victim, dir.path().join(planted)).unwrap();
        }
        write(&dir.path().join("report.json"), "results").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(
            fs::read_to_string(dir.path().join("report.json")).unwrap(),
            "results"
        );
    }

    #[test]
    fn a_symlink_stays_a_link_and_its_target_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.txt");
        symlink("real.txt", &link).unwrap();
        write(&link, "new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling");
        symlink("made.txt", &dangling).unwrap();
        write(&dangling, "made").unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("made.txt")).unwrap(),
            "made"
        );
        // A loop is an error, not a hang.
        symlink("loop-b", dir.path().join("loop-a")).unwrap();
        symlink("loop-a", dir.path().join("loop-b")).unwrap();
        let err = OutputFile::check(&dir.path().join("loop-a")).unwrap_err();
        assert!(matches!(err, OutputError::LinkLoop { .. }), "{err}");
    }

    #[test]
    fn a_fifo_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
        };
        write(&fifo, "through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(!fs::metadata(&fifo).unwrap().is_file(), "still a FIFO");
    }

    #[test]
    fn a_full_device_is_an_error_and_stays_a_device() {
        let full = Path::new("/dev/full");
        if !full.exists() {
            eprintln!("skipped: no /dev/full here");
            return;
        }
        let err = write(full, "x").unwrap_err();
        let OutputError::Io { source, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(source.raw_os_error(), Some(28), "{err}"); // ENOSPC
        assert!(!fs::metadata(full).unwrap().is_file());
    }

    #[test]
    fn bad_paths_fail_when_checked() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir/out.json");
        assert!(matches!(
            OutputFile::check(&missing),
            Err(OutputError::NoDirectory { .. })
        ));
        assert!(matches!(
            OutputFile::check(dir.path()),
            Err(OutputError::IsDirectory { .. })
        ));
        let file = dir.path().join("plain");
        fs::write(&file, "").unwrap();
        assert!(matches!(
            OutputFile::check(&file.join("below")),
            Err(OutputError::NoDirectory { .. })
        ));
    }

    #[test]
    fn concurrent_writers_each_write_a_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("same.json");
        let writers: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let text = format!("writer {i} ").repeat(10_000);
                    write(&path, &text).map(|()| text)
                })
            })
            .collect();
        let texts: Vec<String> = writers
            .into_iter()
            .map(|w| w.join().unwrap().unwrap())
            .collect();
        let got = fs::read_to_string(&path).unwrap();
        assert!(texts.contains(&got), "one writer's whole text");
        assert_eq!(entries(dir.path()), ["same.json"]);
    }
}
