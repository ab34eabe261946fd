//! Compartment `probe` of the firewall test: it imports only `fw.*` and reaches the network (QEMU's
//! restricted user-mode network) through the firewall compartment. It resolves the gateway
//! 10.0.2.2 with ARP (once while a second thread of this compartment sends and the first waits in
//! `fw_recv`), gets a DHCP OFFER for a DISCOVER it sends, and checks that bad frames are refused
//! before they reach the driver, with the counters to match. Nothing it sends leaves QEMU: ARP
//! and DHCP are answered by QEMU itself, and the refused frames never reach the wire.
#![no_std]

use core::sync::atomic::{AtomicU32, Ordering};

use boundary_support::{case, decode, finish, yes, ANY_OK};
use rtos_sys::{println, Error, Granule, ReadOnly, StoreOnly};

rtos_sys::imports!();

/// Our address on QEMU's user-mode network (the first its DHCP server hands out), and the
/// gateway's.
const OUR_IP: [u8; 4] = [10, 0, 2, 15];
const GATEWAY_IP: [u8; 4] = [10, 0, 2, 2];
const BROADCAST_MAC: [u8; 6] = [0xFF; 6];
const ETHERTYPE_ARP: [u8; 2] = [0x08, 0x06];
const ETHERTYPE_IPV4: [u8; 2] = [0x08, 0x00];
const DHCP_XID: u32 = 0x5EED_F00D;
/// A unicast destination for the frames the firewall must refuse (they never reach the wire).
const SOME_MAC: [u8; 6] = [0x52, 0x55, 10, 0, 2, 2];

/// A frame buffer as the firewall takes it: whole granules, room for any frame.
type Buf = [Granule; 48];

fn to_granules(bytes: &[u8]) -> Buf {
    let mut g = [Granule::ZERO; 48];
    for (i, b) in bytes.iter().enumerate().take(48 * 32) {
        g[i / 32].0[i % 32] = *b;
    }
    g
}

fn byte(g: &Buf, i: usize) -> u8 {
    g.get(i / 32).map_or(0, |g| g.0[i % 32])
}

fn bytes<const N: usize>(g: &Buf, at: usize) -> [u8; N] {
    core::array::from_fn(|i| byte(g, at + i))
}

/// The Internet checksum of `data`, continuing the one's-complement sum `acc`.
fn sum(data: &[u8], mut acc: u32) -> u32 {
    for pair in data.chunks(2) {
        acc += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    !(acc as u16)
}

/// An ARP request "who has `target`, tell `ip`/`mac`" from Ethernet source `eth_src` (42 bytes).
fn arp_request(eth_src: [u8; 6], mac: [u8; 6], ip: [u8; 4], target: [u8; 4]) -> [u8; 42] {
    let mut f = [0u8; 42];
    f[0..6].copy_from_slice(&BROADCAST_MAC);
    f[6..12].copy_from_slice(&eth_src);
    f[12..14].copy_from_slice(&ETHERTYPE_ARP);
    f[14..22].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&ip);
    f[38..42].copy_from_slice(&target);
    f
}

/// An IPv4/UDP frame from `src`:`sport` to `dst`:`dport` with `payload`, checksums filled in;
/// returns the frame length.
fn udp_frame(
    out: &mut [u8],
    mac: [u8; 6],
    dst_mac: [u8; 6],
    src: [u8; 4],
    dst: [u8; 4],
    ports: (u16, u16),
    payload: &[u8],
) -> usize {
    let udp_len = 8 + payload.len();
    let total = 20 + udp_len;
    out[0..6].copy_from_slice(&dst_mac);
    out[6..12].copy_from_slice(&mac);
    out[12..14].copy_from_slice(&ETHERTYPE_IPV4);
    let ip = &mut out[14..34];
    ip.copy_from_slice(&[0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let c = fold(sum(ip, 0));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let udp = &mut out[34..34 + udp_len];
    udp[0..2].copy_from_slice(&ports.0.to_be_bytes());
    udp[2..4].copy_from_slice(&ports.1.to_be_bytes());
    udp[4..6].copy_from_slice(&(udp_len as u16).to_be_bytes());
    udp[8..].copy_from_slice(payload);
    // Pseudo header: addresses, protocol, UDP length.
    let pseudo = sum(&src, sum(&dst, 17 + udp_len as u32));
    let c = fold(sum(udp, pseudo));
    udp[6..8].copy_from_slice(&(if c == 0 { 0xFFFF } else { c }).to_be_bytes());
    14 + total
}

/// A DHCP DISCOVER from `mac` (BOOTP request, 300 bytes with the options), as a broadcast from
/// 0.0.0.0:68 to 255.255.255.255:67; returns the frame length.
fn dhcp_discover(out: &mut [u8], mac: [u8; 6]) -> usize {
    let mut bootp = [0u8; 300];
    bootp[0..4].copy_from_slice(&[1, 1, 6, 0]); // request, Ethernet, 6-byte address, 0 hops
    bootp[4..8].copy_from_slice(&DHCP_XID.to_be_bytes());
    bootp[10] = 0x80; // broadcast flag
    bootp[28..34].copy_from_slice(&mac);
    bootp[236..240].copy_from_slice(&[99, 130, 83, 99]); // magic cookie
    bootp[240..244].copy_from_slice(&[53, 1, 1, 255]); // message type DISCOVER, end
    udp_frame(out, mac, BROADCAST_MAC, [0; 4], [255; 4], (68, 67), &bootp)
}

fn mac_of(lo: u32, hi: u32) -> [u8; 6] {
    let [a, b, c, d] = lo.to_le_bytes();
    let [e, f, _, _] = hi.to_le_bytes();
    [a, b, c, d, e, f]
}

fn stat(index: u32) -> Result<u32, Error> {
    decode(fw::fw_stat(index))
}

fn send(frame: &[u8]) -> Result<u32, Error> {
    let g = to_granules(frame);
    decode(fw::fw_send(ReadOnly::new(&g), frame.len() as u32))
}

/// Receives frames for up to `ticks` until `want` accepts one; the number of frames skipped.
fn receive_until(buf: &mut Buf, ticks: u32, want: impl Fn(&Buf, usize) -> bool) -> Result<u32, Error> {
    let deadline = rtos_sys::now() + u64::from(ticks);
    let mut skipped = 0;
    loop {
        let left = deadline.saturating_sub(rtos_sys::now()).max(1) as u32;
        let len = decode(fw::fw_recv(StoreOnly::new(buf), left))? as usize;
        if want(buf, len) {
            return Ok(skipped);
        }
        skipped += 1;
    }
}

fn is_arp_reply_from_gateway(f: &Buf, len: usize) -> bool {
    len >= 42 && bytes::<2>(f, 12) == ETHERTYPE_ARP && bytes::<2>(f, 20) == [0, 2] && bytes::<4>(f, 28) == GATEWAY_IP
}

fn is_dhcp_offer(f: &Buf, len: usize) -> bool {
    // The firewall passes IPv4 without options only: UDP at 34, BOOTP at 42, options at 282.
    let udp = bytes::<4>(f, 34);
    let is_reply = len > 286 && bytes::<2>(f, 12) == ETHERTYPE_IPV4 && byte(f, 23) == 17 && udp == [0, 67, 0, 68];
    if !is_reply || byte(f, 42) != 2 || bytes::<4>(f, 46) != DHCP_XID.to_be_bytes() {
        return false;
    }
    let mut at = 282;
    while at + 2 < len {
        match byte(f, at) {
            0 => at += 1,
            255 => return false,
            53 => return byte(f, at + 2) == 2,
            _ => at += 2 + usize::from(byte(f, at + 1)),
        }
    }
    false
}

// ---- the second thread: sends while the first waits in fw_recv ----

/// 1 once `sender_main` may start; 2 once it is done.
static PHASE: AtomicU32 = AtomicU32::new(0);
/// What the sender's calls returned (ABI values).
static SENDER_RECV: AtomicU32 = AtomicU32::new(0);
static SENDER_SEND: AtomicU32 = AtomicU32::new(0);
static OUR_MAC_LO: AtomicU32 = AtomicU32::new(0);
static OUR_MAC_HI: AtomicU32 = AtomicU32::new(0);

/// Waits for the go, then (while `probe_main` is blocked in `fw_recv`) tries a second receive
/// and sends an ARP request for the gateway.
#[no_mangle]
pub extern "C" fn sender_main(_arg: usize) {
    while PHASE.load(Ordering::Acquire) == 0 {
        let _ = rtos_sys::futex_wait(&PHASE, 0, None);
    }
    let mut small = [Granule::ZERO; 2];
    SENDER_RECV.store(fw::fw_recv(StoreOnly::new(&mut small), 1).unwrap_or(u32::MAX), Ordering::Relaxed);
    let mac = mac_of(OUR_MAC_LO.load(Ordering::Relaxed), OUR_MAC_HI.load(Ordering::Relaxed));
    let frame = to_granules(&arp_request(mac, mac, OUR_IP, GATEWAY_IP));
    SENDER_SEND.store(fw::fw_send(ReadOnly::new(&frame), 42).unwrap_or(u32::MAX), Ordering::Relaxed);
    PHASE.store(2, Ordering::Release);
}

#[no_mangle]
pub extern "C" fn probe_main(_arg: usize) {
    case("fw_stat before fw_init", Err(Error::NotPermitted), stat(0));
    if !case("fw_init: driver reset, MAC learned", Ok(0), decode(fw::fw_init())) {
        finish("firewall");
    }
    case("fw_init again: 0, nothing reset", Ok(0), decode(fw::fw_init()));
    let (Ok(lo), Ok(hi)) = (decode(fw::fw_mac_low()), decode(fw::fw_mac_high())) else {
        println!("FAIL: cannot read the MAC address through the firewall");
        rtos_sys::shutdown(1)
    };
    let mac = mac_of(lo, hi);
    println!("MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    let mut buf: Buf = [Granule::ZERO; 48];
    case("fw_recv on a quiet link", Err(Error::TimedOut), decode(fw::fw_recv(StoreOnly::new(&mut buf), 5)));

    // ARP through the firewall: the request claims our address, the reply is one we asked for.
    case("ARP request for 10.0.2.2 sent", Ok(0), send(&arp_request(mac, mac, OUR_IP, GATEWAY_IP)));
    let reply = receive_until(&mut buf, 1000, is_arp_reply_from_gateway);
    if case("ARP reply from the gateway passes", Ok(0), reply) {
        let gw: [u8; 6] = bytes(&buf, 22);
        println!(
            "ARP reply through the firewall: 10.0.2.2 is at {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            gw[0], gw[1], gw[2], gw[3], gw[4], gw[5]
        );
    }

    // The same exchange with the send on another thread while this one waits in fw_recv: the
    // policy lock is not held across the receive, and a second receiver is turned away.
    OUR_MAC_LO.store(lo, Ordering::Relaxed);
    OUR_MAC_HI.store(hi, Ordering::Relaxed);
    PHASE.store(1, Ordering::Release);
    rtos_sys::futex_wake(&PHASE, 1);
    let reply = receive_until(&mut buf, 1000, is_arp_reply_from_gateway);
    case("concurrent: reply to sender's ARP", Ok(0), reply);
    while PHASE.load(Ordering::Acquire) != 2 {
        rtos_sys::sleep(1);
    }
    case("concurrent: second fw_recv refused", Err(Error::Busy), decode(Ok(SENDER_RECV.load(Ordering::Relaxed))));
    case("concurrent: send while fw_recv waits", Ok(0), decode(Ok(SENDER_SEND.load(Ordering::Relaxed))));

    // DHCP: the DISCOVER opens a short window for replies of its transaction.
    let mut frame = [0u8; 400];
    let len = dhcp_discover(&mut frame, mac);
    case("DHCP DISCOVER sent", Ok(0), send(&frame[..len]));
    let offer = receive_until(&mut buf, 1000, is_dhcp_offer);
    if case("DHCP OFFER from QEMU's server passes", ANY_OK, offer) {
        let yiaddr: [u8; 4] = bytes(&buf, 58);
        let server: [u8; 4] = bytes(&buf, 26);
        println!(
            "DHCP OFFER through the firewall: {}.{}.{}.{} from {}.{}.{}.{}",
            yiaddr[0], yiaddr[1], yiaddr[2], yiaddr[3], server[0], server[1], server[2], server[3]
        );
    }

    let passed_in = stat(0).unwrap_or(0);
    case("counter: inbound passed >= 3", yes(true), yes(passed_in >= 3));
    case("counter: outbound passed", Ok(3), stat(3));
    case("counter: outbound refused", Ok(0), stat(4));
    case("counter: no flows from ARP or DHCP", Ok(0), stat(5));
    case("counter: index 6 does not exist", Err(Error::InvalidArgument), stat(6));

    // Bad frames: refused by the firewall, never handed to the driver.
    let other_mac = [0x02, 0, 0, 0, 0, 0x66];
    case(
        "foreign source MAC refused",
        Err(Error::NotPermitted),
        send(&arp_request(other_mac, mac, OUR_IP, GATEWAY_IP)),
    );
    case(
        "ARP for a foreign sender MAC refused",
        Err(Error::NotPermitted),
        send(&arp_request(mac, other_mac, OUR_IP, GATEWAY_IP)),
    );
    let mut frame = [0u8; 400];
    let len = udp_frame(&mut frame, mac, SOME_MAC, [10, 0, 2, 99], GATEWAY_IP, (5000, 5000), b"x");
    case("spoofed source IP refused", Err(Error::NotPermitted), send(&frame[..len]));
    let len = udp_frame(&mut frame, mac, SOME_MAC, OUR_IP, GATEWAY_IP, (5000, 5000), b"x");
    case("truncated IPv4 header refused", Err(Error::InvalidArgument), send(&frame[..24]));
    frame[len - 1] ^= 0xFF;
    case("bad UDP checksum refused", Err(Error::InvalidArgument), send(&frame[..len]));
    let mut v6 = arp_request(mac, mac, OUR_IP, GATEWAY_IP);
    v6[12..14].copy_from_slice(&[0x86, 0xDD]);
    case("IPv6 refused", Err(Error::NotPermitted), send(&v6));
    case("13-byte frame refused", Err(Error::InvalidArgument), send(&v6[..13]));
    let g = to_granules(&v6);
    case("length 1515 refused", Err(Error::InvalidArgument), decode(fw::fw_send(ReadOnly::new(&g), 1515)));
    case(
        "length beyond the grant refused",
        Err(Error::InvalidArgument),
        decode(fw::fw_send(ReadOnly::new(&g[..2]), 65)),
    );
    case("counter: outbound refused", Ok(9), stat(4));
    case("counter: outbound passed unchanged", Ok(3), stat(3));
    finish("firewall");
}
