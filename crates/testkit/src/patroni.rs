//! A highly available PostgreSQL of a test's own on loopback: one etcd and two Patroni nodes
//! (Debian's `etcd-server` and `patroni`, PostgreSQL 15), a primary and a streaming replica that
//! Patroni promotes when the primary dies. `./dev proof` runs the hub on it (benches/hub_ha.rs).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Patroni and etcd from Debian; the path is Patroni's command.
pub fn patroni() -> crate::OutsideTool {
    crate::OutsideTool {
        name: "Patroni with etcd",
        paths: vec![
            PathBuf::from("/usr/bin/patroni"),
            PathBuf::from("/usr/bin/etcd"),
            PathBuf::from("/usr/lib/postgresql/15/bin/postgres"),
        ],
        install: "./dev proof installs patroni and etcd-server (apt)",
    }
}

/// One Patroni node: its process, its PostgreSQL port and its REST port.
pub struct Node {
    pub name: String,
    pub port: u16,
    rest: u16,
    data: PathBuf,
    patroni: Option<Child>,
}

pub struct PatroniCluster {
    etcd: Child,
    pub nodes: Vec<Node>,
}

/// A port free now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs as `postgres` when root (the server refuses root); `exec`s, so the child's pid is the
/// tool's own and a SIGKILL reaches it.
fn as_postgres(exe: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--clear-groups",
            "--",
            exe,
        ]);
        c
    } else {
        Command::new(exe)
    }
}

fn log(dir: &Path, name: &str) -> Stdio {
    std::fs::File::create(dir.join(format!("{name}.log")))
        .unwrap()
        .into()
}

/// Is something answering `GET path` on the loopback `port` with 200?
fn answers_200(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

impl PatroniCluster {
    /// etcd and two nodes under `dir` (created, given to `postgres`); returns once one node leads
    /// and the other streams from it.
    pub fn start(dir: &Path) -> PatroniCluster {
        std::fs::create_dir_all(dir).unwrap();
        let (client, peer) = (free_port(), free_port());
        let etcd = Command::new("etcd")
            .args(["--name", "e1", "--data-dir"])
            .arg(dir.join("etcd"))
            .args([
                "--listen-client-urls",
                &format!("http://127.0.0.1:{client}"),
                "--advertise-client-urls",
                &format!("http://127.0.0.1:{client}"),
                "--listen-peer-urls",
                &format!("http://127.0.0.1:{peer}"),
                "--initial-advertise-peer-urls",
                &format!("http://127.0.0.1:{peer}"),
                "--initial-cluster",
                &format!("e1=http://127.0.0.1:{peer}"),
                // Debian's Patroni speaks etcd's v2 API.
                "--enable-v2=true",
            ])
            .stdout(Stdio::null())
            .stderr(log(dir, "etcd"))
            .spawn()
            .expect("etcd runs");
        let nodes: Vec<Node> = (1..=2)
            .map(|n| {
                let (port, rest) = (free_port(), free_port());
                let data = dir.join(format!("pg{n}"));
                let yml = format!(
                    "scope: camdock-hub
name: node{n}
restapi:
  listen: 127.0.0.1:{rest}
  connect_address: 127.0.0.1:{rest}
etcd:
  host: 127.0.0.1:{client}
bootstrap:
  dcs:
    # A dead leader's key expires after ttl; a replica then takes over within a loop or two.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1073741824
    # A commit acknowledged is on the replica too: what the hub keeps only in its database (an
    # enrolment, the statement it last published) survives the primary.
    synchronous_mode: true
  initdb:
    - encoding: UTF8
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:{port}
  connect_address: 127.0.0.1:{port}
  data_dir: {data}
  bin_dir: /usr/lib/postgresql/15/bin
  pgpass: {dir}/pgpass{n}
  authentication:
    replication:
      username: replicator
      password: replicator
    superuser:
      username: postgres
      password: postgres
  parameters:
    unix_socket_directories: {dir}
",
                    data = data.display(),
                    dir = dir.display()
                );
                std::fs::write(dir.join(format!("node{n}.yml")), yml).unwrap();
                Node {
                    name: format!("node{n}"),
                    port,
                    rest,
                    data,
                    patroni: None,
                }
            })
            .collect();
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status();
        let mut cluster = PatroniCluster { etcd, nodes };
        for i in 0..cluster.nodes.len() {
            let name = cluster.nodes[i].name.clone();
            let child = as_postgres("patroni")
                .arg(dir.join(format!("{name}.yml")))
                .stdout(log(dir, &format!("{name}-out")))
                .stderr(log(dir, &name))
                .spawn()
                .expect("patroni runs");
            cluster.nodes[i].patroni = Some(child);
            if i == 0 {
                // The first node bootstraps the cluster and leads; the second then clones it.
                cluster.wait_for(Duration::from_secs(60), "a leader", |c| {
                    c.leader().is_some()
                });
            }
        }
        cluster.wait_for(Duration::from_secs(90), "a streaming replica", |c| {
            c.nodes.iter().any(|n| answers_200(n.rest, "/replica"))
        });
        cluster
    }

    fn wait_for(&self, limit: Duration, what: &str, ready: impl Fn(&Self) -> bool) {
        let t = Instant::now();
        while !ready(self) {
            assert!(
                t.elapsed() < limit,
                "no {what} in the Patroni cluster within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The node that leads now (its Patroni answers `/leader` with 200).
    pub fn leader(&self) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|n| n.patroni.is_some() && answers_200(n.rest, "/leader"))
    }

    /// A libpq connection string that finds the primary whichever node it is.
    pub fn url(&self, database: &str) -> String {
        let hosts = vec!["127.0.0.1"; self.nodes.len()].join(",");
        let ports: Vec<String> = self.nodes.iter().map(|n| n.port.to_string()).collect();
        format!(
            "host={hosts} port={} user=postgres dbname={database} target_session_attrs=read-write connect_timeout=2 keepalives_idle=10 tcp_user_timeout=30",
            ports.join(",")
        )
    }

    /// Kills the leader as a crash would: SIGKILL to its Patroni and to its PostgreSQL's
    /// postmaster (whose children then exit). Returns its name.
    pub fn kill_leader(&mut self) -> String {
        let name = self.leader().expect("a leader to kill").name.clone();
        let node = self.nodes.iter_mut().find(|n| n.name == name).unwrap();
        if let Some(mut p) = node.patroni.take() {
            let _ = p.kill();
            let _ = p.wait();
        }
        let pid = std::fs::read_to_string(node.data.join("postmaster.pid")).unwrap_or_default();
        if let Some(pid) = pid
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<i32>().ok())
        {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        name
    }

    /// Waits for a leader other than `dead`; how long it took.
    pub fn failover(&self, dead: &str, limit: Duration) -> Duration {
        let t = Instant::now();
        self.wait_for(limit, "new leader", |c| {
            c.leader().is_some_and(|n| n.name != dead)
        });
        t.elapsed()
    }
}

impl Drop for PatroniCluster {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut p) = n.patroni.take() {
                let _ = p.kill();
                let _ = p.wait();
            }
            // Patroni killed leaves its server running: stop it fast.
            let _ = as_postgres("/usr/lib/postgresql/15/bin/pg_ctl")
                .args(["-D"])
                .arg(&n.data)
                .args(["-m", "immediate", "stop"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.etcd.kill();
        let _ = self.etcd.wait();
    }
}
