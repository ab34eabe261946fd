//! The greenhouse controller (a FreeRTOS application in C, `app/`) as a C compartment on
//! compat-freertos; see images/greenhouse.toml.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
