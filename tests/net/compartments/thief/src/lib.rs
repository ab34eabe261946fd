//! Compartment `thief`: given the value of a socket handle that compartment `netcheck` opened, it
//! tries to use it through the same socket API. The stack must refuse every attempt
//! (`NotPermitted`): a handle is bound to the compartment that opened the socket.
#![no_std]

use rtos_sys::{Granule, ReadOnly, StoreOnly};

rtos_sys::imports!();

/// The status of a call: the stack's result, or the call's own error, as a signed code.
fn code(r: Result<i32, rtos_sys::CallError>) -> i32 {
    r.unwrap_or_else(|e| e.code())
}

/// Tries to send on `socket`; returns the stack's answer.
#[no_mangle]
pub extern "C" fn thief_send(socket: u32) -> i32 {
    let data = [Granule([b'x'; 32])];
    code(tcpip::net_send(socket, ReadOnly::new(&data), 32))
}

/// Tries to receive on `socket`; returns the stack's answer.
#[no_mangle]
pub extern "C" fn thief_recv(socket: u32) -> i32 {
    let mut window = [Granule::ZERO; 2];
    code(tcpip::net_recv(socket, StoreOnly::new(&mut window), 10))
}

/// Tries to close `socket`; returns the stack's answer.
#[no_mangle]
pub extern "C" fn thief_close(socket: u32) -> i32 {
    code(tcpip::net_close(socket))
}
