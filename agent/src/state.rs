//! What the agent must remember across restarts: its enrollment (node key,
//! device id, the server it belongs to) and the last report sequence.
//!
//! Kept in one JSON file in the state directory, written atomically (temp
//! file, fsync, rename) so a crash or power cut leaves the old or the new
//! state, never half of one. The directory is private to the agent's user.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

const STATE_FILE: &str = "agent-state.json";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot create state directory {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid agent state file ({source}); move it away to enroll again")]
    Corrupt { path: PathBuf, source: serde_json::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path} holds no valid spooled inventory ({reason})")]
    BadSpool { path: PathBuf, reason: String },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentState {
    /// The enrollment, when there is one.
    pub enrollment: Option<Enrollment>,
    /// Sequence number of the last report sent under this enrollment.
    pub sequence: u64,
    /// A random identifier, made once, for machines whose OS has none.
    pub fallback_machine_id: Option<String>,
    /// Section name → hex hash the server last confirmed holding: the next
    /// report leaves these sections out while they stay the same.
    #[serde(default)]
    pub acked_sections: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrollment {
    /// The server this key belongs to; another server means enrolling again.
    pub server_url: String,
    pub device_id: u64,
    pub node_key: String,
}

/// The state directory and the file in it.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// Opens (creating if needed, with owner-only permissions) the directory.
    pub fn open(dir: &Path) -> Result<StateDir, StateError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StateError::CreateDir { path: dir.to_path_buf(), source })?;
        restrict_to_owner(dir, 0o700);
        Ok(StateDir { dir: dir.to_path_buf() })
    }

    /// A directory that exists, as it is: for reading it (`status`), or
    /// writing into a directory someone else owns (`/etc/parc`).
    pub fn existing(dir: &Path) -> StateDir {
        StateDir { dir: dir.to_path_buf() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// The saved state, or a fresh one when there is none yet.
    pub fn load(&self) -> Result<AgentState, StateError> {
        let path = self.path();
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| StateError::Corrupt { path, source })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AgentState::default()),
            Err(source) => Err(StateError::Read { path, source }),
        }
    }

    /// Replaces the saved state atomically.
    pub fn save(&self, state: &AgentState) -> Result<(), StateError> {
        let bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| StateError::Write { path: self.path(), source: std::io::Error::other(e) })?;
        self.write_atomically(STATE_FILE, &bytes)
    }

    /// Replaces `name` in the directory with `bytes`: a temp file, fsync,
    /// rename, fsync of the directory. A crash at any point leaves the old
    /// file or the new one; a full disk leaves the old one and an error.
    pub(crate) fn write_atomically(&self, name: &str, bytes: &[u8]) -> Result<(), StateError> {
        let path = self.dir.join(name);
        let temp = self.dir.join(format!(".{name}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temp)?;
            restrict_to_owner(&temp, 0o600);
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &path)?;
            sync_dir(&self.dir);
            Ok(())
        };
        write().map_err(|source| {
            // Do not leave a partial temp file taking the space that ran out.
            let _ = std::fs::remove_file(&temp);
            StateError::Write { path, source }
        })
    }

    /// A file of the directory, such as the spool.
    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

#[cfg(unix)]
fn restrict_to_owner(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(error) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
        tracing::warn!(path = %path.display(), %error, "cannot restrict permissions");
    }
}

/// On Windows: a protected ACL giving SYSTEM, Administrators and the
/// owner full control and nobody else anything (%ProgramData% otherwise
/// lets every user read what the service writes there).
#[cfg(windows)]
fn restrict_to_owner(path: &Path, _mode: u32) {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Authorization::{
        ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
    };
    use windows_sys::Win32::Security::{
        SetFileSecurityW, DACL_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION,
        PSECURITY_DESCRIPTOR,
    };
    let sddl = if path.is_dir() {
        "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;OW)"
    } else {
        "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)"
    };
    let wide = |text: &std::ffi::OsStr| text.encode_wide().chain(Some(0)).collect::<Vec<u16>>();
    let (sddl, file) = (wide(std::ffi::OsStr::new(sddl)), wide(path.as_os_str()));
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: both strings are NUL-terminated UTF-16 that outlive the calls;
    // the descriptor the first call allocates is freed once, after use.
    let applied = unsafe {
        let made = ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            std::ptr::null_mut(),
        ) != 0;
        let applied = made
            && SetFileSecurityW(
                file.as_ptr(),
                DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                descriptor,
            ) != 0;
        if !descriptor.is_null() {
            LocalFree(descriptor);
        }
        applied
    };
    if !applied {
        let error = std::io::Error::last_os_error();
        tracing::warn!(path = %path.display(), %error, "cannot restrict permissions");
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_survives_a_save_and_load() {
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::open(&dir.path().join("state")).unwrap();
        assert_eq!(states.load().unwrap(), AgentState::default());
        let state = AgentState {
            enrollment: Some(Enrollment {
                server_url: "http://x:1".into(),
                device_id: 7,
                node_key: "k".into(),
            }),
            sequence: 41,
            fallback_machine_id: None,
            acked_sections: [("os".to_string(), "00ff".to_string())].into_iter().collect(),
        };
        states.save(&state).unwrap();
        assert_eq!(states.load().unwrap(), state);
    }

    #[cfg(unix)]
    #[test]
    fn state_is_private_to_the_agent() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::open(&dir.path().join("state")).unwrap();
        states.save(&AgentState::default()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("state")), 0o700);
        assert_eq!(mode(&states.path()), 0o600);
    }

    #[test]
    fn a_corrupt_state_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::open(dir.path()).unwrap();
        std::fs::write(states.path(), b"{ not json").unwrap();
        let message = states.load().unwrap_err().to_string();
        assert!(message.contains("agent-state.json") && message.contains("not a valid"), "{message}");
    }
}
