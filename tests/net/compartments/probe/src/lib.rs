//! Compartment `probe`: drives the LAN9118 driver compartment `eth` through its exports — init,
//! MAC address, a receive that times out on a quiet link, an ARP request to QEMU's user-mode
//! network gateway (10.0.2.2) and the interrupt-driven receive of its reply.
#![no_std]

use rtos_sys::{println, Error, Granule, ReadOnly, StoreOnly};

rtos_sys::imports!();

/// Our address on QEMU's user-mode network, and the gateway's.
const OUR_IP: [u8; 4] = [10, 0, 2, 15];
const GATEWAY_IP: [u8; 4] = [10, 0, 2, 2];
const ETHERTYPE_ARP: [u8; 2] = [0x08, 0x06];

fn fail(what: &str) -> ! {
    println!("FAIL: {what}");
    rtos_sys::shutdown(1)
}

/// An ARP request "who has `target`, tell `ip`/`mac`" as a broadcast Ethernet frame (42 bytes).
fn arp_request(mac: [u8; 6], ip: [u8; 4], target: [u8; 4]) -> [Granule; 2] {
    let mut f = [0u8; 64];
    f[0..6].fill(0xFF);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETHERTYPE_ARP);
    // Ethernet / IPv4, address lengths 6 and 4, operation 1 (request).
    f[14..22].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&ip);
    f[38..42].copy_from_slice(&target);
    let mut out = [Granule::ZERO; 2];
    out[0].0.copy_from_slice(&f[..32]);
    out[1].0.copy_from_slice(&f[32..]);
    out
}

fn result(r: Result<u32, rtos_sys::CallError>) -> Result<u32, Error> {
    match r {
        Ok(v) if v >= 0xFFFF_FF00 => Err(Error::from_code(v as i32).unwrap_or(Error::InvalidArgument)),
        Ok(v) => Ok(v),
        Err(e) => Err(e),
    }
}

#[no_mangle]
pub extern "C" fn probe_main(_arg: usize) {
    let id = result(eth::eth_init()).unwrap_or_else(|_| fail("the driver could not initialise the chip"));
    println!("LAN9118 id {:#010x}", id);
    let (Ok(lo), Ok(hi)) = (result(eth::eth_mac_low()), result(eth::eth_mac_high())) else {
        fail("cannot read the MAC address")
    };
    let mac = [lo as u8, (lo >> 8) as u8, (lo >> 16) as u8, (lo >> 24) as u8, hi as u8, (hi >> 8) as u8];
    println!("MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);

    let mut buf = [Granule::ZERO; 48];
    // Nothing sent yet: the receive times out.
    match result(eth::eth_recv(StoreOnly::new(&mut buf), 5)) {
        Err(Error::TimedOut) => println!("quiet link: receive timed out"),
        other => fail(match other {
            Ok(_) => "a frame arrived before anything was sent",
            Err(_) => "receive on a quiet link did not time out",
        }),
    }

    let frame = arp_request(mac, OUR_IP, GATEWAY_IP);
    if result(eth::eth_send(ReadOnly::new(&frame), 42)) != Ok(0) {
        fail("send refused");
    }
    println!("sent ARP request for 10.0.2.2");
    for _ in 0..8 {
        let len = match result(eth::eth_recv(StoreOnly::new(&mut buf), 1000)) {
            Ok(len) => len as usize,
            Err(e) => fail(if e == Error::TimedOut { "no reply within 1000 ticks" } else { "receive failed" }),
        };
        let mut f = [0u8; 64];
        for (i, b) in f.iter_mut().enumerate().take(len.min(64)) {
            *b = buf[i / 32].0[i % 32];
        }
        let is_reply = len >= 42 && f[12..14] == ETHERTYPE_ARP && f[20..22] == [0, 2] && f[28..32] == GATEWAY_IP;
        if !is_reply {
            println!("skipped a {len}-byte frame");
            continue;
        }
        if f[0..6] != mac || f[32..38] != mac || f[38..42] != OUR_IP {
            fail("the ARP reply is not addressed to us");
        }
        println!(
            "ARP reply: 10.0.2.2 is at {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            f[22], f[23], f[24], f[25], f[26], f[27]
        );
        let wakeups = result(eth::eth_wakeups()).unwrap_or(0);
        println!("receive woken by the interrupt {wakeups} time(s)");
        if wakeups == 0 {
            fail("the reply was not delivered through the interrupt");
        }
        println!("PASS");
        rtos_sys::shutdown(0);
    }
    fail("no ARP reply among the frames received");
}
