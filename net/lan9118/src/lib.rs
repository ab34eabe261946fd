//! Compartment `eth`: a driver for the SMSC LAN9118 Ethernet controller, granted to it as the
//! board device `eth` (registers and interrupt line). It resets the chip, reads the MAC address,
//! sends frames and receives them interrupt-driven: the receive path enables the "receive status
//! FIFO not empty" interrupt and blocks in `irq_wait` until a frame is there.
//!
//! Frames cross the compartment boundary as capability arguments: `send` reads a read-only grant,
//! `recv` writes a store-only one. Callers never see the device, the driver never sees more of
//! the caller than the frame.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

use rtos_sys::Error;

mod regs;
use regs::*;

/// The device's base (Secure alias) and interrupt line, as `boards/mps2-an505/board.toml` lists
/// device `eth` (the manifest grants it to this compartment).
const BASE: usize = 0x5200_0000;
const IRQ: u32 = 48;
/// Largest Ethernet frame without CRC.
const MAX_FRAME: u32 = 1514;

/// Times a receive was woken by the device's interrupt (statistics).
static WAKEUPS: AtomicU32 = AtomicU32::new(0);

fn read(offset: usize) -> u32 {
    // SAFETY: the device's registers are granted to this compartment (MPU region, bus gate);
    // `offset` is one of the register offsets in `regs`.
    unsafe { ((BASE + offset) as *const u32).read_volatile() }
}

fn write(offset: usize, value: u32) {
    // SAFETY: as in `read`.
    unsafe { ((BASE + offset) as *mut u32).write_volatile(value) }
}

/// Waits (bounded) until `done` holds; `TimedOut` if the chip never gets there.
fn poll(done: impl Fn() -> bool) -> Result<(), Error> {
    for _ in 0..100_000 {
        if done() {
            return Ok(());
        }
    }
    Err(Error::TimedOut)
}

fn mac_read(index: u32) -> Result<u32, Error> {
    poll(|| read(MAC_CSR_CMD) & CSR_BUSY == 0)?;
    write(MAC_CSR_CMD, CSR_BUSY | CSR_READ | index);
    poll(|| read(MAC_CSR_CMD) & CSR_BUSY == 0)?;
    Ok(read(MAC_CSR_DATA))
}

fn mac_write(index: u32, value: u32) -> Result<(), Error> {
    poll(|| read(MAC_CSR_CMD) & CSR_BUSY == 0)?;
    write(MAC_CSR_DATA, value);
    write(MAC_CSR_CMD, CSR_BUSY | index);
    poll(|| read(MAC_CSR_CMD) & CSR_BUSY == 0)
}

fn result(r: Result<u32, Error>) -> u32 {
    r.unwrap_or_else(|e| e.code() as u32)
}

fn init_chip() -> Result<u32, Error> {
    if read(BYTE_TEST) != BYTE_TEST_VALUE {
        return Err(Error::InvalidArgument);
    }
    write(HW_CFG, HW_CFG_SRST);
    poll(|| read(HW_CFG) & HW_CFG_SRST == 0)?;
    poll(|| read(PMT_CTRL) & PMT_READY != 0)?;
    let id = read(ID_REV);
    if id >> 16 != CHIP_ID_9118 {
        return Err(Error::InvalidArgument);
    }
    // Interrupt when one frame's status is in the receive status FIFO (level 0: any).
    write(FIFO_INT, 0);
    write(INT_STS, u32::MAX);
    write(INT_EN, INT_RSFL);
    write(IRQ_CFG, IRQ_CFG_EN_HIGH_PUSH_PULL);
    write(TX_CFG, TX_CFG_TX_ON);
    mac_write(MAC_CR, MAC_CR_RXEN | MAC_CR_TXEN)?;
    // The device is set up: let its interrupt line through.
    rtos_sys::irq_ack(IRQ)?;
    Ok(id)
}

/// Resets and configures the chip and unmasks its interrupt. Returns the chip's `ID_REV`, or an
/// error code (`InvalidArgument` if the registers do not look like a LAN9118).
#[no_mangle]
pub extern "C" fn eth_init() -> u32 {
    result(init_chip())
}

/// MAC address bytes 0–3 (little-endian: byte 0 in bits 7:0).
#[no_mangle]
pub extern "C" fn eth_mac_low() -> u32 {
    result(mac_read(ADDRL))
}

/// MAC address bytes 4–5 in bits 15:0.
#[no_mangle]
pub extern "C" fn eth_mac_high() -> u32 {
    result(mac_read(ADDRH).map(|v| v & 0xFFFF))
}

/// How many times a receive was woken by the interrupt.
#[no_mangle]
pub extern "C" fn eth_wakeups() -> u32 {
    WAKEUPS.load(Ordering::Relaxed)
}

/// Sends the `len`-byte frame (destination MAC first, no CRC) in the read-only buffer `frame`.
#[no_mangle]
pub extern "C" fn eth_send(frame: u32, len: u32) -> u32 {
    if !(14..=MAX_FRAME).contains(&len) {
        return Error::InvalidArgument.code() as u32;
    }
    write(TX_DATA_FIFO, TX_CMD_A_FIRST | TX_CMD_A_LAST | len);
    write(TX_DATA_FIFO, (len << 16) | len);
    for i in 0..len.div_ceil(4) {
        // SAFETY: the caller granted `frame` (whole granules covering `len` bytes) read-only for
        // this call; word reads stay inside its last granule.
        let word = unsafe { ((frame + 4 * i) as *const u32).read_volatile() };
        write(TX_DATA_FIFO, word);
    }
    0
}

/// Waits up to `timeout` ticks for a frame and copies it into the store-only buffer `buf` of
/// `cap` bytes. Returns its length without CRC, `TimedOut`, or `InvalidArgument` if it does not
/// fit (the frame is dropped).
#[no_mangle]
pub extern "C" fn eth_recv(buf: u32, cap: u32, timeout: u32) -> u32 {
    result(recv(buf, cap, timeout))
}

fn recv(buf: u32, cap: u32, timeout: u32) -> Result<u32, Error> {
    while read(RX_FIFO_INF) >> 16 & 0xFF == 0 {
        rtos_sys::irq_wait(IRQ, Some(timeout))?;
        WAKEUPS.fetch_add(1, Ordering::Relaxed);
        // The cause is the status FIFO level: clear it, then re-arm the line. A frame arriving
        // in between raises it again.
        write(INT_STS, INT_RSFL);
        rtos_sys::irq_ack(IRQ)?;
    }
    let status = read(RX_STATUS_FIFO);
    let len = (status >> RX_STS_LEN_SHIFT) & RX_STS_LEN_MASK;
    let words = len.div_ceil(4);
    let fits = len >= 4 && len - 4 <= cap && status & RX_STS_ERROR == 0;
    for i in 0..words {
        let word = read(RX_DATA_FIFO);
        if fits && 4 * i < len - 4 {
            // SAFETY: the caller granted `buf` (`cap` bytes, whole granules) store-only for this
            // call; `4 * i < len - 4 <= cap` and `cap` is a multiple of 32.
            unsafe { ((buf + 4 * i) as *mut u32).write_volatile(word) };
        }
    }
    if fits {
        Ok(len - 4)
    } else {
        Err(Error::InvalidArgument)
    }
}
