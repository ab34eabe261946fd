//! Image for the firewall test: the driver compartment `eth`, the firewall `fw` and a probe that
//! reaches QEMU's user-mode network only through the firewall.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
