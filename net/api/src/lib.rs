//! The socket API of the TCP/IP compartment `tcpip`, seen from Rust.
//!
//! The calls themselves are the typed stubs the build tool generates for an importing crate
//! from the compartment's C header (`c-compartments/tcpip/include/net_socket.h`, read with
//! bindgen): `tcpip::net_connect(connection, timeout_ms) -> Result<i32, CallError>` and so on.
//! This crate gives those results a type: [`decode`] turns "a value or a negative code" into
//! `Result<u32, NetError>`, and [`stat`] names the statistics. The values are checked against
//! the C header by a host test, so the two cannot drift apart.
#![no_std]

use rtos_sys::{CallError, Error};

/// Why a socket call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetError {
    /// A kernel error code returned by the stack (`TimedOut`, `InvalidHandle`, `NotPermitted`,
    /// `WrongType`, `InvalidArgument`, `OutOfMemory`, ...), or the call itself failed
    /// (`CompartmentFault` when the stack faulted and was unwound, `NotImported`, ...).
    Kernel(Error),
    /// The peer refused the connection.
    Refused,
    /// The connection was reset or aborted by the peer.
    Reset,
    /// The connection is closed.
    Closed,
    /// No route, or no answer.
    Unreachable,
    /// DNS could not resolve the host name.
    NoName,
    /// The interface has no address yet.
    Down,
    /// The stack's socket table or lwIP's pools are full.
    NoSockets,
    /// The connection capability's contents are malformed.
    BadCapability,
    /// Another lwIP error.
    Io,
    /// A negative value the API does not define (a newer stack?).
    Unknown(i32),
}

/// Error codes of `net_socket.h` (`NET_E_*`).
pub mod code {
    pub const REFUSED: i32 = -64;
    pub const RESET: i32 = -65;
    pub const CLOSED: i32 = -66;
    pub const UNREACHABLE: i32 = -67;
    pub const NO_NAME: i32 = -68;
    pub const DOWN: i32 = -69;
    pub const NO_SOCKETS: i32 = -70;
    pub const BAD_CAPABILITY: i32 = -71;
    pub const IO: i32 = -72;
}

/// Statistics indices of `net_stat` (`NET_STAT_*`).
pub mod stat {
    pub const SOCKETS_OPEN: u32 = 0;
    pub const SOCKETS_TOTAL: u32 = 1;
    pub const REFUSED_CAPS: u32 = 2;
    pub const FOREIGN_HANDLE: u32 = 3;
    pub const SNTP_SYNCS: u32 = 4;
    pub const RX_FRAMES: u32 = 5;
    pub const TX_FRAMES: u32 = 6;
    pub const DNS_SERVER: u32 = 7;
    pub const RX_DROPPED: u32 = 8;
    pub const TX_ERRORS: u32 = 9;
}

impl NetError {
    /// The error a negative result stands for.
    pub fn from_code(v: i32) -> NetError {
        match v {
            code::REFUSED => NetError::Refused,
            code::RESET => NetError::Reset,
            code::CLOSED => NetError::Closed,
            code::UNREACHABLE => NetError::Unreachable,
            code::NO_NAME => NetError::NoName,
            code::DOWN => NetError::Down,
            code::NO_SOCKETS => NetError::NoSockets,
            code::BAD_CAPABILITY => NetError::BadCapability,
            code::IO => NetError::Io,
            v => Error::from_code(v).map(NetError::Kernel).unwrap_or(NetError::Unknown(v)),
        }
    }
}

/// A socket call's outcome: the value (a handle, a length, an address), or why it failed —
/// because the stack said so, or because the call did not get through.
///
/// Error codes are `-65535..=-1`; every other value is a result. A socket handle may have its top
/// bit set (it reads as a large negative `i32`), but the kernel never issues one in the error
/// range.
pub fn decode(r: Result<i32, CallError>) -> Result<u32, NetError> {
    match r {
        Ok(v) if (ERROR_MIN..0).contains(&v) => Err(NetError::from_code(v)),
        Ok(v) => Ok(v as u32),
        Err(e) => Err(NetError::Kernel(e)),
    }
}

/// The most negative error code a socket call returns.
pub const ERROR_MIN: i32 = -65535;

/// An IPv4 address word as `net_wait_up` returns it (network byte order read little-endian).
pub fn ipv4(word: u32) -> [u8; 4] {
    word.to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    extern crate std;
    use std::string::String;

    fn header() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../c-compartments/tcpip/include/net_socket.h");
        std::fs::read_to_string(path).expect("net_socket.h")
    }

    /// The value of `#define NAME ( value )` or `#define NAME value` in the header.
    fn define(h: &str, name: &str) -> i64 {
        let line = h
            .lines()
            .find(|l| l.split_whitespace().take(2).eq(["#define", name]))
            .unwrap_or_else(|| panic!("{name} is not defined in net_socket.h"));
        let value: String = line
            .split_whitespace()
            .skip(2)
            .take_while(|w| !w.starts_with("/*"))
            .collect::<String>()
            .replace(['(', ')'], "");
        value.parse().unwrap_or_else(|_| panic!("{name}: cannot read {value:?}"))
    }

    #[test]
    fn codes_and_stats_match_the_c_header() {
        let h = header();
        let codes = [
            ("NET_E_REFUSED", code::REFUSED),
            ("NET_E_RESET", code::RESET),
            ("NET_E_CLOSED", code::CLOSED),
            ("NET_E_UNREACHABLE", code::UNREACHABLE),
            ("NET_E_NO_NAME", code::NO_NAME),
            ("NET_E_DOWN", code::DOWN),
            ("NET_E_NO_SOCKETS", code::NO_SOCKETS),
            ("NET_E_BAD_CAPABILITY", code::BAD_CAPABILITY),
            ("NET_E_IO", code::IO),
        ];
        for (name, v) in codes {
            assert_eq!(define(&h, name), v as i64, "{name}");
        }
        let defined = h.lines().filter(|l| l.starts_with("#define NET_E_")).count();
        assert_eq!(defined, codes.len(), "a NET_E_ code in the header is missing here");
        let stats = [
            ("NET_STAT_SOCKETS_OPEN", stat::SOCKETS_OPEN),
            ("NET_STAT_SOCKETS_TOTAL", stat::SOCKETS_TOTAL),
            ("NET_STAT_REFUSED_CAPS", stat::REFUSED_CAPS),
            ("NET_STAT_FOREIGN_HANDLE", stat::FOREIGN_HANDLE),
            ("NET_STAT_SNTP_SYNCS", stat::SNTP_SYNCS),
            ("NET_STAT_RX_FRAMES", stat::RX_FRAMES),
            ("NET_STAT_TX_FRAMES", stat::TX_FRAMES),
            ("NET_STAT_DNS_SERVER", stat::DNS_SERVER),
            ("NET_STAT_RX_DROPPED", stat::RX_DROPPED),
            ("NET_STAT_TX_ERRORS", stat::TX_ERRORS),
        ];
        for (name, v) in stats {
            assert_eq!(define(&h, name), v as i64, "{name}");
        }
        assert_eq!(h.lines().filter(|l| l.starts_with("#define NET_STAT_")).count(), stats.len());
    }

    #[test]
    fn decodes_values_codes_and_call_failures() {
        assert_eq!(decode(Ok(0x1234_5678)), Ok(0x1234_5678));
        assert_eq!(decode(Ok(0)), Ok(0));
        assert_eq!(decode(Ok(-64)), Err(NetError::Refused));
        assert_eq!(decode(Ok(-1)), Err(NetError::Kernel(Error::TimedOut)));
        assert_eq!(decode(Ok(-9)), Err(NetError::Kernel(Error::NotPermitted)));
        assert_eq!(decode(Ok(-200)), Err(NetError::Unknown(-200)));
        assert_eq!(decode(Err(Error::CompartmentFault)), Err(NetError::Kernel(Error::CompartmentFault)));
        assert_eq!(ipv4(0x0F02_000A), [10, 0, 2, 15]);
        // Handles with the top bit set are values, not errors.
        assert_eq!(decode(Ok(0x9234_0042u32 as i32)), Ok(0x9234_0042));
        assert_eq!(decode(Ok(-65536)), Ok(0xFFFF_0000));
        assert_eq!(decode(Ok(-65535)), Err(NetError::Unknown(-65535)));
    }
}
