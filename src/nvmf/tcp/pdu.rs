//! NVMe/TCP PDU codec, shared by the target and the host.
//!
//! * [`PduReader`] is fed the byte stream of one connection in chunks of any
//!   size (as a non-blocking socket returns them) and yields one complete,
//!   validated [`Pdu`] at a time: common header, PDU-specific header, header
//!   digest, padding up to PDO, data and data digest. It owns one buffer,
//!   sized once for the largest PDU it accepts; nothing is allocated per PDU.
//! * The `write_*` builders serialize each PDU type into a caller-owned,
//!   reusable `Vec<u8>`.
//! * [`PduError`] names the fault; [`PduError::fes`] and [`PduError::fei`]
//!   give the TermReq fatal error status and information the transport
//!   specification assigns to it.
//!
//! Digests are CRC32C (the Castagnoli polynomial, as iSCSI's, RFC 3720),
//! stored little-endian: the header digest covers the `hlen` header bytes,
//! the data digest covers the data bytes only (not the padding).

use crate::nvme::spec::{Cmd, Cpl};
use crate::nvmf::spec::*;

/// Length of the common header that starts every PDU.
pub const COMMON_HDR_LEN: usize = 8;
/// Header lengths (`hlen`) per PDU type.
pub const IC_HLEN: usize = 128;
pub const TERM_REQ_HLEN: usize = 24;
pub const CAPSULE_CMD_HLEN: usize = 72;
pub const CAPSULE_RESP_HLEN: usize = 24;
pub const DATA_HLEN: usize = 24;
pub const R2T_HLEN: usize = 24;
/// PDU format version of ICReq/ICResp.
pub const PFV_1_0: u16 = 0;
const DIGEST_LEN: usize = SPDK_NVME_TCP_DIGEST_LEN;

/// CRC32C of `data` as NVMe/TCP digests use it.
pub fn digest(data: &[u8]) -> u32 {
    crc32c::crc32c(data)
}

/// Why a received byte stream is not a valid PDU sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduError {
    /// PDU type not defined by the specification.
    BadType(u8),
    /// A defined PDU type that must not arrive in this direction, or not in
    /// the connection's current state (e.g. a second ICReq, or a command
    /// before the connection is initialized).
    UnexpectedType(u8),
    /// Digest flags that were not negotiated (or missing where negotiated),
    /// digest flags on a PDU type that never carries digests, or an
    /// inconsistent combination of type-specific flags.
    BadFlags { pdu_type: u8, flags: u8 },
    /// `hlen` differs from the fixed header length of the type.
    BadHlen { pdu_type: u8, hlen: u8 },
    /// `pdo` is not where the header, digest and alignment put the data.
    BadPdo { pdu_type: u8, pdo: u8 },
    /// `plen` is inconsistent with the header (too short, or data on a type
    /// that carries none, or missing data on a type that requires it).
    BadPlen { pdu_type: u8, plen: u32 },
    /// The PDU carries more data than this side accepts.
    PlenTooLarge { plen: u32, max: u32 },
    /// The data length field (DATAL) disagrees with the PDU length.
    BadDataLen { pdu_type: u8, datal: u32, actual: u32 },
    /// Header digest mismatch.
    HeaderDigest { expected: u32, received: u32 },
    /// Data digest mismatch.
    DataDigest { expected: u32, received: u32 },
}

impl PduError {
    /// The TermReq fatal error status for this fault, or `None` for a data
    /// digest mismatch: the specification reports that one in the affected
    /// command's completion (transient transport error), not by
    /// terminating the connection.
    pub fn fes(&self) -> Option<u16> {
        Some(match self {
            PduError::BadType(_)
            | PduError::BadFlags { .. }
            | PduError::BadHlen { .. }
            | PduError::BadPdo { .. }
            | PduError::BadPlen { .. }
            | PduError::BadDataLen { .. } => SPDK_NVME_TCP_TERM_REQ_FES_INVALID_HEADER_FIELD,
            PduError::UnexpectedType(_) => SPDK_NVME_TCP_TERM_REQ_FES_PDU_SEQUENCE_ERROR,
            PduError::HeaderDigest { .. } => SPDK_NVME_TCP_TERM_REQ_FES_HDGST_ERROR,
            PduError::PlenTooLarge { .. } => SPDK_NVME_TCP_TERM_REQ_FES_DATA_TRANSFER_LIMIT_EXCEEDED,
            PduError::DataDigest { .. } => return None,
        })
    }

    /// The TermReq fatal error information: for an invalid header field, the
    /// byte offset of the field within the PDU header; 0 otherwise.
    pub fn fei(&self) -> u32 {
        match self {
            PduError::BadType(_) => 0,
            PduError::BadFlags { .. } => 1,
            PduError::BadHlen { .. } => 2,
            PduError::BadPdo { .. } => 3,
            PduError::BadPlen { .. } => 4,
            PduError::BadDataLen { .. } => 16,
            _ => 0,
        }
    }
}

impl std::fmt::Display for PduError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PduError::BadType(t) => write!(f, "invalid PDU type {t:#x}"),
            PduError::UnexpectedType(t) => write!(f, "unexpected PDU type {t:#x} (sequence error)"),
            PduError::BadFlags { pdu_type, flags } => write!(f, "invalid flags {flags:#x} for PDU type {pdu_type:#x}"),
            PduError::BadHlen { pdu_type, hlen } => write!(f, "invalid hlen {hlen} for PDU type {pdu_type:#x}"),
            PduError::BadPdo { pdu_type, pdo } => write!(f, "invalid pdo {pdo} for PDU type {pdu_type:#x}"),
            PduError::BadPlen { pdu_type, plen } => write!(f, "invalid plen {plen} for PDU type {pdu_type:#x}"),
            PduError::PlenTooLarge { plen, max } => write!(f, "plen {plen} exceeds the maximum {max}"),
            PduError::BadDataLen { pdu_type, datal, actual } => {
                write!(f, "datal {datal} disagrees with the {actual} data bytes of PDU type {pdu_type:#x}")
            }
            PduError::HeaderDigest { expected, received } => {
                write!(f, "header digest mismatch (computed {expected:#010x}, received {received:#010x})")
            }
            PduError::DataDigest { expected, received } => {
                write!(f, "data digest mismatch (computed {expected:#010x}, received {received:#010x})")
            }
        }
    }
}

impl std::error::Error for PduError {}

/// Which end of the connection reads: the controller (target) receives
/// host-to-controller PDUs, the host receives controller-to-host PDUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Controller,
    Host,
}

/// A received PDU; `flags` of data PDUs are the type-specific ones
/// (LAST_PDU, SUCCESS), without the digest flags. Data slices borrow the reader's buffer until the next
/// call to [`PduReader::feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pdu<'a> {
    IcReq { pfv: u16, hpda: u8, hdgst: bool, ddgst: bool, maxr2t: u32 },
    IcResp { pfv: u16, cpda: u8, hdgst: bool, ddgst: bool, maxh2cdata: u32 },
    /// H2CTermReq (`h2c` true) or C2HTermReq; `data` is the offending PDU
    /// header the peer quoted, if any.
    TermReq { h2c: bool, fes: u16, fei: u32, data: &'a [u8] },
    CapsuleCmd { cmd: Cmd, data: &'a [u8] },
    CapsuleResp { cpl: Cpl },
    H2CData { flags: u8, cccid: u16, ttag: u16, datao: u32, data: &'a [u8] },
    C2HData { flags: u8, cccid: u16, datao: u32, data: &'a [u8] },
    R2T { cccid: u16, ttag: u16, r2to: u32, r2tl: u32 },
    /// The validated header of an H2CData PDU whose data was not read yet,
    /// from a reader with [`PduReader::set_split_h2c`] only: the caller
    /// receives the data itself ([`PduReader::take_body`]), or the next
    /// `feed` gathers it and yields the whole `H2CData`.
    H2CDataHead { flags: u8, cccid: u16, ttag: u16, datao: u32, datal: u32 },
}

/// What follows a split H2CData header on the wire, for a caller that
/// receives it itself: `pad` bytes to skip, `data_len` bytes of data, and a
/// 4-byte data digest (CRC-32C of the data, little endian) when `digest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Body {
    pub pad: usize,
    pub data_len: usize,
    pub digest: bool,
}

/// Per-type header facts.
struct TypeInfo {
    hlen: usize,
    /// May carry data after the header.
    data: bool,
    /// Data is mandatory (H2CData, C2HData).
    data_required: bool,
    /// Header and data digests apply (all but ICReq/ICResp and TermReq).
    digests: bool,
}

fn type_info(t: u8) -> Option<TypeInfo> {
    let (hlen, data, data_required, digests) = match t {
        SPDK_NVME_TCP_PDU_TYPE_IC_REQ | SPDK_NVME_TCP_PDU_TYPE_IC_RESP => (IC_HLEN, false, false, false),
        SPDK_NVME_TCP_PDU_TYPE_H2C_TERM_REQ | SPDK_NVME_TCP_PDU_TYPE_C2H_TERM_REQ => (TERM_REQ_HLEN, true, false, false),
        SPDK_NVME_TCP_PDU_TYPE_CAPSULE_CMD => (CAPSULE_CMD_HLEN, true, false, true),
        SPDK_NVME_TCP_PDU_TYPE_CAPSULE_RESP => (CAPSULE_RESP_HLEN, false, false, true),
        SPDK_NVME_TCP_PDU_TYPE_H2C_DATA | SPDK_NVME_TCP_PDU_TYPE_C2H_DATA => (DATA_HLEN, true, true, true),
        SPDK_NVME_TCP_PDU_TYPE_R2T => (R2T_HLEN, false, false, true),
        _ => return None,
    };
    Some(TypeInfo { hlen, data, data_required, digests })
}

fn is_ic(t: u8) -> bool {
    t == SPDK_NVME_TCP_PDU_TYPE_IC_REQ || t == SPDK_NVME_TCP_PDU_TYPE_IC_RESP
}

fn is_term_req(t: u8) -> bool {
    t == SPDK_NVME_TCP_PDU_TYPE_H2C_TERM_REQ || t == SPDK_NVME_TCP_PDU_TYPE_C2H_TERM_REQ
}

/// Whether `role` may receive PDU type `t` at all.
fn direction_ok(role: Role, t: u8) -> bool {
    match role {
        Role::Controller => matches!(
            t,
            SPDK_NVME_TCP_PDU_TYPE_IC_REQ
                | SPDK_NVME_TCP_PDU_TYPE_H2C_TERM_REQ
                | SPDK_NVME_TCP_PDU_TYPE_CAPSULE_CMD
                | SPDK_NVME_TCP_PDU_TYPE_H2C_DATA
        ),
        Role::Host => matches!(
            t,
            SPDK_NVME_TCP_PDU_TYPE_IC_RESP
                | SPDK_NVME_TCP_PDU_TYPE_C2H_TERM_REQ
                | SPDK_NVME_TCP_PDU_TYPE_CAPSULE_RESP
                | SPDK_NVME_TCP_PDU_TYPE_C2H_DATA
                | SPDK_NVME_TCP_PDU_TYPE_R2T
        ),
    }
}

/// Data alignment unit of a PDA value ((PDA + 1) dwords).
fn pda_align(pda: u8) -> usize {
    (usize::from(pda) + 1) * 4
}

fn round_up(v: usize, align: usize) -> usize {
    v.div_ceil(align) * align
}

fn rd16(b: &[u8], o: usize) -> u16 {
    b.get(o..o + 2).and_then(|s| s.try_into().ok()).map(u16::from_le_bytes).unwrap_or(0)
}

fn rd32(b: &[u8], o: usize) -> u32 {
    b.get(o..o + 4).and_then(|s| s.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0)
}

fn rd64(b: &[u8], o: usize) -> u64 {
    b.get(o..o + 8).and_then(|s| s.try_into().ok()).map(u64::from_le_bytes).unwrap_or(0)
}

/// Decodes a 64-byte submission queue entry.
fn cmd_from_le(b: &[u8]) -> Cmd {
    Cmd {
        cdw0: rd32(b, 0),
        nsid: rd32(b, 4),
        cdw2: rd32(b, 8),
        cdw3: rd32(b, 12),
        mptr: rd64(b, 16),
        prp1: rd64(b, 24),
        prp2: rd64(b, 32),
        cdw10: rd32(b, 40),
        cdw11: rd32(b, 44),
        cdw12: rd32(b, 48),
        cdw13: rd32(b, 52),
        cdw14: rd32(b, 56),
        cdw15: rd32(b, 60),
    }
}

fn cpl_from_le(b: &[u8]) -> Cpl {
    Cpl { cdw0: rd32(b, 0), cdw1: rd32(b, 4), sqhd: rd16(b, 8), sqid: rd16(b, 10), cid: rd16(b, 12), status: rd16(b, 14) }
}

/// Where the parts of a PDU whose common header passed validation lie.
#[derive(Clone, Copy, Debug)]
struct Layout {
    pdu_type: u8,
    flags: u8,
    hlen: usize,
    /// Header digest present.
    hd: bool,
    /// Start and length of the data (0 length: none).
    data_off: usize,
    data_len: usize,
    /// Data digest present (after the data).
    dd: bool,
    plen: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Gathering the 8-byte common header.
    Common,
    /// Gathering the rest of the header and its digest.
    Header,
    /// Gathering padding, data and data digest.
    Body,
    /// A split H2CData header was handed out (the next feed gathers its body).
    Paused,
    /// The caller receives the body itself (until `body_done`).
    External,
    /// A PDU was handed out; the next feed starts a new one.
    Done,
}

/// Incremental receiver of one connection's PDU stream.
pub struct PduReader {
    role: Role,
    hdgst: bool,
    ddgst: bool,
    /// PDA that the sender must honour for data it sends to us.
    pda: u8,
    max_data: u32,
    /// Initialization (ICReq/ICResp) has been received.
    ic_done: bool,
    buf: Vec<u8>,
    have: usize,
    stage: Stage,
    layout: Option<Layout>,
    failed: Option<PduError>,
    /// Hand out H2CData headers before their data (`set_split_h2c`).
    split_h2c: bool,
}

impl PduReader {
    /// A reader for `role` accepting at most `max_data` data bytes per PDU
    /// (in-capsule data or MAXH2CDATA on a controller; the largest C2HData
    /// on a host). Digests are off and PDA is 0 until set after the
    /// initialization exchange.
    pub fn new(role: Role, max_data: u32) -> PduReader {
        // Header, digest and padding end at PDO (at most 255); TermReq data
        // is at most 128 bytes after a 24-byte header.
        let cap = 255 + max_data as usize + DIGEST_LEN;
        PduReader {
            role,
            hdgst: false,
            ddgst: false,
            pda: 0,
            max_data,
            ic_done: false,
            buf: vec![0; cap.max(SPDK_NVME_TCP_TERM_REQ_PDU_MAX_SIZE)],
            have: 0,
            stage: Stage::Common,
            layout: None,
            failed: None,
            split_h2c: false,
        }
    }

    /// With `on`, an H2CData PDU is handed out as [`Pdu::H2CDataHead`] as
    /// soon as its header is validated, so its data can go straight where
    /// it belongs ([`PduReader::take_body`]).
    pub fn set_split_h2c(&mut self, on: bool) {
        self.split_h2c = on;
    }

    /// Whether data digests were negotiated.
    pub fn data_digest(&self) -> bool {
        self.ddgst
    }

    /// After [`Pdu::H2CDataHead`]: the caller receives the body itself and
    /// calls [`PduReader::body_done`] once it has; None at any other time.
    pub fn take_body(&mut self) -> Option<Body> {
        let l = self.layout.filter(|_| self.stage == Stage::Paused)?;
        self.stage = Stage::External;
        Some(Body { pad: l.data_off.saturating_sub(self.have), data_len: l.data_len, digest: l.dd })
    }

    /// The caller received the body it took: the next feed starts a new PDU.
    pub fn body_done(&mut self) {
        if self.stage == Stage::External {
            self.stage = Stage::Done;
        }
    }

    /// Digests negotiated by ICReq/ICResp; they apply to every later PDU.
    pub fn set_digests(&mut self, hdgst: bool, ddgst: bool) {
        self.hdgst = hdgst;
        self.ddgst = ddgst;
    }

    /// The PDU data alignment the peer must honour towards us: CPDA on a
    /// controller, HPDA on a host (0 to 31).
    pub fn set_pda(&mut self, pda: u8) {
        self.pda = pda.min(SPDK_NVME_TCP_CPDA_MAX);
    }

    /// Marks the initialization exchange as done (or not), for readers that
    /// learn it some other way; the reader sets it itself when it yields an
    /// ICReq or ICResp.
    pub fn set_ic_done(&mut self, done: bool) {
        self.ic_done = done;
    }

    /// The fault that stopped the reader, if any. After an error the stream
    /// cannot be resynchronized: every later feed returns the same error.
    pub fn error(&self) -> Option<PduError> {
        self.failed
    }

    /// Forgets any partial PDU and error; negotiated settings are kept.
    pub fn reset(&mut self) {
        self.have = 0;
        self.stage = Stage::Common;
        self.layout = None;
        self.failed = None;
    }

    /// Bytes of the PDU being gathered that are already buffered.
    pub fn pending(&self) -> usize {
        if self.stage == Stage::Done || self.stage == Stage::External {
            0
        } else {
            self.have
        }
    }

    /// Consumes bytes from `input` until one PDU is complete or the input is
    /// exhausted. Returns how many bytes were consumed and the PDU, `None`
    /// when more bytes are needed, or the fault. Call again with the rest
    /// of the input after a PDU is returned.
    pub fn feed(&mut self, input: &[u8]) -> (usize, Result<Option<Pdu<'_>>, PduError>) {
        if let Some(e) = self.failed {
            return (0, Err(e));
        }
        match self.stage {
            Stage::Done => {
                self.have = 0;
                self.stage = Stage::Common;
                self.layout = None;
            }
            // The split header's body, gathered here after all.
            Stage::Paused => self.stage = Stage::Body,
            // The caller is receiving the body: nothing is ours to read.
            Stage::External => return (0, Ok(None)),
            _ => {}
        }
        let mut used = 0;
        loop {
            let want = match self.stage {
                Stage::Common => COMMON_HDR_LEN,
                Stage::Header => self.layout.map_or(0, |l| l.hlen + if l.hd { DIGEST_LEN } else { 0 }),
                Stage::Body | Stage::Done | Stage::Paused | Stage::External => self.layout.map_or(0, |l| l.plen),
            };
            if self.have < want {
                let n = (want - self.have).min(input.len() - used);
                let (Some(dst), Some(src)) = (self.buf.get_mut(self.have..self.have + n), input.get(used..used + n)) else {
                    return (used, Err(self.fail(PduError::PlenTooLarge { plen: want as u32, max: self.max_data })));
                };
                dst.copy_from_slice(src);
                self.have += n;
                used += n;
                if self.have < want {
                    return (used, Ok(None));
                }
            }
            match self.stage {
                Stage::Common => match self.check_common() {
                    Ok(l) => {
                        self.layout = Some(l);
                        self.stage = Stage::Header;
                    }
                    Err(e) => return (used, Err(self.fail(e))),
                },
                Stage::Header => {
                    if let Err(e) = self.check_header_digest() {
                        return (used, Err(self.fail(e)));
                    }
                    self.stage = Stage::Body;
                    if let Some(l) = self.layout.filter(|l| self.split_h2c && l.pdu_type == SPDK_NVME_TCP_PDU_TYPE_H2C_DATA && l.data_len > 0) {
                        self.stage = Stage::Paused;
                        let h = self.buf.get(..l.hlen).unwrap_or(&[]);
                        let flags = l.flags & !(SPDK_NVME_TCP_CH_FLAGS_HDGSTF | SPDK_NVME_TCP_CH_FLAGS_DDGSTF);
                        let head = Pdu::H2CDataHead { flags, cccid: rd16(h, 8), ttag: rd16(h, 10), datao: rd32(h, 12), datal: l.data_len as u32 };
                        return (used, Ok(Some(head)));
                    }
                }
                Stage::Body | Stage::Done | Stage::Paused | Stage::External => {
                    if let Err(e) = self.check_data_digest() {
                        return (used, Err(self.fail(e)));
                    }
                    self.stage = Stage::Done;
                    let Some(l) = self.layout else { return (used, Ok(None)) };
                    if is_ic(l.pdu_type) {
                        self.ic_done = true;
                    }
                    return (used, Ok(Some(decode(&self.buf, &l))));
                }
            }
        }
    }

    fn fail(&mut self, e: PduError) -> PduError {
        self.failed = Some(e);
        e
    }

    /// Validates the common header in `buf[..8]` and lays out the PDU.
    fn check_common(&self) -> Result<Layout, PduError> {
        let b = &self.buf;
        let pdu_type = b.first().copied().unwrap_or(0xff);
        let flags = b.get(1).copied().unwrap_or(0);
        let hlen = b.get(2).copied().unwrap_or(0);
        let pdo = b.get(3).copied().unwrap_or(0);
        let plen32 = rd32(b, 4);
        let plen = plen32 as usize;

        let info = type_info(pdu_type).ok_or(PduError::BadType(pdu_type))?;
        if !direction_ok(self.role, pdu_type) || (is_ic(pdu_type) == self.ic_done && !is_term_req(pdu_type)) {
            return Err(PduError::UnexpectedType(pdu_type));
        }
        if usize::from(hlen) != info.hlen {
            return Err(PduError::BadHlen { pdu_type, hlen });
        }
        let bad_flags = PduError::BadFlags { pdu_type, flags };
        let hflag = flags & SPDK_NVME_TCP_CH_FLAGS_HDGSTF != 0;
        let dflag = flags & SPDK_NVME_TCP_CH_FLAGS_DDGSTF != 0;
        if !info.digests {
            if hflag || dflag {
                return Err(bad_flags);
            }
        } else if hflag != self.hdgst || (dflag && !self.ddgst) {
            return Err(bad_flags);
        }
        let last = SPDK_NVME_TCP_C2H_DATA_FLAGS_LAST_PDU;
        let success = SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS;
        if pdu_type == SPDK_NVME_TCP_PDU_TYPE_C2H_DATA && flags & success != 0 && flags & last == 0 {
            return Err(bad_flags);
        }

        let hd = info.digests && self.hdgst;
        let hdr_end = info.hlen + if hd { DIGEST_LEN } else { 0 };
        if plen < hdr_end {
            return Err(PduError::BadPlen { pdu_type, plen: plen32 });
        }
        let mut layout = Layout { pdu_type, flags, hlen: info.hlen, hd, data_off: 0, data_len: 0, dd: false, plen };
        if plen == hdr_end {
            if info.data_required {
                return Err(PduError::BadPlen { pdu_type, plen: plen32 });
            }
            // No data: PDO is 0, though some senders leave the value they
            // would have used; either is harmless.
            if pdo != 0 && usize::from(pdo) != hdr_end && !is_term_req(pdu_type) {
                return Err(PduError::BadPdo { pdu_type, pdo });
            }
            return Ok(layout);
        }
        if !info.data {
            return Err(PduError::BadPlen { pdu_type, plen: plen32 });
        }
        let data_off = if is_term_req(pdu_type) {
            // TermReq data directly follows the header; PDO carries nothing.
            if pdo != 0 && usize::from(pdo) != info.hlen {
                return Err(PduError::BadPdo { pdu_type, pdo });
            }
            let len = plen - info.hlen;
            if len > SPDK_NVME_TCP_TERM_REQ_ERROR_DATA_MAX_SIZE {
                return Err(PduError::BadPlen { pdu_type, plen: plen32 });
            }
            info.hlen
        } else {
            let expected = round_up(hdr_end, pda_align(self.pda));
            if usize::from(pdo) != expected {
                return Err(PduError::BadPdo { pdu_type, pdo });
            }
            expected
        };
        let dd = info.digests && self.ddgst;
        if dd && !dflag {
            return Err(bad_flags);
        }
        let tail = if dd { DIGEST_LEN } else { 0 };
        if plen <= data_off + tail {
            return Err(PduError::BadPlen { pdu_type, plen: plen32 });
        }
        let data_len = plen - data_off - tail;
        if data_len > self.max_data as usize && !is_term_req(pdu_type) {
            let max = (data_off + tail).saturating_add(self.max_data as usize);
            return Err(PduError::PlenTooLarge { plen: plen32, max: u32::try_from(max).unwrap_or(u32::MAX) });
        }
        layout.data_off = data_off;
        layout.data_len = data_len;
        layout.dd = dd;
        Ok(layout)
    }

    /// Checks the header digest and the header fields that need the whole
    /// header (DATAL of data PDUs).
    fn check_header_digest(&self) -> Result<(), PduError> {
        let Some(l) = self.layout else { return Ok(()) };
        let hdr = self.buf.get(..l.hlen).unwrap_or(&[]);
        if l.hd {
            let expected = digest(hdr);
            let received = rd32(&self.buf, l.hlen);
            if expected != received {
                return Err(PduError::HeaderDigest { expected, received });
            }
        }
        if l.pdu_type == SPDK_NVME_TCP_PDU_TYPE_H2C_DATA || l.pdu_type == SPDK_NVME_TCP_PDU_TYPE_C2H_DATA {
            let datal = rd32(hdr, 16);
            if datal as usize != l.data_len {
                return Err(PduError::BadDataLen { pdu_type: l.pdu_type, datal, actual: l.data_len as u32 });
            }
        }
        Ok(())
    }

    fn check_data_digest(&self) -> Result<(), PduError> {
        let Some(l) = self.layout else { return Ok(()) };
        if !l.dd {
            return Ok(());
        }
        let data = self.buf.get(l.data_off..l.data_off + l.data_len).unwrap_or(&[]);
        let expected = digest(data);
        let received = rd32(&self.buf, l.data_off + l.data_len);
        if expected != received {
            return Err(PduError::DataDigest { expected, received });
        }
        Ok(())
    }
}

/// Decodes a complete, validated PDU.
fn decode<'a>(buf: &'a [u8], l: &Layout) -> Pdu<'a> {
    let h = buf.get(..l.hlen).unwrap_or(&[]);
    let data = buf.get(l.data_off..l.data_off + l.data_len).unwrap_or(&[]);
    let u8_at = |o: usize| h.get(o).copied().unwrap_or(0);
    // Data PDUs report LAST_PDU and SUCCESS; the digest flags are consumed here.
    let flags = l.flags & !(SPDK_NVME_TCP_CH_FLAGS_HDGSTF | SPDK_NVME_TCP_CH_FLAGS_DDGSTF);
    match l.pdu_type {
        SPDK_NVME_TCP_PDU_TYPE_IC_REQ => Pdu::IcReq {
            pfv: rd16(h, 8),
            hpda: u8_at(10),
            hdgst: u8_at(11) & 1 != 0,
            ddgst: u8_at(11) & 2 != 0,
            maxr2t: rd32(h, 12),
        },
        SPDK_NVME_TCP_PDU_TYPE_IC_RESP => Pdu::IcResp {
            pfv: rd16(h, 8),
            cpda: u8_at(10),
            hdgst: u8_at(11) & 1 != 0,
            ddgst: u8_at(11) & 2 != 0,
            maxh2cdata: rd32(h, 12),
        },
        SPDK_NVME_TCP_PDU_TYPE_H2C_TERM_REQ | SPDK_NVME_TCP_PDU_TYPE_C2H_TERM_REQ => Pdu::TermReq {
            h2c: l.pdu_type == SPDK_NVME_TCP_PDU_TYPE_H2C_TERM_REQ,
            fes: rd16(h, 8),
            fei: rd32(h, 10),
            data,
        },
        SPDK_NVME_TCP_PDU_TYPE_CAPSULE_CMD => Pdu::CapsuleCmd { cmd: cmd_from_le(h.get(8..).unwrap_or(&[])), data },
        SPDK_NVME_TCP_PDU_TYPE_CAPSULE_RESP => Pdu::CapsuleResp { cpl: cpl_from_le(h.get(8..).unwrap_or(&[])) },
        SPDK_NVME_TCP_PDU_TYPE_H2C_DATA => {
            Pdu::H2CData { flags, cccid: rd16(h, 8), ttag: rd16(h, 10), datao: rd32(h, 12), data }
        }
        SPDK_NVME_TCP_PDU_TYPE_C2H_DATA => Pdu::C2HData { flags, cccid: rd16(h, 8), datao: rd32(h, 12), data },
        _ => Pdu::R2T { cccid: rd16(h, 8), ttag: rd16(h, 10), r2to: rd32(h, 12), r2tl: rd32(h, 16) },
    }
}

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

/// What the sending side negotiated: digests, and the PDA the receiver
/// asked for (HPDA when the controller sends, CPDA when the host sends).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxOpts {
    pub hdgst: bool,
    pub ddgst: bool,
    pub pda: u8,
}

/// Serializes one PDU into `out` (cleared first). `specific` is the header
/// after the 8-byte common header; digests apply only when `digests`.
fn emit(out: &mut Vec<u8>, opts: &TxOpts, pdu_type: u8, flags: u8, specific: &[u8], data: &[u8], digests: bool) {
    out.clear();
    emit_append(out, opts, pdu_type, flags, specific, data, digests);
}

/// As `emit`, after what `out` already holds.
fn emit_append(out: &mut Vec<u8>, opts: &TxOpts, pdu_type: u8, flags: u8, specific: &[u8], data: &[u8], digests: bool) {
    if emit_head(out, opts, pdu_type, flags, specific, data.len(), digests) {
        out.extend_from_slice(data);
        out.extend_from_slice(&digest(data).to_le_bytes());
    } else {
        out.extend_from_slice(data);
    }
}

/// A PDU's header (with its digest) and the padding up to its data, for
/// `data_len` bytes of data the caller sends next; true when a data digest
/// must follow the data.
fn emit_head(out: &mut Vec<u8>, opts: &TxOpts, pdu_type: u8, mut flags: u8, specific: &[u8], data_len: usize, digests: bool) -> bool {
    let base = out.len();
    let hlen = COMMON_HDR_LEN + specific.len();
    let hd = digests && opts.hdgst;
    let dd = digests && opts.ddgst && data_len > 0;
    let hdr_end = hlen + if hd { DIGEST_LEN } else { 0 };
    let pdo = if data_len == 0 {
        0
    } else if is_term_req(pdu_type) {
        hlen
    } else {
        round_up(hdr_end, pda_align(opts.pda.min(SPDK_NVME_TCP_CPDA_MAX)))
    };
    let plen = if data_len == 0 { hdr_end } else { pdo + data_len + if dd { DIGEST_LEN } else { 0 } };
    if hd {
        flags |= SPDK_NVME_TCP_CH_FLAGS_HDGSTF;
    }
    if dd {
        flags |= SPDK_NVME_TCP_CH_FLAGS_DDGSTF;
    }
    out.reserve(plen);
    out.push(pdu_type);
    out.push(flags);
    out.push(hlen as u8);
    out.push(pdo as u8);
    out.extend_from_slice(&(plen as u32).to_le_bytes());
    out.extend_from_slice(specific);
    if hd {
        let d = digest(&out[base..]);
        out.extend_from_slice(&d.to_le_bytes());
    }
    if data_len > 0 {
        out.resize(base + pdo, 0);
    }
    dd
}

fn dgst_bits(hdgst: bool, ddgst: bool) -> u8 {
    u8::from(hdgst) | (u8::from(ddgst) << 1)
}

/// ICReq (host to controller): PFV 0, the HPDA the host wants, the digests
/// it asks for and MAXR2T (0's based).
pub fn write_ic_req(out: &mut Vec<u8>, hpda: u8, hdgst: bool, ddgst: bool, maxr2t: u32) {
    let mut s = [0u8; IC_HLEN - COMMON_HDR_LEN];
    s[0..2].copy_from_slice(&PFV_1_0.to_le_bytes());
    s[2] = hpda;
    s[3] = dgst_bits(hdgst, ddgst);
    s[4..8].copy_from_slice(&maxr2t.to_le_bytes());
    emit(out, &TxOpts::default(), SPDK_NVME_TCP_PDU_TYPE_IC_REQ, 0, &s, &[], false);
}

/// ICResp (controller to host): the CPDA the controller wants, the digests
/// it enables and MAXH2CDATA.
pub fn write_ic_resp(out: &mut Vec<u8>, cpda: u8, hdgst: bool, ddgst: bool, maxh2cdata: u32) {
    let mut s = [0u8; IC_HLEN - COMMON_HDR_LEN];
    s[0..2].copy_from_slice(&PFV_1_0.to_le_bytes());
    s[2] = cpda;
    s[3] = dgst_bits(hdgst, ddgst);
    s[4..8].copy_from_slice(&maxh2cdata.to_le_bytes());
    emit(out, &TxOpts::default(), SPDK_NVME_TCP_PDU_TYPE_IC_RESP, 0, &s, &[], false);
}

/// H2CTermReq (`h2c`) or C2HTermReq with FES, FEI and up to 128 bytes of
/// the offending PDU header (longer `data` is truncated).
pub fn write_term_req(out: &mut Vec<u8>, h2c: bool, fes: u16, fei: u32, data: &[u8]) {
    let mut s = [0u8; TERM_REQ_HLEN - COMMON_HDR_LEN];
    s[0..2].copy_from_slice(&fes.to_le_bytes());
    s[2..6].copy_from_slice(&fei.to_le_bytes());
    let t = if h2c { SPDK_NVME_TCP_PDU_TYPE_H2C_TERM_REQ } else { SPDK_NVME_TCP_PDU_TYPE_C2H_TERM_REQ };
    let data = data.get(..SPDK_NVME_TCP_TERM_REQ_ERROR_DATA_MAX_SIZE).unwrap_or(data);
    emit(out, &TxOpts::default(), t, 0, &s, data, false);
}

/// TermReq for a receive fault (sent by `role`, which is the receiver that
/// detected it): FES and FEI from the error, quoting `offending_hdr`.
/// Returns false (and writes nothing) for faults with no FES.
pub fn write_term_req_for(out: &mut Vec<u8>, role: Role, err: &PduError, offending_hdr: &[u8]) -> bool {
    let Some(fes) = err.fes() else { return false };
    write_term_req(out, role == Role::Host, fes, err.fei(), offending_hdr);
    true
}

/// CapsuleCmd with optional in-capsule data.
pub fn write_capsule_cmd(out: &mut Vec<u8>, opts: &TxOpts, cmd: &Cmd, data: &[u8]) {
    let mut sqe = [0u8; 64];
    encode_cmd(cmd, &mut sqe);
    emit(out, opts, SPDK_NVME_TCP_PDU_TYPE_CAPSULE_CMD, 0, &sqe, data, true);
}

fn encode_cmd(cmd: &Cmd, sqe: &mut [u8; 64]) {
    let mut o = 0;
    let mut put = |b: &[u8]| {
        if let Some(d) = sqe.get_mut(o..o + b.len()) {
            d.copy_from_slice(b);
        }
        o += b.len();
    };
    for d in [cmd.cdw0, cmd.nsid, cmd.cdw2, cmd.cdw3] {
        put(&d.to_le_bytes());
    }
    for q in [cmd.mptr, cmd.prp1, cmd.prp2] {
        put(&q.to_le_bytes());
    }
    for d in [cmd.cdw10, cmd.cdw11, cmd.cdw12, cmd.cdw13, cmd.cdw14, cmd.cdw15] {
        put(&d.to_le_bytes());
    }
}

/// CapsuleResp.
pub fn write_capsule_resp(out: &mut Vec<u8>, opts: &TxOpts, cpl: &Cpl) {
    let mut s = [0u8; 16];
    s[0..4].copy_from_slice(&cpl.cdw0.to_le_bytes());
    s[4..8].copy_from_slice(&cpl.cdw1.to_le_bytes());
    s[8..10].copy_from_slice(&cpl.sqhd.to_le_bytes());
    s[10..12].copy_from_slice(&cpl.sqid.to_le_bytes());
    s[12..14].copy_from_slice(&cpl.cid.to_le_bytes());
    s[14..16].copy_from_slice(&cpl.status.to_le_bytes());
    emit(out, opts, SPDK_NVME_TCP_PDU_TYPE_CAPSULE_RESP, 0, &s, &[], true);
}

fn data_specific(cccid: u16, ttag: u16, datao: u32, datal: u32) -> [u8; DATA_HLEN - COMMON_HDR_LEN] {
    let mut s = [0u8; DATA_HLEN - COMMON_HDR_LEN];
    s[0..2].copy_from_slice(&cccid.to_le_bytes());
    s[2..4].copy_from_slice(&ttag.to_le_bytes());
    s[4..8].copy_from_slice(&datao.to_le_bytes());
    s[8..12].copy_from_slice(&datal.to_le_bytes());
    s
}

/// H2CData answering R2T `ttag` of command `cccid`; `last` sets LAST_PDU.
/// `data` must not be empty and must fit in 32 bits.
pub fn write_h2c_data(out: &mut Vec<u8>, opts: &TxOpts, cccid: u16, ttag: u16, datao: u32, data: &[u8], last: bool) {
    let flags = if last { SPDK_NVME_TCP_H2C_DATA_FLAGS_LAST_PDU } else { 0 };
    let s = data_specific(cccid, ttag, datao, data.len() as u32);
    emit(out, opts, SPDK_NVME_TCP_PDU_TYPE_H2C_DATA, flags, &s, data, true);
}

/// C2HData of command `cccid`; `last` sets LAST_PDU, `success` (which
/// implies `last`) sets SUCCESS, telling the host no CapsuleResp follows.
pub fn write_c2h_data(out: &mut Vec<u8>, opts: &TxOpts, cccid: u16, datao: u32, data: &[u8], last: bool, success: bool) {
    let s = data_specific(cccid, 0, datao, data.len() as u32);
    emit(out, opts, SPDK_NVME_TCP_PDU_TYPE_C2H_DATA, c2h_flags(last, success), &s, data, true);
}

/// The header of a C2HData PDU (and its padding) for `data_len` bytes the
/// caller sends next, after what `out` holds; true when the data's digest
/// must follow the data.
pub fn append_c2h_head(out: &mut Vec<u8>, opts: &TxOpts, cccid: u16, datao: u32, data_len: usize, last: bool, success: bool) -> bool {
    let s = data_specific(cccid, 0, datao, data_len as u32);
    emit_head(out, opts, SPDK_NVME_TCP_PDU_TYPE_C2H_DATA, c2h_flags(last, success), &s, data_len, true)
}

fn c2h_flags(last: bool, success: bool) -> u8 {
    let mut flags = 0;
    if last || success {
        flags |= SPDK_NVME_TCP_C2H_DATA_FLAGS_LAST_PDU;
    }
    if success {
        flags |= SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS;
    }
    flags
}

/// R2T asking for `r2tl` bytes at offset `r2to` of command `cccid`.
pub fn write_r2t(out: &mut Vec<u8>, opts: &TxOpts, cccid: u16, ttag: u16, r2to: u32, r2tl: u32) {
    let s = data_specific(cccid, ttag, r2to, r2tl);
    emit(out, opts, SPDK_NVME_TCP_PDU_TYPE_R2T, 0, &s, &[], true);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*, enough to vary chunk sizes reproducibly.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    #[derive(Clone, Copy)]
    enum Split {
        Whole,
        Bytes,
        Random(u64),
    }

    /// Feeds `stream` to `r` in chunks as `split` says and returns each PDU
    /// in its Debug form, or the first error. After an IC PDU the reader
    /// gets `after_ic` (digests, PDA) as a transport would set them.
    fn run(r: &mut PduReader, stream: &[u8], split: Split, after_ic: (bool, bool, u8)) -> Result<Vec<String>, PduError> {
        let mut out = Vec::new();
        let mut rng = Rng(match split {
            Split::Random(s) => s | 1,
            _ => 1,
        });
        let mut pos = 0;
        while pos < stream.len() {
            let n = match split {
                Split::Whole => stream.len() - pos,
                Split::Bytes => 1,
                Split::Random(_) => 1 + (rng.next() % 50) as usize,
            };
            let chunk = &stream[pos..(pos + n).min(stream.len())];
            let mut off = 0;
            while off < chunk.len() {
                let (used, res) = r.feed(&chunk[off..]);
                off += used;
                let ic = match res? {
                    Some(p) => {
                        out.push(format!("{p:?}"));
                        matches!(p, Pdu::IcReq { .. } | Pdu::IcResp { .. })
                    }
                    None => {
                        assert_eq!(off, chunk.len(), "a reader that needs more bytes must consume all it got");
                        false
                    }
                };
                if ic {
                    r.set_digests(after_ic.0, after_ic.1);
                    r.set_pda(after_ic.2);
                }
            }
            pos += chunk.len();
        }
        assert_eq!(r.pending(), 0, "stream ended inside a PDU");
        Ok(out)
    }

    fn sample_cmd() -> Cmd {
        let mut c = Cmd::new(0x01, 1);
        c.set_cid(0x1234);
        c.prp1 = 0x1122_3344_5566_7788;
        c.cdw10 = 7;
        c.cdw15 = 0xdead_beef;
        c
    }

    fn sample_cpl() -> Cpl {
        Cpl { cdw0: 0xa5a5_0001, cdw1: 2, sqhd: 3, sqid: 1, cid: 0x1234, status: 0x0002 }
    }

    fn payload(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    /// Host-to-controller stream and the PDUs a controller must read from it.
    fn h2c_stream(hd: bool, dd: bool, cpda: u8) -> (Vec<u8>, Vec<String>) {
        let opts = TxOpts { hdgst: hd, ddgst: dd, pda: cpda };
        let (mut s, mut b, mut want) = (Vec::new(), Vec::new(), Vec::new());
        write_ic_req(&mut b, 2, hd, dd, 3);
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::IcReq { pfv: 0, hpda: 2, hdgst: hd, ddgst: dd, maxr2t: 3 }));
        let icd = payload(100);
        write_capsule_cmd(&mut b, &opts, &sample_cmd(), &icd);
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::CapsuleCmd { cmd: sample_cmd(), data: &icd }));
        write_capsule_cmd(&mut b, &opts, &sample_cmd(), &[]);
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::CapsuleCmd { cmd: sample_cmd(), data: &[] }));
        let d = payload(4096);
        write_h2c_data(&mut b, &opts, 0x1234, 9, 512, &d, true);
        s.extend_from_slice(&b);
        want.push(format!(
            "{:?}",
            Pdu::H2CData { flags: SPDK_NVME_TCP_H2C_DATA_FLAGS_LAST_PDU, cccid: 0x1234, ttag: 9, datao: 512, data: &d }
        ));
        let quoted = payload(200);
        write_term_req(&mut b, true, SPDK_NVME_TCP_TERM_REQ_FES_HDGST_ERROR, 0, &quoted);
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::TermReq { h2c: true, fes: 3, fei: 0, data: &quoted[..128] }));
        (s, want)
    }

    /// Controller-to-host stream and the PDUs a host must read from it.
    fn c2h_stream(hd: bool, dd: bool, hpda: u8) -> (Vec<u8>, Vec<String>) {
        let opts = TxOpts { hdgst: hd, ddgst: dd, pda: hpda };
        let (mut s, mut b, mut want) = (Vec::new(), Vec::new(), Vec::new());
        write_ic_resp(&mut b, 1, hd, dd, 131072);
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::IcResp { pfv: 0, cpda: 1, hdgst: hd, ddgst: dd, maxh2cdata: 131072 }));
        write_capsule_resp(&mut b, &opts, &sample_cpl());
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::CapsuleResp { cpl: sample_cpl() }));
        let d = payload(777);
        write_c2h_data(&mut b, &opts, 0x1234, 4096, &d, false, true);
        s.extend_from_slice(&b);
        let flags = SPDK_NVME_TCP_C2H_DATA_FLAGS_LAST_PDU | SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS;
        want.push(format!("{:?}", Pdu::C2HData { flags, cccid: 0x1234, datao: 4096, data: &d }));
        write_c2h_data(&mut b, &opts, 0x1234, 0, &d[..5], false, false);
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::C2HData { flags: 0, cccid: 0x1234, datao: 0, data: &d[..5] }));
        write_r2t(&mut b, &opts, 0x1234, 7, 8192, 65536);
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::R2T { cccid: 0x1234, ttag: 7, r2to: 8192, r2tl: 65536 }));
        write_term_req(&mut b, false, SPDK_NVME_TCP_TERM_REQ_FES_INVALID_HEADER_FIELD, 2, &[]);
        s.extend_from_slice(&b);
        want.push(format!("{:?}", Pdu::TermReq { h2c: false, fes: 1, fei: 2, data: &[] }));
        (s, want)
    }

    const SPLITS: [Split; 5] = [Split::Whole, Split::Bytes, Split::Random(1), Split::Random(0xfeed), Split::Random(42)];

    #[test]
    fn crc32c_known_values() {
        // RFC 3720, appendix B.4, and the common "123456789" check value.
        assert_eq!(digest(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(digest(&[0xffu8; 32]), 0x62a8_ab43);
        let inc: Vec<u8> = (0..32).collect();
        assert_eq!(digest(&inc), 0x46dd_794e);
        let dec: Vec<u8> = (0..32).rev().collect();
        assert_eq!(digest(&dec), 0x113f_db5c);
        assert_eq!(digest(b"123456789"), 0xe306_9283);
        // Stored little-endian, as RFC 3720 lists the bytes: aa 36 91 8a.
        assert_eq!(digest(&[0u8; 32]).to_le_bytes(), [0xaa, 0x36, 0x91, 0x8a]);
    }

    /// Builds a stream for (hdgst, ddgst, pda) and the PDUs it must yield.
    type StreamFn = fn(bool, bool, u8) -> (Vec<u8>, Vec<String>);

    /// Every digest combination and a few PDAs, every chunking.
    fn round_trip(role: Role, max_data: u32, pdas: [u8; 3], stream: StreamFn) {
        for (hd, dd) in [(false, false), (true, false), (false, true), (true, true)] {
            for pda in pdas {
                let (bytes, want) = stream(hd, dd, pda);
                for split in SPLITS {
                    let mut r = PduReader::new(role, max_data);
                    let got = run(&mut r, &bytes, split, (hd, dd, pda)).expect("valid stream");
                    assert_eq!(got, want, "{role:?} hd={hd} dd={dd} pda={pda}");
                }
            }
        }
    }

    #[test]
    fn round_trip_every_type_controller_side() {
        round_trip(Role::Controller, 8192, [0, 3, 31], h2c_stream);
    }

    #[test]
    fn round_trip_every_type_host_side() {
        round_trip(Role::Host, 4096, [0, 1, 7], c2h_stream);
    }

    #[test]
    fn wire_layout_of_builders() {
        let mut b = Vec::new();
        let opts = TxOpts { hdgst: true, ddgst: true, pda: 0 };
        write_capsule_cmd(&mut b, &opts, &sample_cmd(), &[1, 2, 3]);
        // type, flags (HDGSTF|DDGSTF), hlen 72, pdo 76, plen 76 + 3 + 4.
        assert_eq!(&b[..8], &[4, 3, 72, 76, 83, 0, 0, 0]);
        assert_eq!(b.len(), 83);
        assert_eq!(&b[8..12], &(0x1234_0001u32).to_le_bytes());
        assert_eq!(&b[72..76], &digest(&b[..72]).to_le_bytes());
        assert_eq!(&b[76..79], &[1, 2, 3]);
        assert_eq!(&b[79..83], &digest(&[1, 2, 3]).to_le_bytes());

        write_c2h_data(&mut b, &TxOpts { hdgst: false, ddgst: false, pda: 3 }, 5, 0, &[9; 10], true, false);
        // PDO aligned to (3 + 1) * 4 = 16 bytes; LAST_PDU.
        assert_eq!(&b[..4], &[7, 4, 24, 32]);
        assert_eq!(rd32(&b, 4), 42);
        assert!(b[24..32].iter().all(|&x| x == 0));

        write_ic_resp(&mut b, 0, true, false, 0x2_0000);
        assert_eq!(b.len(), 128);
        assert_eq!(&b[..8], &[1, 0, 128, 0, 128, 0, 0, 0]);
        assert_eq!(b[11], 1);
    }

    fn expect_err(role: Role, stream: &[u8], cfg: (bool, bool, u8), ic_done: bool) -> PduError {
        let mut errs = Vec::new();
        for split in SPLITS {
            let mut r = PduReader::new(role, 1024);
            r.set_ic_done(ic_done);
            r.set_digests(cfg.0, cfg.1);
            r.set_pda(cfg.2);
            let e = run(&mut r, stream, split, cfg).expect_err("stream must be rejected");
            // The reader stays failed.
            assert_eq!(r.feed(&[0u8; 4]), (0, Err(e)));
            assert_eq!(r.error(), Some(e));
            errs.push(e);
        }
        assert!(errs.windows(2).all(|w| w[0] == w[1]), "same fault whatever the chunking: {errs:?}");
        errs[0]
    }

    #[test]
    fn rejects_bad_type() {
        let mut b = Vec::new();
        write_r2t(&mut b, &TxOpts::default(), 1, 1, 0, 1);
        b[0] = 0x08;
        let e = expect_err(Role::Host, &b, (false, false, 0), true);
        assert_eq!(e, PduError::BadType(0x08));
        assert_eq!((e.fes(), e.fei()), (Some(SPDK_NVME_TCP_TERM_REQ_FES_INVALID_HEADER_FIELD), 0));
        b[0] = 0xff;
        assert_eq!(expect_err(Role::Host, &b, (false, false, 0), true), PduError::BadType(0xff));
    }

    #[test]
    fn rejects_out_of_sequence_types() {
        let mut b = Vec::new();
        // A response at the controller.
        write_capsule_resp(&mut b, &TxOpts::default(), &sample_cpl());
        let e = expect_err(Role::Controller, &b, (false, false, 0), true);
        assert_eq!(e, PduError::UnexpectedType(SPDK_NVME_TCP_PDU_TYPE_CAPSULE_RESP));
        assert_eq!(e.fes(), Some(SPDK_NVME_TCP_TERM_REQ_FES_PDU_SEQUENCE_ERROR));
        // A command before the ICReq.
        write_capsule_cmd(&mut b, &TxOpts::default(), &sample_cmd(), &[]);
        assert_eq!(expect_err(Role::Controller, &b, (false, false, 0), false), PduError::UnexpectedType(4));
        // A second ICReq.
        let mut s = Vec::new();
        write_ic_req(&mut s, 0, false, false, 0);
        s.extend_from_slice(&s.clone());
        assert_eq!(expect_err(Role::Controller, &s, (false, false, 0), false), PduError::UnexpectedType(0));
        // A TermReq is accepted before initialization.
        write_term_req(&mut b, false, 1, 0, &[]);
        let mut r = PduReader::new(Role::Host, 64);
        assert!(run(&mut r, &b, Split::Whole, (false, false, 0)).is_ok());
    }

    #[test]
    fn rejects_bad_hlen() {
        let mut b = Vec::new();
        write_ic_req(&mut b, 0, false, false, 0);
        b[2] = 127;
        let e = expect_err(Role::Controller, &b, (false, false, 0), false);
        assert_eq!(e, PduError::BadHlen { pdu_type: 0, hlen: 127 });
        assert_eq!((e.fes(), e.fei()), (Some(SPDK_NVME_TCP_TERM_REQ_FES_INVALID_HEADER_FIELD), 2));
    }

    #[test]
    fn rejects_bad_pdo() {
        let mut b = Vec::new();
        write_capsule_cmd(&mut b, &TxOpts::default(), &sample_cmd(), &[1; 16]);
        b[3] = 80;
        let e = expect_err(Role::Controller, &b, (false, false, 0), true);
        assert_eq!(e, PduError::BadPdo { pdu_type: 4, pdo: 80 });
        assert_eq!(e.fei(), 3);
        // Unpadded data where the receiver asked for 16-byte alignment.
        write_capsule_cmd(&mut b, &TxOpts::default(), &sample_cmd(), &[1; 16]);
        assert_eq!(expect_err(Role::Controller, &b, (false, false, 3), true), PduError::BadPdo { pdu_type: 4, pdo: 72 });
    }

    #[test]
    fn rejects_bad_plen() {
        let mut b = Vec::new();
        write_capsule_resp(&mut b, &TxOpts::default(), &sample_cpl());
        b[4] = 30;
        b.extend_from_slice(&[0; 6]);
        let e = expect_err(Role::Host, &b, (false, false, 0), true);
        assert_eq!(e, PduError::BadPlen { pdu_type: 5, plen: 30 });
        assert_eq!(e.fei(), 4);
        // Shorter than the header.
        b[4] = 16;
        assert_eq!(expect_err(Role::Host, &b[..16], (false, false, 0), true), PduError::BadPlen { pdu_type: 5, plen: 16 });
        // Data PDU without data.
        write_r2t(&mut b, &TxOpts::default(), 1, 1, 0, 0);
        b[0] = SPDK_NVME_TCP_PDU_TYPE_C2H_DATA;
        assert_eq!(expect_err(Role::Host, &b, (false, false, 0), true), PduError::BadPlen { pdu_type: 7, plen: 24 });
    }

    #[test]
    fn rejects_plen_too_large() {
        let mut b = Vec::new();
        write_h2c_data(&mut b, &TxOpts::default(), 1, 1, 0, &[0; 1025], true);
        let e = expect_err(Role::Controller, &b, (false, false, 0), true);
        assert_eq!(e, PduError::PlenTooLarge { plen: 24 + 1025, max: 24 + 1024 });
        assert_eq!(e.fes(), Some(SPDK_NVME_TCP_TERM_REQ_FES_DATA_TRANSFER_LIMIT_EXCEEDED));
        // A huge plen is refused after the 8 header bytes, before any data.
        let mut r = PduReader::new(Role::Controller, 1024);
        r.set_ic_done(true);
        let hdr = [6u8, 0, 24, 24, 0xff, 0xff, 0xff, 0xff];
        let (used, res) = r.feed(&hdr);
        assert_eq!(used, 8);
        assert!(matches!(res, Err(PduError::PlenTooLarge { plen: 0xffff_ffff, .. })));
    }

    #[test]
    fn rejects_bad_datal() {
        let mut b = Vec::new();
        write_h2c_data(&mut b, &TxOpts::default(), 1, 1, 0, &[5; 64], true);
        b[16] = 63;
        let e = expect_err(Role::Controller, &b, (false, false, 0), true);
        assert_eq!(e, PduError::BadDataLen { pdu_type: 6, datal: 63, actual: 64 });
        assert_eq!(e.fei(), 16);
    }

    #[test]
    fn rejects_bad_digest_flags() {
        let mut b = Vec::new();
        // Header digest used but not negotiated.
        write_capsule_resp(&mut b, &TxOpts { hdgst: true, ..Default::default() }, &sample_cpl());
        let e = expect_err(Role::Host, &b, (false, false, 0), true);
        assert_eq!(e, PduError::BadFlags { pdu_type: 5, flags: SPDK_NVME_TCP_CH_FLAGS_HDGSTF });
        assert_eq!(e.fei(), 1);
        // Negotiated but missing.
        write_capsule_resp(&mut b, &TxOpts::default(), &sample_cpl());
        assert_eq!(expect_err(Role::Host, &b, (true, false, 0), true), PduError::BadFlags { pdu_type: 5, flags: 0 });
        // Data digest negotiated, data PDU without it.
        write_c2h_data(&mut b, &TxOpts::default(), 1, 0, &[1; 8], true, false);
        assert_eq!(expect_err(Role::Host, &b, (false, true, 0), true), PduError::BadFlags { pdu_type: 7, flags: 4 });
        // Digest flags on an ICResp.
        write_ic_resp(&mut b, 0, false, false, 4096);
        b[1] = SPDK_NVME_TCP_CH_FLAGS_DDGSTF;
        assert_eq!(expect_err(Role::Host, &b, (false, false, 0), false), PduError::BadFlags { pdu_type: 1, flags: 2 });
        // SUCCESS without LAST_PDU.
        write_c2h_data(&mut b, &TxOpts::default(), 1, 0, &[1; 8], false, false);
        b[1] = SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS;
        assert_eq!(expect_err(Role::Host, &b, (false, false, 0), true), PduError::BadFlags { pdu_type: 7, flags: 8 });
    }

    #[test]
    fn rejects_header_digest_mismatch() {
        let opts = TxOpts { hdgst: true, ddgst: false, pda: 0 };
        let mut b = Vec::new();
        write_capsule_cmd(&mut b, &opts, &sample_cmd(), &[]);
        b[20] ^= 1;
        let e = expect_err(Role::Controller, &b, (true, false, 0), true);
        assert!(matches!(e, PduError::HeaderDigest { .. }));
        assert_eq!(e.fes(), Some(SPDK_NVME_TCP_TERM_REQ_FES_HDGST_ERROR));
        // The digest itself damaged.
        write_capsule_cmd(&mut b, &opts, &sample_cmd(), &[]);
        b[73] ^= 0x80;
        assert!(matches!(expect_err(Role::Controller, &b, (true, false, 0), true), PduError::HeaderDigest { .. }));
    }

    #[test]
    fn rejects_data_digest_mismatch() {
        let opts = TxOpts { hdgst: true, ddgst: true, pda: 0 };
        let mut b = Vec::new();
        write_h2c_data(&mut b, &opts, 1, 1, 0, &payload(300), true);
        b[100] ^= 0x10;
        let e = expect_err(Role::Controller, &b, (true, true, 0), true);
        let PduError::DataDigest { expected, received } = e else { panic!("{e:?}") };
        assert_eq!(received, digest(&payload(300)));
        assert_ne!(expected, received);
        assert_eq!(e.fes(), None);
    }

    #[test]
    fn term_req_for_a_fault_is_readable_by_the_peer() {
        let mut b = Vec::new();
        let err = PduError::BadHlen { pdu_type: 4, hlen: 71 };
        let hdr = [4u8, 0, 71, 0, 72, 0, 0, 0];
        assert!(write_term_req_for(&mut b, Role::Controller, &err, &hdr));
        let mut r = PduReader::new(Role::Host, 0);
        let got = run(&mut r, &b, Split::Bytes, (false, false, 0)).unwrap();
        assert_eq!(got, vec![format!("{:?}", Pdu::TermReq { h2c: false, fes: 1, fei: 2, data: &hdr })]);
        assert!(!write_term_req_for(&mut b, Role::Host, &PduError::DataDigest { expected: 1, received: 2 }, &[]));
    }

    #[test]
    fn reset_clears_a_failure() {
        let mut r = PduReader::new(Role::Host, 64);
        assert!(r.feed(&[0x42; 8]).1.is_err());
        r.reset();
        let mut b = Vec::new();
        write_ic_resp(&mut b, 0, false, false, 64);
        assert!(matches!(r.feed(&b), (128, Ok(Some(Pdu::IcResp { .. })))));
    }

    #[test]
    fn split_h2c_header_then_body_taken_or_gathered() {
        // Header digest, data digest and CPDA 3 (16-byte alignment: 4 pad bytes after the 28-byte header).
        let opts = TxOpts { hdgst: true, ddgst: true, pda: 3 };
        let data = payload(300);
        let mut b = Vec::new();
        write_h2c_data(&mut b, &opts, 0x42, 5, 4096, &data, true);
        let mut r = PduReader::new(Role::Controller, 1024);
        r.set_ic_done(true);
        r.set_digests(true, true);
        r.set_pda(3);
        r.set_split_h2c(true);
        assert!(r.data_digest());
        // Taken: the header alone is consumed; the caller skips, reads data and digest.
        let (used, res) = r.feed(&b);
        assert_eq!(used, 28);
        assert_eq!(format!("{:?}", res.unwrap().unwrap()), format!("{:?}", Pdu::H2CDataHead { flags: SPDK_NVME_TCP_H2C_DATA_FLAGS_LAST_PDU, cccid: 0x42, ttag: 5, datao: 4096, datal: 300 }));
        assert_eq!(r.take_body(), Some(Body { pad: 4, data_len: 300, digest: true }));
        assert_eq!(r.take_body(), None, "taken once");
        assert_eq!(r.feed(&b[28..]).0, 0, "the body is not the reader's");
        assert_eq!(&b[32..332], &data[..]);
        assert_eq!(u32::from_le_bytes(b[332..336].try_into().unwrap()), digest(&data));
        r.body_done();
        let mut next = Vec::new();
        write_h2c_data(&mut next, &opts, 0x43, 6, 0, &data[..8], false);
        // Not taken: the next feed gathers the body and yields the whole PDU (in any chunking).
        let (used, res) = r.feed(&next[..10]);
        assert_eq!((used, res.unwrap().is_none()), (10, true));
        let (used, res) = r.feed(&next[10..]);
        assert_eq!(used, 18);
        assert!(matches!(res, Ok(Some(Pdu::H2CDataHead { cccid: 0x43, datal: 8, .. }))));
        let (used, res) = r.feed(&next[28..31]);
        assert_eq!((used, res.unwrap().is_none()), (3, true));
        let (used, res) = r.feed(&next[31..]);
        assert_eq!(31 + used, next.len());
        assert!(matches!(res, Ok(Some(Pdu::H2CData { cccid: 0x43, ttag: 6, datao: 0, data: got, .. })) if got == &data[..8]));
        // A bad data digest found on the gathered way, as without splitting.
        let mut bad = next.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(matches!(r.feed(&bad), (28, Ok(Some(Pdu::H2CDataHead { .. })))));
        assert!(matches!(r.feed(&bad[28..]), (_, Err(PduError::DataDigest { .. }))));
    }
}
