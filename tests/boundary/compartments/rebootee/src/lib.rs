//! One crate, two compartments of the micro-reboot tests (each links its own copy, so each has
//! its own globals):
//!
//! - `service`: an `init` that takes a while (calls during it are refused with `Busy`) and sets
//!   the state to 100, a resident thread `worker`, sealed handles, and `on_fault = "reboot"`;
//! - `broken`: an `init` that faults (it stays down);
//! - `guarded`: an error handler that records the fault and decides by its cause (an MPU
//!   violation is unwound, an undefined instruction — a panic — reboots), and no rights, to show
//!   that SHUTDOWN and COMPARTMENT_REBOOT are refused.
//!
//! Errors are returned as negative error codes (as `u32`).
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
use rtos_sys::{fault, println, SealKey, Sealed};

fn code(r: Result<u32, rtos_sys::Error>) -> u32 {
    r.unwrap_or_else(|e| e.code() as u32)
}

// ----- service ---------------------------------------------------------------------------------

/// 0 until `init` ran (so a value of 100 after a reboot shows both the reset and the rerun).
static STATE: AtomicU32 = AtomicU32::new(0);
static KEY: AtomicU32 = AtomicU32::new(0);
static WORKER_ID: AtomicU32 = AtomicU32::new(0);
static BEATS: AtomicU32 = AtomicU32::new(0);

/// `init` of `service`: slow on purpose (30 ticks), so that calls during it can be observed.
#[no_mangle]
pub extern "C" fn service_init() -> u32 {
    println!("service: init (state {})", STATE.load(Ordering::Relaxed));
    rtos_sys::sleep(30);
    STATE.store(100, Ordering::Relaxed);
    0
}

/// The resident thread of `service`: records who it is, then beats every 5 ticks.
#[no_mangle]
pub extern "C" fn worker_main(_arg: usize) {
    WORKER_ID.store(rtos_sys::current().to_raw(), Ordering::Relaxed);
    loop {
        BEATS.fetch_add(1, Ordering::Relaxed);
        rtos_sys::sleep(5);
    }
}

/// The state.
#[no_mangle]
pub extern "C" fn get() -> u32 {
    STATE.load(Ordering::Relaxed)
}

/// Changes the state; returns the new value.
#[no_mangle]
pub extern "C" fn bump() -> u32 {
    STATE.fetch_add(1, Ordering::Relaxed) + 1
}

/// The worker's thread handle (0 before it started).
#[no_mangle]
pub extern "C" fn worker_id() -> u32 {
    WORKER_ID.load(Ordering::Relaxed)
}

/// How often the worker has beaten since the compartment (re)started.
#[no_mangle]
pub extern "C" fn beats() -> u32 {
    BEATS.load(Ordering::Relaxed)
}

fn key() -> Result<SealKey, rtos_sys::Error> {
    match KEY.load(Ordering::Relaxed) {
        0 => {
            let k = rtos_sys::seal_key_create()?;
            KEY.store(k.0, Ordering::Relaxed);
            Ok(k)
        }
        k => Ok(SealKey(k)),
    }
}

/// Seals `value`; returns the handle.
#[no_mangle]
pub extern "C" fn issue(value: u32) -> u32 {
    code(key().and_then(|k| rtos_sys::seal(k, value)).map(|h| h.0))
}

/// Opens a handle `issue` returned.
#[no_mangle]
pub extern "C" fn check(handle: u32) -> u32 {
    code(key().and_then(|k| rtos_sys::unseal(k, Sealed(handle))))
}

/// Keeps the calling thread inside `service` (until a reboot unwinds it).
#[no_mangle]
pub extern "C" fn hold() -> u32 {
    rtos_sys::sleep(1000);
    0
}

/// A bug: panics (the runtime turns that into a fault; `on_fault = "reboot"` reboots `service`).
#[no_mangle]
pub extern "C" fn crash() -> u32 {
    panic!("service: deliberate crash");
}

// ----- broken ----------------------------------------------------------------------------------

/// `init` of `broken`: faults. The compartment must stay down (calls get `CompartmentFault`)
/// without its error handler or `on_fault = "reboot"` rerunning init in a loop.
#[no_mangle]
pub extern "C" fn broken_init() -> u32 {
    println!("broken: init faults");
    // SAFETY: not sound, on purpose: the store is outside the compartment's view.
    unsafe { core::ptr::write_volatile(FORBIDDEN as *mut u32, 0) };
    0
}

// ----- guarded ---------------------------------------------------------------------------------

static TOUCHED: AtomicU32 = AtomicU32::new(0);
static LAST_CAUSE: AtomicU32 = AtomicU32::new(0);
static LAST_PC: AtomicU32 = AtomicU32::new(0);
static LAST_ADDR: AtomicU32 = AtomicU32::new(0);
/// Set by `fault(2)`: the handler faults too.
static FAULT_IN_HANDLER: AtomicU32 = AtomicU32::new(0);

/// An address no compartment may write (the vector table in flash).
const FORBIDDEN: usize = 0x100;

/// Marks the compartment's state (a reboot clears it).
#[no_mangle]
pub extern "C" fn touch() -> u32 {
    TOUCHED.store(1, Ordering::Relaxed);
    1
}

/// Whether the state is marked.
#[no_mangle]
pub extern "C" fn touched() -> u32 {
    TOUCHED.load(Ordering::Relaxed)
}

/// Faults on purpose: 0 a store outside the view, 1 a panic, 2 a store outside the view with the
/// handler faulting as well.
#[no_mangle]
pub extern "C" fn fault(kind: u32) -> u32 {
    match kind {
        1 => panic!("guarded: deliberate panic"),
        2 => FAULT_IN_HANDLER.store(1, Ordering::Relaxed),
        _ => {}
    }
    // SAFETY: not sound, on purpose: the store is outside the compartment's view, so the MPU
    // stops it before it happens and the kernel runs the error handler instead.
    unsafe { core::ptr::write_volatile(FORBIDDEN as *mut u32, kind) };
    0
}

/// Set by `arm`: `victim` faults.
static ARMED: AtomicU32 = AtomicU32::new(0);
static VICTIM_ID: AtomicU32 = AtomicU32::new(0);
/// The thread the error handler last ran on.
static HANDLER_THREAD: AtomicU32 = AtomicU32::new(0);

/// A thread of `guarded` that faults in its home compartment (no call active) once armed: its
/// error handler runs on it and decides "unwind", which ends it.
#[no_mangle]
pub extern "C" fn victim_main(_arg: usize) {
    VICTIM_ID.store(rtos_sys::current().to_raw(), Ordering::Relaxed);
    while ARMED.load(Ordering::Relaxed) == 0 {
        rtos_sys::sleep(2);
    }
    // SAFETY: not sound, on purpose: the store is outside the compartment's view.
    unsafe { core::ptr::write_volatile(FORBIDDEN as *mut u32, 3) };
    println!("FAIL: victim survived its fault");
}

/// Lets `victim` fault.
#[no_mangle]
pub extern "C" fn arm() -> u32 {
    ARMED.store(1, Ordering::Relaxed);
    1
}

/// 1 if the error handler last ran on `victim`, 2 if moreover `victim` no longer exists.
#[no_mangle]
pub extern "C" fn victim_report() -> u32 {
    let victim = VICTIM_ID.load(Ordering::Relaxed);
    if victim == 0 || HANDLER_THREAD.load(Ordering::Relaxed) != victim {
        return 0;
    }
    match rtos_sys::priority(rtos_sys::ThreadId::from_raw(victim)) {
        Err(rtos_sys::Error::NoSuchThread) => 2,
        _ => 1,
    }
}

/// The error handler of `guarded` (manifest `error_handler`).
#[no_mangle]
pub extern "C" fn on_error(cause: u32, pc: u32, addr: u32) -> u32 {
    HANDLER_THREAD.store(rtos_sys::current().to_raw(), Ordering::Relaxed);
    LAST_CAUSE.store(cause, Ordering::Relaxed);
    LAST_PC.store(pc, Ordering::Relaxed);
    LAST_ADDR.store(addr, Ordering::Relaxed);
    println!("guarded: error handler: cause {} pc {:#010x} addr {:#010x}", cause, pc, addr);
    if FAULT_IN_HANDLER.swap(0, Ordering::Relaxed) != 0 {
        // SAFETY: not sound, on purpose: a fault inside the handler (the kernel unwinds).
        unsafe { core::ptr::write_volatile((FORBIDDEN + 4) as *mut u32, 0) };
    }
    if cause == fault::CAUSE_USAGE {
        fault::REBOOT
    } else {
        fault::UNWIND
    }
}

/// The cause the handler last saw.
#[no_mangle]
pub extern "C" fn last_cause() -> u32 {
    LAST_CAUSE.load(Ordering::Relaxed)
}

/// The fault address the handler last saw.
#[no_mangle]
pub extern "C" fn last_addr() -> u32 {
    LAST_ADDR.load(Ordering::Relaxed)
}

/// 1 if the PC the handler last saw lies in `fault` (the function that faulted).
#[no_mangle]
pub extern "C" fn last_pc_in_fault() -> u32 {
    let start = fault as *const () as usize as u32 & !1;
    let pc = LAST_PC.load(Ordering::Relaxed);
    (pc >= start && pc < start + 0x100) as u32
}

/// Tries to end the system (`guarded` has no `may_shutdown`): returns the error.
#[no_mangle]
pub extern "C" fn try_shutdown() -> u32 {
    rtos_sys::try_shutdown(0).code() as u32
}

/// Tries to reboot compartment `index` (`guarded` has no `may_reboot`).
#[no_mangle]
pub extern "C" fn try_reboot(index: u32) -> u32 {
    code(rtos_sys::compartment_reboot(index))
}
