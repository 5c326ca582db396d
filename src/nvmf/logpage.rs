//! Log pages of the NVMe-oF target's controllers and the Get Log Page
//! command's fields: the discovery log, SMART / health, error information,
//! firmware slot, commands supported and effects, changed namespace list,
//! ANA and reservation notification pages, and the offset / length
//! windowing every page shares.

use super::spec::{
    SPDK_NVMF_ADRFAM_FC, SPDK_NVMF_ADRFAM_IB, SPDK_NVMF_ADRFAM_INTRA_HOST, SPDK_NVMF_ADRFAM_IPV4, SPDK_NVMF_ADRFAM_IPV6,
    SPDK_NVMF_MIN_ADMIN_MAX_SQ_SIZE, SPDK_NVMF_SUBTYPE_DISCOVERY, SPDK_NVMF_SUBTYPE_DISCOVERY_CURRENT, SPDK_NVMF_SUBTYPE_NVME,
    SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED, SPDK_NVMF_TRTYPE_FC, SPDK_NVMF_TRTYPE_INTRA_HOST, SPDK_NVMF_TRTYPE_RDMA,
    SPDK_NVMF_TRTYPE_TCP, SPDK_NVME_TCP_SECURITY_NONE,
};
use super::subsystem::{DiscoveryEntry, ListenAddr, Subtype};
use super::wire::{put_padded, put_u128, put_u16, put_u32, put_u32s, put_u64, st};
use crate::nvme::spec::Cmd;

/// Log page identifiers (LID).
pub mod lid {
    pub const ERROR: u8 = 0x01;
    pub const HEALTH_INFORMATION: u8 = 0x02;
    pub const FIRMWARE_SLOT: u8 = 0x03;
    pub const CHANGED_NS_LIST: u8 = 0x04;
    pub const COMMAND_EFFECTS: u8 = 0x05;
    pub const ASYMMETRIC_NAMESPACE_ACCESS: u8 = 0x0c;
    pub const DISCOVERY: u8 = 0x70;
    pub const RESERVATION_NOTIFICATION: u8 = 0x80;
}

/// The fields of a Get Log Page command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetLogPage {
    /// Log page identifier (CDW10 7:0).
    pub lid: u8,
    /// Log specific field (CDW10 14:8), e.g. RGO (bit 0) of the ANA page.
    pub lsp: u8,
    /// Retain asynchronous event (CDW10 15).
    pub rae: bool,
    /// Number of dwords, 0's based: NUMDU (CDW11 15:0) above NUMDL (CDW10 31:16).
    pub numd: u32,
    /// Log page offset in bytes (CDW13:CDW12).
    pub lpo: u64,
    /// Log specific identifier (CDW11 31:16).
    pub lsi: u16,
}

impl GetLogPage {
    /// Bytes the host asked for: (NUMD + 1) * 4.
    pub fn len(&self) -> u64 {
        (u64::from(self.numd) + 1) * 4
    }

    /// Never empty: NUMD is 0's based.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Decodes the Get Log Page fields of `cmd`.
pub fn decode_get_log_page(cmd: &Cmd) -> GetLogPage {
    GetLogPage {
        lid: cmd.cdw10 as u8,
        lsp: ((cmd.cdw10 >> 8) & 0x7f) as u8,
        rae: cmd.cdw10 & (1 << 15) != 0,
        numd: ((cmd.cdw11 & 0xffff) << 16) | (cmd.cdw10 >> 16),
        lpo: u64::from(cmd.cdw12) | (u64::from(cmd.cdw13) << 32),
        lsi: (cmd.cdw11 >> 16) as u16,
    }
}

/// Copies the window `[offset, offset + len)` of `page` into `out` (as much
/// of it as `out` holds) and zeroes what lies past the page's end. The
/// offset must be a multiple of 4 and not beyond the page's end (Invalid
/// Field otherwise). Returns how many bytes came from the page.
pub fn slice_page(page: &[u8], offset: u64, len: usize, out: &mut [u8]) -> Result<usize, u16> {
    if offset & 3 != 0 {
        return Err(st::INVALID_FIELD);
    }
    let start = usize::try_from(offset).map_err(|_| st::INVALID_FIELD)?;
    if start > page.len() {
        return Err(st::INVALID_FIELD);
    }
    let want = len.min(out.len());
    let n = want.min(page.len() - start);
    out[..n].copy_from_slice(&page[start..start + n]);
    out[n..want].fill(0);
    Ok(n)
}

// ---------------------------------------------------------------------------
// Discovery log page
// ---------------------------------------------------------------------------

/// Sizes and offsets of the discovery log page (header, then 1024-byte records).
pub mod disc_off {
    pub const HEADER_LEN: usize = 1024;
    pub const ENTRY_LEN: usize = 1024;
    pub const GENCTR: usize = 0;
    pub const NUMREC: usize = 8;
    pub const RECFMT: usize = 16;
    pub const TRTYPE: usize = 0;
    pub const ADRFAM: usize = 1;
    pub const SUBTYPE: usize = 2;
    pub const TREQ: usize = 3;
    pub const PORTID: usize = 4;
    pub const CNTLID: usize = 6;
    pub const ASQSZ: usize = 8;
    pub const EFLAGS: usize = 10;
    pub const TRSVCID: usize = 32;
    pub const TRSVCID_LEN: usize = 32;
    pub const SUBNQN: usize = 256;
    pub const SUBNQN_LEN: usize = 256;
    pub const TRADDR: usize = 512;
    pub const TRADDR_LEN: usize = 256;
    pub const TSAS: usize = 768;
}

/// EFLAGS of the current discovery subsystem's own records: duplicate
/// returned information, and explicit persistent connections supported.
pub const EFLAGS_DUPRETINFO: u16 = 1 << 0;
pub const EFLAGS_EPCSD: u16 = 1 << 1;
/// CNTLID of a record: the dynamic controller model.
const CNTLID_DYNAMIC: u16 = 0xffff;

fn trtype_code(s: &str) -> u8 {
    match s.to_ascii_uppercase().as_str() {
        "RDMA" => SPDK_NVMF_TRTYPE_RDMA,
        "FC" => SPDK_NVMF_TRTYPE_FC,
        "PCIE" | "VFIOUSER" | "INTRA_HOST" => SPDK_NVMF_TRTYPE_INTRA_HOST,
        _ => SPDK_NVMF_TRTYPE_TCP,
    }
}

fn adrfam_code(s: &str) -> u8 {
    match s.to_ascii_uppercase().as_str() {
        "IPV6" => SPDK_NVMF_ADRFAM_IPV6,
        "IB" => SPDK_NVMF_ADRFAM_IB,
        "FC" => SPDK_NVMF_ADRFAM_FC,
        "INTRA_HOST" => SPDK_NVMF_ADRFAM_INTRA_HOST,
        _ => SPDK_NVMF_ADRFAM_IPV4,
    }
}

/// Builds the whole discovery log page (header and one record per entry)
/// into `out`, with an admin queue size (ASQSZ) of 32 in every record.
pub fn discovery_log(genctr: u64, entries: &[DiscoveryEntry], out: &mut Vec<u8>) {
    discovery_log_asqsz(genctr, entries, SPDK_NVMF_MIN_ADMIN_MAX_SQ_SIZE, out);
}

/// [`discovery_log`] with the transport's admin queue depth as ASQSZ.
pub fn discovery_log_asqsz(genctr: u64, entries: &[DiscoveryEntry], asqsz: u16, out: &mut Vec<u8>) {
    use disc_off::*;
    out.clear();
    out.resize(HEADER_LEN + entries.len() * ENTRY_LEN, 0);
    put_u64(out, GENCTR, genctr);
    put_u64(out, NUMREC, entries.len() as u64);
    put_u16(out, RECFMT, 0);
    for (i, e) in entries.iter().enumerate() {
        let r = &mut out[HEADER_LEN + i * ENTRY_LEN..HEADER_LEN + (i + 1) * ENTRY_LEN];
        let trtype = trtype_code(&e.addr.trtype);
        r[TRTYPE] = trtype;
        r[ADRFAM] = adrfam_code(&e.addr.adrfam);
        r[TREQ] = SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED;
        put_u16(r, PORTID, e.portid);
        put_u16(r, CNTLID, CNTLID_DYNAMIC);
        put_padded(r, TRSVCID, TRSVCID_LEN, &e.addr.trsvcid, b' ');
        put_padded(r, TRADDR, TRADDR_LEN, &e.addr.traddr, b' ');
        put_padded(r, SUBNQN, SUBNQN_LEN - 1, &e.subnqn, 0);
        if e.referral {
            // A pointer elsewhere: its queue size and security are not ours to tell.
            r[SUBTYPE] = match e.subtype {
                Subtype::Discovery => SPDK_NVMF_SUBTYPE_DISCOVERY,
                Subtype::Nvme => SPDK_NVMF_SUBTYPE_NVME,
            };
            continue;
        }
        put_u16(r, ASQSZ, asqsz);
        match e.subtype {
            Subtype::Discovery => {
                r[SUBTYPE] = SPDK_NVMF_SUBTYPE_DISCOVERY_CURRENT;
                put_u16(r, EFLAGS, EFLAGS_DUPRETINFO | EFLAGS_EPCSD);
            }
            Subtype::Nvme => r[SUBTYPE] = SPDK_NVMF_SUBTYPE_NVME,
        }
        if trtype == SPDK_NVMF_TRTYPE_TCP {
            r[TSAS] = SPDK_NVME_TCP_SECURITY_NONE;
        }
        if !e.addr.trtype.eq_ignore_ascii_case("tcp") {
            // A transport plugged in through the C API describes its own
            // listeners (type, address family, requirements, TSAS).
            if let Some(f) = RECORD_HOOK.get() {
                f(&e.addr, r);
            }
        }
    }
}

/// Fills a discovery record for a listener of a transport plugged in
/// through the C API (set by `crate::capi::nvmf_transport`).
pub static RECORD_HOOK: std::sync::OnceLock<fn(&ListenAddr, &mut [u8])> = std::sync::OnceLock::new();

// ---------------------------------------------------------------------------
// SMART / health information (512 bytes)
// ---------------------------------------------------------------------------

/// The contents of the SMART / Health Information page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmartInfo {
    pub critical_warning: u8,
    /// Composite temperature in kelvins.
    pub temperature: u16,
    pub available_spare: u8,
    pub available_spare_threshold: u8,
    pub percentage_used: u8,
    /// In thousands of 512-byte units, rounded up.
    pub data_units_read: u128,
    pub data_units_written: u128,
    pub host_read_commands: u128,
    pub host_write_commands: u128,
    pub controller_busy_time: u128,
    pub power_cycles: u128,
    pub power_on_hours: u128,
    pub unsafe_shutdowns: u128,
    pub media_errors: u128,
    pub num_error_log_entries: u128,
}

/// Fills `out` with the SMART / Health Information page.
pub fn smart_log(s: &SmartInfo, out: &mut [u8; 512]) {
    out.fill(0);
    out[0] = s.critical_warning;
    put_u16(out, 1, s.temperature);
    out[3] = s.available_spare;
    out[4] = s.available_spare_threshold;
    out[5] = s.percentage_used;
    let counters = [
        s.data_units_read,
        s.data_units_written,
        s.host_read_commands,
        s.host_write_commands,
        s.controller_busy_time,
        s.power_cycles,
        s.power_on_hours,
        s.unsafe_shutdowns,
        s.media_errors,
        s.num_error_log_entries,
    ];
    for (i, v) in counters.into_iter().enumerate() {
        put_u128(out, 32 + 16 * i, v);
    }
}

// ---------------------------------------------------------------------------
// Error information (64 bytes per entry)
// ---------------------------------------------------------------------------

/// One Error Information log entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorEntry {
    /// Unique, incrementing error count (0 marks an unused entry).
    pub error_count: u64,
    pub sqid: u16,
    pub cid: u16,
    /// The completion's status field (bits 15:1 as in the CQE; bit 0, the phase, is ignored).
    pub status: u16,
    /// Byte (7:0) and bit (10:8) of the command parameter in error; FFFFh: none.
    pub param_error_location: u16,
    pub lba: u64,
    pub nsid: u32,
    pub trtype: u8,
    pub command_specific: u64,
    pub trtype_specific: u16,
}

pub const ERROR_ENTRY_LEN: usize = 64;

/// Builds the Error Information page: one 64-byte entry per error, newest
/// first as given. Entries the host reads past these are zero (unused).
pub fn error_log(entries: &[ErrorEntry], out: &mut Vec<u8>) {
    out.clear();
    out.resize(entries.len() * ERROR_ENTRY_LEN, 0);
    for (i, e) in entries.iter().enumerate() {
        let r = &mut out[i * ERROR_ENTRY_LEN..(i + 1) * ERROR_ENTRY_LEN];
        put_u64(r, 0, e.error_count);
        put_u16(r, 8, e.sqid);
        put_u16(r, 10, e.cid);
        put_u16(r, 12, e.status & !1);
        put_u16(r, 14, e.param_error_location);
        put_u64(r, 16, e.lba);
        put_u32(r, 24, e.nsid);
        r[29] = e.trtype;
        put_u64(r, 32, e.command_specific);
        put_u16(r, 40, e.trtype_specific);
    }
}

// ---------------------------------------------------------------------------
// Firmware slot information (512 bytes)
// ---------------------------------------------------------------------------

/// Fills `out` with the Firmware Slot Information page: slot 1 active and
/// holding `firmware` (space padded to 8 characters).
pub fn firmware_slot_log(firmware: &str, out: &mut [u8; 512]) {
    out.fill(0);
    // AFI: active slot 1 (2:0), no slot chosen for the next reset (6:4).
    out[0] = 1;
    put_padded(out, 8, 8, firmware, b' ');
}

// ---------------------------------------------------------------------------
// Commands supported and effects (4096 bytes)
// ---------------------------------------------------------------------------

/// CSUPP: the command is supported.
pub const EFFECT_CSUPP: u32 = 1 << 0;
/// LBCC: the command may change logical block content.
pub const EFFECT_LBCC: u32 = 1 << 1;

/// The admin commands of SPDK's target: Get Log Page, Identify, Abort, Set
/// and Get Features, Asynchronous Event Request, Keep Alive.
pub const ADMIN_COMMANDS: [u8; 7] = [0x02, 0x06, 0x08, 0x09, 0x0a, 0x0c, 0x18];

/// Fills `out` with the Commands Supported and Effects page: `admin`
/// opcodes supported, and `io` opcodes with whether each changes logical
/// block content.
pub fn command_effects_log(admin: &[u8], io: &[(u8, bool)], out: &mut [u8; 4096]) {
    out.fill(0);
    for &opc in admin {
        put_u32(out, usize::from(opc) * 4, EFFECT_CSUPP);
    }
    for &(opc, lbcc) in io {
        put_u32(out, 1024 + usize::from(opc) * 4, EFFECT_CSUPP | if lbcc { EFFECT_LBCC } else { 0 });
    }
}

// ---------------------------------------------------------------------------
// Changed namespace list (4096 bytes)
// ---------------------------------------------------------------------------

/// Fills `out` with the Changed Namespace List: up to 1024 NSIDs; more than
/// 1024 changes make the first entry FFFFFFFFh and the rest zero.
pub fn changed_ns_list(nsids: &[u32], out: &mut [u8; 4096]) {
    out.fill(0);
    if nsids.len() > 1024 {
        put_u32(out, 0, u32::MAX);
        return;
    }
    put_u32s(out, 0, nsids.iter().copied());
}

// ---------------------------------------------------------------------------
// Asymmetric namespace access
// ---------------------------------------------------------------------------

/// ANA states.
pub mod ana_state {
    pub const OPTIMIZED: u8 = 0x1;
    pub const NON_OPTIMIZED: u8 = 0x2;
    pub const INACCESSIBLE: u8 = 0x3;
    pub const PERSISTENT_LOSS: u8 = 0x4;
    pub const CHANGE: u8 = 0xf;
}

/// LSP bit 0 of the ANA page: return groups only.
pub const ANA_LSP_RGO: u8 = 1 << 0;

/// One ANA group of the ANA page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnaGroup {
    pub grpid: u32,
    /// One of [`ana_state`].
    pub state: u8,
    pub nsids: Vec<u32>,
}

/// Builds the Asymmetric Namespace Access page: a 16-byte header (change
/// count, number of groups), then per group a 32-byte descriptor followed,
/// unless `rgo`, by its NSIDs.
pub fn ana_log(change_count: u64, groups: &[AnaGroup], rgo: bool, out: &mut Vec<u8>) {
    out.clear();
    out.resize(16, 0);
    put_u64(out, 0, change_count);
    put_u16(out, 8, u16::try_from(groups.len()).unwrap_or(u16::MAX));
    for g in groups.iter().take(usize::from(u16::MAX)) {
        let mut d = [0u8; 32];
        put_u32(&mut d, 0, g.grpid);
        put_u32(&mut d, 4, if rgo { 0 } else { g.nsids.len() as u32 });
        put_u64(&mut d, 8, change_count);
        d[16] = g.state & 0xf;
        out.extend_from_slice(&d);
        if !rgo {
            for id in &g.nsids {
                out.extend_from_slice(&id.to_le_bytes());
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reservation notification (64 bytes)
// ---------------------------------------------------------------------------

/// Reservation notification log page types.
pub mod resv_notification {
    pub const EMPTY: u8 = 0;
    pub const REGISTRATION_PREEMPTED: u8 = 1;
    pub const RESERVATION_RELEASED: u8 = 2;
    pub const RESERVATION_PREEMPTED: u8 = 3;
}

/// Fills `out` with one Reservation Notification page: its log page count,
/// type, the number of further pages available (at most 255) and the NSID.
pub fn reservation_notification_log(count: u64, log_type: u8, available: u8, nsid: u32, out: &mut [u8; 64]) {
    out.fill(0);
    put_u64(out, 0, count);
    out[8] = log_type;
    out[9] = available;
    put_u32(out, 12, nsid);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nvmf::subsystem::ListenAddr;
    use crate::nvmf::wire::{get_u64, rd_u16, rd_u32};

    #[test]
    fn get_log_page_fields() {
        let mut c = Cmd::new(0x02, 0xffff_ffff);
        c.cdw10 = (0x1234 << 16) | (1 << 15) | (0x01 << 8) | 0x0c;
        c.cdw11 = (0x77 << 16) | 0x0002;
        c.cdw12 = 0x1000;
        c.cdw13 = 1;
        let g = decode_get_log_page(&c);
        assert_eq!(g, GetLogPage { lid: 0x0c, lsp: 1, rae: true, numd: 0x0002_1234, lpo: 0x1_0000_1000, lsi: 0x77 });
        assert_eq!(g.len(), 0x0002_1235 * 4);
        let g = decode_get_log_page(&Cmd { cdw10: 0xffff_ffff, cdw11: 0xffff_ffff, ..Default::default() });
        assert_eq!(g.numd, u32::MAX);
        assert_eq!(g.len(), 1 << 34);
        assert_eq!(g.lsp, 0x7f);
    }

    #[test]
    fn slicing_windows_of_a_page() {
        let page: Vec<u8> = (0..64).collect();
        let mut out = [0xaau8; 16];
        assert_eq!(slice_page(&page, 8, 16, &mut out), Ok(16));
        assert_eq!(out[0], 8);
        assert_eq!(out[15], 23);
        assert_eq!(slice_page(&page, 56, 16, &mut out), Ok(8));
        assert_eq!(&out[..8], &page[56..]);
        assert!(out[8..].iter().all(|&b| b == 0));
        assert_eq!(slice_page(&page, 64, 16, &mut out), Ok(0));
        assert_eq!(slice_page(&page, 68, 4, &mut out), Err(st::INVALID_FIELD));
        assert_eq!(slice_page(&page, 2, 4, &mut out), Err(st::INVALID_FIELD));
        assert_eq!(slice_page(&page, u64::MAX - 3, 4, &mut out), Err(st::INVALID_FIELD));
        out.fill(0xaa);
        assert_eq!(slice_page(&page, 0, 4, &mut out), Ok(4));
        assert_eq!(out[4], 0xaa, "bytes past the asked length stay");
        assert_eq!(slice_page(&page, 0, 1000, &mut out), Ok(16), "clipped to the buffer");
    }

    fn entry(nqn: &str, subtype: Subtype, port: &str, portid: u16) -> DiscoveryEntry {
        DiscoveryEntry {
            subnqn: nqn.into(),
            subtype,
            addr: ListenAddr { trtype: "TCP".into(), adrfam: "IPv4".into(), traddr: "10.0.0.1".into(), trsvcid: port.into() },
            portid,
            referral: false,
        }
    }

    #[test]
    fn discovery_log_layout() {
        let mut out = Vec::new();
        let es = [entry(crate::nvmf::subsystem::DISCOVERY_NQN, Subtype::Discovery, "8009", 0), entry("nqn.2016-06.io.spdk:cnode1", Subtype::Nvme, "4420", 3)];
        discovery_log(42, &es, &mut out);
        assert_eq!(out.len(), 3 * 1024);
        assert_eq!(get_u64(&out, 0), 42);
        assert_eq!(get_u64(&out, 8), 2);
        assert_eq!(rd_u16(&out, 16), 0);
        let r = &out[1024..2048];
        assert_eq!((r[0], r[1], r[2], r[3]), (3, 1, 3, 2));
        assert_eq!(rd_u16(r, 10), 3);
        let r = &out[2048..];
        assert_eq!((r[0], r[1], r[2], r[3]), (3, 1, 2, 2));
        assert_eq!(rd_u16(r, 4), 3);
        assert_eq!(rd_u16(r, 6), 0xffff);
        assert_eq!(rd_u16(r, 8), 32);
        assert_eq!(rd_u16(r, 10), 0);
        assert_eq!(&r[32..36], b"4420");
        assert!(r[36..64].iter().all(|&c| c == b' '));
        assert_eq!(&r[256..256 + 26], b"nqn.2016-06.io.spdk:cnode1");
        assert!(r[256 + 26..512].iter().all(|&c| c == 0));
        assert_eq!(&r[512..520], b"10.0.0.1");
        assert!(r[520..768].iter().all(|&c| c == b' '));
        assert_eq!(r[768], 0, "TSAS: no security");
        discovery_log_asqsz(1, &es[..1], 128, &mut out);
        assert_eq!(out.len(), 2048);
        assert_eq!(rd_u16(&out, 1024 + 8), 128);
        let mut v6 = entry("nqn.2016-06.io.spdk:x", Subtype::Nvme, "4420", 0);
        v6.addr.adrfam = "IPv6".into();
        v6.addr.trtype = "RDMA".into();
        discovery_log(0, &[v6], &mut out);
        assert_eq!((out[1024], out[1025]), (1, 2));
        discovery_log(0, &[], &mut out);
        assert_eq!(out.len(), 1024);
        let mut referral = entry(crate::nvmf::subsystem::DISCOVERY_NQN, Subtype::Discovery, "8010", 0);
        referral.referral = true;
        discovery_log(7, &[referral], &mut out);
        let r = &out[1024..];
        assert_eq!((r[0], r[1], r[2], r[3]), (3, 1, 1, 2), "SUBTYPE 1: another discovery service");
        assert_eq!((rd_u16(r, 6), rd_u16(r, 8), rd_u16(r, 10)), (0xffff, 0, 0));
        assert_eq!(&r[32..36], b"8010");
        assert_eq!(&r[256..256 + 36], crate::nvmf::subsystem::DISCOVERY_NQN.as_bytes());
    }

    #[test]
    fn smart_error_firmware_effects() {
        let mut p = [0xffu8; 512];
        let s = SmartInfo { temperature: 300, available_spare: 100, data_units_read: 5, data_units_written: 6, host_read_commands: 7, host_write_commands: 8, power_on_hours: 9, num_error_log_entries: u128::MAX, ..Default::default() };
        smart_log(&s, &mut p);
        assert_eq!(rd_u16(&p, 1), 300);
        assert_eq!(p[3], 100);
        assert_eq!(get_u64(&p, 32), 5);
        assert_eq!(get_u64(&p, 40), 0);
        assert_eq!(get_u64(&p, 48), 6);
        assert_eq!(get_u64(&p, 64), 7);
        assert_eq!(get_u64(&p, 80), 8);
        assert_eq!(get_u64(&p, 128), 9);
        assert_eq!(get_u64(&p, 184), u64::MAX);
        assert!(p[192..].iter().all(|&b| b == 0));

        let mut v = Vec::new();
        error_log(&[ErrorEntry { error_count: 2, sqid: 1, cid: 9, status: (0x83 << 1) | 1, param_error_location: 0xffff, lba: 77, nsid: 4, trtype: 3, command_specific: 5, trtype_specific: 6 }, ErrorEntry::default()], &mut v);
        assert_eq!(v.len(), 128);
        assert_eq!(get_u64(&v, 0), 2);
        assert_eq!((rd_u16(&v, 8), rd_u16(&v, 10), rd_u16(&v, 12), rd_u16(&v, 14)), (1, 9, 0x83 << 1, 0xffff));
        assert_eq!((get_u64(&v, 16), rd_u32(&v, 24), v[29], get_u64(&v, 32), rd_u16(&v, 40)), (77, 4, 3, 5, 6));
        assert!(v[64..].iter().all(|&b| b == 0));

        firmware_slot_log("26.01", &mut p);
        assert_eq!(p[0], 1);
        assert_eq!(&p[8..16], b"26.01   ");
        assert!(p[16..].iter().all(|&b| b == 0));

        let mut e = [0xffu8; 4096];
        command_effects_log(&ADMIN_COMMANDS, &[(0x01, true), (0x02, false)], &mut e);
        assert_eq!(rd_u32(&e, 0x06 * 4), 1);
        assert_eq!(rd_u32(&e, 0x18 * 4), 1);
        assert_eq!(rd_u32(&e, 4), 0, "opcode 01h: not an admin command here");
        assert_eq!(rd_u32(&e, 1024 + 4), 3);
        assert_eq!(rd_u32(&e, 1024 + 8), 1);
        assert_eq!(rd_u32(&e, 2048), 0);
    }

    #[test]
    fn changed_namespaces_and_ana() {
        let mut p = [0xffu8; 4096];
        changed_ns_list(&[3, 1], &mut p);
        assert_eq!((rd_u32(&p, 0), rd_u32(&p, 4), rd_u32(&p, 8)), (3, 1, 0));
        let full: Vec<u32> = (1..=1024).collect();
        changed_ns_list(&full, &mut p);
        assert_eq!(rd_u32(&p, 4092), 1024);
        let over: Vec<u32> = (1..=1025).collect();
        changed_ns_list(&over, &mut p);
        assert_eq!(rd_u32(&p, 0), u32::MAX);
        assert!(p[4..].iter().all(|&b| b == 0));

        let groups = [AnaGroup { grpid: 1, state: ana_state::OPTIMIZED, nsids: vec![1, 2] }, AnaGroup { grpid: 5, state: ana_state::INACCESSIBLE, nsids: vec![5] }];
        let mut v = Vec::new();
        ana_log(9, &groups, false, &mut v);
        assert_eq!(v.len(), 16 + 32 + 8 + 32 + 4);
        assert_eq!(get_u64(&v, 0), 9);
        assert_eq!(rd_u16(&v, 8), 2);
        assert_eq!((rd_u32(&v, 16), rd_u32(&v, 20), get_u64(&v, 24), v[32]), (1, 2, 9, 1));
        assert_eq!((rd_u32(&v, 48), rd_u32(&v, 52)), (1, 2));
        assert_eq!((rd_u32(&v, 56), rd_u32(&v, 60), v[72], rd_u32(&v, 88)), (5, 1, 3, 5));
        ana_log(9, &groups, true, &mut v);
        assert_eq!(v.len(), 16 + 64);
        assert_eq!((rd_u32(&v, 20), rd_u32(&v, 48), rd_u32(&v, 52)), (0, 5, 0));

        let mut r = [0xffu8; 64];
        reservation_notification_log(7, resv_notification::RESERVATION_RELEASED, 2, 1, &mut r);
        assert_eq!((get_u64(&r, 0), r[8], r[9], rd_u32(&r, 12)), (7, 2, 2, 1));
        assert!(r[16..].iter().all(|&b| b == 0));
    }
}
