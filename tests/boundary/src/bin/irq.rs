//! Image for interrupt delivery: a driver compartment owning UART1's line, a nosy one, and a
//! prober.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
