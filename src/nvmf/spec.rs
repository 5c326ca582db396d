//! NVMe over Fabrics and NVMe/TCP wire layouts (SPDK's `spdk/nvmf_spec.h`).
//!
//! The public C definitions are hand-written in `src/capi/raw/nvmf_spec.h`
//! (they use bit-fields and anonymous unions); the structures here are their
//! byte-identical Rust twins, checked by the size and offset asserts below
//! and, on the C side, by `capi-tests/test_nvmf_spec.c`. All multi-byte
//! fields are little-endian on the wire; the PDU codec (`tcp::pdu`) reads and
//! writes them byte by byte, so these structs never need to be transmuted
//! from untrusted bytes.

use crate::nvme::spec::{Cmd, Cpl};

/// Opcode of every fabrics command.
pub const SPDK_NVME_OPC_FABRIC: u8 = 0x7f;

/// Fabrics command types (FCTYPE).
pub const SPDK_NVMF_FABRIC_COMMAND_PROPERTY_SET: u8 = 0x00;
pub const SPDK_NVMF_FABRIC_COMMAND_CONNECT: u8 = 0x01;
pub const SPDK_NVMF_FABRIC_COMMAND_PROPERTY_GET: u8 = 0x04;
pub const SPDK_NVMF_FABRIC_COMMAND_AUTHENTICATION_SEND: u8 = 0x05;
pub const SPDK_NVMF_FABRIC_COMMAND_AUTHENTICATION_RECV: u8 = 0x06;
pub const SPDK_NVMF_FABRIC_COMMAND_DISCONNECT: u8 = 0x08;
pub const SPDK_NVMF_FABRIC_COMMAND_START_VENDOR_SPECIFIC: u8 = 0xc0;

/// Command-specific status codes of fabrics commands.
pub const SPDK_NVMF_FABRIC_SC_INCOMPATIBLE_FORMAT: u8 = 0x80;
pub const SPDK_NVMF_FABRIC_SC_CONTROLLER_BUSY: u8 = 0x81;
pub const SPDK_NVMF_FABRIC_SC_INVALID_PARAM: u8 = 0x82;
pub const SPDK_NVMF_FABRIC_SC_RESTART_DISCOVERY: u8 = 0x83;
pub const SPDK_NVMF_FABRIC_SC_INVALID_HOST: u8 = 0x84;
pub const SPDK_NVMF_FABRIC_SC_INVALID_QUEUE_TYPE: u8 = 0x85;
pub const SPDK_NVMF_FABRIC_SC_LOG_RESTART_DISCOVERY: u8 = 0x90;
pub const SPDK_NVMF_FABRIC_SC_AUTH_REQUIRED: u8 = 0x91;

/// Transport types (TRTYPE).
pub const SPDK_NVMF_TRTYPE_RDMA: u8 = 0x1;
pub const SPDK_NVMF_TRTYPE_FC: u8 = 0x2;
pub const SPDK_NVMF_TRTYPE_TCP: u8 = 0x3;
pub const SPDK_NVMF_TRTYPE_INTRA_HOST: u8 = 0xfe;

/// Address families (ADRFAM).
pub const SPDK_NVMF_ADRFAM_IPV4: u8 = 0x1;
pub const SPDK_NVMF_ADRFAM_IPV6: u8 = 0x2;
pub const SPDK_NVMF_ADRFAM_IB: u8 = 0x3;
pub const SPDK_NVMF_ADRFAM_FC: u8 = 0x4;
pub const SPDK_NVMF_ADRFAM_INTRA_HOST: u8 = 0xfe;

/// Subsystem types (SUBTYPE).
pub const SPDK_NVMF_SUBTYPE_DISCOVERY: u8 = 0x1;
pub const SPDK_NVMF_SUBTYPE_NVME: u8 = 0x2;
pub const SPDK_NVMF_SUBTYPE_DISCOVERY_CURRENT: u8 = 0x3;

/// Transport requirements: secure channel (TREQ bits 1:0).
pub const SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED: u8 = 0x0;
pub const SPDK_NVMF_TREQ_SECURE_CHANNEL_REQUIRED: u8 = 0x1;
pub const SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED: u8 = 0x2;

/// NVMe/TCP security types (TSAS SECTYPE).
pub const SPDK_NVME_TCP_SECURITY_NONE: u8 = 0;
pub const SPDK_NVME_TCP_SECURITY_TLS_1_2: u8 = 1;
pub const SPDK_NVME_TCP_SECURITY_TLS_1_3: u8 = 2;

/// Property sizes of Property Get/Set (ATTRIB bits 2:0).
pub const SPDK_NVMF_PROP_SIZE_4: u8 = 0;
pub const SPDK_NVMF_PROP_SIZE_8: u8 = 1;

pub const SPDK_NVMF_DISCOVERY_NQN: &str = "nqn.2014-08.org.nvmexpress.discovery";
pub const SPDK_NVMF_NQN_UUID_PRE: &str = "nqn.2014-08.org.nvmexpress:uuid:";
pub const SPDK_NVMF_MIN_ADMIN_MAX_SQ_SIZE: u16 = 32;

/// Implements an all-zero constructor for a struct made only of integers and
/// integer arrays.
macro_rules! zeroed {
    ($($t:ty),*) => {$(
        impl $t {
            /// The all-zero value.
            pub fn zeroed() -> Self {
                // SAFETY: the type is `repr(C)` and made only of integers and
                // arrays of integers (or structs of them), for which the
                // all-zero bit pattern is a valid value.
                unsafe { std::mem::zeroed() }
            }
        }
        impl Default for $t {
            fn default() -> Self {
                Self::zeroed()
            }
        }
    )*};
}

/// A fabrics command capsule in its generic form (64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct CapsuleCmd {
    pub opcode: u8,
    pub reserved1: u8,
    pub cid: u16,
    pub fctype: u8,
    pub reserved2: [u8; 35],
    pub fabric_specific: [u8; 24],
}

/// Connect command (64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ConnectCmd {
    pub opcode: u8,
    pub reserved1: u8,
    pub cid: u16,
    pub fctype: u8,
    pub reserved2: [u8; 19],
    /// SGL descriptor 1 (`struct spdk_nvme_sgl_descriptor`).
    pub sgl1: [u8; 16],
    pub recfmt: u16,
    pub qid: u16,
    pub sqsize: u16,
    pub cattr: u8,
    pub reserved3: u8,
    pub kato: u32,
    pub reserved4: [u8; 12],
}

/// Connect command data (1024 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ConnectData {
    pub hostid: [u8; 16],
    pub cntlid: u16,
    pub reserved5: [u8; 238],
    pub subnqn: [u8; 256],
    pub hostnqn: [u8; 256],
    pub reserved6: [u8; 256],
}

/// Connect response (16 bytes): status-code-specific dword 0 carries the
/// controller ID (bits 15:0) and AUTHREQ (31:16) on success, or IPO and IATTR
/// on an invalid-parameter failure.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectRsp {
    pub status_code_specific: u32,
    pub reserved0: u32,
    pub sqhd: u16,
    pub reserved1: u16,
    pub cid: u16,
    pub status: u16,
}

/// Property Get command (64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PropGetCmd {
    pub opcode: u8,
    pub reserved1: u8,
    pub cid: u16,
    pub fctype: u8,
    pub reserved2: [u8; 35],
    /// Bits 2:0: size (`SPDK_NVMF_PROP_SIZE_*`).
    pub attrib: u8,
    pub reserved3: [u8; 3],
    pub ofst: u32,
    pub reserved4: [u8; 16],
}

/// Property Get response (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropGetRsp {
    pub value: u64,
    pub sqhd: u16,
    pub reserved0: u16,
    pub cid: u16,
    pub status: u16,
}

/// Property Set command (64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PropSetCmd {
    pub opcode: u8,
    pub reserved0: u8,
    pub cid: u16,
    pub fctype: u8,
    pub reserved1: [u8; 35],
    pub attrib: u8,
    pub reserved2: [u8; 3],
    pub ofst: u32,
    pub value: u64,
    pub reserved4: [u8; 8],
}

/// One discovery log page record (1024 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct DiscoveryLogPageEntry {
    pub trtype: u8,
    pub adrfam: u8,
    pub subtype: u8,
    /// Bits 1:0: secure channel (`SPDK_NVMF_TREQ_SECURE_CHANNEL_*`).
    pub treq: u8,
    pub portid: u16,
    pub cntlid: u16,
    pub asqsz: u16,
    pub eflags: u16,
    pub reserved0: [u8; 20],
    pub trsvcid: [u8; 32],
    pub reserved1: [u8; 192],
    pub subnqn: [u8; 256],
    pub traddr: [u8; 256],
    /// Transport-specific address subtype (for TCP: byte 0 is SECTYPE).
    pub tsas: [u8; 256],
}

/// Discovery log page header (1024 bytes); `numrec` entries follow it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct DiscoveryLogPage {
    pub genctr: u64,
    pub numrec: u64,
    pub recfmt: u16,
    pub reserved0: [u8; 1006],
}

zeroed!(CapsuleCmd, ConnectCmd, ConnectData, ConnectRsp, PropGetCmd, PropGetRsp, PropSetCmd, DiscoveryLogPageEntry, DiscoveryLogPage);

// ---------------------------------------------------------------------------
// NVMe/TCP
// ---------------------------------------------------------------------------

/// PDU types.
pub const SPDK_NVME_TCP_PDU_TYPE_IC_REQ: u8 = 0x00;
pub const SPDK_NVME_TCP_PDU_TYPE_IC_RESP: u8 = 0x01;
pub const SPDK_NVME_TCP_PDU_TYPE_H2C_TERM_REQ: u8 = 0x02;
pub const SPDK_NVME_TCP_PDU_TYPE_C2H_TERM_REQ: u8 = 0x03;
pub const SPDK_NVME_TCP_PDU_TYPE_CAPSULE_CMD: u8 = 0x04;
pub const SPDK_NVME_TCP_PDU_TYPE_CAPSULE_RESP: u8 = 0x05;
pub const SPDK_NVME_TCP_PDU_TYPE_H2C_DATA: u8 = 0x06;
pub const SPDK_NVME_TCP_PDU_TYPE_C2H_DATA: u8 = 0x07;
pub const SPDK_NVME_TCP_PDU_TYPE_R2T: u8 = 0x09;

/// Common header flags.
pub const SPDK_NVME_TCP_CH_FLAGS_HDGSTF: u8 = 1 << 0;
pub const SPDK_NVME_TCP_CH_FLAGS_DDGSTF: u8 = 1 << 1;
/// Data PDU flags.
pub const SPDK_NVME_TCP_H2C_DATA_FLAGS_LAST_PDU: u8 = 1 << 2;
pub const SPDK_NVME_TCP_H2C_DATA_FLAGS_SUCCESS: u8 = 1 << 3;
pub const SPDK_NVME_TCP_C2H_DATA_FLAGS_LAST_PDU: u8 = 1 << 2;
pub const SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS: u8 = 1 << 3;
pub const SPDK_NVME_TCP_H2C_DATA_PDO_MULT: u32 = 8;
pub const SPDK_NVME_TCP_C2H_DATA_PDO_MULT: u32 = 8;

pub const SPDK_NVME_TCP_HPDA_MAX: u8 = 31;
pub const SPDK_NVME_TCP_CPDA_MAX: u8 = 31;
pub const SPDK_NVME_TCP_PDU_PDO_MAX_OFFSET: u32 = (SPDK_NVME_TCP_CPDA_MAX as u32 + 1) << 2;
/// Length of a header or data digest (CRC32C).
pub const SPDK_NVME_TCP_DIGEST_LEN: usize = 4;
pub const SPDK_NVME_TCP_TERM_REQ_ERROR_DATA_MAX_SIZE: usize = 128;
pub const SPDK_NVME_TCP_TERM_REQ_PDU_MAX_SIZE: usize =
    SPDK_NVME_TCP_TERM_REQ_ERROR_DATA_MAX_SIZE + std::mem::size_of::<TermReqHdr>();

/// TermReq fatal error status (FES) codes.
pub const SPDK_NVME_TCP_TERM_REQ_FES_INVALID_HEADER_FIELD: u16 = 0x01;
pub const SPDK_NVME_TCP_TERM_REQ_FES_PDU_SEQUENCE_ERROR: u16 = 0x02;
pub const SPDK_NVME_TCP_TERM_REQ_FES_HDGST_ERROR: u16 = 0x03;
pub const SPDK_NVME_TCP_TERM_REQ_FES_DATA_TRANSFER_OUT_OF_RANGE: u16 = 0x04;
pub const SPDK_NVME_TCP_TERM_REQ_FES_DATA_TRANSFER_LIMIT_EXCEEDED: u16 = 0x05;
pub const SPDK_NVME_TCP_TERM_REQ_FES_R2T_LIMIT_EXCEEDED: u16 = 0x05;
pub const SPDK_NVME_TCP_TERM_REQ_FES_INVALID_DATA_UNSUPPORTED_PARAMETER: u16 = 0x06;

/// Common PDU header (8 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CommonPduHdr {
    pub pdu_type: u8,
    pub flags: u8,
    /// Header length, without the header digest.
    pub hlen: u8,
    /// Offset of the PDU data from the start of the PDU (0: no data).
    pub pdo: u8,
    /// Total PDU length: header, digests, padding and data.
    pub plen: u32,
}

/// ICReq (128 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct IcReq {
    pub common: CommonPduHdr,
    pub pfv: u16,
    pub hpda: u8,
    /// Bit 0: header digest enable; bit 1: data digest enable.
    pub dgst: u8,
    pub maxr2t: u32,
    pub reserved16: [u8; 112],
}

/// ICResp (128 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct IcResp {
    pub common: CommonPduHdr,
    pub pfv: u16,
    pub cpda: u8,
    pub dgst: u8,
    pub maxh2cdata: u32,
    pub reserved16: [u8; 112],
}

/// H2C/C2H TermReq header (24 bytes); up to 128 bytes of error data follow.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TermReqHdr {
    pub common: CommonPduHdr,
    pub fes: u16,
    pub fei: [u8; 4],
    pub reserved14: [u8; 10],
}

/// CapsuleCmd header (72 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TcpCmd {
    pub common: CommonPduHdr,
    pub ccsqe: Cmd,
}

/// CapsuleResp (24 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpRsp {
    pub common: CommonPduHdr,
    pub rccqe: Cpl,
}

/// H2CData header (24 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct H2cDataHdr {
    pub common: CommonPduHdr,
    pub cccid: u16,
    pub ttag: u16,
    pub datao: u32,
    pub datal: u32,
    pub reserved20: [u8; 4],
}

/// C2HData header (24 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct C2hDataHdr {
    pub common: CommonPduHdr,
    pub cccid: u16,
    pub reserved10: [u8; 2],
    pub datao: u32,
    pub datal: u32,
    pub reserved20: [u8; 4],
}

/// R2T (24 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct R2tHdr {
    pub common: CommonPduHdr,
    pub cccid: u16,
    pub ttag: u16,
    pub r2to: u32,
    pub r2tl: u32,
    pub reserved20: [u8; 4],
}

zeroed!(IcReq, IcResp);

macro_rules! assert_layout {
    ($t:ty, $size:expr $(, $field:ident @ $off:expr)*) => {
        const _: () = assert!(std::mem::size_of::<$t>() == $size);
        $(const _: () = assert!(std::mem::offset_of!($t, $field) == $off);)*
    };
}

assert_layout!(CapsuleCmd, 64, fctype @ 4, fabric_specific @ 40);
assert_layout!(ConnectCmd, 64, cid @ 2, fctype @ 4, sgl1 @ 24, recfmt @ 40, qid @ 42, sqsize @ 44, cattr @ 46, kato @ 48);
assert_layout!(ConnectData, 1024, cntlid @ 16, subnqn @ 256, hostnqn @ 512, reserved6 @ 768);
assert_layout!(ConnectRsp, 16, sqhd @ 8, cid @ 12, status @ 14);
assert_layout!(PropGetCmd, 64, attrib @ 40, ofst @ 44);
assert_layout!(PropGetRsp, 16, sqhd @ 8, cid @ 12, status @ 14);
assert_layout!(PropSetCmd, 64, attrib @ 40, ofst @ 44, value @ 48);
assert_layout!(DiscoveryLogPageEntry, 1024, treq @ 3, portid @ 4, cntlid @ 6, asqsz @ 8, eflags @ 10, trsvcid @ 32, subnqn @ 256, traddr @ 512, tsas @ 768);
assert_layout!(DiscoveryLogPage, 1024, numrec @ 8, recfmt @ 16);
assert_layout!(CommonPduHdr, 8, flags @ 1, hlen @ 2, pdo @ 3, plen @ 4);
assert_layout!(IcReq, 128, pfv @ 8, hpda @ 10, dgst @ 11, maxr2t @ 12);
assert_layout!(IcResp, 128, pfv @ 8, cpda @ 10, dgst @ 11, maxh2cdata @ 12);
assert_layout!(TermReqHdr, 24, fes @ 8, fei @ 10);
assert_layout!(TcpCmd, 72, ccsqe @ 8);
assert_layout!(TcpRsp, 24, rccqe @ 8);
assert_layout!(H2cDataHdr, 24, cccid @ 8, ttag @ 10, datao @ 12, datal @ 16);
assert_layout!(C2hDataHdr, 24, cccid @ 8, datao @ 12, datal @ 16);
assert_layout!(R2tHdr, 24, cccid @ 8, ttag @ 10, r2to @ 12, r2tl @ 16);
const _: () = assert!(SPDK_NVME_TCP_TERM_REQ_PDU_MAX_SIZE == 152);
const _: () = assert!(SPDK_NVME_TCP_PDU_PDO_MAX_OFFSET == 128);
