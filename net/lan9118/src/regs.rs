//! LAN9118 register map (system control and status registers, and the MAC's indirect CSRs), as
//! far as this driver uses it. Offsets are from the device's base address.

/// Receive data FIFO (read: the next word of the current frame).
pub const RX_DATA_FIFO: usize = 0x00;
/// Transmit data FIFO (write: command A, command B, then the frame's words).
pub const TX_DATA_FIFO: usize = 0x20;
/// Receive status FIFO (read: pops one frame's status).
pub const RX_STATUS_FIFO: usize = 0x40;
/// Chip identification and revision.
pub const ID_REV: usize = 0x50;
/// Interrupt pin configuration.
pub const IRQ_CFG: usize = 0x54;
/// Interrupt status (write 1 to clear).
pub const INT_STS: usize = 0x58;
/// Interrupt enables (same bits as `INT_STS`).
pub const INT_EN: usize = 0x5C;
/// Reads a fixed pattern whatever the bus's byte order: the first register to check.
pub const BYTE_TEST: usize = 0x64;
/// FIFO levels that raise interrupts.
pub const FIFO_INT: usize = 0x68;
/// Transmitter configuration.
pub const TX_CFG: usize = 0x70;
/// Hardware configuration (soft reset).
pub const HW_CFG: usize = 0x74;
/// Receive FIFO fill levels.
pub const RX_FIFO_INF: usize = 0x7C;
/// Power management (device ready).
pub const PMT_CTRL: usize = 0x84;
/// Indirect access to the MAC's registers: command (index, read/write, busy) ...
pub const MAC_CSR_CMD: usize = 0xA4;
/// ... and data.
pub const MAC_CSR_DATA: usize = 0xA8;

/// `BYTE_TEST` always reads this.
pub const BYTE_TEST_VALUE: u32 = 0x8765_4321;
/// `ID_REV` upper half of a LAN9118.
pub const CHIP_ID_9118: u32 = 0x0118;

/// `IRQ_CFG`: interrupt output enabled, active high, push-pull.
pub const IRQ_CFG_EN_HIGH_PUSH_PULL: u32 = (1 << 8) | (1 << 4) | 1;
/// `INT_STS`/`INT_EN`: the receive status FIFO is above its `FIFO_INT` level.
pub const INT_RSFL: u32 = 1 << 3;
/// `HW_CFG`: soft reset (self-clearing).
pub const HW_CFG_SRST: u32 = 1;
/// `PMT_CTRL`: device ready.
pub const PMT_READY: u32 = 1;
/// `TX_CFG`: transmitter on.
pub const TX_CFG_TX_ON: u32 = 1 << 1;
/// `MAC_CSR_CMD`: busy (start / in progress) and read (else write).
pub const CSR_BUSY: u32 = 1 << 31;
pub const CSR_READ: u32 = 1 << 30;

/// MAC control register (CSR index): receiver and transmitter enables.
pub const MAC_CR: u32 = 1;
pub const MAC_CR_RXEN: u32 = 1 << 2;
pub const MAC_CR_TXEN: u32 = 1 << 3;
/// MAC address, bytes 4–5 (CSR index).
pub const ADDRH: u32 = 2;
/// MAC address, bytes 0–3 (CSR index).
pub const ADDRL: u32 = 3;

/// Transmit command A: first and last segment of a frame, buffer length in bits 10:0.
pub const TX_CMD_A_FIRST: u32 = 1 << 13;
pub const TX_CMD_A_LAST: u32 = 1 << 12;
/// Receive status: frame length (with the 4-byte CRC) in bits 29:16, error summary bit 15.
pub const RX_STS_LEN_SHIFT: u32 = 16;
pub const RX_STS_LEN_MASK: u32 = 0x3FFF;
pub const RX_STS_ERROR: u32 = 1 << 15;
