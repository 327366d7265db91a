//! A real `nats-server` with JetStream, started and stopped by a test on a
//! loopback port with a temporary store directory.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

fn binary() -> Option<String> {
    [
        "nats-server",
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
    ]
    .into_iter()
    .find(|b| Command::new(b).arg("--version").output().is_ok())
    .map(str::to_owned)
}

/// The server binary, or `None` (and a visible skip) without one — a
/// failure instead when `SLOTLAB_REQUIRE_NATS` is set (CI installs it).
fn available() -> Option<String> {
    let found = binary();
    if found.is_none() {
        assert!(
            std::env::var_os("SLOTLAB_REQUIRE_NATS").is_none(),
            "nats-server is required here (SLOTLAB_REQUIRE_NATS is set)"
        );
        eprintln!("skipped: no nats-server on PATH (apt-get install nats-server)");
    }
    found
}

/// A free loopback port (free now: another process may take it before the
/// server binds it, so starts are retried).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// Waits until `child` listens on `port`: `false` if it exited first (the
/// port taken meanwhile).
fn listening(child: &mut Child, port: u16) -> bool {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nats-server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

impl Server {
    /// Starts one, or `None` (and says so) when the machine has no
    /// `nats-server` — a failure instead when `SLOTLAB_REQUIRE_NATS` is set
    /// (CI installs it).
    pub fn start() -> Option<Server> {
        let bin = available()?;
        for _ in 0..5 {
            let port = free_port();
            let dir = tempfile::tempdir().unwrap();
            let child = Command::new(&bin)
                .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut server = Server {
                child,
                url: format!("nats://127.0.0.1:{port}"),
                _dir: dir,
            };
            if listening(&mut server.child, port) {
                return Some(server);
            }
        }
        panic!("nats-server did not start in five tries");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Three servers clustered on loopback (JetStream replicated across them);
/// each killed when dropped, or earlier with [`Cluster::kill`].
#[allow(dead_code)] // not every test file starts a cluster
pub struct Cluster {
    nodes: Vec<Option<Child>>,
    pub urls: Vec<String>,
    _dirs: Vec<tempfile::TempDir>,
}

#[allow(dead_code)]
impl Cluster {
    /// Starts three nodes, or `None` as [`Server::start`] does.
    pub fn start() -> Option<Cluster> {
        let bin = available()?;
        for _ in 0..5 {
            if let Some(cluster) = Self::try_start(&bin) {
                // JetStream's meta leader is elected a few seconds after
                // routes form.
                std::thread::sleep(Duration::from_secs(5));
                return Some(cluster);
            }
        }
        panic!("a three-node cluster did not start in five tries");
    }

    fn try_start(bin: &str) -> Option<Cluster> {
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let routes: Vec<String> = ports
            .iter()
            .map(|(_, c)| format!("nats://127.0.0.1:{c}"))
            .collect();
        let mut cluster = Cluster {
            nodes: Vec::new(),
            urls: Vec::new(),
            _dirs: Vec::new(),
        };
        for (i, (port, cport)) in ports.iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let child = Command::new(bin)
                .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
                .args(["-n", &format!("n{i}"), "--cluster_name", "slotlab"])
                .args(["--cluster", &format!("nats://127.0.0.1:{cport}")])
                .args(["--routes", &routes.join(","), "-sd"])
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            cluster.nodes.push(Some(child));
            cluster.urls.push(format!("nats://127.0.0.1:{port}"));
            cluster._dirs.push(dir);
        }
        for (i, (port, _)) in ports.iter().enumerate() {
            let node = cluster.nodes[i].as_mut()?;
            if !listening(node, *port) {
                return None;
            }
        }
        Some(cluster)
    }

    /// Kills node `i` with SIGKILL.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}
