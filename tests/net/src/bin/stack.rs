//! Image for the network stack test: the LAN9118 driver, the firewall, lwIP's TCP/IP compartment
//! and the compartments that use its socket API (tests/net/images/stack.toml).
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
