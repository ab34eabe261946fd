//! Image for the LAN9118 driver test: the driver compartment `eth` and a probe that sends an ARP
//! request to QEMU's user-mode network gateway and waits for the reply.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
