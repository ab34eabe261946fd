//! The `sntp` peer: an SNTP server (RFC 4330) over UDP. It answers client requests (mode 3, at
//! least the 48-byte header) with mode 4 (server), stratum 1, reference identifier "LOCL",
//! the request's version and poll, originate = the request's transmit timestamp, and
//! reference, receive and transmit timestamps = `unix_time` if configured (deterministic tests;
//! fraction 0) or the host clock. Other datagrams are ignored. lwIP's SNTP client checks the
//! mode, a non-zero stratum and the originate timestamp.

use std::time::{SystemTime, UNIX_EPOCH};

use super::udp::Responder;

/// Length of an SNTP message without authentication.
pub const PACKET: usize = 48;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;
const MODE_CLIENT: u8 = 3;
const MODE_SERVER: u8 = 4;
const STRATUM: u8 = 1;
/// Precision announced: 2^-20 s (about a microsecond).
const PRECISION: i8 = -20;

/// An NTP timestamp (seconds since 1900 in the upper 32 bits, modulo 2^32 — RFC 4330's era
/// rule — and the binary fraction in the lower) of a Unix time in nanoseconds.
pub fn ntp_timestamp(unix_nanos: u128) -> u64 {
    let secs = (unix_nanos / 1_000_000_000) as u64;
    let nanos = (unix_nanos % 1_000_000_000) as u64;
    let seconds = (secs.wrapping_add(NTP_UNIX_OFFSET) & 0xFFFF_FFFF) << 32;
    seconds | ((nanos << 32) / 1_000_000_000)
}

/// The reply to `request` at Unix time `now_nanos`; `None` if it is not a client request.
pub fn reply(request: &[u8], now_nanos: u128) -> Option<[u8; PACKET]> {
    if request.len() < PACKET || request[0] & 0x07 != MODE_CLIENT {
        return None;
    }
    let version = (request[0] >> 3) & 0x07;
    if !(1..=4).contains(&version) {
        return None;
    }
    let now = ntp_timestamp(now_nanos).to_be_bytes();
    let mut r = [0u8; PACKET];
    // LI 0 (no warning), the client's version, mode 4.
    r[0] = (version << 3) | MODE_SERVER;
    r[1] = STRATUM;
    r[2] = request[2];
    r[3] = PRECISION as u8;
    // Root delay and dispersion 0: the reference clock is this host.
    r[12..16].copy_from_slice(b"LOCL");
    r[16..24].copy_from_slice(&now);
    r[24..32].copy_from_slice(&request[40..48]);
    r[32..40].copy_from_slice(&now);
    r[40..48].copy_from_slice(&now);
    Some(r)
}

/// The `sntp` peer's state.
pub struct Server {
    unix_time: Option<u64>,
    requests: u64,
    answered: u64,
}

impl Server {
    pub fn new(unix_time: Option<u64>) -> Server {
        Server { unix_time, requests: 0, answered: 0 }
    }

    fn now_nanos(&self) -> u128 {
        match self.unix_time {
            Some(t) => u128::from(t) * 1_000_000_000,
            // A host clock before 1970 is reported as the epoch.
            None => SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()),
        }
    }
}

impl Responder for Server {
    fn respond(&mut self, request: &[u8]) -> Option<Vec<u8>> {
        self.requests += 1;
        let r = reply(request, self.now_nanos())?;
        self.answered += 1;
        Some(r.to_vec())
    }

    fn report(&self) -> String {
        format!("{} requests, {} answered, {} ignored", self.requests, self.answered, self.requests - self.answered)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{start, PeerKind, PeerSpec};
    use super::*;
    use std::net::UdpSocket;
    use std::time::Duration;

    /// 2026-01-01T00:00:00Z.
    const FIXED: u64 = 1_767_225_600;

    fn request(version: u8, transmit: u64) -> Vec<u8> {
        let mut q = vec![0u8; PACKET];
        q[0] = (version << 3) | MODE_CLIENT;
        q[2] = 6;
        q[40..48].copy_from_slice(&transmit.to_be_bytes());
        q
    }

    #[test]
    fn converts_unix_time_to_ntp() {
        assert_eq!(ntp_timestamp(0), NTP_UNIX_OFFSET << 32);
        assert_eq!(ntp_timestamp(u128::from(FIXED) * 1_000_000_000) >> 32, FIXED + NTP_UNIX_OFFSET);
        assert_eq!(ntp_timestamp(500_000_000) & 0xFFFF_FFFF, 1 << 31);
        // Era 1 (from 2036-02-07T06:28:16Z): the seconds wrap.
        let era1 = (1u64 << 32) - NTP_UNIX_OFFSET;
        assert_eq!(ntp_timestamp(u128::from(era1 + 5) * 1_000_000_000) >> 32, 5);
    }

    #[test]
    fn replies_with_mode_4_stratum_1_and_the_originate_timestamp() {
        let transmit = 0x1122_3344_5566_7788;
        let r = reply(&request(4, transmit), u128::from(FIXED) * 1_000_000_000).unwrap();
        assert_eq!(r[0], (4 << 3) | MODE_SERVER, "LI 0, VN 4, mode 4");
        assert_eq!(r[1], 1, "stratum");
        assert_eq!(r[2], 6, "poll copied");
        assert_eq!(&r[12..16], b"LOCL");
        let ts = |at: usize| u64::from_be_bytes(r[at..at + 8].try_into().unwrap());
        let fixed = (FIXED + NTP_UNIX_OFFSET) << 32;
        assert_eq!(ts(24), transmit, "originate = the client's transmit");
        assert_eq!((ts(16), ts(32), ts(40)), (fixed, fixed, fixed), "reference, receive, transmit");
        // Version 3 clients get version 3.
        assert_eq!(reply(&request(3, 1), 0).unwrap()[0], (3 << 3) | MODE_SERVER);
    }

    #[test]
    fn ignores_what_is_not_a_client_request() {
        let mut server_mode = request(4, 1);
        server_mode[0] = (4 << 3) | MODE_SERVER;
        assert!(reply(&server_mode, 0).is_none());
        assert!(reply(&request(4, 1)[..47], 0).is_none());
        assert!(reply(&request(0, 1), 0).is_none());
        assert!(reply(&request(7, 1), 0).is_none());
        // Longer requests (with an authenticator) are fine.
        let mut long = request(4, 9);
        long.extend_from_slice(&[0; 20]);
        assert!(reply(&long, 0).is_some());
    }

    #[test]
    fn serves_fixed_and_host_time_over_udp() {
        let specs = [
            PeerSpec { kind: PeerKind::Sntp { unix_time: Some(FIXED) }, port: 0 },
            PeerSpec { kind: PeerKind::Sntp { unix_time: None }, port: 0 },
        ];
        let peers = start(&specs, "t.toml").unwrap();
        let ports = peers.ports();
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 100];
        c.send_to(&request(4, 42), ("127.0.0.1", ports[0])).unwrap();
        let n = c.recv(&mut buf).unwrap();
        assert_eq!(n, PACKET);
        assert_eq!(u64::from_be_bytes(buf[40..48].try_into().unwrap()) >> 32, FIXED + NTP_UNIX_OFFSET);
        c.send_to(&[0u8; 10], ("127.0.0.1", ports[0])).unwrap();

        let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        c.send_to(&request(4, 43), ("127.0.0.1", ports[1])).unwrap();
        c.recv(&mut buf).unwrap();
        let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let told = (u64::from_be_bytes(buf[40..48].try_into().unwrap()) >> 32) - NTP_UNIX_OFFSET;
        assert!((before..=after).contains(&told), "{before} <= {told} <= {after}");
        assert_eq!(u64::from_be_bytes(buf[24..32].try_into().unwrap()), 43);

        let reports = peers.stop();
        assert_eq!(reports[0], format!("peer sntp:{}: 2 requests, 1 answered, 1 ignored", ports[0]));
        assert_eq!(reports[1], format!("peer sntp:{}: 1 requests, 1 answered, 0 ignored", ports[1]));
    }
}
