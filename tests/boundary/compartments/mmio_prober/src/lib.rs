//! Compartment `mmio_prober`: checks that only the compartment granted a device reaches it.
//! Prints `case | expected | observed | ok` rows.
#![no_std]

use rtos_sys::Error;

use boundary_support::case;

rtos_sys::imports!();

#[no_mangle]
pub extern "C" fn prober_main(_arg: usize) {
    case("granted-device-write-read-back", Ok(1), driver::set_ctrl(1));
    case("granted-device-second-value", Ok(0), driver::set_ctrl(0));
    case("ungranted-device-in-driver", Err(Error::CompartmentFault), driver::touch_other_device());
    case("driver-device-from-other-comp", Err(Error::CompartmentFault), nosy::touch_uart1());
    case("core-peripheral-systick", Err(Error::CompartmentFault), nosy::touch_systick());
    case("driver-still-serves", Ok(1), driver::set_ctrl(1));
    boundary_support::finish("MMIO");
}
