//! Identify data of the NVMe-oF target's controllers (SPDK's
//! `spdk_nvmf_ctrlr_identify_ctrlr`, `nvmf_bdev_ctrlr_identify_ns` and the
//! namespace lists): pure builders of the 4096-byte structures the Identify
//! admin command returns, from plain descriptions the controller fills in.
//!
//! Offsets follow the NVMe base specification's Identify Controller and
//! Identify Namespace data structures (they match `spdk_nvme_ctrlr_data`
//! and `spdk_nvme_ns_data`).

use super::wire::{put, put_padded, put_u16, put_u32, put_u32s, put_u64, st};

/// Identify CNS values the target answers.
pub mod cns {
    pub const NAMESPACE: u8 = 0x00;
    pub const CONTROLLER: u8 = 0x01;
    pub const ACTIVE_NS_LIST: u8 = 0x02;
    pub const NS_ID_DESCRIPTOR_LIST: u8 = 0x03;
}

/// Byte offsets in the Identify Controller data structure.
pub mod ctrlr_off {
    pub const VID: usize = 0;
    pub const SSVID: usize = 2;
    pub const SN: usize = 4;
    pub const SN_LEN: usize = 20;
    pub const MN: usize = 24;
    pub const MN_LEN: usize = 40;
    pub const FR: usize = 64;
    pub const FR_LEN: usize = 8;
    pub const RAB: usize = 72;
    pub const IEEE: usize = 73;
    pub const CMIC: usize = 76;
    pub const MDTS: usize = 77;
    pub const CNTLID: usize = 78;
    pub const VER: usize = 80;
    pub const OAES: usize = 92;
    pub const CTRATT: usize = 96;
    pub const CNTRLTYPE: usize = 111;
    pub const OACS: usize = 256;
    pub const ACL: usize = 258;
    pub const AERL: usize = 259;
    pub const FRMW: usize = 260;
    pub const LPA: usize = 261;
    pub const ELPE: usize = 262;
    pub const KAS: usize = 320;
    pub const ANATT: usize = 342;
    pub const ANACAP: usize = 343;
    pub const ANAGRPMAX: usize = 344;
    pub const NANAGRPID: usize = 348;
    pub const SQES: usize = 512;
    pub const CQES: usize = 513;
    pub const MAXCMD: usize = 514;
    pub const NN: usize = 516;
    pub const ONCS: usize = 520;
    pub const FUSES: usize = 522;
    pub const VWC: usize = 525;
    pub const ACWU: usize = 532;
    pub const SGLS: usize = 536;
    pub const MNAN: usize = 540;
    pub const SUBNQN: usize = 768;
    pub const SUBNQN_LEN: usize = 256;
    pub const IOCCSZ: usize = 1792;
    pub const IORCSZ: usize = 1796;
    pub const ICDOFF: usize = 1800;
    pub const FCATT: usize = 1802;
    pub const MSDBD: usize = 1803;
}

/// Byte offsets in the Identify Namespace data structure.
pub mod ns_off {
    pub const NSZE: usize = 0;
    pub const NCAP: usize = 8;
    pub const NUSE: usize = 16;
    pub const NSFEAT: usize = 24;
    pub const NLBAF: usize = 25;
    pub const FLBAS: usize = 26;
    pub const MC: usize = 27;
    pub const DPS: usize = 29;
    pub const NMIC: usize = 30;
    pub const RESCAP: usize = 31;
    pub const DLFEAT: usize = 33;
    pub const NAWUN: usize = 34;
    pub const NAWUPF: usize = 36;
    pub const NACWU: usize = 38;
    pub const NOIOB: usize = 46;
    pub const NPWG: usize = 64;
    pub const NOWS: usize = 72;
    pub const ANAGRPID: usize = 92;
    pub const NGUID: usize = 104;
    pub const EUI64: usize = 120;
    /// LBA format 0: MS (u16), LBADS (u8), RP (u8).
    pub const LBAF0_MS: usize = 128;
    pub const LBAF0_LBADS: usize = 130;
}

/// Vendor and subsystem vendor ID SPDK's target reports (Intel's PCI vendor ID).
pub const SPDK_VID: u16 = 0x8086;
/// Intel's IEEE OUI, as SPDK's target reports it (byte order of the IEEE field).
pub const SPDK_IEEE_OUI: [u8; 3] = [0xe4, 0xd2, 0x5c];
/// NVMe version the target reports: 1.3.0 (major in 31:16, minor in 15:8).
pub const NVMF_VERSION: u32 = 0x0001_0300;
/// Keep Alive granularity SPDK's target reports: 100 units of 100 ms (10 s).
pub const SPDK_KAS: u16 = 100;
/// Asynchronous events that may be outstanding (AERL is 0's based).
pub const MAX_ASYNC_EVENTS: u8 = 4;
/// Abort commands that may be outstanding, 0's based.
pub const ABORT_COMMAND_LIMIT: u8 = 3;
/// Error log page entries, 0's based.
pub const ERROR_LOG_ENTRIES: u8 = 127;
/// ANA transition time in seconds.
pub const ANA_TRANSITION_TIME: u8 = 10;

/// Controller types (CNTRLTYPE).
pub const CNTRLTYPE_IO: u8 = 1;
pub const CNTRLTYPE_DISCOVERY: u8 = 2;

/// CMIC bits.
const CMIC_MULTI_PORT: u8 = 1 << 0;
const CMIC_MULTI_CTRLR: u8 = 1 << 1;
const CMIC_ANA: u8 = 1 << 3;
/// OAES bits.
const OAES_NS_ATTRIBUTE: u32 = 1 << 8;
const OAES_ANA_CHANGE: u32 = 1 << 11;
const OAES_DISCOVERY_LOG_CHANGE: u32 = 1 << 31;
/// CTRATT bit 0: 128-bit host identifiers.
const CTRATT_HOST_ID_EXHID: u32 = 1 << 0;
/// FRMW: slot 1 read-only, one slot.
const FRMW_SLOT1_RO_ONE_SLOT: u8 = (1 << 0) | (1 << 1);
/// LPA bits.
const LPA_COMMAND_EFFECTS: u8 = 1 << 1;
const LPA_EXTENDED_DATA: u8 = 1 << 2;
/// ANACAP: optimized, non-optimized and inaccessible states; ANAGRPID does
/// not change while the namespace is attached.
const ANACAP_SPDK: u8 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 6);
/// SQES/CQES: required and maximum entry sizes (2^6 = 64, 2^4 = 16 bytes).
const SQES_64: u8 = 0x66;
const CQES_16: u8 = 0x44;
/// ONCS bits.
const ONCS_COMPARE: u16 = 1 << 0;
const ONCS_DSM: u16 = 1 << 2;
const ONCS_WRITE_ZEROES: u16 = 1 << 3;
const ONCS_RESERVATIONS: u16 = 1 << 5;
/// FUSES bit 0: Compare and Write.
const FUSES_COMPARE_WRITE: u16 = 1 << 0;
/// VWC: bit 0 present; bits 2:1 = 10b, flush with NSID FFFFFFFFh not supported.
const VWC_PRESENT: u8 = 1 << 0;
const VWC_FLUSH_BROADCAST_NOT_SUPPORTED: u8 = 2 << 1;
/// SGLS bits.
const SGLS_SUPPORTED: u32 = 1 << 0;
const SGLS_KEYED: u32 = 1 << 2;
const SGLS_OFFSET: u32 = 1 << 20;
const SGLS_TRANSPORT_DATA_BLOCK: u32 = 1 << 21;
/// Maximum SGL data block descriptors per command (fabrics).
const MSDBD_ONE: u8 = 1;

/// What the Identify Controller data of one controller says.
#[derive(Debug, Clone)]
pub struct CtrlrInfo<'a> {
    pub subnqn: &'a str,
    pub serial: &'a str,
    pub model: &'a str,
    /// The firmware revision, e.g. "26.01" (at most 8 characters are kept).
    pub firmware: &'a str,
    pub cntlid: u16,
    /// The discovery controller: only the fields a discovery controller has.
    pub discovery: bool,
    /// NN: the highest namespace ID the subsystem may hold.
    pub max_nsid: u32,
    /// MAXCMD: the maximum queue depth.
    pub maxcmd: u16,
    /// MDTS, as a power of two of the minimum memory page size (computed by the caller).
    pub mdts: u8,
    /// Fabrics fields, in 16-byte units (ICDOFF too).
    pub ioccsz: u32,
    pub iorcsz: u32,
    pub icdoff: u16,
    /// Keep Alive granularity in units of 100 ms (SPDK: [`SPDK_KAS`]); 0: no keep alive.
    pub kas: u16,
    pub ana_reporting: bool,
    pub anagrpmax: u32,
    pub nanagrpid: u32,
    /// A volatile write cache is present (some namespace's bdev has one).
    pub vwc: bool,
    pub oncs_compare: bool,
    pub oncs_write_zeroes: bool,
    pub oncs_dsm: bool,
    pub oncs_reservations: bool,
    pub fused_compare_write: bool,
    /// Keyed SGL data blocks (RDMA); false for TCP, which gets the transport
    /// SGL data block descriptor instead.
    pub sgl_keyed: bool,
    /// IEEE OUI, in the byte order of the IEEE field (SPDK: [`SPDK_IEEE_OUI`]).
    pub ieee_oui: [u8; 3],
}

/// Fills `out` with the Identify Controller data of `c` (CNS 01h).
pub fn identify_ctrlr(c: &CtrlrInfo, out: &mut [u8; 4096]) {
    use ctrlr_off::*;
    out.fill(0);
    let b = &mut out[..];

    // Fields of both controller types.
    put_padded(b, FR, FR_LEN, c.firmware, b' ');
    b[MDTS] = c.mdts;
    put_u16(b, CNTLID, c.cntlid);
    put_u32(b, VER, NVMF_VERSION);
    b[AERL] = MAX_ASYNC_EVENTS - 1;
    b[LPA] = LPA_EXTENDED_DATA;
    b[ELPE] = ERROR_LOG_ENTRIES;
    put_u16(b, KAS, c.kas);
    put_u16(b, MAXCMD, c.maxcmd);
    if c.fused_compare_write {
        put_u16(b, FUSES, FUSES_COMPARE_WRITE);
    }
    let mut sgls = SGLS_SUPPORTED | SGLS_OFFSET;
    sgls |= if c.sgl_keyed { SGLS_KEYED } else { SGLS_TRANSPORT_DATA_BLOCK };
    put_u32(b, SGLS, sgls);
    put_padded(b, SUBNQN, SUBNQN_LEN - 1, c.subnqn, 0);

    if c.discovery {
        b[CNTRLTYPE] = CNTRLTYPE_DISCOVERY;
        put_u32(b, OAES, OAES_DISCOVERY_LOG_CHANGE);
        return;
    }

    // Fields of I/O controllers only (reserved for discovery controllers).
    b[CNTRLTYPE] = CNTRLTYPE_IO;
    put_u16(b, VID, SPDK_VID);
    put_u16(b, SSVID, SPDK_VID);
    put_padded(b, SN, SN_LEN, c.serial, b' ');
    put_padded(b, MN, MN_LEN, c.model, b' ');
    b[RAB] = 6;
    put(b, IEEE, &c.ieee_oui);
    let mut cmic = CMIC_MULTI_PORT | CMIC_MULTI_CTRLR;
    let mut oaes = OAES_NS_ATTRIBUTE;
    if c.ana_reporting {
        cmic |= CMIC_ANA;
        oaes |= OAES_ANA_CHANGE;
    }
    b[CMIC] = cmic;
    put_u32(b, OAES, oaes);
    put_u32(b, CTRATT, CTRATT_HOST_ID_EXHID);
    put_u16(b, OACS, 0);
    b[ACL] = ABORT_COMMAND_LIMIT;
    b[FRMW] = FRMW_SLOT1_RO_ONE_SLOT;
    b[LPA] |= LPA_COMMAND_EFFECTS;
    b[SQES] = SQES_64;
    b[CQES] = CQES_16;
    put_u32(b, NN, c.max_nsid);
    let mut oncs = 0;
    for (on, bit) in [(c.oncs_compare, ONCS_COMPARE), (c.oncs_dsm, ONCS_DSM), (c.oncs_write_zeroes, ONCS_WRITE_ZEROES), (c.oncs_reservations, ONCS_RESERVATIONS)] {
        if on {
            oncs |= bit;
        }
    }
    put_u16(b, ONCS, oncs);
    b[VWC] = VWC_FLUSH_BROADCAST_NOT_SUPPORTED | if c.vwc { VWC_PRESENT } else { 0 };
    put_u16(b, ACWU, 0);
    if c.ana_reporting {
        b[ANATT] = ANA_TRANSITION_TIME;
        b[ANACAP] = ANACAP_SPDK;
        put_u32(b, ANAGRPMAX, c.anagrpmax);
        put_u32(b, NANAGRPID, c.nanagrpid);
        put_u32(b, MNAN, c.max_nsid);
    }
    put_u32(b, IOCCSZ, c.ioccsz);
    put_u32(b, IORCSZ, c.iorcsz);
    put_u16(b, ICDOFF, c.icdoff);
    // FCATT bit 0 clear: the dynamic controller model.
    b[FCATT] = 0;
    b[MSDBD] = MSDBD_ONE;
}

/// What the Identify Namespace data of one namespace says.
#[derive(Debug, Clone, Default)]
pub struct NsInfo {
    pub block_size: u32,
    pub num_blocks: u64,
    /// Metadata bytes per block (0: none).
    pub md_size: u32,
    pub uuid: Option<[u8; 16]>,
    pub nguid: Option<[u8; 16]>,
    pub eui64: Option<[u8; 8]>,
    /// 0 when ANA reporting is off.
    pub anagrpid: u32,
    /// The bdev's optimal I/O boundary in blocks (0: none).
    pub optimal_io_boundary_blocks: u32,
    /// The bdev's physical block (write unit) in blocks (NPWG and NAWUPF, 0's based on the wire).
    pub write_unit_blocks: u32,
    /// Atomic compare and write unit in blocks (NACWU, 0's based on the wire).
    pub acwu_blocks: u16,
    /// The controller's maximum transfer in blocks: NOIOB is clamped to it
    /// (the Linux host mishandles larger ones) and NOWS is set from it.
    pub max_io_blocks: u32,
    /// Deallocate (DSM) supported.
    pub dsm: bool,
    pub write_zeroes: bool,
    pub reservations: bool,
    /// NMIC: may be attached to several controllers.
    pub shared: bool,
    /// Deallocated blocks read back as zeroes (DLFEAT).
    pub dealloc_reads_zeroes: bool,
    /// ANA state inaccessible (or persistent loss): NUSE reads 0.
    pub inaccessible: bool,
}

/// NSFEAT bits.
const NSFEAT_ATOMICS: u8 = 1 << 1;
const NSFEAT_OPTPERF: u8 = 1 << 4;
/// FLBAS bit 4 and MC bit 0: metadata transferred at the end of the data (extended LBA).
const FLBAS_EXTENDED: u8 = 1 << 4;
const MC_EXTENDED: u8 = 1 << 0;
const NMIC_SHARED: u8 = 1 << 0;
/// RESCAP: every reservation type and Ignore Existing Key (no persistence through power loss).
pub const RESCAP_ALL_TYPES_IEKEY: u8 = 0xfe;
/// DLFEAT bits 2:0 = 001b: deallocated blocks read as zeroes.
const DLFEAT_READ_ZEROES: u8 = 0x01;

/// The base-2 logarithm of a block size (0 for 0).
fn log2(v: u32) -> u8 {
    if v == 0 {
        0
    } else {
        (31 - v.leading_zeros()) as u8
    }
}

/// Fills `out` with the Identify Namespace data of `n` (CNS 00h): one LBA
/// format, NSZE = NCAP = NUSE.
pub fn identify_ns(n: &NsInfo, out: &mut [u8; 4096]) {
    use ns_off::*;
    out.fill(0);
    let b = &mut out[..];
    put_u64(b, NSZE, n.num_blocks);
    put_u64(b, NCAP, n.num_blocks);
    put_u64(b, NUSE, if n.inaccessible { 0 } else { n.num_blocks });
    b[NSFEAT] = NSFEAT_OPTPERF | NSFEAT_ATOMICS;
    b[NLBAF] = 0;
    let md = u16::try_from(n.md_size).unwrap_or(u16::MAX);
    put_u16(b, LBAF0_MS, md);
    b[LBAF0_LBADS] = log2(n.block_size);
    b[FLBAS] = if md != 0 { FLBAS_EXTENDED } else { 0 };
    b[MC] = if md != 0 { MC_EXTENDED } else { 0 };
    b[DPS] = 0;
    b[NMIC] = if n.shared { NMIC_SHARED } else { 0 };
    b[RESCAP] = if n.reservations { RESCAP_ALL_TYPES_IEKEY } else { 0 };
    b[DLFEAT] = if n.dsm && n.dealloc_reads_zeroes { DLFEAT_READ_ZEROES } else { 0 };
    let npwg = u16::try_from(n.write_unit_blocks.saturating_sub(1)).unwrap_or(u16::MAX);
    put_u16(b, NAWUN, 0);
    put_u16(b, NAWUPF, npwg);
    put_u16(b, NACWU, n.acwu_blocks.saturating_sub(1));
    let mut noiob = n.optimal_io_boundary_blocks;
    if n.max_io_blocks != 0 {
        noiob = noiob.min(n.max_io_blocks);
    }
    put_u16(b, NOIOB, u16::try_from(noiob).unwrap_or(0));
    put_u16(b, NPWG, npwg);
    put_u16(b, NOWS, u16::try_from(n.max_io_blocks.saturating_sub(1)).unwrap_or(u16::MAX));
    put_u32(b, ANAGRPID, n.anagrpid);
    if let Some(g) = &n.nguid {
        put(b, NGUID, g);
    }
    if let Some(e) = &n.eui64 {
        put(b, EUI64, e);
    }
}

/// Most namespace IDs one Active Namespace ID list holds.
pub const NS_LIST_MAX: usize = 1024;

/// Checks the NSID of an Identify Active Namespace ID list: FFFFFFFEh and
/// FFFFFFFFh are invalid there (Invalid Field, as SPDK answers).
pub fn check_active_ns_list_nsid(nsid: u32) -> Result<(), u16> {
    if nsid >= 0xffff_fffe {
        return Err(st::INVALID_FIELD);
    }
    Ok(())
}

/// Fills `out` with the Active Namespace ID list (CNS 02h): the IDs of
/// `nsids` above `start_after`, ascending, at most 1024, zero terminated.
pub fn active_ns_list(nsids: &[u32], start_after: u32, out: &mut [u8; 4096]) {
    out.fill(0);
    let mut ids: Vec<u32> = nsids.iter().copied().filter(|&id| id > start_after && id != 0).collect();
    ids.sort_unstable();
    ids.dedup();
    put_u32s(out, 0, ids.into_iter().take(NS_LIST_MAX));
}

/// Namespace identification descriptor types (NIDT).
pub mod nidt {
    pub const EUI64: u8 = 1;
    pub const NGUID: u8 = 2;
    pub const UUID: u8 = 3;
    pub const CSI: u8 = 4;
}
/// Command set identifier of the NVM command set.
const CSI_NVM: u8 = 0;

/// Fills `out` with the Namespace Identification Descriptor list (CNS 03h):
/// the EUI-64, NGUID and UUID the namespace has, then its command set
/// (NVM), then a zero terminator.
pub fn ns_id_desc_list(n: &NsInfo, out: &mut [u8; 4096]) {
    out.fill(0);
    let mut off = 0;
    let mut add = |out: &mut [u8; 4096], t: u8, id: &[u8]| {
        out[off] = t;
        out[off + 1] = id.len() as u8;
        put(out, off + 4, id);
        off += 4 + id.len();
    };
    if let Some(e) = &n.eui64 {
        add(out, nidt::EUI64, e);
    }
    if let Some(g) = &n.nguid {
        add(out, nidt::NGUID, g);
    }
    if let Some(u) = &n.uuid {
        add(out, nidt::UUID, u);
    }
    add(out, nidt::CSI, &[CSI_NVM]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nvmf::wire::{rd_u16, rd_u32};

    fn info(discovery: bool) -> CtrlrInfo<'static> {
        CtrlrInfo {
            subnqn: "nqn.2016-06.io.spdk:cnode1",
            serial: "SPDK00000000000001",
            model: "SPDK bdev Controller",
            firmware: "26.01",
            cntlid: 7,
            discovery,
            max_nsid: 32,
            maxcmd: 128,
            mdts: 5,
            ioccsz: 4 + 512,
            iorcsz: 1,
            icdoff: 0,
            kas: SPDK_KAS,
            ana_reporting: true,
            anagrpmax: 32,
            nanagrpid: 32,
            vwc: true,
            oncs_compare: true,
            oncs_write_zeroes: true,
            oncs_dsm: true,
            oncs_reservations: true,
            fused_compare_write: true,
            sgl_keyed: false,
            ieee_oui: SPDK_IEEE_OUI,
        }
    }

    #[test]
    fn io_controller_fields_sit_at_their_spec_offsets() {
        let mut d = [0xffu8; 4096];
        identify_ctrlr(&info(false), &mut d);
        assert_eq!(rd_u16(&d, 0), 0x8086);
        assert_eq!(rd_u16(&d, 2), 0x8086);
        assert_eq!(&d[4..24], b"SPDK00000000000001  ");
        assert_eq!(&d[24..44], b"SPDK bdev Controller");
        assert!(d[44..64].iter().all(|&c| c == b' '));
        assert_eq!(&d[64..72], b"26.01   ");
        assert_eq!(d[72], 6);
        assert_eq!(&d[73..76], &[0xe4, 0xd2, 0x5c]);
        assert_eq!(d[76], 0x0b, "multi-port, multi-controller, ANA");
        assert_eq!(d[77], 5);
        assert_eq!(rd_u16(&d, 78), 7);
        assert_eq!(rd_u32(&d, 80), 0x0001_0300);
        assert_eq!(rd_u32(&d, 92), (1 << 8) | (1 << 11));
        assert_eq!(rd_u32(&d, 96), 1);
        assert_eq!(d[111], 1);
        assert_eq!(rd_u16(&d, 256), 0);
        assert_eq!(d[258], 3);
        assert_eq!(d[259], 3);
        assert_eq!(d[260], 3);
        assert_eq!(d[261], 0x06);
        assert_eq!(d[262], 127);
        assert_eq!(rd_u16(&d, 320), 100);
        assert_eq!(d[342], 10);
        assert_eq!(d[343], 0x47);
        assert_eq!(rd_u32(&d, 344), 32);
        assert_eq!(rd_u32(&d, 348), 32);
        assert_eq!(d[512], 0x66);
        assert_eq!(d[513], 0x44);
        assert_eq!(rd_u16(&d, 514), 128);
        assert_eq!(rd_u32(&d, 516), 32);
        assert_eq!(rd_u16(&d, 520), 0b10_1101);
        assert_eq!(rd_u16(&d, 522), 1);
        assert_eq!(d[525], 0x05);
        assert_eq!(rd_u32(&d, 536), 1 | (1 << 20) | (1 << 21));
        assert_eq!(rd_u32(&d, 540), 32);
        assert_eq!(&d[768..768 + 26], b"nqn.2016-06.io.spdk:cnode1");
        assert!(d[768 + 26..1024].iter().all(|&c| c == 0));
        assert_eq!(rd_u32(&d, 1792), 516);
        assert_eq!(rd_u32(&d, 1796), 1);
        assert_eq!(rd_u16(&d, 1800), 0);
        assert_eq!(d[1803], 1);
        assert!(d[2048..].iter().all(|&c| c == 0));

        let mut c = info(false);
        c.ana_reporting = false;
        c.sgl_keyed = true;
        c.vwc = false;
        c.oncs_reservations = false;
        identify_ctrlr(&c, &mut d);
        assert_eq!(d[76], 0x03);
        assert_eq!(rd_u32(&d, 92), 1 << 8);
        assert_eq!(d[343], 0);
        assert_eq!(rd_u32(&d, 344), 0);
        assert_eq!(rd_u32(&d, 536), 1 | (1 << 2) | (1 << 20));
        assert_eq!(d[525], 0x04);
        assert_eq!(rd_u16(&d, 520), 0b1101);
    }

    #[test]
    fn discovery_controller_has_only_its_fields() {
        let mut d = [0xffu8; 4096];
        identify_ctrlr(&info(true), &mut d);
        assert_eq!(d[111], 2);
        assert_eq!(rd_u32(&d, 92), 1 << 31);
        assert_eq!(rd_u16(&d, 0), 0);
        assert!(d[4..64].iter().all(|&c| c == 0), "no serial or model");
        assert_eq!(&d[64..69], b"26.01");
        assert_eq!(rd_u32(&d, 516), 0, "no namespaces");
        assert_eq!(d[512], 0);
        assert_eq!(rd_u32(&d, 1792), 0);
        assert_eq!(&d[768..768 + 26], b"nqn.2016-06.io.spdk:cnode1");
        assert_eq!(rd_u16(&d, 514), 128);
    }

    #[test]
    fn long_strings_are_cut_and_the_nqn_keeps_its_nul() {
        let long = "x".repeat(300);
        let mut c = info(false);
        c.subnqn = &long;
        c.serial = &long;
        c.firmware = "123456789";
        let mut d = [0u8; 4096];
        identify_ctrlr(&c, &mut d);
        assert_eq!(&d[4..24], "x".repeat(20).as_bytes());
        assert_eq!(&d[64..72], b"12345678");
        assert_eq!(d[768 + 254], b'x');
        assert_eq!(d[768 + 255], 0);
        assert_eq!(d[1024], 0);
    }

    fn ns() -> NsInfo {
        NsInfo {
            block_size: 4096,
            num_blocks: 1 << 20,
            md_size: 0,
            uuid: Some([0x11; 16]),
            nguid: Some([0x22; 16]),
            eui64: Some([0x33; 8]),
            anagrpid: 3,
            optimal_io_boundary_blocks: 1024,
            write_unit_blocks: 2,
            acwu_blocks: 1,
            max_io_blocks: 32,
            dsm: true,
            write_zeroes: true,
            reservations: true,
            shared: true,
            dealloc_reads_zeroes: true,
            inaccessible: false,
        }
    }

    #[test]
    fn namespace_fields_sit_at_their_spec_offsets() {
        let mut d = [0xffu8; 4096];
        identify_ns(&ns(), &mut d);
        for off in [0, 8, 16] {
            assert_eq!(crate::nvmf::wire::get_u64(&d, off), 1 << 20);
        }
        assert_eq!(d[24], 0x12);
        assert_eq!(d[25], 0);
        assert_eq!(d[26], 0);
        assert_eq!(d[30], 1);
        assert_eq!(d[31], 0xfe);
        assert_eq!(d[33], 1);
        assert_eq!(rd_u16(&d, 36), 1);
        assert_eq!(rd_u16(&d, 38), 0);
        assert_eq!(rd_u16(&d, 46), 32, "NOIOB clamped to the transfer size");
        assert_eq!(rd_u16(&d, 64), 1);
        assert_eq!(rd_u16(&d, 72), 31);
        assert_eq!(rd_u32(&d, 92), 3);
        assert_eq!(&d[104..120], &[0x22; 16]);
        assert_eq!(&d[120..128], &[0x33; 8]);
        assert_eq!(rd_u16(&d, 128), 0);
        assert_eq!(d[130], 12);
        assert!(d[132..].iter().all(|&c| c == 0));

        let mut n = ns();
        n.block_size = 512;
        n.md_size = 8;
        n.reservations = false;
        n.shared = false;
        n.dealloc_reads_zeroes = false;
        n.nguid = None;
        n.eui64 = None;
        n.inaccessible = true;
        n.write_unit_blocks = 0;
        n.max_io_blocks = 0;
        n.optimal_io_boundary_blocks = 1 << 20;
        identify_ns(&n, &mut d);
        assert_eq!(crate::nvmf::wire::get_u64(&d, 16), 0, "NUSE 0 when inaccessible");
        assert_eq!(d[130], 9);
        assert_eq!(rd_u16(&d, 128), 8);
        assert_eq!(d[26], 0x10);
        assert_eq!(d[27], 1);
        assert_eq!((d[30], d[31], d[33]), (0, 0, 0));
        assert_eq!(rd_u16(&d, 46), 0, "a boundary that does not fit is not reported");
        assert_eq!(rd_u16(&d, 64), 0);
        assert!(d[104..128].iter().all(|&c| c == 0));
    }

    #[test]
    fn active_namespace_list() {
        let mut d = [0xffu8; 4096];
        active_ns_list(&[5, 1, 3, 3, 9], 1, &mut d);
        assert_eq!((rd_u32(&d, 0), rd_u32(&d, 4), rd_u32(&d, 8), rd_u32(&d, 12)), (3, 5, 9, 0));
        let many: Vec<u32> = (1..=2000).collect();
        active_ns_list(&many, 0, &mut d);
        assert_eq!(rd_u32(&d, 0), 1);
        assert_eq!(rd_u32(&d, 4092), 1024);
        active_ns_list(&many, 1990, &mut d);
        assert_eq!(rd_u32(&d, 36), 2000);
        assert_eq!(rd_u32(&d, 40), 0);
        assert_eq!(check_active_ns_list_nsid(0xffff_fffe), Err(st::INVALID_FIELD));
        assert_eq!(check_active_ns_list_nsid(0), Ok(()));
    }

    #[test]
    fn descriptor_list() {
        let mut d = [0xffu8; 4096];
        ns_id_desc_list(&ns(), &mut d);
        assert_eq!(&d[0..4], &[1, 8, 0, 0]);
        assert_eq!(&d[4..12], &[0x33; 8]);
        assert_eq!(&d[12..16], &[2, 16, 0, 0]);
        assert_eq!(&d[16..32], &[0x22; 16]);
        assert_eq!(&d[32..36], &[3, 16, 0, 0]);
        assert_eq!(&d[36..52], &[0x11; 16]);
        assert_eq!(&d[52..57], &[4, 1, 0, 0, 0]);
        assert!(d[57..].iter().all(|&c| c == 0));
        let mut n = ns();
        n.eui64 = None;
        n.nguid = None;
        ns_id_desc_list(&n, &mut d);
        assert_eq!(&d[0..4], &[3, 16, 0, 0]);
        assert_eq!(&d[20..24], &[4, 1, 0, 0]);
    }
}
