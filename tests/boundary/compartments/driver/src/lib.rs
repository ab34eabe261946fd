//! Compartment `driver`: the manifest grants it UART1's registers (and only those).
#![no_std]

// The compartment runtime (panic handler, trampolines).
use rtos_sys as _;

/// UART1 (CMSDK APB UART), Secure alias: granted.
const UART1_CTRL: usize = 0x5020_1008;
/// UART2, Secure alias: not granted.
const UART2_CTRL: usize = 0x5020_2008;

/// Writes `value` to UART1's control register and returns what reads back.
#[no_mangle]
pub extern "C" fn set_ctrl(value: u32) -> u32 {
    // SAFETY: UART1's registers are granted to this compartment (MPU region + bus gate).
    unsafe {
        (UART1_CTRL as *mut u32).write_volatile(value);
        (UART1_CTRL as *const u32).read_volatile()
    }
}

/// Reads UART2's control register, which is not granted: must fault.
#[no_mangle]
pub extern "C" fn touch_other_device() -> u32 {
    // SAFETY: deliberately outside the grant; the MPU decides.
    unsafe { (UART2_CTRL as *const u32).read_volatile() }
}
