//! tests/freertos/ours/compat/hooks.c as a C compartment on compat-freertos (hooks, high-water
//! marks, bad input).
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
