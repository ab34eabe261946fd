//! Image for our side of `cargo xtask bench net`: the LAN9118 driver, the firewall, lwIP's TCP/IP
//! compartment and the bench compartment `netbench` that uses its socket API
//! (tests/net/images/net_bench.toml).
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
