//! Image for the network-peer test: the driver compartment `eth` and a probe that exchanges
//! hand-built frames with the peers `cargo xtask` runs on the host's loopback.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
