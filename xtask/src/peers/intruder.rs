//! Intruders: unsolicited inbound traffic. QEMU forwards the host's 127.0.0.1:`port` to the
//! guest's `guest_port` (`hostfwd=`); the intruder knocks on the host side every interval for the
//! whole run and records whether anything ever answered.
//!
//! TCP: each attempt connects (QEMU's user network accepts on the host side at once and only
//! then sends the SYN to the guest), sends a line, and waits up to the interval for bytes back.
//! An attempt is *forwarded* when the host side accepted it (QEMU was listening), *answered*
//! when the guest sent bytes back, *reset* when the connection was closed before that (the guest
//! refused it with a RST, which QEMU passes on as a close). UDP: each attempt sends a datagram
//! and waits for one back (*answered*); *refused* counts ICMP port-unreachable errors (nothing
//! was listening on the host port yet).

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::{sleep_unless_stopped, spawn_named, POLL};

/// What an intruder sends on each attempt.
pub const PAYLOAD: &[u8] = b"unsolicited\n";

/// Starts a TCP intruder against `target`.
pub fn spawn_tcp(target: SocketAddr, interval: Duration, stop: Arc<AtomicBool>) -> Result<JoinHandle<String>> {
    spawn_named("tcp-intruder", move || {
        let (mut attempts, mut forwarded, mut answered, mut reset) = (0u64, 0u64, 0u64, 0u64);
        while !stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            attempts += 1;
            if let Ok(mut s) = TcpStream::connect_timeout(&target, interval.max(POLL)) {
                forwarded += 1;
                match knock(&mut s, interval, &stop) {
                    Knock::Answered => answered += 1,
                    Knock::Closed => reset += 1,
                    Knock::Silent => {}
                }
            }
            sleep_unless_stopped(&stop, interval.saturating_sub(started.elapsed()));
        }
        format!("{attempts} attempts, {forwarded} forwarded, {answered} answered, {reset} reset")
    })
}

enum Knock {
    Answered,
    Closed,
    Silent,
}

fn knock(s: &mut TcpStream, wait: Duration, stop: &AtomicBool) -> Knock {
    if s.set_read_timeout(Some(POLL)).is_err() {
        return Knock::Closed;
    }
    // A write error means the connection is already gone.
    if s.write_all(PAYLOAD).is_err() {
        return Knock::Closed;
    }
    let deadline = Instant::now() + wait;
    let mut b = [0u8; 64];
    while Instant::now() < deadline && !stop.load(Ordering::SeqCst) {
        match s.read(&mut b) {
            Ok(0) => return Knock::Closed,
            Ok(_) => return Knock::Answered,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(_) => return Knock::Closed,
        }
    }
    Knock::Silent
}

/// Starts a UDP intruder against `target`.
pub fn spawn_udp(target: SocketAddr, interval: Duration, stop: Arc<AtomicBool>) -> Result<JoinHandle<String>> {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).context("cannot bind a UDP socket on 127.0.0.1")?;
    socket.connect(target).context("cannot address the UDP intruder's target")?;
    socket.set_read_timeout(Some(POLL)).context("cannot set a UDP receive timeout")?;
    spawn_named("udp-intruder", move || {
        let (mut attempts, mut answered, mut refused) = (0u64, 0u64, 0u64);
        let mut b = [0u8; 2048];
        while !stop.load(Ordering::SeqCst) {
            let started = Instant::now();
            attempts += 1;
            let mut got = false;
            let mut was_refused = socket.send(PAYLOAD).is_err_and(|e| e.kind() == io::ErrorKind::ConnectionRefused);
            while !got && !was_refused && started.elapsed() < interval && !stop.load(Ordering::SeqCst) {
                match socket.recv(&mut b) {
                    Ok(_) => got = true,
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => was_refused = true,
                    Err(_) => {}
                }
            }
            answered += u64::from(got);
            refused += u64::from(was_refused);
            sleep_unless_stopped(&stop, interval.saturating_sub(started.elapsed()));
        }
        format!("{attempts} attempts, {answered} answered, {refused} refused")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn run_for(millis: u64, f: impl FnOnce(Arc<AtomicBool>) -> JoinHandle<String>) -> String {
        let stop = Arc::new(AtomicBool::new(false));
        let t = f(stop.clone());
        std::thread::sleep(Duration::from_millis(millis));
        stop.store(true, Ordering::SeqCst);
        t.join().unwrap()
    }

    fn counts(report: &str) -> Vec<u64> {
        report.split(", ").map(|part| part.split(' ').next().unwrap().parse().unwrap()).collect()
    }

    #[test]
    fn tcp_counts_silent_answering_and_resetting_guests() {
        let interval = Duration::from_millis(40);
        // Silent: accepts (as QEMU does) and never answers.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = silent.local_addr().unwrap();
        let r = run_for(500, |stop| spawn_tcp(addr, interval, stop).unwrap());
        let c = counts(&r);
        assert!(c[0] >= 3 && c[1] == c[0] && c[2] == 0 && c[3] == 0, "{r}");
        assert!(r.contains(", 0 answered, "), "{r}");
        drop(silent);

        // Answering: echoes.
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = echo.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            for s in echo.incoming().take(2) {
                let mut s = s.unwrap();
                let mut b = [0u8; 64];
                let n = s.read(&mut b).unwrap();
                s.write_all(&b[..n]).unwrap();
            }
        });
        let r = run_for(400, |stop| spawn_tcp(addr, interval, stop).unwrap());
        server.join().unwrap();
        let c = counts(&r);
        assert_eq!(c[2], 2, "{r}");

        // Nobody listening: attempts, nothing forwarded.
        let gone = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = gone.local_addr().unwrap();
        drop(gone);
        let r = run_for(300, |stop| spawn_tcp(addr, interval, stop).unwrap());
        let c = counts(&r);
        assert!(c[0] >= 2 && c[1] == 0 && c[2] == 0, "{r}");
    }

    #[test]
    fn tcp_counts_connections_closed_by_the_guest() {
        let closing = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = closing.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            for s in closing.incoming().take(2) {
                let s = s.unwrap();
                // The guest's RST comes a round trip after QEMU accepted the host side.
                std::thread::sleep(Duration::from_millis(10));
                socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO)).unwrap();
                drop(s);
            }
        });
        let r = run_for(300, |stop| spawn_tcp(addr, Duration::from_millis(40), stop).unwrap());
        server.join().unwrap();
        assert_eq!(counts(&r)[3], 2, "{r}");
    }

    #[test]
    fn udp_counts_answers_and_refusals() {
        let interval = Duration::from_millis(40);
        let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = echo.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let mut b = [0u8; 64];
            for _ in 0..3 {
                let (n, from) = echo.recv_from(&mut b).unwrap();
                assert_eq!(&b[..n], PAYLOAD);
                echo.send_to(&b[..n], from).unwrap();
            }
            echo
        });
        let r = run_for(500, |stop| spawn_udp(addr, interval, stop).unwrap());
        let echo = server.join().unwrap();
        let c = counts(&r);
        assert!(c[0] >= 4 && c[1] == 3, "{r}");
        drop(echo);

        // A closed port answers with ICMP port unreachable.
        let r = run_for(300, |stop| spawn_udp(addr, interval, stop).unwrap());
        let c = counts(&r);
        assert!(c[0] >= 2 && c[1] == 0 && c[2] >= 1, "{r}");
    }
}
