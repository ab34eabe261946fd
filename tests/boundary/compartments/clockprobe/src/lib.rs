//! Compartment `clockprobe`: drives the wall-clock and caller-identity cases of the `clock` image
//! and prints the table. It has no `may_set_clock` of its own; `timekeeper` (which has it) lends
//! it its clock capability, and the C compartment `ctime` does the same things through `rtos.h`.
//! It may micro-reboot `timekeeper`, to check what a reboot does to the clock and the lent
//! capability.
#![no_std]

use rtos_sys::time::{cycles_to_us, CivilTime, WALL_CLOCK_MAX_US};
use rtos_sys::{AllocCap, ClockCap, Error};

use boundary_support::{case, decode, yes, ANY_OK};

rtos_sys::imports!();

/// Manifest order of the compartments.
const CLOCKPROBE: u32 = 0;
const TIMEKEEPER: u32 = 1;

/// 2023-11-14 22:13:20 UTC.
const T0: u64 = 1_700_000_000_000_000;
/// 2030-01-01 00:00:00 UTC.
const T1: u64 = 1_893_456_000_000_000;
/// 2024-02-29 12:00:00 UTC (set from C).
const T2: u64 = 1_709_208_000_000_000;
/// A day.
const DAY: u64 = 86_400_000_000;

fn lo(t: u64) -> u32 {
    t as u32
}

fn hi(t: u64) -> u32 {
    (t >> 32) as u32
}

/// Whether `t` lies in `[from, from + span]`.
fn within(t: Result<u64, Error>, from: u64, span: u64) -> Result<u32, Error> {
    t.and_then(|t| yes(t >= from && t - from <= span))
}

/// Runs `f` and returns its result and the microseconds it took (rounded up), measured on the
/// cycle clock the wall clock is derived from.
fn timed<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let c0 = rtos_sys::cycles();
    let r = f();
    let c1 = rtos_sys::cycles();
    (r, cycles_to_us(c1 - c0, rtos_sys::clock_hz()) + 1)
}

#[no_mangle]
pub extern "C" fn clockprobe_main(_arg: usize) {
    // Before anyone set it.
    case("read-before-set", Err(Error::ClockNotSet), rtos_sys::wall_clock().map(lo));
    case("c-read-before-set (rtos.h)", Err(Error::ClockNotSet), decode(ctime::ct_clock_s()));
    case("clock-cap-without-right", Err(Error::NotPermitted), rtos_sys::clock_cap().map(|c| c.0));
    case("c-clock-cap-without-right (rtos.h)", Err(Error::NotPermitted), decode(ctime::ct_clock_cap()));

    // Caller identity: probe (0) -> timekeeper (1) -> ctime (2).
    case("caller-from-home-thread", Err(Error::NotPermitted), rtos_sys::caller());
    case("caller-probe(0)>timekeeper", Ok(CLOCKPROBE), decode(timekeeper::tk_caller()));
    case("c-caller-probe(0)>ctime (rtos.h)", Ok(CLOCKPROBE), decode(ctime::ct_caller()));
    let nested = decode(timekeeper::tk_nested());
    case("c-caller-probe>tk(1)>ctime", Ok(TIMEKEEPER), nested.map(|v| v >> 16));
    case("caller-back-in-tk-after-nest (0)", Ok(CLOCKPROBE), nested.map(|v| v & 0xFFFF));
    case("caller-home-thread-after-calls", Err(Error::NotPermitted), rtos_sys::caller());

    // The holder sets the clock; everybody reads it.
    let (set, took) = timed(|| {
        let set = decode(timekeeper::tk_set(lo(T0), hi(T0)));
        (set, rtos_sys::wall_clock())
    });
    case("holder-sets-clock", Ok(0), set.0);
    case("read-back-within-elapsed", Ok(1), within(set.1, T0, took));
    if let Ok(t) = set.1 {
        rtos_sys::println!("wall clock after set: {} (+{} us)", CivilTime::from_unix_us(t), t - T0);
    }
    let c_seconds = decode(ctime::ct_clock_s());
    case("c-read-after-set (rtos.h)", Ok(1), c_seconds.and_then(|s| yes(s as u64 == T0 / 1_000_000)));

    // The clock runs with the tick: read, sleep 10 ticks, read; bounded by the tick counts read
    // just outside the two clock reads.
    let tick_us = 1_000_000 / rtos_sys::tick_hz() as u64;
    let t1 = rtos_sys::now();
    let w1 = rtos_sys::wall_clock();
    rtos_sys::sleep(10);
    let w2 = rtos_sys::wall_clock();
    let t2 = rtos_sys::now();
    let advanced = match (w1, w2) {
        (Ok(a), Ok(b)) => {
            let ticks = t2 - t1;
            rtos_sys::println!("clock advanced {} us over {} ticks of {} us", b.wrapping_sub(a), ticks, tick_us);
            yes(ticks >= 10 && b >= a && b - a >= (ticks - 1) * tick_us && b - a <= (ticks + 1) * tick_us)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    case("clock-advances-with-ticks", Ok(1), advanced);

    // The holder lends its capability: the probe (no right) sets the clock with it.
    let lent = decode(timekeeper::tk_cap());
    case("holder-lends-its-cap", ANY_OK, lent);
    let cap = ClockCap(lent.unwrap_or(0));
    let (set, took) = timed(|| (rtos_sys::wall_clock_set(cap, T1).map(|()| 0), rtos_sys::wall_clock()));
    case("lent-cap-sets-clock", Ok(0), set.0);
    case("read-after-lent-set", Ok(1), within(set.1, T1, took));
    let (set, took) = timed(|| (rtos_sys::wall_clock_set(cap, T1 - DAY).map(|()| 0), rtos_sys::wall_clock()));
    case("lent-cap-steps-clock-back-a-day", Ok(0), set.0);
    case("read-after-step-back", Ok(1), within(set.1, T1 - DAY, took));
    // ... and lends it on to the C compartment.
    let (set, took) = timed(|| (decode(ctime::ct_set(cap.0, lo(T2), hi(T2))), rtos_sys::wall_clock()));
    case("c-sets-with-lent-cap (rtos.h)", Ok(0), set.0);
    case("read-after-c-set", Ok(1), within(set.1, T2, took));
    if let Ok(t) = set.1 {
        rtos_sys::println!("wall clock after the C set: {}", CivilTime::from_unix_us(t));
    }

    // What is not a clock capability.
    case(
        "forged-clock-cap",
        Err(Error::InvalidHandle),
        rtos_sys::wall_clock_set(ClockCap(cap.0 ^ 0x1_0000), T0).map(|()| 0),
    );
    case(
        "made-up-clock-cap",
        Err(Error::InvalidHandle),
        rtos_sys::wall_clock_set(ClockCap(0x0BAD_C0DE), T0).map(|()| 0),
    );
    case("zero-clock-cap", Err(Error::InvalidHandle), rtos_sys::wall_clock_set(ClockCap(0), T0).map(|()| 0));
    let heap_cap = rtos_sys::heap_cap();
    case("own-heap-cap", ANY_OK, heap_cap.map(|c| c.0));
    let heap_cap = heap_cap.unwrap_or(AllocCap(0));
    case(
        "heap-cap-as-clock-cap",
        Err(Error::WrongType),
        rtos_sys::wall_clock_set(ClockCap(heap_cap.0), T0).map(|()| 0),
    );
    let own = rtos_sys::seal_key_create().and_then(|k| rtos_sys::seal(k, 0));
    case("own-sealed-handle", ANY_OK, own.map(|h| h.0));
    let own = own.map_or(0, |h| h.0);
    case("own-handle-as-clock-cap", Err(Error::WrongType), rtos_sys::wall_clock_set(ClockCap(own), T0).map(|()| 0));
    case("clock-cap-as-heap-cap", Err(Error::WrongType), rtos_sys::heap_alloc(AllocCap(cap.0), 32).map(|p| p as u32));
    case("clock-cap-as-heap-quota", Err(Error::WrongType), rtos_sys::heap_quota(AllocCap(cap.0)).map(|q| q.used));
    case(
        "time-after-9999-12-31",
        Err(Error::InvalidArgument),
        rtos_sys::wall_clock_set(cap, WALL_CLOCK_MAX_US + 1).map(|()| 0),
    );
    case("time-u64-max", Err(Error::InvalidArgument), rtos_sys::wall_clock_set(cap, u64::MAX).map(|()| 0));
    let now = rtos_sys::wall_clock();
    case("refused-sets-changed-nothing", Ok(1), now.and_then(|t| yes(t >= T2 && t - T2 < 1_000_000)));

    // A micro-reboot of the holder: the time runs on, the capability it lent is revoked, and it
    // is issued a fresh one.
    let before = rtos_sys::wall_clock().unwrap_or(0);
    case("reboot-holder (1 handle revoked)", Ok(1), rtos_sys::compartment_reboot(TIMEKEEPER));
    case(
        "time-survives-holder-reboot",
        Ok(1),
        rtos_sys::wall_clock().and_then(|t| yes(t >= before && t - before < 1_000_000)),
    );
    case("lent-cap-stale-after-reboot", Err(Error::InvalidHandle), rtos_sys::wall_clock_set(cap, T0).map(|()| 0));
    let fresh = decode(timekeeper::tk_cap());
    case("holder-has-a-new-cap", Ok(1), fresh.and_then(|f| yes(f != cap.0)));
    case("new-cap-sets-clock", Ok(0), decode(timekeeper::tk_set(lo(T0), hi(T0))));
    case("read-after-new-cap-set", Ok(1), within(rtos_sys::wall_clock(), T0, 1_000_000));

    boundary_support::finish("clock");
}
