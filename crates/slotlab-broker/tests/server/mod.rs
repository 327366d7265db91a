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

impl Server {
    /// Starts one, or `None` (and says so) when the machine has no
    /// `nats-server` — a failure instead when `SLOTLAB_REQUIRE_NATS` is set
    /// (CI installs it).
    pub fn start() -> Option<Server> {
        let Some(bin) = binary() else {
            assert!(
                std::env::var_os("SLOTLAB_REQUIRE_NATS").is_none(),
                "nats-server is required here (SLOTLAB_REQUIRE_NATS is set)"
            );
            eprintln!("skipped: no nats-server on PATH (apt-get install nats-server)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new(bin)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server {
            child,
            url: format!("nats://127.0.0.1:{port}"),
            _dir: dir,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "nats-server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
