//! The `dns` peer: a small authoritative DNS responder over UDP (RFC 1035 wire format) for the
//! names of its `records` table, enough for lwIP's resolver. A standard query with one question
//! gets NOERROR with one A record (type A or ANY of a known name), NOERROR without records
//! (another type of a known name), NXDOMAIN (an unknown name); a malformed one FORMERR; another
//! opcode or class NOTIMP. The question is echoed as received (lwIP compares it), the ID and the
//! RD flag copied. Datagrams too short to carry an ID, and responses, are dropped.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::udp::Responder;

const HEADER: usize = 12;
const TYPE_A: u16 = 1;
const TYPE_ANY: u16 = 255;
const CLASS_IN: u16 = 1;
/// TTL of the answers, seconds.
pub const TTL: u32 = 60;

/// Response codes.
pub const NOERROR: u8 = 0;
pub const FORMERR: u8 = 1;
pub const NXDOMAIN: u8 = 3;
pub const NOTIMP: u8 = 4;

/// Checks a record name from a manifest; returns it lower-case without a final dot.
pub fn check_name(name: &str) -> Result<String, String> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    if trimmed.is_empty() || trimmed.len() > 253 {
        return Err("is not a domain name (1 ..= 253 characters)".to_owned());
    }
    for label in trimmed.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("has a label of {} characters; each dot-separated label needs 1 ..= 63", label.len()));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("has label \"{label}\" with characters other than A-Z a-z 0-9 - _"));
        }
    }
    Ok(trimmed.to_ascii_lowercase())
}

/// What a query got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// NOERROR, with `records` A records.
    Answered {
        records: u16,
    },
    NxDomain,
    FormErr,
    NotImp,
    /// No reply (shorter than a header, or not a query).
    Dropped,
}

/// The reply to `query` from `records` (lower-case names without the final dot).
pub fn answer(records: &BTreeMap<String, Ipv4Addr>, query: &[u8]) -> (Outcome, Option<Vec<u8>>) {
    if query.len() < HEADER || query[2] & 0x80 != 0 {
        return (Outcome::Dropped, None);
    }
    let id = [query[0], query[1]];
    let rd = query[2] & 0x01;
    let opcode = (query[2] >> 3) & 0x0F;
    let header = |rcode: u8, qd: u16, an: u16| {
        let mut h = Vec::with_capacity(HEADER);
        h.extend_from_slice(&id);
        // QR, opcode as asked, AA (authoritative for its table), RD copied; RA not offered.
        h.push(0x80 | (opcode << 3) | 0x04 | rd);
        h.push(rcode);
        for count in [qd, an, 0, 0] {
            h.extend_from_slice(&count.to_be_bytes());
        }
        h
    };
    if opcode != 0 {
        return (Outcome::NotImp, Some(header(NOTIMP, 0, 0)));
    }
    let qdcount = u16::from_be_bytes([query[4], query[5]]);
    let parsed = if qdcount == 1 { parse_question(query) } else { None };
    let Some((name, qtype, qclass, end)) = parsed else {
        return (Outcome::FormErr, Some(header(FORMERR, 0, 0)));
    };
    let question = &query[HEADER..end];
    if qclass != CLASS_IN {
        let mut r = header(NOTIMP, 1, 0);
        r.extend_from_slice(question);
        return (Outcome::NotImp, Some(r));
    }
    let Some(addr) = records.get(&name) else {
        let mut r = header(NXDOMAIN, 1, 0);
        r.extend_from_slice(question);
        return (Outcome::NxDomain, Some(r));
    };
    let records = u16::from(qtype == TYPE_A || qtype == TYPE_ANY);
    let mut r = header(NOERROR, 1, records);
    r.extend_from_slice(question);
    if records == 1 {
        // The name as a pointer to the question's (offset 12), type A, class IN, TTL, 4 bytes.
        r.extend_from_slice(&[0xC0, HEADER as u8]);
        r.extend_from_slice(&TYPE_A.to_be_bytes());
        r.extend_from_slice(&CLASS_IN.to_be_bytes());
        r.extend_from_slice(&TTL.to_be_bytes());
        r.extend_from_slice(&4u16.to_be_bytes());
        r.extend_from_slice(&addr.octets());
    }
    (Outcome::Answered { records }, Some(r))
}

/// The one question: (lower-case name, type, class, end offset). `None` if malformed:
/// truncated, a label longer than 63, a compression pointer or extended label type (a query's
/// question has none), or a name longer than 255 bytes.
fn parse_question(msg: &[u8]) -> Option<(String, u16, u16, usize)> {
    let mut at = HEADER;
    let mut labels: Vec<String> = Vec::new();
    let mut wire_len = 1;
    loop {
        let len = *msg.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        if len > 63 {
            return None;
        }
        wire_len += len + 1;
        if wire_len > 255 {
            return None;
        }
        let label = msg.get(at..at + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        at += len;
    }
    let fixed = msg.get(at..at + 4)?;
    let qtype = u16::from_be_bytes([fixed[0], fixed[1]]);
    let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
    Some((labels.join("."), qtype, qclass, at + 4))
}

/// The `dns` peer's state.
pub struct Server {
    records: BTreeMap<String, Ipv4Addr>,
    queries: u64,
    answered: u64,
    nxdomain: u64,
    formerr: u64,
    notimp: u64,
    dropped: u64,
}

impl Server {
    pub fn new(records: BTreeMap<String, Ipv4Addr>) -> Server {
        Server { records, queries: 0, answered: 0, nxdomain: 0, formerr: 0, notimp: 0, dropped: 0 }
    }
}

impl Responder for Server {
    fn respond(&mut self, request: &[u8]) -> Option<Vec<u8>> {
        self.queries += 1;
        let (outcome, reply) = answer(&self.records, request);
        match outcome {
            Outcome::Answered { .. } => self.answered += 1,
            Outcome::NxDomain => self.nxdomain += 1,
            Outcome::FormErr => self.formerr += 1,
            Outcome::NotImp => self.notimp += 1,
            Outcome::Dropped => self.dropped += 1,
        }
        reply
    }

    fn report(&self) -> String {
        let mut line = format!(
            "{} queries, {} answered, {} nxdomain, {} formerr",
            self.queries, self.answered, self.nxdomain, self.formerr
        );
        if self.notimp > 0 {
            line.push_str(&format!(", {} not implemented", self.notimp));
        }
        if self.dropped > 0 {
            line.push_str(&format!(", {} dropped (not a query)", self.dropped));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::super::{start, PeerKind, PeerSpec};
    use super::*;
    use std::net::UdpSocket;
    use std::time::Duration;

    fn records() -> BTreeMap<String, Ipv4Addr> {
        BTreeMap::from([("echo.test".to_owned(), Ipv4Addr::new(10, 0, 2, 2))])
    }

    /// A query as lwIP's resolver sends it: RD set, one question, class IN.
    fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
        let mut q = Vec::new();
        q.extend_from_slice(&id.to_be_bytes());
        q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for label in name.split('.') {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&CLASS_IN.to_be_bytes());
        q
    }

    #[test]
    fn answers_a_records_byte_for_byte() {
        let q = query(0xBEEF, "Echo.Test", TYPE_A);
        let (outcome, reply) = answer(&records(), &q);
        assert_eq!(outcome, Outcome::Answered { records: 1 });
        let mut expected = vec![0xBE, 0xEF, 0x85, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
        expected.extend_from_slice(&q[12..]);
        expected.extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 2, 2]);
        assert_eq!(reply.unwrap(), expected);
    }

    #[test]
    fn unknown_names_get_nxdomain_with_the_question() {
        let q = query(7, "other.test", TYPE_A);
        let (outcome, reply) = answer(&records(), &q);
        assert_eq!(outcome, Outcome::NxDomain);
        let reply = reply.unwrap();
        assert_eq!(&reply[..12], &[0, 7, 0x85, NXDOMAIN, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&reply[12..], &q[12..]);
    }

    #[test]
    fn other_types_of_known_names_get_no_records() {
        let (outcome, reply) = answer(&records(), &query(9, "echo.test", 28));
        assert_eq!(outcome, Outcome::Answered { records: 0 });
        assert_eq!(&reply.unwrap()[2..8], &[0x85, NOERROR, 0, 1, 0, 0]);
    }

    #[test]
    fn malformed_queries_get_formerr() {
        let good = query(0x1234, "echo.test", TYPE_A);
        let mut two_questions = good.clone();
        two_questions[5] = 2;
        let truncated = good[..good.len() - 3].to_vec();
        let mut pointer = good[..12].to_vec();
        pointer.extend_from_slice(&[0xC0, 0x0C, 0, 1, 0, 1]);
        let mut long_label = good[..12].to_vec();
        long_label.push(64);
        long_label.extend_from_slice(&[b'a'; 64]);
        long_label.extend_from_slice(&[0, 0, 1, 0, 1]);
        let header_only = good[..12].to_vec();
        for (what, q) in [
            ("two questions", two_questions),
            ("truncated", truncated),
            ("compression pointer", pointer),
            ("64-byte label", long_label),
            ("no question", header_only),
        ] {
            let (outcome, reply) = answer(&records(), &q);
            assert_eq!(outcome, Outcome::FormErr, "{what}");
            assert_eq!(reply.unwrap(), [0x12, 0x34, 0x85, FORMERR, 0, 0, 0, 0, 0, 0, 0, 0], "{what}");
        }
    }

    #[test]
    fn drops_what_it_cannot_answer_and_refuses_other_opcodes() {
        assert_eq!(answer(&records(), &[1, 2, 3]), (Outcome::Dropped, None));
        let mut response = query(1, "echo.test", TYPE_A);
        response[2] |= 0x80;
        assert_eq!(answer(&records(), &response), (Outcome::Dropped, None));
        let mut status = query(1, "echo.test", TYPE_A);
        status[2] = 2 << 3;
        let (outcome, reply) = answer(&records(), &status);
        assert_eq!(outcome, Outcome::NotImp);
        assert_eq!(reply.unwrap()[2..4], [0x80 | (2 << 3) | 0x04, NOTIMP]);
    }

    #[test]
    fn checks_manifest_names() {
        assert_eq!(check_name("Echo.Test."), Ok("echo.test".to_owned()));
        assert!(check_name("").is_err());
        assert!(check_name("a..b").unwrap_err().contains("label of 0 characters"));
        assert!(check_name("a b.test").unwrap_err().contains("\"a b\""));
        assert!(check_name(&"x".repeat(64)).is_err());
    }

    #[test]
    fn serves_over_udp_and_reports() {
        let spec = PeerSpec { kind: PeerKind::Dns { records: records() }, port: 0 };
        let peers = start(&[spec], "t.toml").unwrap();
        let port = peers.ports()[0];
        let c = UdpSocket::bind("127.0.0.1:0").unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c.connect(("127.0.0.1", port)).unwrap();
        let mut buf = [0u8; 512];
        for (q, rcode) in [
            (query(1, "echo.test", TYPE_A), NOERROR),
            (query(2, "nope.test", TYPE_A), NXDOMAIN),
            (vec![0, 3, 1, 0, 0, 1], u8::MAX),
            (query(4, "echo.test", TYPE_A)[..14].to_vec(), FORMERR),
        ] {
            c.send(&q).unwrap();
            if rcode == u8::MAX {
                continue;
            }
            let n = c.recv(&mut buf).unwrap();
            assert_eq!(buf[..2], q[..2]);
            assert_eq!(buf[3] & 0x0F, rcode, "{:?}", &buf[..n]);
        }
        assert_eq!(
            peers.stop(),
            [format!("peer dns:{port}: 4 queries, 1 answered, 1 nxdomain, 1 formerr, 1 dropped (not a query)")]
        );
    }
}
