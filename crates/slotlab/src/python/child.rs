//! Running an interpreter as a child that cannot hang slotlab or outlive
//! it: a time limit, a cap on what is read from its stdout, the last part
//! of its stderr kept, and on any of them — or on Ctrl-C / SIGTERM through
//! [`kill_children`] — its whole process group killed and reaped.
//!
//! Each child runs in a process group of its own (so a script's own
//! subprocesses go with it, and the terminal's Ctrl-C reaches slotlab
//! rather than the child halfway through a measurement). The groups alive
//! are kept in one registry; [`kill_children`] closes the registry, so no
//! child starts after it.

use super::PythonError;
use rustix::process::{Pid, Signal, kill_process, kill_process_group};
use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

/// How long a child may run and how much of its output is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildLimits {
    /// Killed after this long.
    pub timeout: Duration,
    /// Killed when it prints more than this on stdout.
    pub max_stdout: usize,
}

impl ChildLimits {
    /// An hour (a 10M-object sweep case takes minutes) and 64 MiB (the
    /// largest protocol output, `gc`'s pauses, is kilobytes).
    pub const DEFAULT: Self = Self {
        timeout: Duration::from_secs(3600),
        max_stdout: 64 << 20,
    };
}

impl Default for ChildLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Bytes of stderr kept for an error message: the end, where Python's
/// traceback ends.
const STDERR_KEPT: usize = 64 << 10;

/// How often a running child is looked at.
const POLL: Duration = Duration::from_millis(10);

/// The children alive (by pid, and whether each leads a process group of
/// its own), and whether new ones may start.
struct Registry {
    groups: BTreeSet<(i32, bool)>,
    closed: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    groups: BTreeSet::new(),
    closed: false,
});

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Kills every child's process group and lets no new child start; how
/// many groups were killed. For the CLI's Ctrl-C/SIGTERM handler: after
/// it, every run of an interpreter fails with
/// [`PythonError::Interrupted`].
pub fn kill_children() -> usize {
    let mut registry = registry();
    registry.closed = true;
    for &(pid, own_group) in &registry.groups {
        signal_child(pid, own_group, Signal::KILL);
    }
    registry.groups.len()
}

/// Sends SIGINT to every child (a program under `census` then ends as on
/// Ctrl-C: its census is still taken); how many.
pub fn interrupt_children() -> usize {
    signal_children(Signal::INT)
}

/// Snapshots asked for with [`snapshot_children`] so far.
static SNAPSHOTS_ASKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sends SIGUSR1 to every child (a census snapshot under `census --at
/// signal`); how many.
pub fn snapshot_children() -> usize {
    SNAPSHOTS_ASKED.fetch_add(1, Relaxed);
    signal_children(Signal::USR1)
}

/// How many times [`snapshot_children`] was called.
pub fn snapshots_asked() -> usize {
    SNAPSHOTS_ASKED.load(Relaxed)
}

fn signal_children(signal: Signal) -> usize {
    let registry = registry();
    for &(pid, own_group) in &registry.groups {
        signal_child(pid, own_group, signal);
    }
    registry.groups.len()
}

/// Signals a child's group, or the child alone when it shares ours.
fn signal_child(pid: i32, own_group: bool, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pid).filter(|p| !p.is_init()) {
        // Already gone is fine: it is being reaped.
        let _ = if own_group {
            kill_process_group(pid, signal)
        } else {
            kill_process(pid, signal)
        };
    }
}

/// Children whose process group is still registered (killed ones leave
/// once reaped).
pub fn children_alive() -> usize {
    registry().groups.len()
}

/// A child, registered for as long as this lives.
struct Group(i32, bool);

impl Group {
    fn kill(&self) {
        signal_child(self.0, self.1, Signal::KILL);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        registry().groups.remove(&(self.0, self.1));
    }
}

/// How a child's standard streams are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChildIo {
    /// Stdout read (capped), stderr's end kept, stdin empty; the child in a
    /// process group of its own (the terminal's Ctrl-C reaches slotlab,
    /// which kills the group).
    Captured,
    /// The child shares slotlab's terminal, streams and process group: a
    /// user's program, which may read the terminal and gets Ctrl-C itself.
    Inherited,
}

/// What a finished child left.
#[derive(Debug)]
pub(super) struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Why a child was killed.
enum Killed {
    Timeout,
    Flood,
    Interrupted,
}

/// Runs `command` under `limits`; its exit status and output, or an error
/// naming `interpreter` and `case` when it could not start, ran too long,
/// printed too much or was interrupted. The child is reaped on every path.
pub(super) fn run(
    mut command: Command,
    interpreter: &str,
    case: &str,
    limits: ChildLimits,
    io: ChildIo,
) -> Result<Finished, PythonError> {
    let own_group = io == ChildIo::Captured;
    if own_group {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
    }
    let (mut child, group) = {
        let mut registry = registry();
        if registry.closed {
            return Err(PythonError::Interrupted {
                interpreter: interpreter.to_owned(),
                case: case.to_owned(),
            });
        }
        let child = command.spawn().map_err(|source| PythonError::NotFound {
            interpreter: interpreter.to_owned(),
            source,
        })?;
        let id = i32::try_from(child.id()).unwrap_or(0);
        registry.groups.insert((id, own_group));
        (child, Group(id, own_group))
    };
    let flooded = std::sync::Arc::new(AtomicBool::new(false));
    let stdout = child.stdout.take().map(|pipe| {
        let flooded = std::sync::Arc::clone(&flooded);
        thread::spawn(move || read_capped(pipe, limits.max_stdout, &flooded))
    });
    let stderr = child
        .stderr
        .take()
        .map(|pipe| thread::spawn(move || read_tail(pipe, STDERR_KEPT)));
    let outcome = wait(&mut child, &group, limits, &flooded);
    // The readers end when the pipes close: the child is gone now.
    let stdout = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    drop(group);
    let (interpreter, case) = (interpreter.to_owned(), case.to_owned());
    match outcome {
        Ok(status) => Ok(Finished {
            status,
            stdout,
            stderr,
        }),
        Err(Killed::Timeout) => Err(PythonError::TimedOut {
            interpreter,
            case,
            limit: limits.timeout,
        }),
        Err(Killed::Flood) => Err(PythonError::TooMuchOutput {
            interpreter,
            case,
            limit: limits.max_stdout,
        }),
        Err(Killed::Interrupted) => Err(PythonError::Interrupted { interpreter, case }),
    }
}

/// Waits for `child`, killing its group on the time limit, a flood of
/// output or an interruption; the child is reaped either way.
fn wait(
    child: &mut Child,
    group: &Group,
    limits: ChildLimits,
    flooded: &AtomicBool,
) -> Result<ExitStatus, Killed> {
    let deadline = Instant::now() + limits.timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                // The script's own children go with it.
                if group.1 {
                    group.kill();
                }
                return if flooded.load(Relaxed) {
                    Err(Killed::Flood)
                } else if registry().closed {
                    // Killed by kill_children, or ended as it ran.
                    Err(Killed::Interrupted)
                } else {
                    Ok(status)
                };
            }
            Ok(None) => {}
            Err(_) => break,
        }
        let why = if registry().closed {
            Some(Killed::Interrupted)
        } else if flooded.load(Relaxed) {
            Some(Killed::Flood)
        } else if Instant::now() >= deadline {
            Some(Killed::Timeout)
        } else {
            None
        };
        if let Some(why) = why {
            group.kill();
            let _ = child.wait();
            return Err(why);
        }
        thread::sleep(POLL);
    }
    group.kill();
    let _ = child.wait();
    Err(Killed::Interrupted)
}

/// Reads `pipe` to its end, keeping at most `cap` bytes; past that, sets
/// `flooded` and stops reading (the child is then killed).
fn read_capped(mut pipe: impl Read, cap: usize, flooded: &AtomicBool) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 64 << 10];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => return kept,
            Ok(n) if kept.len() + n > cap => {
                flooded.store(true, Relaxed);
                return kept;
            }
            Ok(n) => kept.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads `pipe` to its end, keeping the last `keep` bytes.
fn read_tail(mut pipe: impl Read, keep: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 16 << 10];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * keep {
                    kept.drain(..kept.len() - keep);
                }
            }
        }
    }
    if kept.len() > keep {
        kept.drain(..kept.len() - keep);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn a_child_that_never_ends_is_killed_at_its_time_limit() {
        let limits = ChildLimits {
            timeout: Duration::from_millis(200),
            ..ChildLimits::DEFAULT
        };
        // A grandchild in the same group must go too.
        let err = run(
            sh("sleep 30 & sleep 30"),
            "sh",
            "sleepy",
            limits,
            ChildIo::Captured,
        )
        .unwrap_err();
        assert!(matches!(err, PythonError::TimedOut { .. }), "{err}");
        assert!(err.to_string().contains("sleepy"), "{err}");
    }

    #[test]
    fn a_flood_of_output_is_cut_and_the_child_killed() {
        let limits = ChildLimits {
            max_stdout: 1 << 20,
            ..ChildLimits::DEFAULT
        };
        let err = run(sh("yes flood"), "sh", "flood", limits, ChildIo::Captured).unwrap_err();
        assert!(matches!(err, PythonError::TooMuchOutput { .. }), "{err}");
    }

    #[test]
    fn output_and_the_end_of_stderr_come_back() {
        let done = run(
            sh("echo out; i=0; while [ $i -lt 5000 ]; do echo line $i >&2; i=$((i+1)); done; exit 3"),
            "sh",
            "ok",
            ChildLimits::DEFAULT,
            ChildIo::Captured,
        )
        .unwrap();
        assert_eq!(done.stdout, b"out\n");
        assert_eq!(done.status.code(), Some(3));
        let stderr = String::from_utf8(done.stderr).unwrap();
        assert!(stderr.ends_with("line 4999\n"), "{stderr}");
        // Under valgrind a failed exec is not reported back to the parent
        // (the child runs under the tool): that case is checked natively.
        if std::env::var("LD_PRELOAD").is_ok_and(|p| p.contains("vgpreload")) {
            eprintln!("skipped under valgrind: a program that cannot be started");
            return;
        }
        let missing = run(
            Command::new("/nonexistent"),
            "/nonexistent",
            "probe",
            ChildLimits::DEFAULT,
            ChildIo::Captured,
        );
        assert!(matches!(missing, Err(PythonError::NotFound { .. })));
    }

    #[test]
    fn tails_keep_the_end() {
        let text: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 251) as u8..=(i % 251) as u8)
            .collect();
        let tail = read_tail(&text[..], 1000);
        assert_eq!(tail, &text[text.len() - 1000..]);
        let flooded = AtomicBool::new(false);
        assert_eq!(read_capped(&text[..], 200_000, &flooded).len(), 100_000);
        assert!(!flooded.load(Relaxed));
        read_capped(&text[..], 1000, &flooded);
        assert!(flooded.load(Relaxed));
    }
}
