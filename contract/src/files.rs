//! Writing files whole: a report or a certificate a reader never sees half of, and key material
//! only its owner can read.

use std::io::Write as _;
use std::path::Path;

/// Writes `contents` to `path` whole: to a temporary file beside it, then renamed over it, so a
/// reader (or a crash) never meets half a file.
pub fn write_whole(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    replace_with(path, std::fs::OpenOptions::new(), contents)
}

/// Writes `contents` to a new temporary file beside `path` opened with `options`, then renames it
/// over `path`. The temporary file is created new (`create_new`): a link planted at its name is
/// not followed, a leftover of a crashed process is removed first.
fn replace_with(path: &Path, mut options: std::fs::OpenOptions, contents: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    options.write(true).create_new(true);
    let written = (|| {
        let mut file = options.open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Writes a file only its owner can read (mode 0600): it holds key material or a token. A file
/// already there keeps the mode it was created with when truncated in place (0644 from an earlier
/// tool, say), so the contents go to a new file of mode 0600 that then replaces it; a reader never
/// sees half a key.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    replace_with(path, options, contents)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn a_private_file_is_0600_even_over_a_readable_one() {
        let dir = tempfile_dir();
        let path = dir.join("key.pem");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_nothing_behind() {
        let dir = tempfile_dir();
        let err = write_private(&dir.join("missing").join("key.pem"), b"k").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        // A folder where the file should go: the rename fails, and no temporary file stays.
        std::fs::create_dir(dir.join("report.json")).unwrap();
        assert!(write_whole(&dir.join("report.json"), b"{}").is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_whole_write_replaces_the_file() {
        let dir = tempfile_dir();
        let path = dir.join("report.json");
        std::fs::write(&path, "old, longer than the new").unwrap();
        write_whole(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A fresh folder under the system's temp dir (contract has no tempfile dependency).
    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("contract-files-{}-{}", std::process::id(), crate::unix_now_ms()));
        let dir = dir.with_extension(format!("{:x}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
