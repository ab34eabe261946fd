//! Compartment `nosy`: has no MMIO grant and tries the driver's device anyway.
#![no_std]

// The compartment runtime (panic handler, trampolines).
use rtos_sys as _;

/// Reads UART1's control register (granted to `driver`, not to us): must fault.
#[no_mangle]
pub extern "C" fn touch_uart1() -> u32 {
    // SAFETY: deliberately outside our view; the MPU decides.
    unsafe { (0x5020_1008 as *const u32).read_volatile() }
}

/// Writes the SysTick reload register (core peripheral, never grantable): must fault.
#[no_mangle]
pub extern "C" fn touch_systick() -> u32 {
    // SAFETY: deliberately privileged-only memory; the access faults.
    unsafe { (0xE000_E014 as *mut u32).write_volatile(1) };
    0
}

/// Waits for UART1's interrupt line, which `irq_driver` owns: `NotPermitted` (as an error code).
#[no_mangle]
pub extern "C" fn try_irq_wait(irq: u32) -> u32 {
    rtos_sys::irq_wait(irq, Some(1)).map_or_else(|e| e.code() as u32, |()| 0)
}

/// Unmasks UART1's interrupt line, which `irq_driver` owns: `NotPermitted` (as an error code).
#[no_mangle]
pub extern "C" fn try_irq_ack(irq: u32) -> u32 {
    rtos_sys::irq_ack(irq).map_or_else(|e| e.code() as u32, |()| 0)
}
