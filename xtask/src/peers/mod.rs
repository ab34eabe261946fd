//! Network test peers: small servers and clients on the host's loopback that an image declares
//! with `[[peer]]` tables. `cargo xtask test`, `run` and `bench` start them before QEMU and stop
//! them after it (also when QEMU fails or times out); each stopped peer leaves a one-line report
//! (`peer tcp-echo:17007: 12 connections, 131072 bytes echoed`) that the test runner appends to
//! the captured output before judging it.
//!
//! Every peer is plain `std::net` on 127.0.0.1 and threads; no external programs. The guest
//! reaches them at 10.0.2.2, which QEMU's user-mode network maps to the host's 127.0.0.1 when it
//! is not restricted (see [`crate::qemu::Network`]). Intruders are the other direction: QEMU
//! forwards a host port to a guest port, and the intruder keeps knocking on the host side.

pub mod dns;
mod intruder;
pub mod sntp;
mod tcp;
mod udp;

use std::collections::BTreeMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{bail, Result};

/// Lowest port a peer may use: the peers run as an ordinary user.
pub const MIN_PORT: u16 = 1024;
/// Most peers one image may declare.
pub const MAX_PEERS: usize = 16;
/// Default time between two attempts of an intruder.
pub const DEFAULT_INTERVAL_MS: u64 = 100;
/// How often blocked peer threads look at their stop flag.
const POLL: Duration = Duration::from_millis(20);

/// One `[[peer]]` of a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSpec {
    pub kind: PeerKind,
    /// 127.0.0.1 port: where the peer listens, or for an intruder, the host end of QEMU's
    /// forwarding rule.
    pub port: u16,
}

/// What a peer does, with its kind-specific settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerKind {
    /// Echoes every byte, on many sequential and concurrent connections.
    TcpEcho,
    /// Reads and discards; after the client's half-close, answers the byte count (8 bytes, big
    /// endian) and closes.
    TcpSink,
    /// Echoes `bytes` bytes, then resets the connection (SO_LINGER 0).
    TcpCloseAfter { bytes: u64 },
    /// Accepts and never reads or answers.
    TcpSilent,
    /// Echoes datagrams.
    UdpEcho,
    /// Answers DNS A queries from `records` (lower-case names without the final dot).
    Dns { records: BTreeMap<String, Ipv4Addr> },
    /// Answers SNTP client requests; `unix_time` fixes the time it tells (else the host clock).
    Sntp { unix_time: Option<u64> },
    /// Connects to the host end of `hostfwd=tcp:127.0.0.1:port-:guest_port` every `interval_ms`.
    TcpIntruder { guest_port: u16, interval_ms: u64 },
    /// Sends a datagram to the host end of `hostfwd=udp:...` every `interval_ms`.
    UdpIntruder { guest_port: u16, interval_ms: u64 },
}

/// The manifest spellings of the kinds.
pub const KIND_NAMES: [&str; 9] = [
    "tcp-echo",
    "tcp-sink",
    "tcp-close-after",
    "tcp-silent",
    "udp-echo",
    "dns",
    "sntp",
    "tcp-intruder",
    "udp-intruder",
];

impl PeerKind {
    /// The manifest spelling.
    pub fn name(&self) -> &'static str {
        match self {
            PeerKind::TcpEcho => "tcp-echo",
            PeerKind::TcpSink => "tcp-sink",
            PeerKind::TcpCloseAfter { .. } => "tcp-close-after",
            PeerKind::TcpSilent => "tcp-silent",
            PeerKind::UdpEcho => "udp-echo",
            PeerKind::Dns { .. } => "dns",
            PeerKind::Sntp { .. } => "sntp",
            PeerKind::TcpIntruder { .. } => "tcp-intruder",
            PeerKind::UdpIntruder { .. } => "udp-intruder",
        }
    }

    /// Whether the peer uses TCP (else UDP).
    pub fn is_tcp(&self) -> bool {
        matches!(
            self,
            PeerKind::TcpEcho
                | PeerKind::TcpSink
                | PeerKind::TcpCloseAfter { .. }
                | PeerKind::TcpSilent
                | PeerKind::TcpIntruder { .. }
        )
    }

    /// The guest port an intruder's traffic is forwarded to.
    pub fn guest_port(&self) -> Option<u16> {
        match self {
            PeerKind::TcpIntruder { guest_port, .. } | PeerKind::UdpIntruder { guest_port, .. } => Some(*guest_port),
            _ => None,
        }
    }
}

impl PeerSpec {
    /// `tcp-echo:17007`, or for an intruder `tcp-intruder:17100->7777`.
    pub fn label(&self) -> String {
        label(&self.kind, self.port)
    }

    /// QEMU's user-network forwarding rule an intruder needs (`hostfwd=tcp:127.0.0.1:P-:G`).
    pub fn hostfwd(&self) -> Option<String> {
        let guest = self.kind.guest_port()?;
        let proto = if self.kind.is_tcp() { "tcp" } else { "udp" };
        Some(format!("hostfwd={proto}:127.0.0.1:{}-:{guest}", self.port))
    }
}

fn label(kind: &PeerKind, port: u16) -> String {
    match kind.guest_port() {
        Some(g) => format!("{}:{port}->{g}", kind.name()),
        None => format!("{}:{port}", kind.name()),
    }
}

/// A started peer: its thread returns the report when the stop flag is set.
struct Running {
    label: String,
    thread: Option<JoinHandle<String>>,
}

/// The peers of one run. Dropping it stops them too (reports discarded), so a failing or
/// panicking caller does not leave threads or sockets behind.
pub struct Peers {
    stop: Arc<AtomicBool>,
    running: Vec<Running>,
}

impl Peers {
    /// No peers.
    pub fn none() -> Peers {
        Peers { stop: Arc::new(AtomicBool::new(false)), running: Vec::new() }
    }

    /// The 127.0.0.1 port each peer uses, in manifest order (tests start them on port 0).
    #[cfg(test)]
    pub fn ports(&self) -> Vec<u16> {
        let port = |label: &str| {
            let after_kind = label.split_once(':').map_or("", |(_, rest)| rest);
            after_kind.split("->").next().and_then(|p| p.parse().ok()).expect("labels are kind:port")
        };
        self.running.iter().map(|r| port(&r.label)).collect()
    }

    /// Stops every peer (its sockets closed, its threads joined) and returns one report line
    /// per peer, in manifest order.
    pub fn stop(mut self) -> Vec<String> {
        self.stop_all()
    }

    fn stop_all(&mut self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        let mut reports = Vec::new();
        for r in &mut self.running {
            let Some(thread) = r.thread.take() else { continue };
            let line = match thread.join() {
                Ok(summary) => summary,
                Err(_) => "stopped abnormally (its thread panicked); this is a bug in xtask/src/peers".to_owned(),
            };
            reports.push(format!("peer {}: {line}", r.label));
        }
        reports
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        self.stop_all();
    }
}

/// Starts `specs` on 127.0.0.1 (port 0 picks a free port, for tests). `manifest` names the
/// image in errors. Fails, with every peer started so far stopped again, if a port is taken.
pub fn start(specs: &[PeerSpec], manifest: &str) -> Result<Peers> {
    let mut peers = Peers::none();
    for spec in specs {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, spec.port));
        let stop = peers.stop.clone();
        let in_use = |e: io::Error| port_error(spec, manifest, &e);
        let (port, thread) = match &spec.kind {
            PeerKind::TcpEcho | PeerKind::TcpSink | PeerKind::TcpCloseAfter { .. } | PeerKind::TcpSilent => {
                let listener = TcpListener::bind(addr).map_err(in_use)?;
                let port = listener.local_addr()?.port();
                let mode = match &spec.kind {
                    PeerKind::TcpEcho => tcp::Mode::Echo,
                    PeerKind::TcpSink => tcp::Mode::Sink,
                    PeerKind::TcpCloseAfter { bytes } => tcp::Mode::CloseAfter(*bytes),
                    _ => tcp::Mode::Silent,
                };
                (port, tcp::spawn(listener, mode, stop)?)
            }
            PeerKind::UdpEcho | PeerKind::Dns { .. } | PeerKind::Sntp { .. } => {
                let socket = UdpSocket::bind(addr).map_err(in_use)?;
                let port = socket.local_addr()?.port();
                let responder: Box<dyn udp::Responder> = match &spec.kind {
                    PeerKind::UdpEcho => Box::new(udp::Echo::default()),
                    PeerKind::Dns { records } => Box::new(dns::Server::new(records.clone())),
                    PeerKind::Sntp { unix_time } => Box::new(sntp::Server::new(*unix_time)),
                    _ => unreachable!("UDP kinds only"),
                };
                (port, udp::spawn(socket, responder, stop)?)
            }
            PeerKind::TcpIntruder { interval_ms, .. } | PeerKind::UdpIntruder { interval_ms, .. } => {
                // QEMU binds the host end; make sure it can before QEMU starts (it would only
                // say "Could not set up host forwarding rule").
                if spec.kind.is_tcp() {
                    drop(TcpListener::bind(addr).map_err(in_use)?);
                } else {
                    drop(UdpSocket::bind(addr).map_err(in_use)?);
                }
                let interval = Duration::from_millis(*interval_ms);
                let thread = if spec.kind.is_tcp() {
                    intruder::spawn_tcp(addr, interval, stop)?
                } else {
                    intruder::spawn_udp(addr, interval, stop)?
                };
                (spec.port, thread)
            }
        };
        peers.running.push(Running { label: label(&spec.kind, port), thread: Some(thread) });
    }
    Ok(peers)
}

fn port_error(spec: &PeerSpec, manifest: &str, e: &io::Error) -> anyhow::Error {
    let port = spec.port;
    let (proto, flags) = if spec.kind.is_tcp() { ("TCP", "-ltnp") } else { ("UDP", "-lunp") };
    if e.kind() == io::ErrorKind::AddrInUse {
        anyhow::anyhow!(
            "{manifest}: peer {}: {proto} port {port} on 127.0.0.1 is in use; stop the program holding it (`ss {flags} 'sport = {port}'` shows it; another test run may be using it) or change this peer's port in {manifest}",
            spec.label()
        )
    } else {
        anyhow::anyhow!(
            "{manifest}: peer {}: cannot bind {proto} 127.0.0.1:{port} ({e}); check that the loopback interface is up, or change this peer's port in {manifest}",
            spec.label()
        )
    }
}

/// Spawns a named peer thread.
fn spawn_named<F>(name: &str, f: F) -> Result<JoinHandle<String>>
where
    F: FnOnce() -> String + Send + 'static,
{
    match std::thread::Builder::new().name(name.to_owned()).spawn(f) {
        Ok(t) => Ok(t),
        Err(e) => bail!("cannot start the {name} peer thread ({e}); the host is out of threads or memory"),
    }
}

/// Sleeps up to `total`, waking early when `stop` is set. Returns whether it was set.
fn sleep_unless_stopped(stop: &AtomicBool, total: Duration) -> bool {
    let mut left = total;
    while !left.is_zero() {
        if stop.load(Ordering::SeqCst) {
            return true;
        }
        let step = left.min(POLL);
        std::thread::sleep(step);
        left -= step;
    }
    stop.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: PeerKind, port: u16) -> PeerSpec {
        PeerSpec { kind, port }
    }

    #[test]
    fn labels_and_forwarding_rules() {
        let echo = spec(PeerKind::TcpEcho, 17007);
        assert_eq!(echo.label(), "tcp-echo:17007");
        assert_eq!(echo.hostfwd(), None);
        let t = spec(PeerKind::TcpIntruder { guest_port: 7777, interval_ms: 100 }, 17100);
        assert_eq!(t.label(), "tcp-intruder:17100->7777");
        assert_eq!(t.hostfwd().as_deref(), Some("hostfwd=tcp:127.0.0.1:17100-:7777"));
        let u = spec(PeerKind::UdpIntruder { guest_port: 7778, interval_ms: 100 }, 17101);
        assert_eq!(u.hostfwd().as_deref(), Some("hostfwd=udp:127.0.0.1:17101-:7778"));
        for name in KIND_NAMES {
            assert!(!name.is_empty());
        }
    }

    #[test]
    fn port_in_use_is_a_clear_error_and_nothing_is_left_running() {
        let holder = TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = holder.local_addr().unwrap().port();
        let udp_holder = UdpSocket::bind("127.0.0.1:0").unwrap();
        let udp_taken = udp_holder.local_addr().unwrap().port();
        for (kind, port, needle) in [
            (PeerKind::TcpEcho, taken, format!("TCP port {taken} on 127.0.0.1 is in use")),
            (PeerKind::UdpEcho, udp_taken, format!("UDP port {udp_taken} on 127.0.0.1 is in use")),
            (
                PeerKind::TcpIntruder { guest_port: 7, interval_ms: 100 },
                taken,
                format!("peer tcp-intruder:{taken}->7: TCP port {taken}"),
            ),
        ] {
            // A first peer that starts fine must be stopped again when the second fails.
            let specs = [spec(PeerKind::TcpEcho, 0), spec(kind, port)];
            let e = format!("{:#}", start(&specs, "tests/net/images/x.toml").err().expect("the port is taken"));
            assert!(e.contains(&needle), "{e}");
            assert!(e.starts_with("tests/net/images/x.toml: peer "), "{e}");
            assert!(e.contains(&format!("'sport = {port}'")), "{e}");
            assert!(e.contains("change this peer's port in tests/net/images/x.toml"), "{e}");
        }
    }

    #[test]
    fn reports_come_in_manifest_order_with_actual_ports() {
        let peers = start(&[spec(PeerKind::TcpEcho, 0), spec(PeerKind::UdpEcho, 0)], "m.toml").unwrap();
        let ports = peers.ports();
        let reports = peers.stop();
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0], format!("peer tcp-echo:{}: 0 connections, 0 bytes echoed", ports[0]));
        assert_eq!(reports[1], format!("peer udp-echo:{}: 0 datagrams, 0 bytes echoed", ports[1]));
    }

    #[test]
    fn stopping_frees_the_ports() {
        let peers =
            start(&[spec(PeerKind::TcpEcho, 0), spec(PeerKind::Dns { records: BTreeMap::new() }, 0)], "m").unwrap();
        let ports = peers.ports();
        drop(peers);
        TcpListener::bind(("127.0.0.1", ports[0])).expect("TCP port released");
        UdpSocket::bind(("127.0.0.1", ports[1])).expect("UDP port released");
    }
}
