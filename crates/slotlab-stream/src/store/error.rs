//! Why a store could not be opened or written.

use super::STORE_VERSION;
use crate::StreamError;
use std::path::PathBuf;

/// Why a store could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file system refused.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// Another process has the store open.
    #[error("{0} is open in another process (its LOCK is held)")]
    Locked(PathBuf),
    /// A store of another format version.
    #[error("{path}: store format version {found}; this slotlab reads version {STORE_VERSION}")]
    Version {
        /// The manifest.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// The manifest cannot be read, or says another schema than asked.
    #[error("{path}: {problem}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A segment the manifest lists is not there.
    #[error("{0}: a segment the MANIFEST lists is missing")]
    MissingSegment(PathBuf),
    /// A segment file the manifest does not list, and no crash explains.
    #[error("{0}: a segment the MANIFEST does not list")]
    UnexpectedSegment(PathBuf),
    /// Something corrupt before the end of a file (not a torn tail).
    #[error("{path}: corrupt at byte {offset}: {problem}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where.
        offset: u64,
        /// What.
        problem: String,
    },
    /// An earlier write failed; nothing more is taken.
    #[error("an earlier write to the store failed; reopen it to recover")]
    Broken,
    /// The stream refused an event.
    #[error(transparent)]
    Stream(#[from] StreamError),
}
