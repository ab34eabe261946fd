//! Compartment `netbench`: our side of `cargo xtask bench net`. The workload of the reference
//! program `tests/net/reference/net_bench.c` (lwIP's netconn API on FreeRTOS, no compartments),
//! here through the socket API of compartment `tcpip` (the same lwIP, behind the firewall `fw`
//! and the driver `eth`) with the typed stubs generated from its header, against the host peers
//! `cargo xtask bench net` starts (a `tcp-echo` and a `tcp-sink`, reached at 10.0.2.2).
//!
//! Figures are busy instructions: elapsed minus idle cycles of the kernel's cycle clock
//! (`rtos_sys::cycles`, `rtos_sys::idle_cycles`) converted to instructions (virtual ns under
//! `-icount shift=0`), so the time the guest waits for the host does not count.
//!
//! - `busy-calibration`: a 2-instruction loop between two sleeps; must read 2.0 per iteration.
//! - `net-rtt`: one 32-byte message echoed by the `tcp-echo` peer (per round trip; 200 measured
//!   after 10 warm-up ones), as `net-ref-rtt`.
//! - `net-tput`: 64 KiB sent to the `tcp-sink` peer in 4 KiB sends (per KiB). The socket API has
//!   no half-close, so the sink's byte-count reply (which the reference waits for) never comes:
//!   the figure runs from the first `net_send` through the last one and `net_close` (FIN) plus a
//!   [`DRAIN_MS`] sleep in which the stack transmits what is still queued and takes the ACKs, the
//!   sink's close and its reply, minus the busy instructions of the same sleep on an idle
//!   connection (the tick interrupts and lwIP's timers; mean of [`BASELINE_SLEEPS`]). The program
//!   checks that the stack sends no frame after that window.
#![no_std]

use net_api::{decode, stat, NetError};
use rtos_sys::{println, Granule, ReadOnly, Sealed, StoreOnly};

rtos_sys::imports!();

const RTT_MESSAGES: u32 = 200;
const RTT_WARMUP: u32 = 10;
const RTT_MESSAGE_LEN: usize = 32;
const TPUT_BYTES: usize = 64 * 1024;
const TPUT_CHUNK: usize = 4096;
const RECV_TIMEOUT_MS: u32 = 10_000;
const CONNECT_TIMEOUT_MS: u32 = 10_000;
/// The sleep after the throughput run's `net_close` in which the stack finishes the transfer.
const DRAIN_MS: u32 = 50;
/// Idle sleeps of [`DRAIN_MS`] whose mean busy count is subtracted from the throughput run.
const BASELINE_SLEEPS: u64 = 4;

fn fail(what: core::fmt::Arguments<'_>) -> ! {
    println!("netbench: FAIL {what}");
    rtos_sys::shutdown(1)
}

/// A point of the busy-instruction clock.
#[derive(Clone, Copy)]
struct Mark {
    cycles: u64,
    idle: u64,
}

impl Mark {
    fn now() -> Mark {
        Mark { cycles: rtos_sys::cycles(), idle: rtos_sys::idle_cycles() }
    }

    /// Busy instructions since this mark, times 10 for one decimal (as `busy_tenths` of the
    /// reference program: elapsed minus idle cycles, times 10^10 / clock Hz).
    fn busy_tenths(self) -> u64 {
        let end = Mark::now();
        let busy = (end.cycles - self.cycles) - (end.idle - self.idle);
        busy * (10_000_000_000 / u64::from(rtos_sys::clock_hz()))
    }
}

fn report(name: &str, tenths: u64, per: u64, unit: &str) {
    let v = tenths / per;
    println!("BENCH {name}: {}.{} {unit}", v / 10, v % 10);
}

/// Runs `n` iterations of `subs; bne` (two instructions each).
fn two_instruction_loop(mut n: u32) {
    // SAFETY: register-only arithmetic and a local branch; no memory or stack access.
    unsafe { core::arch::asm!("1:", "subs {0}, {0}, #1", "bne 1b", inout(reg) n, options(nomem, nostack)) };
    let _ = n;
}

/// The method check: 2 * 10^6 instructions between two sleeps read as 2.0 per iteration.
fn busy_calibration() {
    const LOOPS: u32 = 1_000_000;
    let m = Mark::now();
    rtos_sys::sleep(3);
    two_instruction_loop(LOOPS);
    rtos_sys::sleep(3);
    report("busy-calibration", m.busy_tenths(), u64::from(LOOPS), "instructions");
}

fn connect(cap: Result<Sealed, rtos_sys::Error>, peer: &str) -> u32 {
    let r = cap.map_err(NetError::Kernel).and_then(|c| decode(tcpip::net_connect(c.0, CONNECT_TIMEOUT_MS)));
    r.unwrap_or_else(|e| fail(format_args!("cannot connect to the {peer} peer ({e:?}); is it running?")))
}

fn close(sock: u32) {
    if let Err(e) = decode(tcpip::net_close(sock)) {
        fail(format_args!("close failed ({e:?})"));
    }
}

fn send_all(sock: u32, data: &[Granule], len: usize, what: core::fmt::Arguments<'_>) {
    match decode(tcpip::net_send(sock, ReadOnly::new(data), len as u32)) {
        Ok(n) if n as usize == len => {}
        r => fail(format_args!("send failed in {what}: {r:?}")),
    }
}

fn one_round_trip(sock: u32, i: u32) {
    let mut out = [Granule::ZERO; RTT_MESSAGE_LEN / 32];
    for (b, byte) in out.iter_mut().flat_map(|g| g.0.iter_mut()).enumerate() {
        *byte = (i as usize + b) as u8;
    }
    send_all(sock, &out, RTT_MESSAGE_LEN, format_args!("round trip {i}"));
    // Receive exactly RTT_MESSAGE_LEN bytes.
    let mut back = [0u8; RTT_MESSAGE_LEN];
    let mut window = [Granule::ZERO; RTT_MESSAGE_LEN / 32];
    let mut got = 0;
    while got < RTT_MESSAGE_LEN {
        let n = match decode(tcpip::net_recv(sock, StoreOnly::new(&mut window), RECV_TIMEOUT_MS)) {
            Ok(0) => fail(format_args!("the echo peer closed after {got} bytes of round trip {i}")),
            Ok(n) => n as usize,
            Err(e) => fail(format_args!("receive failed after {got} bytes of round trip {i} ({e:?})")),
        };
        if got + n > RTT_MESSAGE_LEN {
            fail(format_args!("the peer sent {} bytes, {RTT_MESSAGE_LEN} expected", got + n));
        }
        for k in 0..n {
            back[got + k] = window[k / 32].0[k % 32];
        }
        got += n;
    }
    if out.iter().flat_map(|g| g.0.iter()).ne(back.iter()) {
        fail(format_args!("round trip {i} came back altered"));
    }
}

fn measure_rtt() {
    let sock = connect(static_sealed::echo(), "tcp-echo");
    for i in 0..RTT_WARMUP {
        one_round_trip(sock, i);
    }
    let m = Mark::now();
    for i in 0..RTT_MESSAGES {
        one_round_trip(sock, i);
    }
    report("net-rtt", m.busy_tenths(), u64::from(RTT_MESSAGES), "instructions");
    close(sock);
}

fn tx_frames() -> u32 {
    decode(tcpip::net_stat(stat::TX_FRAMES)).unwrap_or_else(|e| fail(format_args!("net_stat failed ({e:?})")))
}

fn measure_tput() {
    let sock = connect(static_sealed::sink(), "tcp-sink");
    let mut chunk = [Granule::ZERO; TPUT_CHUNK / 32];
    for (i, b) in chunk.iter_mut().flat_map(|g| g.0.iter_mut()).enumerate() {
        *b = i as u8;
    }

    // The busy cost of the drain sleep itself, on the open, idle connection.
    let mut baseline = 0;
    for _ in 0..BASELINE_SLEEPS {
        let m = Mark::now();
        rtos_sys::sleep_ms(DRAIN_MS);
        baseline += m.busy_tenths();
    }
    let baseline = baseline / BASELINE_SLEEPS;

    let m = Mark::now();
    let mut sent = 0;
    while sent < TPUT_BYTES {
        send_all(sock, &chunk, TPUT_CHUNK, format_args!("the throughput run after {sent} bytes"));
        sent += TPUT_CHUNK;
    }
    close(sock);
    rtos_sys::sleep_ms(DRAIN_MS);
    let tenths = m.busy_tenths().saturating_sub(baseline);

    // Nothing may be left for after the window: the stack sends no further frame.
    let frames = tx_frames();
    rtos_sys::sleep_ms(4 * DRAIN_MS);
    let later = tx_frames();
    if later != frames {
        fail(format_args!(
            "the stack sent {} frames after the {DRAIN_MS} ms drain window; lengthen DRAIN_MS",
            later.wrapping_sub(frames)
        ));
    }
    println!("netbench: drain-sleep baseline {}.{} instructions", baseline / 10, baseline % 10);
    report("net-tput", tenths, (TPUT_BYTES / 1024) as u64, "instructions/KiB");
}

#[no_mangle]
pub extern "C" fn netbench_main(_arg: usize) {
    rtos_sys::sleep(1);
    busy_calibration();
    let up = decode(tcpip::net_wait_up(30_000));
    let ip = up.map(net_api::ipv4).unwrap_or_else(|e| fail(format_args!("the interface did not come up ({e:?})")));
    println!("netbench: interface up, address {}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
    measure_rtt();
    measure_tput();
    let rx = decode(tcpip::net_stat(stat::RX_FRAMES)).unwrap_or(0);
    println!("netbench: frames received {rx}, sent {}", tx_frames());
    println!("PASS");
    rtos_sys::shutdown(0);
}
