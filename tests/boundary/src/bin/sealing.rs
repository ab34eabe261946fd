//! Image for the sealed-handle cases: `client` holds handles issued by `vault`.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
