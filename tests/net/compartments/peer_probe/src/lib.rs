//! Compartment `probe` of the `peers` image: proves the wiring between the guest and the network
//! test peers that `cargo xtask` runs on the host's 127.0.0.1 (`[[peer]]` in
//! tests/net/images/peers.toml). The image has no TCP/IP stack, so the probe builds and parses
//! Ethernet, ARP, IPv4, UDP and TCP headers itself, and exchanges frames through the firewall
//! compartment `fw` (net/firewall, in front of the LAN9118 driver `eth`):
//!
//! 0. a DHCP DISCOVER gets QEMU's OFFER of 10.0.2.15, from which the firewall learns our address;
//! 1. it ARP-resolves the gateway 10.0.2.2, which QEMU's (unrestricted) user network maps to the
//!    host's loopback;
//! 2. a datagram to the udp-echo peer comes back unchanged;
//! 3. a DNS query for `echo.test` gets 10.0.2.2, one for `nowhere.test` NXDOMAIN (dns peer);
//! 4. an SNTP request gets mode 4, stratum 1, its own transmit timestamp as originate and the
//!    peer's fixed time;
//! 5. the intruders' traffic, forwarded by QEMU to 10.0.2.15:7777 (TCP) and :7778 (UDP), is
//!    unsolicited: the firewall drops it (its inbound-dropped counter grows) and none of it reaches
//!    the probe. The intruders knock every 50 ms of real time, so how many guest ticks three more
//!    drops take shows the clock mode (under 200 with `-icount sleep=on`, where idle time is real
//!    time).
//!
//! It answers ARP requests for its own address throughout (QEMU asks before forwarding).
#![no_std]

use rtos_sys::{println, Error, Granule, ReadOnly, StoreOnly};

/// `fw_stat` index of inbound frames the firewall's policy dropped.
const STAT_INBOUND_DROPPED: u32 = 1;

rtos_sys::imports!();

/// Our address on QEMU's user-mode network (the first DHCP address, where hostfwd delivers).
const OUR_IP: [u8; 4] = [10, 0, 2, 15];
/// The gateway: the host's 127.0.0.1 when the user network is not restricted.
const GATEWAY_IP: [u8; 4] = [10, 0, 2, 2];
/// Ports of the peers, as tests/net/images/peers.toml declares them.
const UDP_ECHO_PORT: u16 = 17201;
const DNS_PORT: u16 = 17253;
const SNTP_PORT: u16 = 17223;
const TCP_INTRUDER_GUEST_PORT: u16 = 7777;
const UDP_INTRUDER_GUEST_PORT: u16 = 7778;
/// The sntp peer's `unix_time` (2026-01-01T00:00:00Z) in NTP seconds (since 1900).
const SNTP_SECONDS: u32 = (1_767_225_600u64 + 2_208_988_800) as u32;
/// Our UDP source port.
const OUR_PORT: u16 = 40000;
/// How long one exchange may take, in ticks (ms).
const WAIT: u32 = 2000;
/// How long the intruders' traffic is watched at most.
const INTRUDER_WAIT: u32 = 5000;
const DHCP_XID: u32 = 0x7065_6572;

const ETHERTYPE_IPV4: [u8; 2] = [0x08, 0x00];
const ETHERTYPE_ARP: [u8; 2] = [0x08, 0x06];
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;
const GRANULES: usize = 48;
const MAX_FRAME: usize = GRANULES * 32;

fn fail(what: &str) -> ! {
    println!("FAIL: {what}");
    rtos_sys::shutdown(1)
}

fn result(r: Result<u32, rtos_sys::CallError>) -> Result<u32, Error> {
    match r {
        Ok(v) if v >= 0xFFFF_FF00 => Err(Error::from_code(v as i32).unwrap_or(Error::InvalidArgument)),
        Ok(v) => Ok(v),
        Err(e) => Err(e),
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// The Internet checksum (RFC 1071) of an IPv4 header.
fn checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in header.chunks(2) {
        sum += u32::from(be16(&[pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// The link, the frame buffers and what arrived from the intruders.
struct Link {
    mac: [u8; 6],
    gateway_mac: [u8; 6],
    tx: [Granule; GRANULES],
    rx: [Granule; GRANULES],
    frame: [u8; MAX_FRAME],
    /// TCP SYNs to the tcp-intruder's guest port (the firewall should let none through).
    syns: u32,
    /// Datagrams to the udp-intruder's guest port (likewise).
    knocks: u32,
}

impl Link {
    /// Sends `frame` (from the destination MAC on, no CRC) through the firewall.
    fn send(&mut self, frame: &[u8]) {
        let mut bytes = [0u8; MAX_FRAME];
        bytes[..frame.len()].copy_from_slice(frame);
        for (g, chunk) in self.tx.iter_mut().zip(bytes.chunks(32)) {
            g.0.copy_from_slice(chunk);
        }
        let granules = frame.len().div_ceil(32);
        let sent = fw::fw_send(ReadOnly::new(&self.tx[..granules]), frame.len() as u32);
        if let Err(e) = result(sent) {
            println!("the firewall refused a {}-byte frame: {e:?}", frame.len());
            fail("a frame was refused");
        }
    }

    /// Receives one frame into `self.frame` within `timeout` ticks; returns its length.
    fn receive(&mut self, timeout: u32) -> Result<usize, Error> {
        let got = fw::fw_recv(StoreOnly::new(&mut self.rx), timeout.max(1));
        let len = result(got)? as usize;
        for (chunk, g) in self.frame.chunks_mut(32).zip(self.rx.iter()) {
            chunk.copy_from_slice(&g.0);
        }
        Ok(len.min(MAX_FRAME))
    }

    /// Receives frames until `wanted` accepts one (returns its length) or `ticks` pass. Every
    /// frame is first looked at for ARP requests for us (answered) and intruder traffic
    /// (counted).
    fn wait_for(&mut self, ticks: u32, mut wanted: impl FnMut(&Link, usize) -> bool) -> Option<usize> {
        let start = rtos_sys::ticks();
        loop {
            let spent = rtos_sys::ticks().wrapping_sub(start);
            if spent >= ticks {
                return None;
            }
            let len = match self.receive(ticks - spent) {
                Ok(len) => len,
                Err(Error::TimedOut) => return None,
                Err(_) => fail("receive failed"),
            };
            self.answer_arp(len);
            self.count_intruders(len);
            if wanted(self, len) {
                return Some(len);
            }
        }
    }

    /// Answers "who has 10.0.2.15".
    fn answer_arp(&mut self, len: usize) {
        let f = &self.frame;
        if len < 42 || f[12..14] != ETHERTYPE_ARP || f[20..22] != [0, 1] || f[38..42] != OUR_IP {
            return;
        }
        let mut r = [0u8; 42];
        r[0..6].copy_from_slice(&f[22..28]);
        r[6..12].copy_from_slice(&self.mac);
        r[12..14].copy_from_slice(&ETHERTYPE_ARP);
        r[14..22].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 2]);
        r[22..28].copy_from_slice(&self.mac);
        r[28..32].copy_from_slice(&OUR_IP);
        r[32..42].copy_from_slice(&f[22..32]);
        self.send(&r);
    }

    /// The IPv4 packet of a received frame addressed to us: (protocol, source, transport
    /// header offset, end of the IP packet).
    fn ipv4(&self, len: usize) -> Option<(u8, [u8; 4], usize, usize)> {
        let f = &self.frame[..len];
        if len < 34 || f[12..14] != ETHERTYPE_IPV4 || f[14] >> 4 != 4 || f[30..34] != OUR_IP {
            return None;
        }
        let header = usize::from(f[14] & 0x0F) * 4;
        let end = (14 + usize::from(be16(&f[16..18]))).min(len);
        let source = [f[26], f[27], f[28], f[29]];
        (header >= 20 && 14 + header + 8 <= end).then_some((f[23], source, 14 + header, end))
    }

    fn count_intruders(&mut self, len: usize) {
        let Some((proto, _, at, _)) = self.ipv4(len) else { return };
        let dest_port = be16(&self.frame[at + 2..at + 4]);
        if proto == PROTO_TCP && dest_port == TCP_INTRUDER_GUEST_PORT && at + 14 <= len {
            let flags = self.frame[at + 13];
            // SYN without ACK: a connection attempt.
            if flags & 0x02 != 0 && flags & 0x10 == 0 {
                self.syns += 1;
            }
        } else if proto == PROTO_UDP && dest_port == UDP_INTRUDER_GUEST_PORT {
            self.knocks += 1;
        }
    }

    /// The payload of a received UDP datagram from 10.0.2.2:`port` to our port.
    fn udp_payload(&self, len: usize, port: u16) -> Option<&[u8]> {
        let (proto, source, at, end) = self.ipv4(len)?;
        let f = &self.frame;
        if proto != PROTO_UDP || source != GATEWAY_IP || be16(&f[at..]) != port || be16(&f[at + 2..]) != OUR_PORT {
            return None;
        }
        let udp_end = (at + usize::from(be16(&f[at + 4..]))).min(end);
        (udp_end >= at + 8).then(|| &f[at + 8..udp_end])
    }

    /// Sends `payload` from our port to 10.0.2.2:`port` in one Ethernet/IPv4/UDP frame.
    fn send_udp(&mut self, port: u16, payload: &[u8]) {
        self.send_datagram(self.gateway_mac, (OUR_IP, OUR_PORT), (GATEWAY_IP, port), payload);
    }

    /// Sends one Ethernet/IPv4/UDP frame (UDP checksum 0: none, which IPv4 allows).
    fn send_datagram(&mut self, dst_mac: [u8; 6], from: ([u8; 4], u16), to: ([u8; 4], u16), payload: &[u8]) {
        let mut f = [0u8; 14 + 20 + 8 + 300];
        let ip_len = 20 + 8 + payload.len();
        f[0..6].copy_from_slice(&dst_mac);
        f[6..12].copy_from_slice(&self.mac);
        f[12..14].copy_from_slice(&ETHERTYPE_IPV4);
        let ip = &mut f[14..34];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&0x5052u16.to_be_bytes());
        ip[6] = 0x40; // don't fragment
        ip[8] = 64;
        ip[9] = PROTO_UDP;
        ip[12..16].copy_from_slice(&from.0);
        ip[16..20].copy_from_slice(&to.0);
        let sum = checksum(ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        f[34..36].copy_from_slice(&from.1.to_be_bytes());
        f[36..38].copy_from_slice(&to.1.to_be_bytes());
        f[38..40].copy_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        f[42..42 + payload.len()].copy_from_slice(payload);
        self.send(&f[..14 + ip_len]);
    }

    /// One UDP exchange with the peer on `port`: the reply's payload copied into `reply`.
    fn exchange(&mut self, port: u16, request: &[u8], reply: &mut [u8]) -> Option<usize> {
        self.send_udp(port, request);
        let mut n = 0;
        self.wait_for(WAIT, |link, len| match link.udp_payload(len, port) {
            Some(p) => {
                n = p.len().min(reply.len());
                reply[..n].copy_from_slice(&p[..n]);
                true
            }
            None => false,
        })?;
        Some(n)
    }
}

/// A DNS query (RD set, one question, type A, class IN) for `name` with `id`.
fn dns_query(id: u16, name: &str, out: &mut [u8; 64]) -> usize {
    out[..12].copy_from_slice(&[(id >> 8) as u8, id as u8, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    let mut at = 12;
    for label in name.split('.') {
        out[at] = label.len() as u8;
        out[at + 1..at + 1 + label.len()].copy_from_slice(label.as_bytes());
        at += 1 + label.len();
    }
    out[at..at + 5].copy_from_slice(&[0, 0, 1, 0, 1]);
    at + 5
}

#[no_mangle]
pub extern "C" fn peer_probe_main(_arg: usize) {
    if result(fw::fw_init()).is_err() {
        fail("the firewall could not initialise the driver");
    }
    let (Ok(lo), Ok(hi)) = (result(fw::fw_mac_low()), result(fw::fw_mac_high())) else {
        fail("cannot read the MAC address")
    };
    let mac = [lo as u8, (lo >> 8) as u8, (lo >> 16) as u8, (lo >> 24) as u8, hi as u8, (hi >> 8) as u8];
    let mut link = Link {
        mac,
        gateway_mac: [0; 6],
        tx: [Granule::ZERO; GRANULES],
        rx: [Granule::ZERO; GRANULES],
        frame: [0; MAX_FRAME],
        syns: 0,
        knocks: 0,
    };

    // 0. DHCP DISCOVER (broadcast from 0.0.0.0:68) and QEMU's OFFER: the firewall learns our
    // address from it, and only then passes frames to and from 10.0.2.15.
    let mut bootp = [0u8; 300];
    bootp[0..4].copy_from_slice(&[1, 1, 6, 0]); // request, Ethernet, 6-byte address, 0 hops
    bootp[4..8].copy_from_slice(&DHCP_XID.to_be_bytes());
    bootp[10] = 0x80; // answer by broadcast
    bootp[28..34].copy_from_slice(&mac);
    bootp[236..240].copy_from_slice(&[99, 130, 83, 99]); // magic cookie
    bootp[240..244].copy_from_slice(&[53, 1, 1, 255]); // DHCP DISCOVER, end
    link.send_datagram([0xFF; 6], ([0; 4], 68), ([255; 4], 67), &bootp);
    let is_offer = |l: &Link, len: usize| {
        let f = &l.frame;
        len >= 14 + 20 + 8 + 240
            && f[12..14] == ETHERTYPE_IPV4
            && f[23] == PROTO_UDP
            && be16(&f[34..]) == 67
            && be16(&f[36..]) == 68
            && f[46..50] == DHCP_XID.to_be_bytes()
    };
    match link.wait_for(WAIT, is_offer) {
        Some(_) => {
            let y = &link.frame[58..62];
            println!("DHCP OFFER through the firewall: {}.{}.{}.{}", y[0], y[1], y[2], y[3]);
            if y != OUR_IP {
                fail("QEMU offered another address than 10.0.2.15");
            }
        }
        None => fail("no DHCP OFFER"),
    }

    // 1. ARP: who has 10.0.2.2?
    let mut arp = [0u8; 42];
    arp[0..6].fill(0xFF);
    arp[6..12].copy_from_slice(&mac);
    arp[12..14].copy_from_slice(&ETHERTYPE_ARP);
    arp[14..22].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    arp[22..28].copy_from_slice(&mac);
    arp[28..32].copy_from_slice(&OUR_IP);
    arp[38..42].copy_from_slice(&GATEWAY_IP);
    link.send(&arp);
    let is_reply = |l: &Link, len: usize| {
        len >= 42 && l.frame[12..14] == ETHERTYPE_ARP && l.frame[20..22] == [0, 2] && l.frame[28..32] == GATEWAY_IP
    };
    if link.wait_for(WAIT, is_reply).is_none() {
        fail("no ARP reply from 10.0.2.2");
    }
    link.gateway_mac.copy_from_slice(&link.frame[22..28]);
    let g = link.gateway_mac;
    println!("ARP: 10.0.2.2 is at {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", g[0], g[1], g[2], g[3], g[4], g[5]);

    // 2. udp-echo.
    let message = b"peer-probe: hello, loopback peer";
    let mut reply = [0u8; 512];
    let sent_at = rtos_sys::ticks();
    match link.exchange(UDP_ECHO_PORT, message, &mut reply) {
        Some(n) if reply[..n] == message[..] => {
            let rtt = rtos_sys::ticks().wrapping_sub(sent_at);
            println!("udp-echo: {n} bytes came back unchanged ({rtt} ticks)");
        }
        Some(_) => fail("udp-echo: the datagram came back changed"),
        None => fail("udp-echo: no answer from 10.0.2.2 (is the user network restricted?)"),
    }

    // 3. dns: a known and an unknown name.
    let mut query = [0u8; 64];
    let n = dns_query(0x5150, "echo.test", &mut query);
    match link.exchange(DNS_PORT, &query[..n], &mut reply) {
        Some(len) if len == n + 16 && reply[..2] == [0x51, 0x50] && reply[2] & 0x80 != 0 && reply[3] & 0x0F == 0 => {
            let a = &reply[len - 4..len];
            println!("dns: echo.test is {}.{}.{}.{}", a[0], a[1], a[2], a[3]);
            if a != GATEWAY_IP {
                fail("dns: wrong address for echo.test");
            }
        }
        Some(_) => fail("dns: the answer for echo.test is not one A record with our ID"),
        None => fail("dns: no answer"),
    }
    let n = dns_query(0x5151, "nowhere.test", &mut query);
    match link.exchange(DNS_PORT, &query[..n], &mut reply) {
        Some(len) if len == n && reply[..2] == [0x51, 0x51] && reply[3] & 0x0F == 3 => {
            println!("dns: nowhere.test is NXDOMAIN");
        }
        Some(_) => fail("dns: the answer for nowhere.test is not NXDOMAIN"),
        None => fail("dns: no answer"),
    }

    // 4. sntp: version 4, mode 3, our transmit timestamp.
    let mut request = [0u8; 48];
    request[0] = (4 << 3) | 3;
    let transmit = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0];
    request[40..48].copy_from_slice(&transmit);
    match link.exchange(SNTP_PORT, &request, &mut reply) {
        Some(48) if reply[0] & 7 == 4 && reply[1] == 1 && reply[24..32] == transmit => {
            let seconds = u32::from_be_bytes([reply[40], reply[41], reply[42], reply[43]]);
            println!("sntp: mode 4, stratum 1, originate = our transmit, time {seconds} (NTP seconds)");
            if seconds != SNTP_SECONDS {
                fail("sntp: not the peer's fixed time");
            }
        }
        Some(_) => fail("sntp: the reply is not a mode-4 stratum-1 answer to our request"),
        None => fail("sntp: no answer"),
    }

    // 5. The intruders knock all along; the firewall must drop what they send (nothing of it
    // was asked for). Frames reach the firewall's policy only while someone receives, so keep
    // receiving (briefly) while watching its inbound-dropped counter.
    let dropped = || result(fw::fw_stat(STAT_INBOUND_DROPPED)).unwrap_or_else(|_| fail("fw_stat failed"));
    let (watch, before) = (rtos_sys::ticks(), dropped());
    let mut after = before;
    while after < before + 3 && rtos_sys::ticks().wrapping_sub(watch) < INTRUDER_WAIT {
        link.wait_for(20, |_, _| false);
        after = dropped();
    }
    let watched = rtos_sys::ticks().wrapping_sub(watch);
    println!(
        "intruders: the firewall dropped {} more inbound frames in {watched} ticks; {} TCP SYNs to port {TCP_INTRUDER_GUEST_PORT} and {} UDP datagrams to port {UDP_INTRUDER_GUEST_PORT} got through",
        after - before,
        link.syns,
        link.knocks
    );
    if link.syns != 0 || link.knocks != 0 {
        fail("unsolicited traffic got through the firewall");
    }
    if after < before + 3 {
        fail("the intruders' traffic did not arrive within the wait, or guest time ran ahead of real time while idle (is the clock `-icount sleep=on`?)");
    }
    println!("PASS");
    rtos_sys::shutdown(0);
}
