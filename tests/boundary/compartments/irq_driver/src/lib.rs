//! Compartment `irq_driver`: granted UART1, and so the owner of its interrupt line. Its own
//! thread waits for the line, counts transmit-complete events, clears the device's cause and
//! unmasks the line again; exports let the prober trigger an event and read the counts.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

use rtos_sys::Error;

/// UART1's combined interrupt line (board.toml `irq` of device `uart1`).
const IRQ: u32 = 43;
/// UART1 (CMSDK APB UART), Secure alias.
const UART1: usize = 0x5020_1000;
const DATA: usize = 0x00;
const CTRL: usize = 0x08;
/// Interrupt status; writing a 1 clears that cause.
const INTSTATUS: usize = 0x0C;
const BAUDDIV: usize = 0x10;
const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_TX_INTEN: u32 = 1 << 2;
const INT_TX: u32 = 1 << 0;

/// Transmit-complete events the driver thread was woken for.
static EVENTS: AtomicU32 = AtomicU32::new(0);
/// Wake-ups that found no cause in the device (an event latched while the line was masked).
static SPURIOUS: AtomicU32 = AtomicU32::new(0);

fn reg(offset: usize) -> *mut u32 {
    (UART1 + offset) as *mut u32
}

/// The driver thread: sets the UART up, unmasks the line, then serves it forever.
#[no_mangle]
pub extern "C" fn irq_driver_main(_arg: usize) {
    // SAFETY: UART1's registers are granted to this compartment (MPU region + bus gate).
    unsafe {
        reg(BAUDDIV).write_volatile(20_000_000 / 115_200);
        reg(CTRL).write_volatile(CTRL_TX_EN | CTRL_TX_INTEN);
    }
    if let Err(e) = rtos_sys::irq_ack(IRQ) {
        rtos_sys::println!("FAIL: the owner cannot unmask its line: {e}");
        return;
    }
    loop {
        if let Err(e) = rtos_sys::irq_wait(IRQ, None) {
            rtos_sys::println!("FAIL: irq_wait without timeout returned {e}");
            return;
        }
        // SAFETY: as above.
        let cause = unsafe { reg(INTSTATUS).read_volatile() };
        if cause & INT_TX != 0 {
            EVENTS.fetch_add(1, Ordering::Relaxed);
            // SAFETY: as above; writing 1 clears the transmit cause, lowering the line.
            unsafe { reg(INTSTATUS).write_volatile(INT_TX) };
        } else {
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
        }
        if let Err(e) = rtos_sys::irq_ack(IRQ) {
            rtos_sys::println!("FAIL: irq_ack returned {e}");
            return;
        }
    }
}

/// Sends one byte: when it has gone out, UART1 raises its transmit interrupt.
#[no_mangle]
pub extern "C" fn kick() -> u32 {
    // SAFETY: as above.
    unsafe { reg(DATA).write_volatile(b'.' as u32) };
    0
}

/// Transmit events the driver thread has handled.
#[no_mangle]
pub extern "C" fn events() -> u32 {
    EVENTS.load(Ordering::Relaxed)
}

/// Wake-ups without a device cause.
#[no_mangle]
pub extern "C" fn spurious() -> u32 {
    SPURIOUS.load(Ordering::Relaxed)
}

/// Waits for the line for `ticks` ticks from the calling thread (the prober's, inside this
/// compartment): returns the ticks that passed, or the error code if it was not a timeout.
#[no_mangle]
pub extern "C" fn wait_briefly(ticks: u32) -> u32 {
    let start = rtos_sys::ticks();
    match rtos_sys::irq_wait(IRQ, Some(ticks)) {
        Err(Error::TimedOut) => rtos_sys::ticks().wrapping_sub(start),
        Err(e) => e.code() as u32,
        Ok(()) => u32::MAX,
    }
}
