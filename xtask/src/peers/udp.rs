//! UDP peers: one thread receives datagrams and sends back what a [`Responder`] makes of each
//! (udp-echo here, dns and sntp in their own modules).

use std::io;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::{Context, Result};

use super::{spawn_named, POLL};

/// What a UDP peer answers, and its report.
pub trait Responder: Send {
    /// The reply to one datagram, if any.
    fn respond(&mut self, request: &[u8]) -> Option<Vec<u8>>;
    /// The report (after `peer <label>: `).
    fn report(&self) -> String;
}

/// udp-echo.
#[derive(Default)]
pub struct Echo {
    datagrams: u64,
    bytes: u64,
}

impl Responder for Echo {
    fn respond(&mut self, request: &[u8]) -> Option<Vec<u8>> {
        self.datagrams += 1;
        self.bytes += request.len() as u64;
        Some(request.to_vec())
    }

    fn report(&self) -> String {
        format!("{} datagrams, {} bytes echoed", self.datagrams, self.bytes)
    }
}

/// Starts the receive thread; it returns the report after `stop` is set.
pub fn spawn(
    socket: UdpSocket,
    mut responder: Box<dyn Responder>,
    stop: Arc<AtomicBool>,
) -> Result<JoinHandle<String>> {
    socket.set_read_timeout(Some(POLL)).context("cannot set a peer's UDP receive timeout")?;
    spawn_named("udp-peer", move || {
        // The largest UDP payload.
        let mut buf = vec![0u8; 65535];
        while !stop.load(Ordering::SeqCst) {
            let (n, from) = match socket.recv_from(&mut buf) {
                Ok(r) => r,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
                // ICMP errors of earlier replies (the client is gone) and interruptions.
                Err(_) => continue,
            };
            if let Some(reply) = responder.respond(&buf[..n]) {
                // A client that went away is not the peer's problem.
                let _ = socket.send_to(&reply, from);
            }
        }
        responder.report()
    })
}

#[cfg(test)]
mod tests {
    use super::super::{start, PeerKind, PeerSpec};
    use std::net::UdpSocket;
    use std::time::Duration;

    #[test]
    fn echoes_datagrams_of_any_size() {
        let peers = start(&[PeerSpec { kind: PeerKind::UdpEcho, port: 0 }], "t.toml").unwrap();
        let port = peers.ports()[0];
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.connect(("127.0.0.1", port)).unwrap();
        let mut buf = vec![0u8; 65535];
        for len in [0usize, 1, 512, 1472, 60000] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            c.send(&data).unwrap();
            let n = c.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &data[..], "{len}-byte datagram");
        }
        assert_eq!(
            peers.stop(),
            [format!("peer udp-echo:{port}: 5 datagrams, {} bytes echoed", 1 + 512 + 1472 + 60000)]
        );
    }
}
