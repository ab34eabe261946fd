//! Host tests of the policy: frames are built byte by byte (checksums filled with smoltcp), fed
//! to a [`Firewall`], and the verdicts, state and counters checked.

use super::*;
use smoltcp::wire::{IpAddress, Ipv4Packet, TcpPacket, UdpPacket};

const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
const GW_MAC: [u8; 6] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
const OTHER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x99];
const BCAST: [u8; 6] = [0xFF; 6];
const OUR: [u8; 4] = [10, 0, 2, 15];
const GW: [u8; 4] = [10, 0, 2, 2];
const REMOTE: [u8; 4] = [93, 184, 216, 34];
const ISN: u32 = 1000;
const IRS: u32 = 5_000_000;

const ETH_ARP: u16 = 0x0806;
const ETH_IPV4: u16 = 0x0800;
const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMP: u8 = 1;

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const FIN: u8 = 0x01;
const PSH: u8 = 0x08;

fn t() -> Timeouts {
    Timeouts::DEFAULT
}

fn ip(a: [u8; 4]) -> Ipv4Address {
    Ipv4Address::from(a)
}

// ---- frame builders ----

fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IPv4 header (no options, checksum filled) followed by `payload`.
fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; 20];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    p[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
    p[6] = 0x40; // don't fragment
    p[8] = 64;
    p[9] = proto;
    p[12..16].copy_from_slice(&src);
    p[16..20].copy_from_slice(&dst);
    p.extend_from_slice(payload);
    Ipv4Packet::new_unchecked(&mut p[..]).fill_checksum();
    p
}

fn refill_ip_checksum(packet: &mut [u8]) {
    packet[10] = 0;
    packet[11] = 0;
    Ipv4Packet::new_unchecked(&mut packet[..]).fill_checksum();
}

#[allow(clippy::too_many_arguments)]
fn tcp_seg(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    window: u16,
    options: &[u8],
    data: &[u8],
) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0, "test bug: TCP options must be whole words");
    let header = 20 + options.len();
    let mut s = vec![0u8; header];
    s[0..2].copy_from_slice(&sport.to_be_bytes());
    s[2..4].copy_from_slice(&dport.to_be_bytes());
    s[4..8].copy_from_slice(&seq.to_be_bytes());
    s[8..12].copy_from_slice(&ack.to_be_bytes());
    s[12] = ((header / 4) as u8) << 4;
    s[13] = flags;
    s[14..16].copy_from_slice(&window.to_be_bytes());
    s[20..].copy_from_slice(options);
    s.extend_from_slice(data);
    TcpPacket::new_unchecked(&mut s[..]).fill_checksum(&IpAddress::Ipv4(ip(src)), &IpAddress::Ipv4(ip(dst)));
    s
}

fn udp_dgram(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut d = vec![0u8; 8];
    d[0..2].copy_from_slice(&sport.to_be_bytes());
    d[2..4].copy_from_slice(&dport.to_be_bytes());
    d[4..6].copy_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    d.extend_from_slice(data);
    UdpPacket::new_unchecked(&mut d[..]).fill_checksum(&IpAddress::Ipv4(ip(src)), &IpAddress::Ipv4(ip(dst)));
    d
}

fn icmp_msg(ty: u8, code: u8, rest: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut m = vec![ty, code, 0, 0];
    m.extend_from_slice(&rest);
    m.extend_from_slice(data);
    smoltcp::wire::Icmpv4Packet::new_unchecked(&mut m[..]).fill_checksum();
    m
}

fn echo(ty: u8, ident: u16, seq: u16) -> Vec<u8> {
    let [a, b] = ident.to_be_bytes();
    let [c, d] = seq.to_be_bytes();
    icmp_msg(ty, 0, [a, b, c, d], b"ping")
}

fn arp_msg(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut a = vec![0, 1, 0x08, 0x00, 6, 4];
    a.extend_from_slice(&op.to_be_bytes());
    a.extend_from_slice(&sha);
    a.extend_from_slice(&spa);
    a.extend_from_slice(&tha);
    a.extend_from_slice(&tpa);
    a
}

/// A BOOTP/DHCP message: `op` 1 request / 2 reply, with a message-type option.
fn dhcp_msg(op: u8, xid: u32, chaddr: [u8; 6], yiaddr: [u8; 4], msg_type: u8) -> Vec<u8> {
    let mut m = vec![0u8; 240];
    m[0] = op;
    m[1] = 1;
    m[2] = 6;
    m[4..8].copy_from_slice(&xid.to_be_bytes());
    m[16..20].copy_from_slice(&yiaddr);
    m[28..34].copy_from_slice(&chaddr);
    m[236..240].copy_from_slice(&DHCP_MAGIC.to_be_bytes());
    m.extend_from_slice(&[53, 1, msg_type, 255]);
    m
}

// ---- whole frames, by direction ----

fn out_ip(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    eth(GW_MAC, MAC, ETH_IPV4, &ipv4(src, dst, proto, payload))
}

fn in_ip(proto: u8, src: [u8; 4], payload: &[u8]) -> Vec<u8> {
    eth(MAC, GW_MAC, ETH_IPV4, &ipv4(src, OUR, proto, payload))
}

fn out_tcp(flags: u8, seq: u32, ack: u32) -> Vec<u8> {
    out_tcp_opts(flags, seq, ack, 4096, &[])
}

fn out_tcp_opts(flags: u8, seq: u32, ack: u32, window: u16, options: &[u8]) -> Vec<u8> {
    out_ip(TCP, OUR, REMOTE, &tcp_seg(OUR, REMOTE, 49152, 443, seq, ack, flags, window, options, &[]))
}

fn in_tcp(flags: u8, seq: u32, ack: u32) -> Vec<u8> {
    in_tcp_opts(flags, seq, ack, &[])
}

fn in_tcp_opts(flags: u8, seq: u32, ack: u32, options: &[u8]) -> Vec<u8> {
    in_ip(TCP, REMOTE, &tcp_seg(REMOTE, OUR, 443, 49152, seq, ack, flags, 8192, options, &[]))
}

fn out_udp(dport: u16) -> Vec<u8> {
    out_ip(UDP, OUR, REMOTE, &udp_dgram(OUR, REMOTE, 5353, dport, b"query"))
}

fn in_udp(src: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
    in_ip(UDP, src, &udp_dgram(src, OUR, sport, dport, b"answer"))
}

fn out_arp_request(target: [u8; 4]) -> Vec<u8> {
    eth(BCAST, MAC, ETH_ARP, &arp_msg(1, MAC, OUR, [0; 6], target))
}

fn in_arp_reply(from_ip: [u8; 4]) -> Vec<u8> {
    eth(MAC, GW_MAC, ETH_ARP, &arp_msg(2, GW_MAC, from_ip, MAC, OUR))
}

fn dhcp_discover(xid: u32) -> Vec<u8> {
    let m = dhcp_msg(1, xid, MAC, [0; 4], 1);
    let bcast = [255; 4];
    eth(BCAST, MAC, ETH_IPV4, &ipv4([0; 4], bcast, UDP, &udp_dgram([0; 4], bcast, 68, 67, &m)))
}

fn dhcp_reply(xid: u32, chaddr: [u8; 6], yiaddr: [u8; 4], msg_type: u8) -> Vec<u8> {
    let m = dhcp_msg(2, xid, chaddr, yiaddr, msg_type);
    let bcast = [255; 4];
    eth(BCAST, GW_MAC, ETH_IPV4, &ipv4(GW, bcast, UDP, &udp_dgram(GW, bcast, 67, 68, &m)))
}

/// A firewall that has learned our IP address from an ARP request for the gateway.
fn firewall() -> Firewall {
    let mut fw = Firewall::new(EthernetAddress(MAC), t());
    assert_eq!(fw.outbound(&out_arp_request(GW), 0), Ok(()));
    assert_eq!(fw.ip(), Some(ip(OUR)));
    fw
}

/// A firewall with an established TCP flow OUR:49152 → REMOTE:443 (our ISN, their IRS; our ACK
/// sent with a 4096-byte window).
fn established() -> Firewall {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN, 0), 10), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN + 1), 20), Ok(()));
    assert_eq!(fw.outbound(&out_tcp(ACK, ISN + 1, IRS + 1), 30), Ok(()));
    fw
}

fn assert_counts_consistent(fw: &Firewall, inbound: u32, outbound: u32) {
    let s = fw.stats();
    assert_eq!(s.inbound_passed + s.inbound_dropped + s.inbound_malformed, inbound, "{s:?}");
    assert_eq!(s.outbound_passed + s.outbound_refused, outbound, "{s:?}");
    assert!(s.outbound_malformed <= s.outbound_refused, "{s:?}");
}

// ---- Ethernet ----

#[test]
fn inbound_to_another_mac_is_dropped() {
    let mut fw = firewall();
    let mut f = in_udp(REMOTE, 53, 5353);
    f[0..6].copy_from_slice(&OTHER_MAC);
    assert_eq!(fw.inbound(&f, 0), Err(Reason::NotOurMac));
    // Multicast MAC addresses are not ours either.
    f[0..6].copy_from_slice(&[0x01, 0x00, 0x5e, 0, 0, 1]);
    assert_eq!(fw.inbound(&f, 0), Err(Reason::NotOurMac));
}

#[test]
fn inbound_from_broadcast_multicast_or_our_own_mac_is_spoofed() {
    let mut fw = firewall();
    for src in [BCAST, [0x01, 0x00, 0x5e, 0, 0, 1], MAC] {
        let mut f = in_arp_reply(GW);
        f[6..12].copy_from_slice(&src);
        assert_eq!(fw.inbound(&f, 0), Err(Reason::SpoofedSource), "source {src:x?}");
    }
}

#[test]
fn ipv6_vlan_and_other_ethertypes_are_dropped_both_ways() {
    let mut fw = firewall();
    for ethertype in [0x86DD, 0x8100, 0x88CC, 0x0000, 0xFFFF] {
        let payload = [0u8; 60];
        assert_eq!(fw.inbound(&eth(MAC, GW_MAC, ethertype, &payload), 0), Err(Reason::EtherType));
        assert_eq!(fw.outbound(&eth(GW_MAC, MAC, ethertype, &payload), 0), Err(Reason::EtherType));
    }
    assert_eq!(fw.stats().inbound_dropped, 5);
    assert_eq!(fw.stats().outbound_refused, 5);
    assert_eq!(fw.stats().outbound_malformed, 0);
}

#[test]
fn oversized_frames_are_malformed_both_ways() {
    let mut fw = firewall();
    let big = eth(MAC, GW_MAC, ETH_IPV4, &[0u8; 1501]);
    assert_eq!(big.len(), MAX_FRAME + 1);
    assert_eq!(fw.inbound(&big, 0), Err(Reason::Oversized));
    let mut big_out = big.clone();
    big_out[0..6].copy_from_slice(&GW_MAC);
    big_out[6..12].copy_from_slice(&MAC);
    assert_eq!(fw.outbound(&big_out, 0), Err(Reason::Oversized));
    assert_eq!(fw.stats().inbound_malformed, 1);
    assert_eq!(fw.stats().outbound_malformed, 1);
}

#[test]
fn ethernet_padding_after_the_ip_packet_is_accepted() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    let mut f = in_udp(REMOTE, 53, 5353);
    f.extend_from_slice(&[0u8; 18]);
    assert_eq!(fw.inbound(&f, 1), Ok(()));
}

// ---- truncation at every header boundary ----

/// Every proper prefix of a frame that passes whole is malformed, never passed, and never
/// panics; the whole frame still passes afterwards (no state was changed by the prefixes).
fn check_every_prefix_malformed(fw: &mut Firewall, frame: &[u8], inbound: bool) {
    for len in 0..frame.len() {
        let verdict = if inbound { fw.inbound(&frame[..len], 40) } else { fw.outbound(&frame[..len], 40) };
        match verdict {
            Err(r) if r.is_malformed() => {}
            other => panic!("prefix of {len} of {} bytes: {other:?}", frame.len()),
        }
    }
    let whole = if inbound { fw.inbound(frame, 40) } else { fw.outbound(frame, 40) };
    assert_eq!(whole, Ok(()));
}

#[test]
fn truncated_inbound_frames_are_malformed_at_every_length() {
    let mut fw = established();
    check_every_prefix_malformed(&mut fw, &in_tcp(ACK | PSH, IRS + 1, ISN + 1), true);
    assert_eq!(fw.outbound(&out_udp(53), 40), Ok(()));
    check_every_prefix_malformed(&mut fw, &in_udp(REMOTE, 53, 5353), true);
    assert_eq!(fw.outbound(&out_ip(ICMP, OUR, REMOTE, &echo(8, 7, 1)), 40), Ok(()));
    check_every_prefix_malformed(&mut fw, &in_ip(ICMP, REMOTE, &echo(0, 7, 1)), true);
    assert_eq!(fw.outbound(&out_arp_request(GW), 40), Ok(()));
    check_every_prefix_malformed(&mut fw, &in_arp_reply(GW), true);
    assert_eq!(fw.outbound(&dhcp_discover(0xabcd), 40), Ok(()));
    check_every_prefix_malformed(&mut fw, &dhcp_reply(0xabcd, MAC, OUR, 2), true);
}

#[test]
fn truncated_outbound_frames_are_malformed_at_every_length() {
    let mut fw = established();
    check_every_prefix_malformed(&mut fw, &out_tcp(ACK, ISN + 1, IRS + 1), false);
    check_every_prefix_malformed(&mut fw, &out_udp(53), false);
    check_every_prefix_malformed(&mut fw, &out_ip(ICMP, OUR, REMOTE, &echo(8, 7, 1)), false);
    check_every_prefix_malformed(&mut fw, &out_arp_request(GW), false);
    check_every_prefix_malformed(&mut fw, &dhcp_discover(1), false);
}

// ---- IPv4 header ----

#[test]
fn bad_ip_header_checksum_is_malformed() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    let mut f = in_udp(REMOTE, 53, 5353);
    f[14 + 10] ^= 0x01;
    assert_eq!(fw.inbound(&f, 1), Err(Reason::BadChecksum));
    let mut o = out_udp(53);
    o[14 + 11] ^= 0x80;
    assert_eq!(fw.outbound(&o, 1), Err(Reason::BadChecksum));
    assert_eq!(fw.stats().inbound_malformed, 1);
    assert_eq!(fw.stats().outbound_malformed, 1);
}

#[test]
fn ip_version_and_header_length_are_checked() {
    let mut fw = firewall();
    let mut f = in_udp(REMOTE, 53, 5353);
    f[14] = 0x65; // version 6 in an IPv4 ethertype
    refill_ip_checksum(&mut f[14..]);
    assert_eq!(fw.inbound(&f, 0), Err(Reason::BadHeader));
    for ihl in 0..5u8 {
        let mut f = in_udp(REMOTE, 53, 5353);
        f[14] = 0x40 | ihl;
        assert_eq!(fw.inbound(&f, 0), Err(Reason::BadHeader), "IHL {ihl}");
    }
    // IHL 15 (60 bytes) in a frame whose IP packet is shorter than that.
    let mut f = in_ip(UDP, REMOTE, &[0u8; 8]);
    f[14] = 0x4F;
    assert_eq!(fw.inbound(&f, 0), Err(Reason::Truncated));
}

#[test]
fn ip_options_are_refused_both_ways() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    // IHL 6: one word of options (router alert), valid checksum.
    let udp = udp_dgram(REMOTE, OUR, 53, 5353, b"answer");
    let mut p = ipv4(REMOTE, OUR, UDP, &udp);
    p.splice(20..20, [0x94, 0x04, 0, 0]);
    p[0] = 0x46;
    let total = p.len() as u16;
    p[2..4].copy_from_slice(&total.to_be_bytes());
    refill_ip_checksum(&mut p);
    assert_eq!(fw.inbound(&eth(MAC, GW_MAC, ETH_IPV4, &p), 1), Err(Reason::IpOptions));
    let mut o = p.clone();
    o[12..16].copy_from_slice(&OUR);
    o[16..20].copy_from_slice(&REMOTE);
    refill_ip_checksum(&mut o);
    assert_eq!(fw.outbound(&eth(GW_MAC, MAC, ETH_IPV4, &o), 1), Err(Reason::IpOptions));
}

#[test]
fn ip_total_length_inconsistent_with_the_frame_is_malformed() {
    let mut fw = firewall();
    let mut f = in_udp(REMOTE, 53, 5353);
    // Total length beyond the frame.
    f[16..18].copy_from_slice(&1000u16.to_be_bytes());
    refill_ip_checksum(&mut f[14..]);
    assert_eq!(fw.inbound(&f, 0), Err(Reason::Truncated));
    // Total length shorter than the header.
    f[16..18].copy_from_slice(&12u16.to_be_bytes());
    refill_ip_checksum(&mut f[14..]);
    assert_eq!(fw.inbound(&f, 0), Err(Reason::Truncated));
}

#[test]
fn fragments_are_refused_both_ways() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    for (flags_hi, offset_lo) in [(0x20u8, 0u8), (0x00, 0x10), (0x20, 0x01), (0x1F, 0xFF)] {
        let mut f = in_udp(REMOTE, 53, 5353);
        f[14 + 6] = flags_hi;
        f[14 + 7] = offset_lo;
        refill_ip_checksum(&mut f[14..]);
        assert_eq!(fw.inbound(&f, 1), Err(Reason::Fragment));
        let mut o = out_udp(53);
        o[14 + 6] = flags_hi;
        o[14 + 7] = offset_lo;
        refill_ip_checksum(&mut o[14..]);
        assert_eq!(fw.outbound(&o, 1), Err(Reason::Fragment));
    }
}

#[test]
fn spoofed_inbound_sources_are_dropped() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    for src in [OUR, [127, 0, 0, 1], [255, 255, 255, 255], [224, 0, 0, 1], [0, 0, 0, 0], [0, 1, 2, 3], [240, 0, 0, 1]] {
        assert_eq!(fw.inbound(&in_udp(src, 53, 5353), 1), Err(Reason::SpoofedSource), "source {src:?}");
    }
}

#[test]
fn inbound_ip_to_another_address_or_broadcast_is_dropped() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    let d = udp_dgram(REMOTE, [10, 0, 2, 16], 53, 5353, b"x");
    assert_eq!(
        fw.inbound(&eth(MAC, GW_MAC, ETH_IPV4, &ipv4(REMOTE, [10, 0, 2, 16], UDP, &d)), 1),
        Err(Reason::NotOurIp)
    );
    // Our IP but sent to the broadcast MAC: only DHCP may come by broadcast.
    let mut f = in_udp(REMOTE, 53, 5353);
    f[0..6].copy_from_slice(&BCAST);
    assert_eq!(fw.inbound(&f, 1), Err(Reason::NotOurIp));
    // Before our address is known nothing but DHCP can be for us.
    let mut fresh = Firewall::new(EthernetAddress(MAC), t());
    assert_eq!(fresh.inbound(&in_udp(REMOTE, 53, 5353), 1), Err(Reason::NotOurIp));
}

#[test]
fn other_ip_protocols_are_refused_both_ways() {
    let mut fw = firewall();
    let gre = [0u8; 16];
    assert_eq!(fw.inbound(&in_ip(47, REMOTE, &gre), 0), Err(Reason::Protocol));
    assert_eq!(fw.outbound(&out_ip(47, OUR, REMOTE, &gre), 0), Err(Reason::Protocol));
    // IGMP (2), to a unicast address.
    assert_eq!(fw.outbound(&out_ip(2, OUR, GW, &[0x16, 0, 0, 0, 224, 0, 0, 1]), 0), Err(Reason::Protocol));
}

// ---- TCP ----

#[test]
fn tcp_handshake_data_and_close_pass() {
    let mut fw = established();
    assert_eq!(fw.live_flows(30), 1);
    let data = in_ip(TCP, REMOTE, &tcp_seg(REMOTE, OUR, 443, 49152, IRS + 1, ISN + 1, ACK | PSH, 8192, &[], b"hello"));
    assert_eq!(fw.inbound(&data, 40), Ok(()));
    assert_eq!(fw.outbound(&out_tcp(ACK | FIN, ISN + 1, IRS + 6), 50), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(ACK | FIN, IRS + 6, ISN + 2), 60), Ok(()));
    // Both FINs: the final ACK still goes out, a retransmitted FIN still comes in (linger).
    assert_eq!(fw.outbound(&out_tcp(ACK, ISN + 2, IRS + 7), 61), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(ACK | FIN, IRS + 6, ISN + 2), 70), Ok(()));
    assert_eq!(fw.live_flows(70), 1);
    // After the linger the flow is gone.
    let after = 60 + t().tcp_linger;
    assert_eq!(fw.live_flows(after), 0);
    assert_eq!(fw.inbound(&in_tcp(ACK, IRS + 7, ISN + 2), after), Err(Reason::NoFlow));
    assert_eq!(fw.outbound(&out_tcp(ACK, ISN + 2, IRS + 7), after), Err(Reason::NoFlow));
    assert_counts_consistent(&fw, 5, 6);
}

#[test]
fn syn_ack_must_acknowledge_our_syn() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN, 0), 0), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN + 2), 1), Err(Reason::TcpState));
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN), 1), Err(Reason::TcpState));
    // Data or a bare ACK before the handshake.
    assert_eq!(fw.inbound(&in_tcp(ACK, IRS, ISN + 1), 1), Err(Reason::TcpState));
    // A simultaneous open (bare SYN) is not supported.
    assert_eq!(fw.inbound(&in_tcp(SYN, IRS, 0), 1), Err(Reason::TcpState));
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN + 1), 2), Ok(()));
    // A retransmitted SYN-ACK passes, a new SYN on the open flow does not.
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN + 1), 3), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(SYN, IRS + 77, 0), 3), Err(Reason::TcpState));
}

#[test]
fn syn_flood_to_closed_ports_creates_no_state() {
    let mut fw = firewall();
    let mut rng = XorShift(0x5EED);
    for i in 0..2000u32 {
        let src = [rng.byte() % 100 + 11, rng.byte(), rng.byte(), rng.byte()];
        let dport = (rng.next() as u16).max(1);
        let seg = tcp_seg(src, OUR, 1024 + (i % 5000) as u16, dport, rng.next(), 0, SYN, 1024, &[], &[]);
        assert_eq!(fw.inbound(&in_ip(TCP, src, &seg), u64::from(i)), Err(Reason::NoFlow));
    }
    assert_eq!(fw.live_flows(2000), 0);
    assert_eq!(fw.stats().inbound_dropped, 2000);
    // The table is untouched: our own connections still open.
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN, 0), 2001), Ok(()));
}

#[test]
fn outbound_tcp_without_a_flow_or_answering_a_syn_is_refused() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_tcp(ACK, ISN, IRS), 0), Err(Reason::NoFlow));
    assert_eq!(fw.outbound(&out_tcp(RST, ISN, 0), 0), Err(Reason::NoFlow));
    assert_eq!(fw.outbound(&out_tcp(SYN | ACK, ISN, IRS), 0), Err(Reason::NoFlow));
    assert_eq!(fw.outbound(&out_tcp(SYN | FIN, ISN, 0), 0), Err(Reason::NoFlow));
    assert_eq!(fw.live_flows(0), 0);
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN, 0), 1), Ok(()));
    // Data before the handshake completes, and a SYN-ACK on the flow, are refused.
    assert_eq!(fw.outbound(&out_tcp(ACK | PSH, ISN + 1, IRS), 2), Err(Reason::TcpState));
    assert_eq!(fw.outbound(&out_tcp(SYN | ACK, ISN, IRS), 2), Err(Reason::TcpState));
    // A retransmitted SYN refreshes the flow.
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN, 0), t().tcp_syn_sent - 1), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN + 1), t().tcp_syn_sent + 100), Ok(()));
}

#[test]
fn bad_tcp_checksum_is_malformed_and_changes_nothing() {
    let mut fw = firewall();
    let mut syn = out_tcp(SYN, ISN, 0);
    let last = syn.len() - 1;
    syn[last] ^= 0xFF; // last byte of the TCP header (urgent pointer), covered by the checksum
    assert_eq!(fw.outbound(&syn, 0), Err(Reason::BadChecksum));
    assert_eq!(fw.live_flows(0), 0);
    let mut fw = established();
    let mut rst = in_tcp(RST, IRS + 1, 0);
    rst[14 + 20 + 16] ^= 0x01;
    assert_eq!(fw.inbound(&rst, 40), Err(Reason::BadChecksum));
    assert_eq!(fw.inbound(&in_tcp(ACK, IRS + 1, ISN + 1), 41), Ok(()), "the flow survived");
}

#[test]
fn tcp_data_offset_below_minimum_is_malformed() {
    let mut fw = established();
    let mut seg = tcp_seg(REMOTE, OUR, 443, 49152, IRS + 1, ISN + 1, ACK, 8192, &[], &[]);
    seg[12] = 4 << 4;
    seg[16] = 0;
    seg[17] = 0;
    TcpPacket::new_unchecked(&mut seg[..]).fill_checksum(&IpAddress::Ipv4(ip(REMOTE)), &IpAddress::Ipv4(ip(OUR)));
    assert_eq!(fw.inbound(&in_ip(TCP, REMOTE, &seg), 40), Err(Reason::Truncated));
}

#[test]
fn rst_storm_against_an_open_flow_only_lands_in_window() {
    let mut fw = established();
    let mut rng = XorShift(42);
    let mut landed = 0;
    for i in 0..5000u64 {
        let seq = rng.next();
        let offset = seq.wrapping_sub(IRS + 1);
        let verdict = fw.inbound(&in_tcp(RST, seq, 0), 100 + i);
        if offset < 4096 {
            landed += 1;
            assert_eq!(verdict, Ok(()));
            break;
        }
        assert_eq!(verdict, Err(Reason::RstOutOfWindow), "seq {seq}");
    }
    assert_eq!(landed, 0, "a random 32-bit sequence number hit the 4 KiB window (seed changed?)");
    // The connection is intact.
    assert_eq!(fw.inbound(&in_tcp(ACK, IRS + 1, ISN + 1), 6000), Ok(()));
    assert_eq!(fw.live_flows(6000), 1);
    // Just past the window: refused; at its last byte: accepted, and it closes the flow.
    assert_eq!(fw.inbound(&in_tcp(RST, IRS + 1 + 4096, 0), 6001), Err(Reason::RstOutOfWindow));
    assert_eq!(fw.inbound(&in_tcp(RST, IRS + 1 + 4095, 0), 6002), Ok(()));
    assert_eq!(fw.live_flows(6002 + t().tcp_linger), 0);
}

#[test]
fn rst_follows_the_window_we_advertise() {
    let mut fw = established();
    // We acknowledge more data and close the window: only the exact next sequence number fits.
    assert_eq!(fw.outbound(&out_tcp_opts(ACK, ISN + 1, IRS + 101, 0, &[]), 40), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(RST, IRS + 1, 0), 41), Err(Reason::RstOutOfWindow));
    assert_eq!(fw.inbound(&in_tcp(RST, IRS + 102, 0), 41), Err(Reason::RstOutOfWindow));
    assert_eq!(fw.inbound(&in_tcp(RST, IRS + 101, 0), 42), Ok(()));
}

#[test]
fn window_scaling_widens_the_rst_window_only_when_both_sides_offer_it() {
    // Window-scale option (kind 3, length 3, shift 4) after a NOP.
    let ws = [1, 3, 3, 4];
    for remote_offers in [true, false] {
        let mut fw = firewall();
        assert_eq!(fw.outbound(&out_tcp_opts(SYN, ISN, 0, 1000, &ws), 0), Ok(()));
        let synack =
            if remote_offers { in_tcp_opts(SYN | ACK, IRS, ISN + 1, &ws) } else { in_tcp(SYN | ACK, IRS, ISN + 1) };
        assert_eq!(fw.inbound(&synack, 1), Ok(()));
        assert_eq!(fw.outbound(&out_tcp_opts(ACK, ISN + 1, IRS + 1, 1000, &[]), 2), Ok(()));
        // 1000 << 4 = 16000 bytes with scaling, 1000 without.
        let verdict = fw.inbound(&in_tcp(RST, IRS + 1 + 5000, 0), 3);
        let expected = if remote_offers { Ok(()) } else { Err(Reason::RstOutOfWindow) };
        assert_eq!(verdict, expected, "remote offers scaling: {remote_offers}");
    }
}

#[test]
fn rst_in_syn_sent_must_acknowledge_our_syn() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN, 0), 0), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(RST, 0, 0), 1), Err(Reason::RstOutOfWindow));
    assert_eq!(fw.inbound(&in_tcp(RST | ACK, 0, ISN + 5), 1), Err(Reason::RstOutOfWindow));
    assert_eq!(fw.inbound(&in_tcp(RST | ACK, 0, ISN + 1), 2), Ok(()));
    // Refused connection: the flow lingers, then goes; a new SYN reopens the port pair.
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN + 1), 3), Err(Reason::TcpState));
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN + 50_000, 0), 4), Ok(()));
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN + 50_001), 5), Ok(()));
}

#[test]
fn rst_storm_against_closed_flows_is_dropped() {
    let mut fw = established();
    assert_eq!(fw.inbound(&in_tcp(RST, IRS + 1, 0), 40), Ok(()));
    let mut rng = XorShift(7);
    // While lingering, out-of-window RSTs are still dropped; after it, every RST has no flow.
    for i in 0..1000u64 {
        let seq = rng.next();
        if seq.wrapping_sub(IRS + 1) < 4096 {
            continue;
        }
        assert_eq!(fw.inbound(&in_tcp(RST, seq, 0), 41 + i), Err(Reason::RstOutOfWindow));
    }
    let later = 40 + t().tcp_linger;
    for i in 0..1000u64 {
        assert_eq!(fw.inbound(&in_tcp(RST, rng.next(), 0), later + i), Err(Reason::NoFlow));
    }
    assert_eq!(fw.live_flows(later), 0);
}

#[test]
fn outbound_rst_closes_and_an_idle_flow_expires() {
    let mut fw = established();
    assert_eq!(fw.outbound(&out_tcp(RST, ISN + 1, 0), 40), Ok(()));
    assert_eq!(fw.live_flows(40 + t().tcp_linger), 0);
    let mut fw = established();
    let idle_end = 30 + t().tcp_idle;
    assert_eq!(fw.inbound(&in_tcp(ACK, IRS + 1, ISN + 1), idle_end - 1), Ok(()), "traffic refreshes the flow");
    assert_eq!(fw.inbound(&in_tcp(ACK, IRS + 1, ISN + 1), idle_end - 1 + t().tcp_idle), Err(Reason::NoFlow));
}

#[test]
fn an_unanswered_syn_expires() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN, 0), 0), Ok(()));
    assert_eq!(fw.live_flows(t().tcp_syn_sent - 1), 1);
    assert_eq!(fw.inbound(&in_tcp(SYN | ACK, IRS, ISN + 1), t().tcp_syn_sent), Err(Reason::NoFlow));
}

// ---- UDP ----

#[test]
fn udp_replies_pass_only_for_the_flow() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    assert_eq!(fw.inbound(&in_udp(REMOTE, 53, 5353), 1), Ok(()));
    assert_eq!(fw.inbound(&in_udp(REMOTE, 54, 5353), 1), Err(Reason::NoFlow), "other remote port");
    assert_eq!(fw.inbound(&in_udp(REMOTE, 53, 5354), 1), Err(Reason::NoFlow), "other local port");
    assert_eq!(fw.inbound(&in_udp([8, 8, 8, 8], 53, 5353), 1), Err(Reason::NoFlow), "other remote");
    // A TCP segment with the same ports is not the UDP flow.
    let seg = tcp_seg(REMOTE, OUR, 53, 5353, 1, 0, SYN | ACK, 1024, &[], &[]);
    assert_eq!(fw.inbound(&in_ip(TCP, REMOTE, &seg), 1), Err(Reason::NoFlow));
    // Idle timeout, refreshed by each reply.
    assert_eq!(fw.inbound(&in_udp(REMOTE, 53, 5353), t().udp_idle), Ok(()));
    assert_eq!(fw.inbound(&in_udp(REMOTE, 53, 5353), 2 * t().udp_idle), Err(Reason::NoFlow));
}

#[test]
fn udp_checksums_and_lengths_are_checked() {
    let mut fw = firewall();
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    let mut f = in_udp(REMOTE, 53, 5353);
    let end = f.len() - 1;
    f[end] ^= 0x20;
    assert_eq!(fw.inbound(&f, 1), Err(Reason::BadChecksum));
    // Checksum 0: "not computed", which RFC 768 allows.
    let mut f = in_udp(REMOTE, 53, 5353);
    f[14 + 20 + 6] = 0;
    f[14 + 20 + 7] = 0;
    assert_eq!(fw.inbound(&f, 1), Ok(()));
    // UDP length shorter than the IP payload, and longer.
    for udp_len in [9u16, 20] {
        let mut d = udp_dgram(REMOTE, OUR, 53, 5353, b"answer");
        d[4..6].copy_from_slice(&udp_len.to_be_bytes());
        d[6] = 0;
        d[7] = 0;
        let verdict = fw.inbound(&in_ip(UDP, REMOTE, &d), 1);
        let expected = if udp_len < 14 { Reason::BadHeader } else { Reason::Truncated };
        assert_eq!(verdict, Err(expected), "UDP length {udp_len}");
    }
    // Port 0.
    assert_eq!(fw.inbound(&in_udp(REMOTE, 0, 5353), 1), Err(Reason::BadHeader));
}

// ---- DHCP ----

#[test]
fn dhcp_offer_passes_only_within_the_window_of_our_request() {
    let mut fw = Firewall::new(EthernetAddress(MAC), t());
    assert_eq!(fw.inbound(&dhcp_reply(0x1234, MAC, OUR, 2), 0), Err(Reason::DhcpUnsolicited), "nothing asked");
    assert_eq!(fw.outbound(&dhcp_discover(0x1234), 0), Ok(()));
    assert_eq!(fw.ip(), None, "DHCP from 0.0.0.0 claims nothing");
    assert_eq!(fw.inbound(&dhcp_reply(0x1234, MAC, OUR, 2), 1), Ok(()));
    assert_eq!(fw.ip(), None, "an OFFER assigns nothing");
    assert_eq!(fw.inbound(&dhcp_reply(0x9999, MAC, OUR, 2), 1), Err(Reason::DhcpUnsolicited), "other transaction");
    assert_eq!(fw.inbound(&dhcp_reply(0x1234, OTHER_MAC, OUR, 2), 1), Err(Reason::DhcpUnsolicited), "other client");
    assert_eq!(fw.inbound(&dhcp_reply(0x1234, MAC, OUR, 2), t().dhcp_window), Err(Reason::DhcpUnsolicited));
}

#[test]
fn dhcp_ack_assigns_our_address() {
    let mut fw = Firewall::new(EthernetAddress(MAC), t());
    assert_eq!(fw.outbound(&dhcp_discover(7), 0), Ok(()));
    assert_eq!(fw.inbound(&dhcp_reply(7, MAC, OUR, 5), 1), Ok(()));
    assert_eq!(fw.ip(), Some(ip(OUR)));
    // The stack must now use it.
    assert_eq!(
        fw.outbound(&out_ip(UDP, [10, 0, 2, 99], REMOTE, &udp_dgram([10, 0, 2, 99], REMOTE, 1, 2, b"")), 2),
        Err(Reason::SpoofedSource)
    );
    // A unicast reply to the offered address passes too (renewal).
    assert_eq!(fw.outbound(&dhcp_discover(8), 3), Ok(()));
    let m = dhcp_msg(2, 8, MAC, [10, 0, 2, 20], 5);
    let f = eth(MAC, GW_MAC, ETH_IPV4, &ipv4(GW, [10, 0, 2, 20], UDP, &udp_dgram(GW, [10, 0, 2, 20], 67, 68, &m)));
    assert_eq!(fw.inbound(&f, 4), Ok(()));
    assert_eq!(fw.ip(), Some(ip([10, 0, 2, 20])), "a new lease moves our address");
    // Addressed to a third host: dropped.
    let m = dhcp_msg(2, 8, MAC, [10, 0, 2, 20], 5);
    let f = eth(MAC, GW_MAC, ETH_IPV4, &ipv4(GW, [10, 0, 2, 30], UDP, &udp_dgram(GW, [10, 0, 2, 30], 67, 68, &m)));
    assert_eq!(fw.inbound(&f, 4), Err(Reason::NotOurIp));
}

#[test]
fn outbound_dhcp_must_be_a_request_for_our_mac() {
    let mut fw = Firewall::new(EthernetAddress(MAC), t());
    let bcast = [255; 4];
    let wrap = |m: &[u8]| eth(BCAST, MAC, ETH_IPV4, &ipv4([0; 4], bcast, UDP, &udp_dgram([0; 4], bcast, 68, 67, m)));
    assert_eq!(fw.outbound(&wrap(&dhcp_msg(1, 1, OTHER_MAC, [0; 4], 1)), 0), Err(Reason::ForeignSourceMac));
    assert_eq!(fw.outbound(&wrap(&dhcp_msg(2, 1, MAC, [0; 4], 1)), 0), Err(Reason::BadHeader));
    let mut no_magic = dhcp_msg(1, 1, MAC, [0; 4], 1);
    no_magic[236] = 0;
    assert_eq!(fw.outbound(&wrap(&no_magic), 0), Err(Reason::BadHeader));
    assert_eq!(fw.outbound(&wrap(&[0u8; 100]), 0), Err(Reason::Truncated));
    // None of these opened a window.
    assert_eq!(fw.inbound(&dhcp_reply(1, MAC, OUR, 2), 1), Err(Reason::DhcpUnsolicited));
}

#[test]
fn udp_to_broadcast_other_than_dhcp_is_refused() {
    let mut fw = firewall();
    let bcast = [255; 4];
    let f = eth(BCAST, MAC, ETH_IPV4, &ipv4(OUR, bcast, UDP, &udp_dgram(OUR, bcast, 5000, 5000, b"hi")));
    assert_eq!(fw.outbound(&f, 0), Err(Reason::BadDestination));
    let f = out_ip(UDP, OUR, [224, 0, 0, 251], &udp_dgram(OUR, [224, 0, 0, 251], 5353, 5353, b"mdns"));
    assert_eq!(fw.outbound(&f, 0), Err(Reason::BadDestination));
    let mut f = out_udp(53);
    f[0..6].copy_from_slice(&[0x01, 0x00, 0x5e, 0, 0, 0xfb]);
    assert_eq!(fw.outbound(&f, 0), Err(Reason::BadDestination), "multicast MAC");
    assert_eq!(fw.live_flows(0), 0);
}

// ---- ICMP ----

#[test]
fn echo_replies_pass_only_for_our_requests() {
    let mut fw = firewall();
    assert_eq!(fw.inbound(&in_ip(ICMP, REMOTE, &echo(0, 7, 1)), 0), Err(Reason::IcmpUnsolicited));
    assert_eq!(fw.outbound(&out_ip(ICMP, OUR, REMOTE, &echo(8, 7, 1)), 0), Ok(()));
    assert_eq!(fw.inbound(&in_ip(ICMP, REMOTE, &echo(0, 7, 1)), 1), Ok(()));
    assert_eq!(fw.inbound(&in_ip(ICMP, REMOTE, &echo(0, 8, 1)), 1), Err(Reason::IcmpUnsolicited), "other identifier");
    assert_eq!(fw.inbound(&in_ip(ICMP, GW, &echo(0, 7, 1)), 1), Err(Reason::IcmpUnsolicited), "other host");
    assert_eq!(fw.inbound(&in_ip(ICMP, REMOTE, &echo(0, 7, 2)), 1 + t().icmp_echo), Err(Reason::IcmpUnsolicited));
}

#[test]
fn echo_requests_in_and_other_icmp_out_are_refused() {
    let mut fw = firewall();
    assert_eq!(fw.inbound(&in_ip(ICMP, REMOTE, &echo(8, 7, 1)), 0), Err(Reason::IcmpType));
    assert_eq!(fw.inbound(&in_ip(ICMP, REMOTE, &icmp_msg(5, 1, GW, &[0u8; 28])), 0), Err(Reason::IcmpType), "redirect");
    assert_eq!(fw.outbound(&out_ip(ICMP, OUR, REMOTE, &echo(0, 7, 1)), 0), Err(Reason::IcmpType), "echo reply");
    assert_eq!(fw.outbound(&out_ip(ICMP, OUR, REMOTE, &icmp_msg(3, 3, [0; 4], &[0u8; 28])), 0), Err(Reason::IcmpType));
    let mut bad = echo(8, 7, 1);
    bad[2] ^= 1;
    assert_eq!(fw.outbound(&out_ip(ICMP, OUR, REMOTE, &bad), 0), Err(Reason::BadChecksum));
    assert_eq!(fw.live_flows(0), 0);
}

/// An ICMP error from `router` quoting a packet `from` → `to` with transport header `l4`.
fn icmp_error(ty: u8, code: u8, router: [u8; 4], from: [u8; 4], to: [u8; 4], proto: u8, l4: &[u8]) -> Vec<u8> {
    let quoted = ipv4(from, to, proto, l4);
    let cut = quoted.len().min(28);
    in_ip(ICMP, router, &icmp_msg(ty, code, [0; 4], &quoted[..cut]))
}

#[test]
fn icmp_errors_pass_only_when_they_quote_one_of_our_flows() {
    let mut fw = established();
    assert_eq!(fw.outbound(&out_udp(53), 40), Ok(()));
    let udp = udp_dgram(OUR, REMOTE, 5353, 53, b"query");
    let tcp = tcp_seg(OUR, REMOTE, 49152, 443, ISN + 1, IRS + 1, ACK, 4096, &[], &[]);
    assert_eq!(fw.inbound(&icmp_error(3, 3, REMOTE, OUR, REMOTE, UDP, &udp), 41), Ok(()), "port unreachable");
    assert_eq!(fw.inbound(&icmp_error(11, 0, GW, OUR, REMOTE, TCP, &tcp), 41), Ok(()), "TTL exceeded at a router");
    let other = udp_dgram(OUR, REMOTE, 5353, 54, b"query");
    assert_eq!(fw.inbound(&icmp_error(3, 3, REMOTE, OUR, REMOTE, UDP, &other), 41), Err(Reason::IcmpUnsolicited));
    let spoofed = udp_dgram([10, 0, 2, 16], REMOTE, 5353, 53, b"query");
    assert_eq!(
        fw.inbound(&icmp_error(3, 3, REMOTE, [10, 0, 2, 16], REMOTE, UDP, &spoofed), 41),
        Err(Reason::IcmpUnsolicited),
        "quotes a packet that was not ours"
    );
    // A quote too short for the ports.
    let quoted = ipv4(OUR, REMOTE, UDP, &udp);
    assert_eq!(fw.inbound(&in_ip(ICMP, REMOTE, &icmp_msg(3, 3, [0; 4], &quoted[..24])), 41), Err(Reason::Truncated));
    // Time exceeded for our traceroute-style echo request.
    assert_eq!(fw.outbound(&out_ip(ICMP, OUR, REMOTE, &echo(8, 99, 1)), 42), Ok(()));
    assert_eq!(fw.inbound(&icmp_error(11, 0, GW, OUR, REMOTE, ICMP, &echo(8, 99, 1)), 43), Ok(()));
    assert_eq!(
        fw.inbound(&icmp_error(11, 0, GW, OUR, REMOTE, ICMP, &echo(8, 98, 1)), 43),
        Err(Reason::IcmpUnsolicited)
    );
}

// ---- ARP ----

#[test]
fn arp_requests_pass_only_for_our_address() {
    let mut fresh = Firewall::new(EthernetAddress(MAC), t());
    let who_has_us = eth(BCAST, GW_MAC, ETH_ARP, &arp_msg(1, GW_MAC, GW, [0; 6], OUR));
    assert_eq!(fresh.inbound(&who_has_us, 0), Err(Reason::ArpNotForUs), "our address is not known yet");
    let mut fw = firewall();
    assert_eq!(fw.inbound(&who_has_us, 0), Ok(()));
    let who_has_other = eth(BCAST, GW_MAC, ETH_ARP, &arp_msg(1, GW_MAC, GW, [0; 6], [10, 0, 2, 3]));
    assert_eq!(fw.inbound(&who_has_other, 0), Err(Reason::ArpNotForUs));
}

#[test]
fn arp_replies_pass_only_when_asked_and_to_us() {
    let mut fw = firewall(); // asked for GW at time 0
    assert_eq!(fw.inbound(&in_arp_reply(GW), 1), Ok(()));
    assert_eq!(fw.inbound(&in_arp_reply([10, 0, 2, 3]), 1), Err(Reason::ArpUnsolicited));
    assert_eq!(fw.inbound(&in_arp_reply(GW), t().arp_query), Err(Reason::ArpUnsolicited), "query expired");
    assert_eq!(fw.outbound(&out_arp_request(GW), 10_000), Ok(()));
    // Broadcast replies (gratuitous ARP), replies to another MAC or IP.
    let mut f = in_arp_reply(GW);
    f[0..6].copy_from_slice(&BCAST);
    assert_eq!(fw.inbound(&f, 10_001), Err(Reason::ArpNotForUs));
    let f = eth(MAC, GW_MAC, ETH_ARP, &arp_msg(2, GW_MAC, GW, OTHER_MAC, OUR));
    assert_eq!(fw.inbound(&f, 10_001), Err(Reason::ArpNotForUs));
    let f = eth(MAC, GW_MAC, ETH_ARP, &arp_msg(2, GW_MAC, GW, MAC, [10, 0, 2, 16]));
    assert_eq!(fw.inbound(&f, 10_001), Err(Reason::ArpNotForUs));
    // Sender hardware address that is not the frame's source, or claiming our own address.
    let f = eth(MAC, GW_MAC, ETH_ARP, &arp_msg(2, OTHER_MAC, GW, MAC, OUR));
    assert_eq!(fw.inbound(&f, 10_001), Err(Reason::SpoofedSource));
    let f = eth(MAC, GW_MAC, ETH_ARP, &arp_msg(2, GW_MAC, OUR, MAC, OUR));
    assert_eq!(fw.inbound(&f, 10_001), Err(Reason::SpoofedSource));
    assert_eq!(fw.inbound(&in_arp_reply(GW), 10_002), Ok(()));
}

#[test]
fn arp_with_other_hardware_or_protocol_is_malformed() {
    let mut fw = firewall();
    for (i, v) in [(1usize, 6u8), (3, 0xdd), (4, 8), (5, 16)] {
        let mut f = in_arp_reply(GW);
        f[14 + i] = v;
        assert_eq!(fw.inbound(&f, 1), Err(Reason::BadHeader), "byte {i} = {v}");
    }
    let mut f = in_arp_reply(GW);
    f[14 + 7] = 9; // operation 9
    assert_eq!(fw.inbound(&f, 1), Err(Reason::Protocol));
}

#[test]
fn outbound_arp_is_checked() {
    let mut fw = firewall();
    assert_eq!(
        fw.outbound(&eth(BCAST, MAC, ETH_ARP, &arp_msg(1, OTHER_MAC, OUR, [0; 6], GW)), 0),
        Err(Reason::ForeignSourceMac)
    );
    assert_eq!(
        fw.outbound(&eth(BCAST, MAC, ETH_ARP, &arp_msg(1, MAC, [10, 0, 2, 99], [0; 6], GW)), 0),
        Err(Reason::SpoofedSource)
    );
    assert_eq!(
        fw.outbound(&eth(BCAST, MAC, ETH_ARP, &arp_msg(1, MAC, OUR, [0; 6], [255; 4])), 0),
        Err(Reason::BadDestination)
    );
    // Answering a request for us, and an address probe from 0.0.0.0.
    assert_eq!(fw.outbound(&eth(GW_MAC, MAC, ETH_ARP, &arp_msg(2, MAC, OUR, GW_MAC, GW)), 0), Ok(()));
    assert_eq!(fw.outbound(&eth(BCAST, MAC, ETH_ARP, &arp_msg(1, MAC, [0; 4], [0; 6], OUR)), 0), Ok(()));
    assert_eq!(fw.ip(), Some(ip(OUR)));
}

// ---- outbound source checks, our address ----

#[test]
fn foreign_source_mac_is_refused() {
    let mut fw = firewall();
    let mut f = out_udp(53);
    f[6..12].copy_from_slice(&OTHER_MAC);
    assert_eq!(fw.outbound(&f, 0), Err(Reason::ForeignSourceMac));
    assert_eq!(fw.live_flows(0), 0);
}

#[test]
fn our_address_is_claimed_by_the_first_valid_source_only() {
    let mut fw = Firewall::new(EthernetAddress(MAC), t());
    // A malformed frame claims nothing.
    let mut bad = out_udp(53);
    let end = bad.len() - 1;
    bad[end] ^= 1;
    assert_eq!(fw.outbound(&bad, 0), Err(Reason::BadChecksum));
    assert_eq!(fw.ip(), None);
    // Non-unicast sources never claim it.
    let src = [127, 0, 0, 1];
    assert_eq!(
        fw.outbound(&out_ip(UDP, src, REMOTE, &udp_dgram(src, REMOTE, 1, 2, b"")), 0),
        Err(Reason::SpoofedSource)
    );
    assert_eq!(fw.ip(), None);
    assert_eq!(fw.outbound(&out_udp(53), 0), Ok(()));
    assert_eq!(fw.ip(), Some(ip(OUR)));
    let other = [10, 0, 2, 99];
    let f = out_ip(UDP, other, REMOTE, &udp_dgram(other, REMOTE, 5353, 53, b"query"));
    assert_eq!(fw.outbound(&f, 1), Err(Reason::SpoofedSource));
    assert_eq!(fw.live_flows(1), 1);
}

// ---- the flow table ----

#[test]
fn a_full_table_refuses_new_flows_until_one_expires() {
    let mut fw = firewall();
    for port in 0..MAX_FLOWS as u16 {
        assert_eq!(fw.outbound(&out_udp(1000 + port), u64::from(port)), Ok(()));
    }
    assert_eq!(fw.live_flows(40), MAX_FLOWS);
    assert_eq!(fw.outbound(&out_udp(2000), 40), Err(Reason::TableFull));
    assert_eq!(fw.outbound(&out_tcp(SYN, ISN, 0), 40), Err(Reason::TableFull));
    assert_eq!(fw.stats().outbound_refused, 2);
    // Existing flows still work and are refreshed.
    assert_eq!(fw.outbound(&out_udp(1000), 41), Ok(()));
    assert_eq!(fw.inbound(&in_udp(REMOTE, 1005, 5353), 41), Ok(()));
    // Flow 1001 (opened at 1) expires first: its slot is taken.
    let t1 = 1 + t().udp_idle;
    assert_eq!(fw.outbound(&out_udp(2000), t1), Ok(()));
    assert_eq!(fw.inbound(&in_udp(REMOTE, 1001, 5353), t1), Err(Reason::NoFlow));
    assert_eq!(fw.inbound(&in_udp(REMOTE, 2000, 5353), t1), Ok(()));
    assert_eq!(fw.inbound(&in_udp(REMOTE, 1000, 5353), t1), Ok(()), "refreshed at 41, still live");
}

#[test]
fn a_full_table_evicts_the_oldest_closed_flow() {
    let mut fw = established(); // one TCP flow
    for port in 0..(MAX_FLOWS - 1) as u16 {
        assert_eq!(fw.outbound(&out_udp(1000 + port), 40), Ok(()));
    }
    assert_eq!(fw.outbound(&out_udp(3000), 41), Err(Reason::TableFull));
    assert_eq!(fw.inbound(&in_tcp(RST, IRS + 1, 0), 42), Ok(()));
    assert_eq!(fw.live_flows(42), MAX_FLOWS, "the reset flow lingers");
    assert_eq!(fw.outbound(&out_udp(3000), 43), Ok(()), "it is evicted for a new one");
    assert_eq!(fw.inbound(&in_tcp(ACK | FIN, IRS + 1, ISN + 1), 44), Err(Reason::NoFlow));
    assert_eq!(fw.live_flows(44), MAX_FLOWS);
}

#[test]
fn counters_add_up() {
    let mut fw = established();
    assert_eq!(fw.inbound(&in_udp(REMOTE, 1, 2), 40), Err(Reason::NoFlow));
    assert_eq!(fw.inbound(&[0u8; 5], 40), Err(Reason::Truncated));
    fw.count_inbound_malformed();
    fw.count_outbound_refused(Reason::Truncated);
    let s = fw.stats();
    assert_eq!(
        s,
        Stats {
            inbound_passed: 1,
            inbound_dropped: 1,
            inbound_malformed: 2,
            outbound_passed: 3,
            outbound_refused: 1,
            outbound_malformed: 1,
        }
    );
}

// ---- fuzz ----

/// xorshift32: a deterministic generator for the fuzz loops.
struct XorShift(u32);

impl XorShift {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    fn byte(&mut self) -> u8 {
        self.next() as u8
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 0
    }
}

#[test]
fn random_frames_never_panic_and_counters_stay_consistent() {
    let mut fw = established();
    let mut rng = XorShift(0xC0FFEE);
    let templates_in = [
        in_tcp(ACK | PSH, IRS + 1, ISN + 1),
        in_udp(REMOTE, 53, 5353),
        in_ip(ICMP, REMOTE, &echo(0, 7, 1)),
        in_arp_reply(GW),
        dhcp_reply(5, MAC, OUR, 5),
        icmp_error(3, 3, REMOTE, OUR, REMOTE, UDP, &udp_dgram(OUR, REMOTE, 5353, 53, b"q")),
    ];
    let templates_out = [
        out_tcp(ACK, ISN + 1, IRS + 1),
        out_tcp(SYN, ISN, 0),
        out_udp(53),
        out_ip(ICMP, OUR, REMOTE, &echo(8, 7, 1)),
        out_arp_request(GW),
        dhcp_discover(5),
    ];
    // established() sent three frames and received one.
    let (mut n_in, mut n_out) = (1u32, 3u32);
    assert_counts_consistent(&fw, n_in, n_out);
    let mut now = 100u64;
    for i in 0..20_000u32 {
        now += u64::from(rng.next() % 50);
        let frame: Vec<u8> = match i % 4 {
            // Pure noise of any length, sometimes with our MAC and a plausible ethertype.
            0 | 1 => {
                let len = (rng.next() % 1600) as usize;
                let mut f: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
                if i % 4 == 1 && f.len() >= 14 {
                    f[0..6].copy_from_slice(if rng.coin() { &MAC } else { &GW_MAC });
                    f[6..12].copy_from_slice(if rng.coin() { &GW_MAC } else { &MAC });
                    f[12..14].copy_from_slice(if rng.coin() { &[0x08, 0x00] } else { &[0x08, 0x06] });
                }
                f
            }
            // A valid frame with a few bytes flipped and maybe truncated or extended.
            _ => {
                let set: &[Vec<u8>] = if rng.coin() { &templates_in } else { &templates_out };
                let mut f = set[(rng.next() as usize) % set.len()].clone();
                for _ in 0..(rng.next() % 4) {
                    let at = (rng.next() as usize) % f.len();
                    f[at] = rng.byte();
                }
                match rng.next() % 4 {
                    0 => f.truncate((rng.next() as usize) % (f.len() + 1)),
                    1 => f.extend((0..rng.next() % 64).map(|_| rng.byte())),
                    _ => {}
                }
                f
            }
        };
        if rng.coin() {
            let _ = fw.inbound(&frame, now);
            n_in += 1;
        } else {
            let _ = fw.outbound(&frame, now);
            n_out += 1;
        }
        assert!(fw.live_flows(now) <= MAX_FLOWS);
    }
    assert_counts_consistent(&fw, n_in, n_out);
    let s = fw.stats();
    assert!(s.inbound_malformed > 1000 && s.inbound_dropped > 1000, "the fuzz reached both outcomes: {s:?}");
    assert!(s.outbound_refused > 1000, "{s:?}");
}
