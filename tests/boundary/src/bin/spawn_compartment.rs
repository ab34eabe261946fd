//! Image for compartment thread creation: `spawner` creates threads of its own at run time.
#![no_std]
#![no_main]

rtos::firmware!(board_mps2_an505::Mps2An505);
