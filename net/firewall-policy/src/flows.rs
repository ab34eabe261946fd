//! The flow table: what outbound traffic opened, with TCP connection tracking.

use smoltcp::wire::{Ipv4Address, TcpOption, TcpPacket};

use crate::{Millis, Reason, Timeouts};

/// Flows the table holds at most.
pub const MAX_FLOWS: usize = 32;

/// What kind of traffic a flow carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    Tcp,
    Udp,
    /// ICMP echo: `local_port` is the identifier, `remote_port` 0.
    Echo,
}

/// A flow's identity, from our side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub proto: Proto,
    pub local: Ipv4Address,
    pub local_port: u16,
    pub remote: Ipv4Address,
    pub remote_port: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TcpState {
    /// Our SYN went out; only a SYN-ACK acknowledging it (or a RST doing so) may come back.
    SynSent,
    /// Handshake done (possibly half-closed).
    Established,
    /// RST seen, or both FINs: lingering for late retransmissions until `closed_at + linger`.
    Closed,
}

/// TCP connection tracking, just enough to tell a genuine SYN-ACK and an in-window RST.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tcp {
    pub state: TcpState,
    /// Our initial sequence number (the SYN's).
    isn: u32,
    /// The window-scale shift our SYN offered, if it did.
    ws_offered: Option<u8>,
    /// The shift in effect for the windows we advertise (both SYNs carried the option).
    ws: u8,
    /// The acknowledgement number we last sent (the remote's next sequence number, as far as we
    /// told it) and the window we advertised with it, in bytes.
    ack_sent: u32,
    wnd_sent: u32,
    fin_out: bool,
    fin_in: bool,
}

impl Tcp {
    const fn new() -> Tcp {
        Tcp {
            state: TcpState::SynSent,
            isn: 0,
            ws_offered: None,
            ws: 0,
            ack_sent: 0,
            wnd_sent: 0,
            fin_out: false,
            fin_in: false,
        }
    }

    /// Whether the RST sequence number `seq` is acceptable: inside the window we advertised
    /// (RFC 5961 §3; a zero window accepts exactly the next sequence number).
    fn rst_in_window(&self, seq: u32) -> bool {
        let offset = seq.wrapping_sub(self.ack_sent);
        offset == 0 || offset < self.wnd_sent
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Flow {
    pub key: Key,
    /// Last traffic in either direction (for TCP in `Closed`: when it closed).
    last_seen: Millis,
    pub tcp: Tcp,
}

impl Flow {
    /// When the flow expires.
    fn deadline(&self, t: &Timeouts) -> Millis {
        let life = match (self.key.proto, self.tcp.state) {
            (Proto::Tcp, TcpState::SynSent) => t.tcp_syn_sent,
            (Proto::Tcp, TcpState::Established) => t.tcp_idle,
            (Proto::Tcp, TcpState::Closed) => t.tcp_linger,
            (Proto::Udp, _) => t.udp_idle,
            (Proto::Echo, _) => t.icmp_echo,
        };
        self.last_seen.saturating_add(life)
    }

    fn live(&self, now: Millis, t: &Timeouts) -> bool {
        now < self.deadline(t)
    }

    fn is_closed(&self) -> bool {
        self.key.proto == Proto::Tcp && self.tcp.state == TcpState::Closed
    }

    fn close(&mut self, now: Millis) {
        self.tcp.state = TcpState::Closed;
        self.last_seen = now;
    }

    /// Applies a segment we send. Every check comes before the first change, so a refused
    /// segment changes nothing.
    pub fn tcp_outbound(&mut self, tcp: &TcpPacket<&[u8]>, now: Millis) -> Result<(), Reason> {
        let t = &mut self.tcp;
        if tcp.syn() {
            // We never accept connections, so never answer a SYN.
            if tcp.ack() || tcp.rst() || tcp.fin() {
                return Err(Reason::TcpState);
            }
            // A first SYN, a retransmission, or the stack reusing the port pair: (re)open.
            *t = Tcp::new();
            t.isn = tcp.seq_number().0 as u32;
            t.ws_offered = window_scale(tcp);
            t.wnd_sent = u32::from(tcp.window_len());
            self.last_seen = now;
            return Ok(());
        }
        match t.state {
            // Nothing but a RST (abort) may follow our SYN before the handshake completes.
            TcpState::SynSent if tcp.rst() => self.close(now),
            TcpState::SynSent => return Err(Reason::TcpState),
            TcpState::Established => {
                if tcp.ack() {
                    t.ack_sent = tcp.ack_number().0 as u32;
                    t.wnd_sent = u32::from(tcp.window_len()) << t.ws;
                }
                if tcp.rst() {
                    self.close(now);
                } else {
                    t.fin_out |= tcp.fin();
                    if t.fin_out && t.fin_in {
                        self.close(now);
                    } else {
                        self.last_seen = now;
                    }
                }
            }
            // Final ACKs and retransmitted FINs while lingering; the linger is not extended.
            TcpState::Closed => {}
        }
        Ok(())
    }

    /// Applies a segment we receive (already checked: checksum, ports of this flow).
    pub fn tcp_inbound(&mut self, tcp: &TcpPacket<&[u8]>, now: Millis) -> Result<(), Reason> {
        let t = &mut self.tcp;
        let acks_syn = tcp.ack() && tcp.ack_number().0 as u32 == t.isn.wrapping_add(1);
        match t.state {
            TcpState::SynSent => {
                if tcp.rst() {
                    // RFC 793: in SYN-SENT a RST is acceptable only if it acknowledges our SYN.
                    if !acks_syn {
                        return Err(Reason::RstOutOfWindow);
                    }
                    self.close(now);
                    return Ok(());
                }
                if !(tcp.syn() && acks_syn && !tcp.fin()) {
                    return Err(Reason::TcpState);
                }
                let remote_ws = window_scale(tcp);
                t.ws = match (t.ws_offered, remote_ws) {
                    (Some(ours), Some(_)) => ours.min(14),
                    _ => 0,
                };
                t.state = TcpState::Established;
                t.ack_sent = (tcp.seq_number().0 as u32).wrapping_add(1);
                // `wnd_sent` keeps our SYN's (unscaled) window until our first ACK.
                self.last_seen = now;
                Ok(())
            }
            TcpState::Established => {
                if tcp.syn() {
                    // A retransmitted SYN-ACK (our ACK was lost) is fine; any other SYN is not.
                    return if acks_syn && !tcp.rst() && !tcp.fin() {
                        self.last_seen = now;
                        Ok(())
                    } else {
                        Err(Reason::TcpState)
                    };
                }
                if tcp.rst() {
                    if !t.rst_in_window(tcp.seq_number().0 as u32) {
                        return Err(Reason::RstOutOfWindow);
                    }
                    self.close(now);
                    return Ok(());
                }
                t.fin_in |= tcp.fin();
                if t.fin_out && t.fin_in {
                    self.close(now);
                } else {
                    self.last_seen = now;
                }
                Ok(())
            }
            TcpState::Closed => {
                if tcp.syn() {
                    return Err(Reason::TcpState);
                }
                if tcp.rst() && !t.rst_in_window(tcp.seq_number().0 as u32) {
                    return Err(Reason::RstOutOfWindow);
                }
                Ok(())
            }
        }
    }
}

/// The window-scale option of a SYN, if present (malformed options count as absent).
fn window_scale(tcp: &TcpPacket<&[u8]>) -> Option<u8> {
    let mut options = tcp.options();
    while !options.is_empty() {
        let (rest, option) = TcpOption::parse(options).ok()?;
        match option {
            TcpOption::WindowScale(shift) => return Some(shift),
            TcpOption::EndOfList => return None,
            _ => options = rest,
        }
    }
    None
}

/// A bounded table of flows. Expired flows are free slots; when none is free, the flow that
/// closed first is evicted; when every flow is live and open, opening another is refused.
#[derive(Clone, Debug)]
pub(crate) struct FlowTable {
    slots: [Option<Flow>; MAX_FLOWS],
}

impl FlowTable {
    pub const fn new() -> FlowTable {
        FlowTable { slots: [None; MAX_FLOWS] }
    }

    /// The live flow `key`, if any.
    pub fn find(&mut self, key: &Key, now: Millis, t: &Timeouts) -> Option<&mut Flow> {
        self.slots.iter_mut().flatten().find(|f| f.key == *key && f.live(now, t))
    }

    /// Refreshes the live non-TCP flow `key`; `None` if there is none.
    pub fn touch(&mut self, key: &Key, now: Millis, t: &Timeouts) -> Option<()> {
        let flow = self.find(key, now, t)?;
        flow.last_seen = now;
        Some(())
    }

    /// The live flow `key`, refreshed, or a new one in a free, expired or evicted slot;
    /// `TableFull` if every slot holds a live flow that is still open.
    pub fn open(&mut self, key: Key, now: Millis, t: &Timeouts) -> Result<&mut Flow, Reason> {
        if let Some(i) = self.slots.iter().position(|s| matches!(s, Some(f) if f.key == key && f.live(now, t))) {
            let flow = self.slots[i].as_mut().ok_or(Reason::TableFull)?;
            flow.last_seen = now;
            return Ok(flow);
        }
        let free = self.slots.iter().position(|s| !matches!(s, Some(f) if f.live(now, t)));
        let slot = match free {
            Some(i) => i,
            None => self
                .slots
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.as_ref().filter(|f| f.is_closed()).map(|f| (i, f.last_seen)))
                .min_by_key(|&(_, closed_at)| closed_at)
                .map(|(i, _)| i)
                .ok_or(Reason::TableFull)?,
        };
        Ok(self.slots[slot].insert(Flow { key, last_seen: now, tcp: Tcp::new() }))
    }

    /// Flows alive at `now`.
    pub fn live_count(&self, now: Millis, t: &Timeouts) -> usize {
        self.slots.iter().flatten().filter(|f| f.live(now, t)).count()
    }
}
