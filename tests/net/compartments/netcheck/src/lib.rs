//! Compartment `netcheck`: the network stack test. It uses only the socket API of compartment
//! `tcpip` (lwIP, in C) — through the typed stubs generated from its header — with the
//! connection capabilities the manifest gives it, against real peers the test tooling runs on
//! the host's loopback (reached as 10.0.2.2 through QEMU's user-mode network). One line per case:
//! `net: ok|FAIL <case>: <observed>`, then `net: N passed, M failed` and `PASS` if none failed.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

use net_api::{decode, stat, NetError};
use rtos_sys::{println, Error, Granule, ReadOnly, Sealed, StoreOnly};

rtos_sys::imports!();

/// A timeout that is long for a loopback peer, short for the suite.
const TIMEOUT_MS: u32 = 5000;
/// Bytes per send in the echo tests (and the receive window).
const CHUNK: usize = 4096;

static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

fn check(case: &str, ok: bool, observed: core::fmt::Arguments<'_>) -> bool {
    println!("net: {} {case}: {observed}", if ok { "ok  " } else { "FAIL" });
    if ok { &PASSED } else { &FAILED }.fetch_add(1, Ordering::Relaxed);
    ok
}

/// Byte `i` of the test stream (not periodic in the chunk size, so misordering shows).
fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(7) ^ (i / 251)) as u8
}

fn connect(cap: Result<Sealed, Error>) -> Result<u32, NetError> {
    let cap = cap.map_err(NetError::Kernel)?;
    decode(tcpip::net_connect(cap.0, TIMEOUT_MS))
}

fn close(sock: u32) -> Result<u32, NetError> {
    decode(tcpip::net_close(sock))
}

/// Why an echo exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EchoError {
    Connect(NetError),
    Send(NetError),
    ShortSend(u32),
    Receive(NetError),
    PeerClosedEarly,
    Differs { at: usize },
    Close(NetError),
}

/// Sends `total` bytes of the pattern over `sock` in chunks and checks the echo, interleaving
/// sends and receives so neither side's window fills up.
fn echo(sock: u32, total: usize) -> Result<(), EchoError> {
    let mut tx = [Granule::ZERO; CHUNK / 32];
    let mut rx = [Granule::ZERO; CHUNK / 32];
    let (mut sent, mut got) = (0usize, 0usize);
    while got < total {
        if sent < total {
            let n = CHUNK.min(total - sent);
            for (k, g) in tx.iter_mut().enumerate() {
                for (j, b) in g.0.iter_mut().enumerate() {
                    *b = pattern(sent + 32 * k + j);
                }
            }
            match decode(tcpip::net_send(sock, ReadOnly::new(&tx), n as u32)) {
                Ok(v) if v as usize == n => sent += n,
                Ok(v) => return Err(EchoError::ShortSend(v)),
                Err(e) => return Err(EchoError::Send(e)),
            }
        }
        while got < sent {
            let n = match decode(tcpip::net_recv(sock, StoreOnly::new(&mut rx), TIMEOUT_MS)) {
                Ok(0) => return Err(EchoError::PeerClosedEarly),
                Ok(n) => n as usize,
                Err(e) => return Err(EchoError::Receive(e)),
            };
            for i in 0..n {
                if rx[i / 32].0[i % 32] != pattern(got + i) {
                    return Err(EchoError::Differs { at: got + i });
                }
            }
            got += n;
        }
    }
    Ok(())
}

fn echo_once(cap: Result<Sealed, Error>, total: usize) -> Result<(), EchoError> {
    let sock = connect(cap).map_err(EchoError::Connect)?;
    let r = echo(sock, total);
    close(sock).map_err(EchoError::Close)?;
    r
}

fn open_sockets() -> u32 {
    decode(tcpip::net_stat(stat::SOCKETS_OPEN)).unwrap_or(u32::MAX)
}

// ---- Concurrent connections: worker threads started by the manifest, released by `main` ----

const WORKERS: u32 = 3;
const WORKER_BYTES: usize = 16 * 1024;
static START: AtomicU32 = AtomicU32::new(0);
static DONE: AtomicU32 = AtomicU32::new(0);
static WORKER_OK: AtomicU32 = AtomicU32::new(0);

/// Worker `arg`: waits for the start signal, then echoes its own stream over its own connection.
#[no_mangle]
pub extern "C" fn netcheck_worker(arg: usize) {
    while START.load(Ordering::Acquire) == 0 {
        let _ = rtos_sys::futex_wait(&START, 0, None);
    }
    if echo_once(static_sealed::echo_tcp(), WORKER_BYTES + 1000 * arg).is_ok() {
        WORKER_OK.fetch_add(1, Ordering::AcqRel);
    }
    DONE.fetch_add(1, Ordering::AcqRel);
    rtos_sys::futex_wake(&DONE, u32::MAX);
}

#[no_mangle]
pub extern "C" fn netcheck_main(_arg: usize) {
    // DHCP from QEMU's user-mode network: the lease is 10.0.2.15.
    let up = decode(tcpip::net_wait_up(30_000));
    let ip = up.map(net_api::ipv4).unwrap_or([0; 4]);
    check("dhcp-lease", ip == [10, 0, 2, 15], format_args!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]));

    // TCP echo, 1 B to 64 KiB.
    for size in [1usize, 100, 1460, 4096, 65536] {
        let r = echo_once(static_sealed::echo_tcp(), size);
        check("tcp-echo", r.is_ok(), format_args!("{size} B: {r:?}"));
    }

    // Many sequential connections; the table is empty again afterwards.
    let mut ok = 0;
    let mut first_error = None;
    for _ in 0..20 {
        match echo_once(static_sealed::echo_tcp(), 64) {
            Ok(()) => ok += 1,
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    check(
        "tcp-sequential",
        ok == 20 && open_sockets() == 0,
        format_args!("{ok}/20 echoed, {} open, first error {first_error:?}", open_sockets()),
    );

    // Several concurrent connections.
    START.store(1, Ordering::Release);
    rtos_sys::futex_wake(&START, u32::MAX);
    let t0 = rtos_sys::ticks();
    while DONE.load(Ordering::Acquire) < WORKERS && rtos_sys::ticks().wrapping_sub(t0) < 60_000 {
        let d = DONE.load(Ordering::Acquire);
        let _ = rtos_sys::futex_wait(&DONE, d, Some(1000));
    }
    let w = WORKER_OK.load(Ordering::Acquire);
    check("tcp-concurrent", w == WORKERS, format_args!("{w}/{WORKERS} connections echoed 16+ KiB at once"));

    // UDP echo.
    let r = connect(static_sealed::echo_udp()).and_then(|s| {
        let mut d = [Granule::ZERO; 2];
        for (i, b) in d.iter_mut().flat_map(|g| g.0.iter_mut()).enumerate() {
            *b = pattern(i);
        }
        decode(tcpip::net_send(s, ReadOnly::new(&d), 50))?;
        let mut rx = [Granule::ZERO; 4];
        let n = decode(tcpip::net_recv(s, StoreOnly::new(&mut rx), TIMEOUT_MS))?;
        let same = n == 50 && (0..50).all(|i| rx[i / 32].0[i % 32] == pattern(i));
        close(s)?;
        Ok(same)
    });
    check("udp-echo", r == Ok(true), format_args!("{r:?}"));

    // DNS: the capability names a host; the stack resolves it through the DNS peer.
    let r = echo_once(static_sealed::echo_by_name(), 300);
    check("dns-resolve", r.is_ok(), format_args!("echo.test: {r:?}"));
    let r = connect(static_sealed::unknown_name());
    check("dns-unknown-name", r == Err(NetError::NoName), format_args!("nope.test: {r:?}"));

    // SNTP: the stack set the kernel's wall clock from the SNTP peer (fixed at 2026-01-01).
    let t0 = rtos_sys::ticks();
    while decode(tcpip::net_stat(stat::SNTP_SYNCS)).unwrap_or(0) == 0 && rtos_sys::ticks().wrapping_sub(t0) < 20_000 {
        rtos_sys::sleep(100);
    }
    let syncs = decode(tcpip::net_stat(stat::SNTP_SYNCS)).unwrap_or(0);
    let clock = rtos_sys::wall_clock();
    let secs = clock.map(|us| us / 1_000_000).unwrap_or(0);
    check(
        "sntp-wall-clock",
        syncs >= 1 && (1_767_225_600..1_767_225_600 + 120).contains(&secs),
        format_args!("{syncs} sync(s), wall clock {secs} s since 1970 ({clock:?})"),
    );

    // Refusals: a forged capability, another sealed object, a closed port.
    let r = decode(tcpip::net_connect(0x1234_0042, TIMEOUT_MS));
    check("connect-forged-capability", r == Err(NetError::Kernel(Error::InvalidHandle)), format_args!("{r:?}"));
    let own = rtos_sys::seal_key_create().and_then(|k| rtos_sys::seal(k, 7));
    let r = own.map_err(NetError::Kernel).and_then(|h| decode(tcpip::net_connect(h.0, TIMEOUT_MS)));
    check("connect-foreign-sealed-object", r == Err(NetError::Kernel(Error::WrongType)), format_args!("{r:?}"));
    // (Malformed contents never get this far: the audit policy network_path refuses the image.)
    let refused = decode(tcpip::net_stat(stat::REFUSED_CAPS)).unwrap_or(0);
    check("refusals-counted", refused >= 2, format_args!("{refused} refused"));
    let r = connect(static_sealed::closed_port());
    check("connect-closed-port", r == Err(NetError::Refused), format_args!("{r:?}"));

    // A socket handle is good only for the compartment that opened it.
    match connect(static_sealed::echo_tcp()) {
        Ok(sock) => {
            let s = thief::thief_send(sock);
            let r = thief::thief_recv(sock);
            let c = thief::thief_close(sock);
            let np = Ok(Error::NotPermitted.code());
            check("foreign-handle-send", s == np, format_args!("{s:?}"));
            check("foreign-handle-recv", r == np, format_args!("{r:?}"));
            check("foreign-handle-close", c == np, format_args!("{c:?}"));
            let still = echo(sock, 200);
            check("owner-still-works", still.is_ok(), format_args!("{still:?}"));
            let c = close(sock);
            let again = decode(tcpip::net_send(sock, ReadOnly::new(&[Granule::ZERO]), 1));
            check(
                "closed-handle-stale",
                c == Ok(0) && again == Err(NetError::Kernel(Error::InvalidHandle)),
                format_args!("{again:?}"),
            );
        }
        Err(e) => {
            check("foreign-handle", false, format_args!("could not connect: {e:?}"));
        }
    }

    // A peer that never answers: the receive times out, the socket still closes.
    let r = connect(static_sealed::silent()).and_then(|s| {
        let mut rx = [Granule::ZERO; 1];
        let got = decode(tcpip::net_recv(s, StoreOnly::new(&mut rx), 500));
        close(s)?;
        Ok(got)
    });
    check("peer-silent-times-out", r == Ok(Err(NetError::Kernel(Error::TimedOut))), format_args!("{r:?}"));

    // A peer that resets the connection mid-transfer: an error or end of stream, never a hang.
    let r = connect(static_sealed::closer()).map(|s| {
        let e = echo(s, 16 * 1024);
        let _ = close(s);
        e
    });
    check(
        "peer-resets-mid-transfer",
        matches!(
            r,
            Ok(Err(EchoError::PeerClosedEarly
                | EchoError::Receive(NetError::Reset)
                | EchoError::Send(NetError::Reset | NetError::Closed)))
        ),
        format_args!("{r:?}"),
    );

    check("no-sockets-leaked", open_sockets() == 0, format_args!("{} open", open_sockets()));

    // The intruders (host peers knocking on guest ports 7777/TCP and 7778/UDP all run long) never
    // reach the stack: the firewall drops their frames (its counter 1; the peers' reports, which
    // the test also checks, say nothing ever answered).
    let dropped = fw::fw_stat(1).unwrap_or(0);
    let malformed = fw::fw_stat(2).unwrap_or(0);
    check(
        "firewall-dropped-unsolicited",
        dropped > 0,
        format_args!("{dropped} dropped by policy, {malformed} malformed"),
    );
    let (p, f) = (PASSED.load(Ordering::Relaxed), FAILED.load(Ordering::Relaxed));
    println!("net: {p} passed, {f} failed");
    if f == 0 {
        println!("PASS");
        rtos_sys::shutdown(0);
    }
    rtos_sys::shutdown(1);
}
