//! The packet policy of the network firewall compartment `fw` (`net/firewall`): pure logic, no
//! system calls, no allocation, host-tested.
//!
//! The firewall sits between the TCP/IP compartment (lwIP, untrusted C) and the Ethernet driver.
//! Its policy is **learned from outbound traffic**: the TCP/IP compartment only opens
//! connections and UDP flows on behalf of callers holding a connection capability, so what goes
//! out defines what may come back. [`Firewall::outbound`] checks a frame the stack wants to send
//! (and records the flow it opens); [`Firewall::inbound`] decides whether a received frame may
//! reach the stack. Both count what they decide ([`Stats`]).
//!
//! Inbound, only these pass:
//! - frames to our MAC address or to broadcast, from a unicast source that is not ours;
//! - ARP requests for our IP address, and ARP replies to us from an address we asked for in the
//!   last [`Timeouts::arp_query`];
//! - IPv4 without options or fragments, with a valid header checksum and consistent lengths,
//!   from a unicast source that is not ours, to our address:
//!   - TCP and UDP segments of a flow the outbound traffic opened (remote address and port,
//!     local address and port, protocol), with valid checksums; TCP additionally follows the
//!     connection: only a SYN-ACK acknowledging our SYN opens it, and a RST closes it only when
//!     its sequence number is inside the window we last advertised (a blind RST storm is dropped);
//!   - DHCP replies (UDP 67 → 68, also to broadcast) for the transaction of our last DHCP request,
//!     within [`Timeouts::dhcp_window`] of it;
//!   - ICMP echo replies to our echo requests, and destination-unreachable / time-exceeded errors
//!     whose quoted header belongs to one of our flows.
//!
//! Outbound, the frame must be well-formed (the same checks, checksums included), come from our
//! MAC address and our IP address, and be ARP, DHCP, a TCP SYN (which opens a flow) or a segment
//! of an open TCP flow, UDP (which opens or refreshes a flow), or an ICMP echo request.
//!
//! **Our IP address** is learned: the first outbound ARP sender address or IPv4 source address
//! (other than 0.0.0.0, which DHCP uses before it has one) claims it, and a DHCP ACK that passes
//! the firewall replaces it with the address it assigns. From then on the stack cannot send from
//! any other address (no source spoofing), and inbound traffic must be addressed to it.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

mod flows;
#[cfg(test)]
mod tests;

use flows::{FlowTable, Key, Proto};
use smoltcp::wire::{
    ArpHardware, ArpOperation, ArpPacket, DhcpMessageType, DhcpOpCode, DhcpPacket, EthernetFrame, EthernetProtocol,
    Icmpv4Message, Icmpv4Packet, IpAddress, IpProtocol, Ipv4Packet, TcpPacket, UdpPacket,
};

pub use flows::MAX_FLOWS;
/// The address types of the API (smoltcp's).
pub use smoltcp::wire::{EthernetAddress, Ipv4Address};

/// Shortest Ethernet frame the firewall accepts: the header alone.
pub const MIN_FRAME: usize = 14;
/// Longest Ethernet frame without CRC (1500 bytes of payload).
pub const MAX_FRAME: usize = 1514;
/// Outstanding ARP queries remembered (a reply is accepted only for one of them).
pub const MAX_ARP_QUERIES: usize = 8;

/// A point in time, in milliseconds since any fixed origin (monotonic, never wraps in practice).
pub type Millis = u64;

const DHCP_SERVER_PORT: u16 = 67;
const DHCP_CLIENT_PORT: u16 = 68;
const DHCP_MAGIC: u32 = 0x6382_5363;
/// DHCP option "message type".
const DHCP_OPT_MESSAGE_TYPE: u8 = 53;

/// How long state lives, in milliseconds. Every timer is refreshed by the traffic it concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// A TCP flow whose SYN was sent but not yet answered (each retransmitted SYN refreshes it).
    pub tcp_syn_sent: Millis,
    /// An open TCP flow without traffic in either direction.
    pub tcp_idle: Millis,
    /// A TCP flow after a RST or after both FINs: late retransmissions still pass, then it goes.
    pub tcp_linger: Millis,
    /// A UDP flow without traffic.
    pub udp_idle: Millis,
    /// An ICMP echo "flow" (identifier) after the last request or reply.
    pub icmp_echo: Millis,
    /// DHCP replies are accepted this long after our last DHCP request.
    pub dhcp_window: Millis,
    /// ARP replies are accepted this long after our request for that address.
    pub arp_query: Millis,
}

impl Timeouts {
    /// The defaults (see docs/networking.md).
    pub const DEFAULT: Timeouts = Timeouts {
        tcp_syn_sent: 30_000,
        tcp_idle: 30 * 60_000,
        tcp_linger: 10_000,
        udp_idle: 60_000,
        icmp_echo: 10_000,
        dhcp_window: 10_000,
        arp_query: 5_000,
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::DEFAULT
    }
}

/// Why a frame did not pass. The first four are **malformed** frames (counted apart from policy
/// drops, see [`Reason::is_malformed`]); `TableFull` is an outbound-only resource refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A header does not fit in the frame, or a length field points past its end.
    Truncated,
    /// Longer than [`MAX_FRAME`].
    Oversized,
    /// A header field that makes the packet meaningless (IP version, header length below the
    /// minimum, ARP hardware/protocol types, a UDP length that disagrees with IP's, ...).
    BadHeader,
    /// An IPv4 header, TCP, UDP or ICMP checksum does not verify.
    BadChecksum,
    /// Inbound: the destination MAC address is neither ours nor broadcast.
    NotOurMac,
    /// Outbound: the source MAC address (Ethernet or ARP/DHCP hardware address) is not ours.
    ForeignSourceMac,
    /// A source address that cannot be genuine: multicast/broadcast MAC, our own MAC or IP
    /// inbound, a non-unicast IP, an ARP sender that differs from the Ethernet source, or
    /// outbound an IP source other than ours.
    SpoofedSource,
    /// A destination the policy never allows (multicast, loopback, broadcast other than DHCP).
    BadDestination,
    /// Inbound: IPv4 addressed to another host (or our address is not known yet).
    NotOurIp,
    /// Neither ARP nor IPv4 (IPv6, VLAN tags, ...).
    EtherType,
    /// IPv4 with options (header longer than 20 bytes).
    IpOptions,
    /// An IPv4 fragment.
    Fragment,
    /// An IP protocol, ARP operation or similar the policy does not handle.
    Protocol,
    /// TCP/UDP/ICMP echo traffic of no flow opened by outbound traffic.
    NoFlow,
    /// A TCP segment the connection's state does not allow (an inbound SYN, a SYN-ACK that does
    /// not acknowledge our SYN, data before the handshake, an outbound SYN-ACK, ...).
    TcpState,
    /// Inbound RST whose sequence number is outside the window we advertised.
    RstOutOfWindow,
    /// Inbound ARP request or reply about another IP address.
    ArpNotForUs,
    /// Inbound ARP reply we did not ask for.
    ArpUnsolicited,
    /// Inbound DHCP reply outside the window of our request, or for another transaction/client.
    DhcpUnsolicited,
    /// An ICMP type the policy does not pass in this direction.
    IcmpType,
    /// Inbound ICMP error or echo reply that belongs to none of our flows.
    IcmpUnsolicited,
    /// Outbound: the packet would open a flow but the flow table is full of live flows.
    TableFull,
}

impl Reason {
    /// Whether the frame was malformed (bad length, truncated header, bad checksum) rather than
    /// well-formed but refused by the policy.
    pub const fn is_malformed(self) -> bool {
        matches!(self, Reason::Truncated | Reason::Oversized | Reason::BadHeader | Reason::BadChecksum)
    }
}

/// What the firewall counted (each counter wraps at 2³²).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Inbound frames handed to the stack.
    pub inbound_passed: u32,
    /// Inbound frames dropped by the policy.
    pub inbound_dropped: u32,
    /// Inbound frames dropped as malformed (bad length, checksum, truncated).
    pub inbound_malformed: u32,
    /// Outbound frames the policy let through.
    pub outbound_passed: u32,
    /// Outbound frames refused (by the policy, as malformed, or for lack of flow-table room).
    pub outbound_refused: u32,
    /// Of `outbound_refused`, those refused as malformed.
    pub outbound_malformed: u32,
}

/// The firewall's state: our addresses, the flow table, outstanding ARP and DHCP queries, and the
/// counters. Every method is total: no input makes it panic, and a refused frame changes nothing
/// but the counters.
#[derive(Clone, Debug)]
pub struct Firewall {
    mac: EthernetAddress,
    ip: Option<Ipv4Address>,
    timeouts: Timeouts,
    flows: FlowTable,
    arp_queries: [Option<ArpQuery>; MAX_ARP_QUERIES],
    dhcp: Option<DhcpQuery>,
    stats: Stats,
}

#[derive(Clone, Copy, Debug)]
struct ArpQuery {
    target: Ipv4Address,
    until: Millis,
}

#[derive(Clone, Copy, Debug)]
struct DhcpQuery {
    xid: u32,
    until: Millis,
}

/// The parts of a checked IPv4 packet the policy uses.
struct Ip<'a> {
    src: Ipv4Address,
    dst: Ipv4Address,
    protocol: IpProtocol,
    /// Exactly the IP payload (Ethernet padding removed).
    payload: &'a [u8],
}

impl Firewall {
    /// A firewall for the interface with address `mac`; no IP address yet, no flows.
    pub const fn new(mac: EthernetAddress, timeouts: Timeouts) -> Firewall {
        Firewall {
            mac,
            ip: None,
            timeouts,
            flows: FlowTable::new(),
            arp_queries: [None; MAX_ARP_QUERIES],
            dhcp: None,
            stats: Stats {
                inbound_passed: 0,
                inbound_dropped: 0,
                inbound_malformed: 0,
                outbound_passed: 0,
                outbound_refused: 0,
                outbound_malformed: 0,
            },
        }
    }

    /// Our MAC address.
    pub fn mac(&self) -> EthernetAddress {
        self.mac
    }

    /// Our IP address, once learned (see the crate documentation).
    pub fn ip(&self) -> Option<Ipv4Address> {
        self.ip
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Flows alive at `now` (open, half-open, or lingering after their close).
    pub fn live_flows(&self, now: Millis) -> usize {
        self.flows.live_count(now, &self.timeouts)
    }

    /// Decides whether the received `frame` (without CRC) may reach the stack, and counts it.
    pub fn inbound(&mut self, frame: &[u8], now: Millis) -> Result<(), Reason> {
        let verdict = self.inbound_verdict(frame, now);
        let s = &mut self.stats;
        match verdict {
            Ok(()) => s.inbound_passed = s.inbound_passed.wrapping_add(1),
            Err(r) if r.is_malformed() => s.inbound_malformed = s.inbound_malformed.wrapping_add(1),
            Err(_) => s.inbound_dropped = s.inbound_dropped.wrapping_add(1),
        }
        verdict
    }

    /// Decides whether the stack may send `frame` (without CRC), records what it opens, and
    /// counts it. A refused frame changes no state but the counters.
    pub fn outbound(&mut self, frame: &[u8], now: Millis) -> Result<(), Reason> {
        let verdict = self.outbound_verdict(frame, now);
        match verdict {
            Ok(()) => self.stats.outbound_passed = self.stats.outbound_passed.wrapping_add(1),
            Err(r) => self.count_outbound_refused(r),
        }
        verdict
    }

    /// Counts a frame the driver received but could not deliver (receive error, too long) as
    /// inbound malformed.
    pub fn count_inbound_malformed(&mut self) {
        self.stats.inbound_malformed = self.stats.inbound_malformed.wrapping_add(1);
    }

    /// Counts an outbound frame refused before the policy saw it (e.g. a length the caller's
    /// buffer does not hold) with `reason`.
    pub fn count_outbound_refused(&mut self, reason: Reason) {
        let s = &mut self.stats;
        s.outbound_refused = s.outbound_refused.wrapping_add(1);
        if reason.is_malformed() {
            s.outbound_malformed = s.outbound_malformed.wrapping_add(1);
        }
    }

    // ---- inbound ----

    fn inbound_verdict(&mut self, frame: &[u8], now: Millis) -> Result<(), Reason> {
        let eth = ethernet(frame)?;
        let dst = eth.dst_addr();
        let broadcast = dst.is_broadcast();
        if dst != self.mac && !broadcast {
            return Err(Reason::NotOurMac);
        }
        let src = eth.src_addr();
        if !src.is_unicast() || src == self.mac {
            return Err(Reason::SpoofedSource);
        }
        match eth.ethertype() {
            EthernetProtocol::Arp => self.arp_in(eth.payload(), src, broadcast, now),
            EthernetProtocol::Ipv4 => self.ipv4_in(eth.payload(), broadcast, now),
            _ => Err(Reason::EtherType),
        }
    }

    fn arp_in(&mut self, payload: &[u8], eth_src: EthernetAddress, broadcast: bool, now: Millis) -> Result<(), Reason> {
        let arp = arp(payload)?;
        let sha = EthernetAddress::from_bytes(arp.source_hardware_addr());
        let spa = ipv4_from(arp.source_protocol_addr());
        if sha != eth_src || !is_unicast_host(spa) || Some(spa) == self.ip {
            return Err(Reason::SpoofedSource);
        }
        let our_ip = self.ip.ok_or(Reason::ArpNotForUs)?;
        if ipv4_from(arp.target_protocol_addr()) != our_ip {
            return Err(Reason::ArpNotForUs);
        }
        match arp.operation() {
            ArpOperation::Request => Ok(()),
            ArpOperation::Reply => {
                if broadcast || EthernetAddress::from_bytes(arp.target_hardware_addr()) != self.mac {
                    return Err(Reason::ArpNotForUs);
                }
                let asked = self.arp_queries.iter().flatten().any(|q| q.target == spa && now < q.until);
                if asked {
                    Ok(())
                } else {
                    Err(Reason::ArpUnsolicited)
                }
            }
            _ => Err(Reason::Protocol),
        }
    }

    fn ipv4_in(&mut self, payload: &[u8], broadcast: bool, now: Millis) -> Result<(), Reason> {
        let ip = ipv4(payload)?;
        if !is_unicast_host(ip.src) || Some(ip.src) == self.ip {
            return Err(Reason::SpoofedSource);
        }
        if ip.protocol == IpProtocol::Udp && ports(ip.payload) == Some((DHCP_SERVER_PORT, DHCP_CLIENT_PORT)) {
            return self.dhcp_in(&ip, now);
        }
        if broadcast || Some(ip.dst) != self.ip {
            return Err(Reason::NotOurIp);
        }
        match ip.protocol {
            IpProtocol::Tcp => self.tcp_in(&ip, now),
            IpProtocol::Udp => {
                let (sport, dport) = udp(&ip)?;
                let key =
                    Key { proto: Proto::Udp, local: ip.dst, local_port: dport, remote: ip.src, remote_port: sport };
                self.flows.touch(&key, now, &self.timeouts).ok_or(Reason::NoFlow)
            }
            IpProtocol::Icmp => self.icmp_in(&ip, now),
            _ => Err(Reason::Protocol),
        }
    }

    fn tcp_in(&mut self, ip: &Ip<'_>, now: Millis) -> Result<(), Reason> {
        let tcp = tcp(ip)?;
        let key = Key {
            proto: Proto::Tcp,
            local: ip.dst,
            local_port: tcp.dst_port(),
            remote: ip.src,
            remote_port: tcp.src_port(),
        };
        let timeouts = self.timeouts;
        match self.flows.find(&key, now, &timeouts) {
            Some(flow) => flow.tcp_inbound(&tcp, now),
            None => Err(Reason::NoFlow),
        }
    }

    fn dhcp_in(&mut self, ip: &Ip<'_>, now: Millis) -> Result<(), Reason> {
        udp(ip)?;
        let query = match self.dhcp {
            Some(q) if now < q.until => q,
            _ => return Err(Reason::DhcpUnsolicited),
        };
        let dhcp = dhcp(&ip.payload[8..], DhcpOpCode::Reply)?;
        if dhcp.transaction_id() != query.xid || dhcp.client_hardware_address() != self.mac {
            return Err(Reason::DhcpUnsolicited);
        }
        let offered = dhcp.your_ip();
        if !(ip.dst.is_broadcast() || ip.dst == offered || Some(ip.dst) == self.ip) {
            return Err(Reason::NotOurIp);
        }
        let ack = dhcp.options().any(|o| o.kind == DHCP_OPT_MESSAGE_TYPE && o.data == [u8::from(DhcpMessageType::Ack)]);
        if ack && is_unicast_host(offered) {
            self.ip = Some(offered);
        }
        Ok(())
    }

    fn icmp_in(&mut self, ip: &Ip<'_>, now: Millis) -> Result<(), Reason> {
        let icmp = icmp(ip)?;
        let timeouts = self.timeouts;
        match (icmp.msg_type(), icmp.msg_code()) {
            (Icmpv4Message::EchoReply, 0) => {
                let key = Key {
                    proto: Proto::Echo,
                    local: ip.dst,
                    local_port: icmp.echo_ident(),
                    remote: ip.src,
                    remote_port: 0,
                };
                self.flows.touch(&key, now, &timeouts).ok_or(Reason::IcmpUnsolicited)
            }
            (Icmpv4Message::DstUnreachable | Icmpv4Message::TimeExceeded, _) => {
                let key = quoted_key(icmp.data(), ip.dst)?;
                self.flows.touch(&key, now, &timeouts).ok_or(Reason::IcmpUnsolicited)
            }
            _ => Err(Reason::IcmpType),
        }
    }

    // ---- outbound ----

    fn outbound_verdict(&mut self, frame: &[u8], now: Millis) -> Result<(), Reason> {
        let eth = ethernet(frame)?;
        if eth.src_addr() != self.mac {
            return Err(Reason::ForeignSourceMac);
        }
        let dst = eth.dst_addr();
        let broadcast = dst.is_broadcast();
        if !broadcast && (dst.is_multicast() || dst == self.mac) {
            return Err(Reason::BadDestination);
        }
        match eth.ethertype() {
            EthernetProtocol::Arp => self.arp_out(eth.payload(), now),
            EthernetProtocol::Ipv4 => self.ipv4_out(eth.payload(), broadcast, now),
            _ => Err(Reason::EtherType),
        }
    }

    /// Whether the stack may use `src` as its source IP address (ours, or the first one).
    fn check_source(&self, src: Ipv4Address) -> Result<(), Reason> {
        match self.ip {
            _ if !is_unicast_host(src) => Err(Reason::SpoofedSource),
            Some(ip) if ip != src => Err(Reason::SpoofedSource),
            _ => Ok(()),
        }
    }

    fn arp_out(&mut self, payload: &[u8], now: Millis) -> Result<(), Reason> {
        let arp = arp(payload)?;
        if EthernetAddress::from_bytes(arp.source_hardware_addr()) != self.mac {
            return Err(Reason::ForeignSourceMac);
        }
        let spa = ipv4_from(arp.source_protocol_addr());
        // 0.0.0.0 is an address probe (RFC 5227), which claims nothing.
        if !spa.is_unspecified() {
            self.check_source(spa)?;
        }
        let tpa = ipv4_from(arp.target_protocol_addr());
        match arp.operation() {
            ArpOperation::Request if is_unicast_host(tpa) => self.note_arp_query(tpa, now),
            ArpOperation::Reply
                if is_unicast_host(tpa) && EthernetAddress::from_bytes(arp.target_hardware_addr()).is_unicast() => {}
            ArpOperation::Request | ArpOperation::Reply => return Err(Reason::BadDestination),
            _ => return Err(Reason::Protocol),
        }
        if !spa.is_unspecified() {
            self.ip = Some(spa);
        }
        Ok(())
    }

    fn note_arp_query(&mut self, target: Ipv4Address, now: Millis) {
        let until = now.saturating_add(self.timeouts.arp_query);
        let slot = match self.arp_queries.iter().position(|q| matches!(q, Some(q) if q.target == target)) {
            Some(i) => i,
            // A free slot, else the one expiring first (queries are hints, never refused).
            None => (0..MAX_ARP_QUERIES).min_by_key(|&i| self.arp_queries[i].map_or(0, |q| q.until)).unwrap_or(0),
        };
        self.arp_queries[slot] = Some(ArpQuery { target, until });
    }

    fn ipv4_out(&mut self, payload: &[u8], broadcast: bool, now: Millis) -> Result<(), Reason> {
        let ip = ipv4(payload)?;
        let dst = ip.dst;
        if dst.is_multicast() || dst.is_loopback() || dst.is_unspecified() {
            return Err(Reason::BadDestination);
        }
        if ip.protocol == IpProtocol::Udp && ports(ip.payload) == Some((DHCP_CLIENT_PORT, DHCP_SERVER_PORT)) {
            return self.dhcp_out(&ip, now);
        }
        if broadcast || !is_unicast_host(dst) {
            return Err(Reason::BadDestination);
        }
        self.check_source(ip.src)?;
        match ip.protocol {
            IpProtocol::Tcp => self.tcp_out(&ip, now)?,
            IpProtocol::Udp => {
                let (sport, dport) = udp(&ip)?;
                let key = Key { proto: Proto::Udp, local: ip.src, local_port: sport, remote: dst, remote_port: dport };
                self.flows.open(key, now, &self.timeouts)?;
            }
            IpProtocol::Icmp => {
                let icmp = icmp(&ip)?;
                if (icmp.msg_type(), icmp.msg_code()) != (Icmpv4Message::EchoRequest, 0) {
                    return Err(Reason::IcmpType);
                }
                let key = Key {
                    proto: Proto::Echo,
                    local: ip.src,
                    local_port: icmp.echo_ident(),
                    remote: dst,
                    remote_port: 0,
                };
                self.flows.open(key, now, &self.timeouts)?;
            }
            _ => return Err(Reason::Protocol),
        }
        self.ip = Some(ip.src);
        Ok(())
    }

    fn tcp_out(&mut self, ip: &Ip<'_>, now: Millis) -> Result<(), Reason> {
        let tcp = tcp(ip)?;
        let key = Key {
            proto: Proto::Tcp,
            local: ip.src,
            local_port: tcp.src_port(),
            remote: ip.dst,
            remote_port: tcp.dst_port(),
        };
        let timeouts = self.timeouts;
        if let Some(flow) = self.flows.find(&key, now, &timeouts) {
            return flow.tcp_outbound(&tcp, now);
        }
        if !(tcp.syn() && !tcp.ack() && !tcp.rst() && !tcp.fin()) {
            return Err(Reason::NoFlow);
        }
        let flow = self.flows.open(key, now, &timeouts)?;
        flow.tcp_outbound(&tcp, now)
    }

    fn dhcp_out(&mut self, ip: &Ip<'_>, now: Millis) -> Result<(), Reason> {
        // DHCP runs before we have an address (source 0.0.0.0) and renews from ours.
        if !ip.src.is_unspecified() {
            self.check_source(ip.src)?;
        }
        udp(ip)?;
        let dhcp = dhcp(&ip.payload[8..], DhcpOpCode::Request)?;
        if dhcp.client_hardware_address() != self.mac {
            return Err(Reason::ForeignSourceMac);
        }
        self.dhcp =
            Some(DhcpQuery { xid: dhcp.transaction_id(), until: now.saturating_add(self.timeouts.dhcp_window) });
        if !ip.src.is_unspecified() {
            self.ip = Some(ip.src);
        }
        Ok(())
    }
}

// ---- parsing helpers: each returns a view whose accessors cannot panic, or a Reason ----

fn ethernet(frame: &[u8]) -> Result<EthernetFrame<&[u8]>, Reason> {
    if frame.len() > MAX_FRAME {
        return Err(Reason::Oversized);
    }
    EthernetFrame::new_checked(frame).map_err(|_| Reason::Truncated)
}

fn arp(payload: &[u8]) -> Result<ArpPacket<&[u8]>, Reason> {
    if payload.len() < 8 {
        return Err(Reason::Truncated);
    }
    let arp = ArpPacket::new_unchecked(payload);
    if arp.hardware_type() != ArpHardware::Ethernet
        || arp.protocol_type() != EthernetProtocol::Ipv4
        || arp.hardware_len() != 6
        || arp.protocol_len() != 4
    {
        return Err(Reason::BadHeader);
    }
    ArpPacket::new_checked(payload).map_err(|_| Reason::Truncated)
}

fn ipv4(payload: &[u8]) -> Result<Ip<'_>, Reason> {
    if payload.len() < 20 {
        return Err(Reason::Truncated);
    }
    let p = Ipv4Packet::new_unchecked(payload);
    if p.version() != 4 || p.header_len() < 20 {
        return Err(Reason::BadHeader);
    }
    // Header within the frame, total length covering the header and within the frame (the rest
    // is Ethernet padding).
    let p = Ipv4Packet::new_checked(payload).map_err(|_| Reason::Truncated)?;
    if !p.verify_checksum() {
        return Err(Reason::BadChecksum);
    }
    if p.header_len() != 20 {
        return Err(Reason::IpOptions);
    }
    if p.more_frags() || p.frag_offset() != 0 {
        return Err(Reason::Fragment);
    }
    Ok(Ip {
        src: p.src_addr(),
        dst: p.dst_addr(),
        protocol: p.next_header(),
        payload: &payload[20..usize::from(p.total_len())],
    })
}

/// Source and destination port of a TCP or UDP payload, if it holds them.
fn ports(payload: &[u8]) -> Option<(u16, u16)> {
    match payload {
        [a, b, c, d, ..] => Some((u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d]))),
        _ => None,
    }
}

fn tcp<'a>(ip: &Ip<'a>) -> Result<TcpPacket<&'a [u8]>, Reason> {
    let tcp = TcpPacket::new_checked(ip.payload).map_err(|_| Reason::Truncated)?;
    if !tcp.verify_checksum(&IpAddress::Ipv4(ip.src), &IpAddress::Ipv4(ip.dst)) {
        return Err(Reason::BadChecksum);
    }
    if tcp.src_port() == 0 || tcp.dst_port() == 0 {
        return Err(Reason::BadHeader);
    }
    Ok(tcp)
}

/// Checks a UDP datagram (length equal to IP's, checksum; 0 means "none" as RFC 768 allows) and
/// returns its ports.
fn udp(ip: &Ip<'_>) -> Result<(u16, u16), Reason> {
    let udp = UdpPacket::new_checked(ip.payload).map_err(|_| Reason::Truncated)?;
    if usize::from(udp.len()) != ip.payload.len() {
        return Err(Reason::BadHeader);
    }
    if !udp.verify_checksum(&IpAddress::Ipv4(ip.src), &IpAddress::Ipv4(ip.dst)) {
        return Err(Reason::BadChecksum);
    }
    if udp.src_port() == 0 || udp.dst_port() == 0 {
        return Err(Reason::BadHeader);
    }
    Ok((udp.src_port(), udp.dst_port()))
}

fn icmp<'a>(ip: &Ip<'a>) -> Result<Icmpv4Packet<&'a [u8]>, Reason> {
    let icmp = Icmpv4Packet::new_checked(ip.payload).map_err(|_| Reason::Truncated)?;
    if !icmp.verify_checksum() {
        return Err(Reason::BadChecksum);
    }
    Ok(icmp)
}

/// A BOOTP/DHCP message of operation `op` for Ethernet, with the DHCP magic cookie.
fn dhcp(payload: &[u8], op: DhcpOpCode) -> Result<DhcpPacket<&[u8]>, Reason> {
    let dhcp = DhcpPacket::new_checked(payload).map_err(|_| Reason::Truncated)?;
    if dhcp.opcode() != op
        || dhcp.hardware_type() != ArpHardware::Ethernet
        || dhcp.hardware_len() != 6
        || dhcp.magic_number() != DHCP_MAGIC
    {
        return Err(Reason::BadHeader);
    }
    Ok(dhcp)
}

/// The flow an ICMP error is about: the quoted IPv4 header (from us, `local`) and the first 8
/// bytes of its payload (ports, or an echo request's identifier).
fn quoted_key(quoted: &[u8], local: Ipv4Address) -> Result<Key, Reason> {
    if quoted.len() < 20 {
        return Err(Reason::Truncated);
    }
    let inner = Ipv4Packet::new_unchecked(quoted);
    let header_len = usize::from(inner.header_len());
    if inner.version() != 4 || header_len < 20 {
        return Err(Reason::BadHeader);
    }
    let Some(l4) = quoted.get(header_len..header_len + 8) else {
        return Err(Reason::Truncated);
    };
    if inner.src_addr() != local {
        return Err(Reason::IcmpUnsolicited);
    }
    let (sport, dport) = ports(l4).ok_or(Reason::Truncated)?;
    let (proto, local_port, remote_port) = match inner.next_header() {
        IpProtocol::Tcp => (Proto::Tcp, sport, dport),
        IpProtocol::Udp => (Proto::Udp, sport, dport),
        // An echo request: type 8, code 0, checksum, then the identifier.
        IpProtocol::Icmp if l4[0] == 8 && l4[1] == 0 => (Proto::Echo, u16::from_be_bytes([l4[4], l4[5]]), 0),
        _ => return Err(Reason::IcmpUnsolicited),
    };
    Ok(Key { proto, local, local_port, remote: inner.dst_addr(), remote_port })
}

fn ipv4_from(bytes: &[u8]) -> Ipv4Address {
    match bytes {
        [a, b, c, d] => Ipv4Address::new(*a, *b, *c, *d),
        // Callers pass 4-byte fields of checked packets; anything else is no address.
        _ => Ipv4Address::UNSPECIFIED,
    }
}

/// A unicast host address: not 0.0.0.0/8, loopback, multicast, or 240.0.0.0/4 (which holds the
/// limited broadcast address).
fn is_unicast_host(a: Ipv4Address) -> bool {
    let first = a.octets()[0];
    first != 0 && !a.is_loopback() && !a.is_multicast() && first < 240
}
