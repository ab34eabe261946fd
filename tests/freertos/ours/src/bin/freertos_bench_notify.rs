//! tests/freertos/bench/notify.c as a C compartment on compat-freertos (`cargo xtask bench`).
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
