//! Image for the MMIO grant cases: a driver compartment granted UART1, a nosy one without grants,
//! and a prober calling both.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
