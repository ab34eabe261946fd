//! Compartment `mmio_prober`: checks that only the compartment granted a device reaches it.
//! Prints `case | expected | observed | ok` rows.
#![no_std]

use rtos_sys::{println, Error};

rtos_sys::imports!();

static mut FAILURES: u32 = 0;

fn case(name: &str, expected: Result<u32, Error>, observed: Result<u32, Error>) {
    let ok = expected == observed;
    if !ok {
        // SAFETY: only this compartment's single thread touches FAILURES.
        unsafe { FAILURES += 1 };
    }
    let show = |r: Result<u32, Error>| match r {
        Ok(v) => v as i64,
        Err(e) => e.code() as i64,
    };
    println!("| {:<34} | {:>5} | {:>5} | {} |", name, show(expected), show(observed), if ok { "ok" } else { "FAIL" });
}

#[no_mangle]
pub extern "C" fn prober_main(_arg: usize) {
    case("granted-device-write-read-back", Ok(1), driver::set_ctrl(1, 0, 0, 0));
    case("granted-device-second-value", Ok(0), driver::set_ctrl(0, 0, 0, 0));
    case("ungranted-device-in-driver", Err(Error::CompartmentFault), driver::touch_other_device(0, 0, 0, 0));
    case("driver-device-from-other-comp", Err(Error::CompartmentFault), nosy::touch_uart1(0, 0, 0, 0));
    case("core-peripheral-systick", Err(Error::CompartmentFault), nosy::touch_systick(0, 0, 0, 0));
    case("driver-still-serves", Ok(1), driver::set_ctrl(1, 0, 0, 0));
    // SAFETY: only this thread touches FAILURES.
    let failures = unsafe { FAILURES };
    if failures == 0 {
        println!("all MMIO cases behaved as expected");
        println!("PASS");
        rtos_sys::shutdown(0);
    }
    println!("FAIL: {} MMIO case(s) did not behave as expected", failures);
    rtos_sys::shutdown(1);
}
