//! TCP peers: echo, sink, close-after (reset mid-transfer) and silent. One listener thread
//! accepts; each connection of the echo, sink and close-after kinds gets a thread of its own, at
//! most [`MAX_CONNECTIONS`] at once (more are closed at once and counted as turned away).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result};

use super::{sleep_unless_stopped, spawn_named, POLL};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 16;
/// Connections a silent peer holds open at once.
pub const MAX_HELD: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Echo,
    Sink,
    CloseAfter(u64),
    Silent,
}

#[derive(Default)]
struct Stats {
    connections: AtomicU64,
    bytes: AtomicU64,
    resets: AtomicU64,
    turned_away: AtomicU64,
}

/// Starts the listener thread; it returns the report after `stop` is set.
pub fn spawn(listener: TcpListener, mode: Mode, stop: Arc<AtomicBool>) -> Result<JoinHandle<String>> {
    listener.set_nonblocking(true).context("cannot make a peer's TCP listener non-blocking")?;
    spawn_named("tcp-peer", move || serve(listener, mode, stop))
}

fn serve(listener: TcpListener, mode: Mode, stop: Arc<AtomicBool>) -> String {
    let stats = Arc::new(Stats::default());
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    let mut held: Vec<TcpStream> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => {
                sleep_unless_stopped(&stop, Duration::from_millis(5));
                continue;
            }
            // A connection that failed between SYN and accept (reset by the client): next.
            Err(_) => continue,
        };
        stats.connections.fetch_add(1, Ordering::Relaxed);
        if mode == Mode::Silent {
            if held.len() < MAX_HELD {
                held.push(stream);
            } else {
                stats.turned_away.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        workers.retain(|w| !w.is_finished());
        if workers.len() >= MAX_CONNECTIONS {
            stats.turned_away.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let (conn_stats, conn_stop) = (stats.clone(), stop.clone());
        let worker = std::thread::Builder::new().name("tcp-peer-conn".into()).spawn(move || {
            // An I/O error just ends this connection (the client went away).
            let _ = connection(stream, mode, &conn_stats, &conn_stop);
        });
        match worker {
            Ok(w) => workers.push(w),
            Err(_) => {
                stats.turned_away.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    drop(listener);
    drop(held);
    for w in workers {
        let _ = w.join();
    }
    let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let (connections, bytes) = (n(&stats.connections), n(&stats.bytes));
    let mut line = match mode {
        Mode::Echo => format!("{connections} connections, {bytes} bytes echoed"),
        Mode::Sink => format!("{connections} connections, {bytes} bytes received"),
        Mode::CloseAfter(limit) => {
            format!("{connections} connections, {bytes} bytes echoed, {} reset after {limit} bytes", n(&stats.resets))
        }
        Mode::Silent => format!("{connections} connections, 0 bytes read"),
    };
    let away = n(&stats.turned_away);
    if away > 0 {
        let limit = if mode == Mode::Silent { MAX_HELD } else { MAX_CONNECTIONS };
        line.push_str(&format!(", {away} turned away (limit {limit} at once)"));
    }
    line
}

fn connection(mut stream: TcpStream, mode: Mode, stats: &Stats, stop: &AtomicBool) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut left = match mode {
        Mode::CloseAfter(limit) => limit,
        _ => u64::MAX,
    };
    let mut received: u64 = 0;
    loop {
        if left == 0 {
            // Reset (RST, not FIN): SO_LINGER with a zero timeout, then close.
            socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
            stats.resets.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match stream.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if is_timeout(&e) => continue,
            Err(e) => return Err(e),
        };
        match mode {
            Mode::Sink => {
                received += n as u64;
                stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
            }
            _ => {
                write_all(&mut stream, &buf[..n], stop)?;
                stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
                left -= n as u64;
            }
        }
    }
    // The client half-closed.
    if mode == Mode::Sink {
        write_all(&mut stream, &received.to_be_bytes(), stop)?;
    }
    stream.shutdown(std::net::Shutdown::Both)
}

/// Writes everything unless the peer is stopped meanwhile.
fn write_all(stream: &mut TcpStream, mut data: &[u8], stop: &AtomicBool) -> io::Result<()> {
    while !data.is_empty() {
        if stop.load(Ordering::SeqCst) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "peer stopped"));
        }
        match stream.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted)
}

#[cfg(test)]
mod tests {
    use super::super::{start, PeerKind, PeerSpec};
    use super::*;
    use std::net::Shutdown;
    use std::time::Instant;

    fn one(kind: PeerKind) -> (super::super::Peers, u16) {
        let peers = start(&[PeerSpec { kind, port: 0 }], "test.toml").unwrap();
        let port = peers.ports()[0];
        (peers, port)
    }

    fn connect(port: u16) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
    }

    /// Writes `data` from another thread while reading the echo here (so neither side blocks
    /// on full buffers).
    fn round_trip(port: u16, data: Vec<u8>) -> Vec<u8> {
        let mut s = connect(port);
        let mut w = s.try_clone().unwrap();
        let len = data.len();
        let writer = std::thread::spawn(move || w.write_all(&data).unwrap());
        let mut back = vec![0u8; len];
        s.read_exact(&mut back).unwrap();
        writer.join().unwrap();
        back
    }

    #[test]
    fn echo_round_trips_small_and_64k() {
        let (peers, port) = one(PeerKind::TcpEcho);
        assert_eq!(round_trip(port, b"hello".to_vec()), b"hello");
        let big = pattern(64 * 1024, 7);
        assert_eq!(round_trip(port, big.clone()), big);
        let report = peers.stop();
        assert_eq!(report, [format!("peer tcp-echo:{port}: 2 connections, {} bytes echoed", 5 + 64 * 1024)]);
    }

    #[test]
    fn echo_serves_concurrent_clients() {
        let (peers, port) = one(PeerKind::TcpEcho);
        // All connected at once before any of them sends.
        let streams: Vec<TcpStream> = (0..8).map(|_| connect(port)).collect();
        let threads: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| {
                std::thread::spawn(move || {
                    let data = pattern(4096, i as u8);
                    s.write_all(&data).unwrap();
                    let mut back = vec![0u8; data.len()];
                    s.read_exact(&mut back).unwrap();
                    assert_eq!(back, data, "client {i}");
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(peers.stop(), [format!("peer tcp-echo:{port}: 8 connections, 32768 bytes echoed")]);
    }

    #[test]
    fn echo_turns_away_connections_over_the_limit() {
        let (peers, port) = one(PeerKind::TcpEcho);
        let mut open: Vec<TcpStream> = (0..MAX_CONNECTIONS).map(|_| connect(port)).collect();
        // Each served connection answers, so all have a worker before the extra one arrives.
        for s in &mut open {
            s.write_all(b"x").unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).unwrap();
        }
        let mut extra = connect(port);
        let mut b = [0u8; 1];
        assert!(matches!(extra.read(&mut b), Ok(0) | Err(_)), "the extra connection is closed");
        drop(open);
        let report = peers.stop();
        assert_eq!(
            report,
            [format!(
                "peer tcp-echo:{port}: {} connections, {MAX_CONNECTIONS} bytes echoed, 1 turned away (limit {MAX_CONNECTIONS} at once)",
                MAX_CONNECTIONS + 1
            )]
        );
    }

    #[test]
    fn sink_answers_the_count_after_the_half_close() {
        let (peers, port) = one(PeerKind::TcpSink);
        let mut s = connect(port);
        let data = pattern(100_000, 1);
        s.write_all(&data).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).unwrap();
        assert_eq!(answer, 100_000u64.to_be_bytes());
        assert_eq!(peers.stop(), [format!("peer tcp-sink:{port}: 1 connections, 100000 bytes received")]);
    }

    #[test]
    fn close_after_echoes_then_resets() {
        let (peers, port) = one(PeerKind::TcpCloseAfter { bytes: 1000 });
        let mut s = connect(port);
        s.write_all(&pattern(3000, 3)).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        let err = loop {
            match s.read(&mut buf) {
                Ok(0) => panic!("orderly close (FIN) instead of a reset after {} bytes", got.len()),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset, "{err}");
        assert_eq!(got, pattern(3000, 3)[..1000]);
        assert_eq!(
            peers.stop(),
            [format!("peer tcp-close-after:{port}: 1 connections, 1000 bytes echoed, 1 reset after 1000 bytes")]
        );
    }

    #[test]
    fn silent_never_answers() {
        let (peers, port) = one(PeerKind::TcpSilent);
        let mut s = connect(port);
        s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        s.write_all(b"anyone there?").unwrap();
        let start = Instant::now();
        let mut b = [0u8; 1];
        let e = s.read(&mut b).unwrap_err();
        assert!(is_timeout(&e), "{e}");
        assert!(start.elapsed() >= Duration::from_millis(250));
        assert_eq!(peers.stop(), [format!("peer tcp-silent:{port}: 1 connections, 0 bytes read")]);
        // Stopping closed the held connection.
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert!(matches!(s.read(&mut b), Ok(0) | Err(_)));
    }

    #[test]
    fn stop_ends_a_connection_blocked_on_a_client_that_never_reads() {
        let (peers, port) = one(PeerKind::TcpEcho);
        let mut s = connect(port);
        // Far more than the socket buffers hold: the echo blocks on a full send buffer.
        let data = pattern(8 * 1024 * 1024, 9);
        let writer = std::thread::spawn(move || {
            let _ = s.write_all(&data);
            s
        });
        std::thread::sleep(Duration::from_millis(300));
        let start = Instant::now();
        let report = peers.stop();
        assert!(start.elapsed() < Duration::from_secs(5), "stop took {:?}", start.elapsed());
        assert!(report[0].starts_with(&format!("peer tcp-echo:{port}: 1 connections, ")), "{report:?}");
        drop(writer);
    }
}
