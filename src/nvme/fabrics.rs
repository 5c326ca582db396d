//! NVMe over Fabrics commands the host sends (Connect, Property Get/Set) and
//! the discovery log page it reads, as plain values: building and parsing
//! only, no I/O. The transports (`tcp`) carry them.

use super::spec::Cmd;
use super::trid::{self, TransportId};
use crate::nvmf::spec::{
    SPDK_NVMF_ADRFAM_IPV4, SPDK_NVMF_ADRFAM_IPV6, SPDK_NVMF_DISCOVERY_NQN, SPDK_NVMF_FABRIC_COMMAND_CONNECT, SPDK_NVMF_FABRIC_COMMAND_PROPERTY_GET,
    SPDK_NVMF_FABRIC_COMMAND_PROPERTY_SET, SPDK_NVMF_SUBTYPE_NVME, SPDK_NVMF_TRTYPE_TCP, SPDK_NVME_OPC_FABRIC,
};

pub use crate::nvmf::spec::SPDK_NVMF_DISCOVERY_NQN as DISCOVERY_NQN;

/// Bytes of the Connect command's data.
pub const CONNECT_DATA_LEN: usize = 1024;
/// The discovery log page identifier.
pub const LOG_DISCOVERY: u8 = 0x70;
/// Bytes of the discovery log page header and of each entry.
pub const DISCOVERY_HDR_LEN: usize = 1024;
pub const DISCOVERY_ENTRY_LEN: usize = 1024;

/// Controller property offsets.
pub mod prop {
    pub const CAP: u32 = 0x00;
    pub const VS: u32 = 0x08;
    pub const CC: u32 = 0x14;
    pub const CSTS: u32 = 0x1c;
}

/// A fabrics command: opcode 0x7f with the command type in byte 4.
fn fabric(fctype: u8) -> Cmd {
    Cmd::new(SPDK_NVME_OPC_FABRIC, fctype as u32)
}

/// The fabrics command type of `cmd`, if it is one.
pub fn fctype(cmd: &Cmd) -> Option<u8> {
    (cmd.opc() == SPDK_NVME_OPC_FABRIC).then_some(cmd.nsid as u8)
}

/// Connect for queue `qid` with `sqsize` (0's based) and the keep alive
/// timeout in milliseconds (admin queue only; 0 for I/O queues).
pub fn connect_cmd(qid: u16, sqsize: u16, kato_ms: u32) -> Cmd {
    let mut c = fabric(SPDK_NVMF_FABRIC_COMMAND_CONNECT);
    // RECFMT 0 in bits 15:0, QID in 31:16.
    c.cdw10 = (qid as u32) << 16;
    // SQSIZE in 15:0, CATTR 0.
    c.cdw11 = sqsize as u32;
    c.cdw12 = kato_ms;
    c
}

fn put_str(dst: &mut [u8], s: &str) {
    let n = s.len().min(dst.len() - 1);
    dst[..n].copy_from_slice(&s.as_bytes()[..n]);
}

/// The Connect data: host identifier, controller ID (0xFFFF on the admin
/// queue: any, dynamic), subsystem and host NQNs, NUL-terminated.
pub fn connect_data(hostid: &[u8; 16], cntlid: u16, subnqn: &str, hostnqn: &str) -> [u8; CONNECT_DATA_LEN] {
    let mut d = [0u8; CONNECT_DATA_LEN];
    d[0..16].copy_from_slice(hostid);
    d[16..18].copy_from_slice(&cntlid.to_le_bytes());
    put_str(&mut d[256..512], subnqn);
    put_str(&mut d[512..768], hostnqn);
    d
}

/// The controller ID a successful Connect response carries.
pub fn connect_cntlid(cdw0: u32) -> u16 {
    cdw0 as u16
}

/// Property Get of the 4- or 8-byte property at `ofst`.
pub fn prop_get_cmd(ofst: u32, eight: bool) -> Cmd {
    let mut c = fabric(SPDK_NVMF_FABRIC_COMMAND_PROPERTY_GET);
    c.cdw10 = eight as u32;
    c.cdw11 = ofst;
    c
}

/// Property Set of the 4- or 8-byte property at `ofst`.
pub fn prop_set_cmd(ofst: u32, eight: bool, value: u64) -> Cmd {
    let mut c = fabric(SPDK_NVMF_FABRIC_COMMAND_PROPERTY_SET);
    c.cdw10 = eight as u32;
    c.cdw11 = ofst;
    c.cdw12 = value as u32;
    c.cdw13 = (value >> 32) as u32;
    c
}

/// Get Log Page of `len` bytes (a multiple of 4) of `page` from byte `offset`.
pub fn get_log_page_cmd(page: u8, len: u32, offset: u64) -> Cmd {
    let numd = len / 4 - 1;
    let mut c = Cmd::new(super::spec::admin::GET_LOG_PAGE, 0);
    c.cdw10 = page as u32 | ((numd & 0xffff) << 16);
    c.cdw11 = numd >> 16;
    c.cdw12 = offset as u32;
    c.cdw13 = (offset >> 32) as u32;
    c
}

/// Generation counter and number of records of a discovery log page header.
pub fn discovery_header(b: &[u8]) -> Option<(u64, u64)> {
    let genctr = u64::from_le_bytes(b.get(0..8)?.try_into().ok()?);
    let numrec = u64::from_le_bytes(b.get(8..16)?.try_into().ok()?);
    Some((genctr, numrec))
}

/// One discovery log page entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryEntry {
    pub trtype: u8,
    pub adrfam: u8,
    pub subtype: u8,
    pub portid: u16,
    pub cntlid: u16,
    pub trsvcid: String,
    pub subnqn: String,
    pub traddr: String,
}

/// Text of a fixed-size, space- or NUL-padded ASCII field.
fn field(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).trim_end_matches(' ').to_string()
}

/// Parses one 1024-byte discovery log page entry.
pub fn discovery_entry(b: &[u8]) -> Option<DiscoveryEntry> {
    let b = b.get(..DISCOVERY_ENTRY_LEN)?;
    Some(DiscoveryEntry {
        trtype: b[0],
        adrfam: b[1],
        subtype: b[2],
        portid: u16::from_le_bytes([b[4], b[5]]),
        cntlid: u16::from_le_bytes([b[6], b[7]]),
        trsvcid: field(&b[32..64]),
        subnqn: field(&b[256..512]),
        traddr: field(&b[512..768]),
    })
}

impl DiscoveryEntry {
    /// Whether the entry names an NVMe subsystem (not another discovery service).
    pub fn is_nvme(&self) -> bool {
        self.subtype == SPDK_NVMF_SUBTYPE_NVME
    }

    /// The transport ID to connect to the entry, for transports this driver speaks.
    pub fn trid(&self) -> Option<TransportId> {
        if self.trtype != SPDK_NVMF_TRTYPE_TCP {
            return None;
        }
        let adrfam = match self.adrfam {
            SPDK_NVMF_ADRFAM_IPV4 => trid::ADRFAM_IPV4,
            SPDK_NVMF_ADRFAM_IPV6 => trid::ADRFAM_IPV6,
            _ => return None,
        };
        Some(TransportId {
            trtype: trid::TRTYPE_TCP,
            trstring: "TCP".into(),
            adrfam,
            traddr: self.traddr.clone(),
            trsvcid: self.trsvcid.clone(),
            subnqn: self.subnqn.clone(),
            priority: 0,
        })
    }
}

/// Whether `nqn` names the discovery service (an empty one does, as in SPDK).
pub fn is_discovery_nqn(nqn: &str) -> bool {
    nqn.is_empty() || nqn == SPDK_NVMF_DISCOVERY_NQN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_command_and_data_layout() {
        let c = connect_cmd(3, 127, 0);
        // The command as it goes on the wire: the SQE after the 8-byte PDU header.
        let mut pdu = Vec::new();
        crate::nvmf::tcp::pdu::write_capsule_cmd(&mut pdu, &Default::default(), &c, &[]);
        let raw = &pdu[8..72];
        assert_eq!(raw[0], 0x7f);
        assert_eq!(raw[4], 0x01, "fctype Connect");
        assert_eq!(u16::from_le_bytes([raw[40], raw[41]]), 0, "recfmt");
        assert_eq!(u16::from_le_bytes([raw[42], raw[43]]), 3, "qid");
        assert_eq!(u16::from_le_bytes([raw[44], raw[45]]), 127, "sqsize");
        assert_eq!(fctype(&c), Some(1));
        let admin = connect_cmd(0, 31, 10_000);
        assert_eq!(admin.cdw12, 10_000);

        let id = [7u8; 16];
        let d = connect_data(&id, 0xffff, "nqn.2016-06.io.spdk:cnode1", "nqn.2014-08.org.nvmexpress:uuid:x");
        assert_eq!(&d[..16], &id);
        assert_eq!(u16::from_le_bytes([d[16], d[17]]), 0xffff);
        assert_eq!(&d[256..282], b"nqn.2016-06.io.spdk:cnode1");
        assert_eq!(d[282], 0);
        assert_eq!(&d[512..545], b"nqn.2014-08.org.nvmexpress:uuid:x");
        // An over-long NQN is cut and stays NUL-terminated.
        let long = "n".repeat(400);
        let d = connect_data(&id, 1, &long, &long);
        assert_eq!(d[511], 0);
        assert_eq!(d[767], 0);
        assert_eq!(connect_cntlid(0x0001_0005), 5);
    }

    #[test]
    fn property_commands() {
        let g = prop_get_cmd(prop::CAP, true);
        assert_eq!((g.opc(), g.nsid, g.cdw10, g.cdw11), (0x7f, 0x04, 1, 0));
        let s = prop_set_cmd(prop::CC, false, 0x0046_0001);
        assert_eq!((s.nsid, s.cdw10, s.cdw11, s.cdw12, s.cdw13), (0x00, 0, 0x14, 0x0046_0001, 0));
        let l = get_log_page_cmd(LOG_DISCOVERY, 4096, 1024);
        assert_eq!((l.cdw10, l.cdw11, l.cdw12, l.cdw13), (0x70 | (1023 << 16), 0, 1024, 0));
    }

    fn entry(trtype: u8, adrfam: u8, subtype: u8, addr: &str, svc: &str, nqn: &str) -> Vec<u8> {
        let mut e = vec![0u8; DISCOVERY_ENTRY_LEN];
        e[0] = trtype;
        e[1] = adrfam;
        e[2] = subtype;
        e[4..6].copy_from_slice(&1u16.to_le_bytes());
        e[6..8].copy_from_slice(&0xffffu16.to_le_bytes());
        // Linux pads trsvcid and traddr with spaces.
        e[32..64].fill(b' ');
        e[32..32 + svc.len()].copy_from_slice(svc.as_bytes());
        e[512..768].fill(b' ');
        e[512..512 + addr.len()].copy_from_slice(addr.as_bytes());
        e[256..256 + nqn.len()].copy_from_slice(nqn.as_bytes());
        e
    }

    #[test]
    fn discovery_log_parsing() {
        let mut page = vec![0u8; DISCOVERY_HDR_LEN];
        page[0..8].copy_from_slice(&9u64.to_le_bytes());
        page[8..16].copy_from_slice(&3u64.to_le_bytes());
        page.extend(entry(3, 1, 2, "127.0.0.1", "4420", "nqn.2014-08.org.example:a"));
        page.extend(entry(3, 2, 2, "::1", "4421", "nqn.2014-08.org.example:b"));
        page.extend(entry(3, 1, 3, "127.0.0.1", "4420", SPDK_NVMF_DISCOVERY_NQN));
        assert_eq!(discovery_header(&page), Some((9, 3)));
        let es: Vec<DiscoveryEntry> = page[DISCOVERY_HDR_LEN..].chunks(DISCOVERY_ENTRY_LEN).filter_map(discovery_entry).collect();
        assert_eq!(es.len(), 3);
        assert_eq!(es[0].traddr, "127.0.0.1");
        assert_eq!(es[0].trsvcid, "4420");
        assert_eq!(es[0].portid, 1);
        let t = es[0].trid().unwrap();
        assert_eq!((t.trtype, t.adrfam, t.subnqn.as_str()), (trid::TRTYPE_TCP, trid::ADRFAM_IPV4, "nqn.2014-08.org.example:a"));
        assert_eq!(es[1].trid().unwrap().adrfam, trid::ADRFAM_IPV6);
        assert!(es[0].is_nvme() && es[1].is_nvme() && !es[2].is_nvme());
        // RDMA entries are not for this driver.
        assert!(discovery_entry(&entry(1, 1, 2, "10.0.0.1", "4420", "x")).unwrap().trid().is_none());
        assert!(discovery_entry(&page[..100]).is_none());
        assert!(discovery_header(&page[..8]).is_none());
        assert!(is_discovery_nqn("") && is_discovery_nqn(SPDK_NVMF_DISCOVERY_NQN) && !is_discovery_nqn("nqn.x"));
    }
}
