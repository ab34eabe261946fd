//! Compartment `rebooter`: drives the micro-reboot cases against `service` (init, resident
//! thread, handles, `on_fault = "reboot"`) and `guarded` (error handler, missing rights). Its
//! manifest grants it `may_shutdown` and `may_reboot = ["service"]` only.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};
use rtos_sys::{fault, Error};

use boundary_support::{case, decode, yes, ANY_OK};

rtos_sys::imports!();

/// Manifest order of the compartments.
const SERVICE: u32 = 0;
const GUARDED: u32 = 1;

/// What `holder`'s call into `service.hold` came back with (a value or an error code).
static HOLD_RESULT: AtomicU32 = AtomicU32::new(0);

/// A second thread: inside `service` (blocked in `hold`) when `driver` reboots it.
#[no_mangle]
pub extern "C" fn holder_main(_arg: usize) {
    rtos_sys::sleep(70);
    let r = service::hold();
    HOLD_RESULT.store(r.unwrap_or_else(|e| e.code() as u32), Ordering::Relaxed);
}

/// The driver thread.
#[no_mangle]
pub extern "C" fn driver_main(_arg: usize) {
    // Boot: service's init (most urgent thread) sleeps 30 ticks, so this call lands during it.
    case("call-during-boot-init", Err(Error::Busy), decode(service::get()));
    rtos_sys::sleep(60);
    case("init-ran-before-serving", Ok(100), decode(service::get()));
    case("resident-thread-started-after-init", Ok(1), yes(decode(service::beats()).unwrap_or(0) > 0));
    let first_worker = decode(service::worker_id()).unwrap_or(0);
    case("state-changed-before-reboot", Ok(101), decode(service::bump()));
    let h = decode(service::issue(7)).unwrap_or(0);
    case("handle-before-reboot", Ok(7), decode(service::check(h)));

    // Reboot with a resident thread (`worker`) and a thread inside through a call (`holder`).
    rtos_sys::sleep(20);
    case("reboot-with-resident-thread", ANY_OK, rtos_sys::compartment_reboot(SERVICE));
    case("call-during-reboot-init", Err(Error::Busy), decode(service::get()));
    rtos_sys::sleep(60);
    case(
        "caller-inside-unwound-by-reboot",
        Err(Error::CompartmentFault),
        decode(Ok(HOLD_RESULT.load(Ordering::Relaxed))),
    );
    case("globals-reset-and-init-rerun", Ok(100), decode(service::get()));
    case("old-handle-stale-after-reboot", Err(Error::InvalidHandle), decode(service::check(h)));
    let second_worker = decode(service::worker_id()).unwrap_or(0);
    case("resident-thread-restarted (new id)", Ok(1), yes(second_worker != 0 && second_worker != first_worker));
    case("restarted-thread-running", Ok(1), yes(decode(service::beats()).unwrap_or(0) > 0));
    let h2 = decode(service::issue(8)).unwrap_or(0);
    case("new-handle-after-reboot", Ok(8), decode(service::check(h2)));

    // Rights from the manifest.
    case("reboot-not-in-may_reboot", Err(Error::NotPermitted), rtos_sys::compartment_reboot(GUARDED));
    case("reboot-unknown-compartment", Err(Error::InvalidArgument), rtos_sys::compartment_reboot(9));
    case("shutdown-without-may_shutdown", Err(Error::NotPermitted), decode(guarded::try_shutdown()));
    case("reboot-from-callee-without-right", Err(Error::NotPermitted), decode(guarded::try_reboot(SERVICE)));

    // on_fault = "reboot".
    case("state-changed-before-fault", Ok(101), decode(service::bump()));
    case("fault-unwinds-the-call", Err(Error::CompartmentFault), service::crash());
    case("rebooting-after-fault (init)", Err(Error::Busy), decode(service::get()));
    rtos_sys::sleep(60);
    case("state-reset-by-fault-reboot", Ok(100), decode(service::get()));

    // An init that faulted: the compartment is down.
    case("call-into-compartment-whose-init-faulted", Err(Error::CompartmentFault), broken::touched());

    // The error handler of `guarded`.
    case("guarded-touched", Ok(1), decode(guarded::touch()));
    case("handler-decides-unwind", Err(Error::CompartmentFault), guarded::fault(0));
    case("handler-saw-cause (MPU)", Ok(fault::CAUSE_MEMORY), decode(guarded::last_cause()));
    case("handler-saw-fault-address", Ok(0x100), decode(guarded::last_addr()));
    case("handler-saw-faulting-pc", Ok(1), decode(guarded::last_pc_in_fault()));
    case("state-kept-after-unwind", Ok(1), decode(guarded::touched()));
    case("handler-decides-reboot (panic)", Err(Error::CompartmentFault), guarded::fault(1));
    case("state-reset-by-handler-reboot", Ok(0), decode(guarded::touched()));
    case("guarded-touched-again", Ok(1), decode(guarded::touch()));
    case("fault-in-handler-unwinds", Err(Error::CompartmentFault), guarded::fault(2));
    case("no-reboot-after-handler-fault", Ok(1), decode(guarded::touched()));
    case("armed-victim-thread", Ok(1), decode(guarded::arm()));
    rtos_sys::sleep(10);
    case("handler-on-home-thread-ends-it", Ok(2), decode(guarded::victim_report()));

    // The same from a C compartment.
    case("c-init-ran", Ok(7), decode(cguard::cg_state()));
    case("c-state-changed", Ok(9), decode(cguard::cg_set(9)));
    case("c-handler-decides-unwind", Err(Error::CompartmentFault), cguard::cg_fault(0));
    case("c-handler-saw-cause (MPU)", Ok(fault::CAUSE_MEMORY), decode(cguard::cg_last_cause()));
    case("c-state-kept-after-unwind", Ok(9), decode(cguard::cg_state()));
    case("c-handler-decides-reboot (trap)", Err(Error::CompartmentFault), cguard::cg_fault(1));
    case("c-state-reset-and-init-rerun", Ok(7), decode(cguard::cg_state()));

    boundary_support::finish("micro-reboot");
}
