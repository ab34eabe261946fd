//! Board support for the Arm MPS2+ AN505 FPGA image (Cortex-M33) as modelled by QEMU.
//!
//! Facts used here (QEMU `-M mps2-an505`):
//! - CPU and SysTick clock: 20 MHz (`sysclk`).
//! - Console: CMSDK APB UART0, Secure alias 0x5020_0000, wired to QEMU's first serial port.
//! - Exit: Arm semihosting `SYS_EXIT_EXTENDED`, so the QEMU process exits with the given code
//!   (`-semihosting-config enable=on,target=native`).
//! - Memory map: see `memory.x`. Ethernet (LAN9118) at 0x4200_0000 (Secure alias 0x5200_0000), NVIC line 48.
#![no_std]

use core::ptr::{read_volatile, write_volatile};

/// The board, as the kernel's [`rtos::Board`].
pub struct Mps2An505;

/// CMSDK APB UART0, Secure alias.
const UART0: usize = 0x5020_0000;
const UART_DATA: usize = 0x00;
const UART_STATE: usize = 0x04;
const UART_CTRL: usize = 0x08;
const UART_BAUDDIV: usize = 0x10;
const STATE_TX_FULL: u32 = 1 << 0;
const CTRL_TX_EN: u32 = 1 << 0;

/// System clock of the AN505 model.
pub const SYSCLK_HZ: u32 = 20_000_000;
/// Console baud rate.
pub const BAUD: u32 = 115_200;

fn uart_reg(offset: usize) -> *mut u32 {
    (UART0 + offset) as *mut u32
}

impl rtos::Board for Mps2An505 {
    const NAME: &'static str = "mps2-an505";
    const CPU_HZ: u32 = SYSCLK_HZ;

    fn init() {
        // SAFETY: UART0 is a device register block that exists on this board; the kernel calls
        // `init` once, before any thread runs, so nothing else uses the UART concurrently.
        unsafe {
            write_volatile(uart_reg(UART_BAUDDIV), SYSCLK_HZ / BAUD);
            write_volatile(uart_reg(UART_CTRL), CTRL_TX_EN);
        }
    }

    fn console_write(bytes: &[u8]) {
        for &b in bytes {
            // SAFETY: UART0 registers exist on this board; the kernel serialises console output
            // (it writes only from kernel context, which never runs concurrently with itself).
            unsafe {
                while read_volatile(uart_reg(UART_STATE)) & STATE_TX_FULL != 0 {}
                write_volatile(uart_reg(UART_DATA), b as u32);
            }
        }
    }

    fn allow_unprivileged(device: &rtos::image::MmioSpec) {
        // The IoT Kit's peripheral protection controllers answer unprivileged accesses with
        // read-as-zero/write-ignored unless the device's bit in the Secure privilege control
        // block's AHB/APB "SPPPC" register is set (board.toml names register and bit per device).
        if let Some((register, mask)) = device.gate {
            // SAFETY: `register` is one of the Secure privilege control block's SPPPC registers
            // (from board.toml); setting a device's bit only lets unprivileged code through the
            // bus filter — the MPU still confines it to the compartment granted the device.
            unsafe { write_volatile(register as *mut u32, read_volatile(register as *const u32) | mask) };
        }
    }

    fn exit(code: i32) -> ! {
        // ADP_Stopped_ApplicationExit with an exit status (semihosting SYS_EXIT_EXTENDED).
        const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;
        const SYS_EXIT_EXTENDED: usize = 0x20;
        let block = [ADP_STOPPED_APPLICATION_EXIT, code as u32 as usize];
        // SAFETY: a semihosting call with a valid parameter block; under QEMU it ends the process.
        unsafe {
            cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &block);
        }
        // Without a debugger/semihosting host the call returns: stop here.
        loop {
            cortex_m::asm::wfi();
        }
    }
}
