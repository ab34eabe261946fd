//! Misuse of the queue API on compat-freertos (test freertos/compat_queue_misuse).
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
