//! The NVMe wire structures the driver builds and reads (the full public C
//! layouts of SPDK's `nvme_spec.h` live in `src/capi/raw/nvme_spec.h`; these
//! are byte-identical where they overlap, checked by size asserts here and
//! by the C layout test).

/// A submission queue entry.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Cmd {
    /// opc (7:0), fuse (9:8), psdt (15:14), cid (31:16).
    pub cdw0: u32,
    pub nsid: u32,
    pub cdw2: u32,
    pub cdw3: u32,
    pub mptr: u64,
    pub prp1: u64,
    pub prp2: u64,
    pub cdw10: u32,
    pub cdw11: u32,
    pub cdw12: u32,
    pub cdw13: u32,
    pub cdw14: u32,
    pub cdw15: u32,
}
const _: () = assert!(std::mem::size_of::<Cmd>() == 64);

impl Cmd {
    pub fn new(opc: u8, nsid: u32) -> Cmd {
        Cmd { cdw0: opc as u32, nsid, ..Default::default() }
    }
    pub fn opc(&self) -> u8 {
        self.cdw0 as u8
    }
    pub fn cid(&self) -> u16 {
        (self.cdw0 >> 16) as u16
    }
    pub fn set_cid(&mut self, cid: u16) {
        self.cdw0 = (self.cdw0 & 0xffff) | ((cid as u32) << 16);
    }
    pub fn fuse(&self) -> u8 {
        ((self.cdw0 >> 8) & 3) as u8
    }
    /// PSDT: 0 = PRPs.
    pub fn set_prp_mode(&mut self) {
        self.cdw0 &= !(3 << 14);
    }
}

/// A completion queue entry.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Cpl {
    pub cdw0: u32,
    pub cdw1: u32,
    pub sqhd: u16,
    pub sqid: u16,
    pub cid: u16,
    /// p (0), sc (8:1), sct (11:9), crd (13:12), m (14), dnr (15).
    pub status: u16,
}
const _: () = assert!(std::mem::size_of::<Cpl>() == 16);

impl Cpl {
    pub fn phase(&self) -> bool {
        self.status & 1 != 0
    }
    pub fn sc(&self) -> u8 {
        (self.status >> 1) as u8
    }
    pub fn sct(&self) -> u8 {
        ((self.status >> 9) & 7) as u8
    }
    pub fn dnr(&self) -> bool {
        self.status & (1 << 15) != 0
    }
    pub fn is_error(&self) -> bool {
        self.sc() != 0 || self.sct() != 0
    }
    /// A completion made by the driver itself (the command never completed on the device).
    pub fn synthetic(sct: u8, sc: u8, dnr: bool, sqid: u16, cid: u16) -> Cpl {
        Cpl { cdw0: 0, cdw1: 0, sqhd: 0, sqid, cid, status: ((sc as u16) << 1) | (((sct & 7) as u16) << 9) | ((dnr as u16) << 15) }
    }
}

pub mod sct {
    pub const GENERIC: u8 = 0;
    pub const COMMAND_SPECIFIC: u8 = 1;
    pub const MEDIA_ERROR: u8 = 2;
    pub const PATH: u8 = 3;
}
pub mod sc {
    pub const SUCCESS: u8 = 0;
    pub const INVALID_OPCODE: u8 = 1;
    pub const INVALID_FIELD: u8 = 2;
    pub const DATA_TRANSFER_ERROR: u8 = 4;
    pub const ABORTED_BY_REQUEST: u8 = 7;
    pub const ABORTED_SQ_DELETION: u8 = 8;
    pub const LBA_OUT_OF_RANGE: u8 = 0x80;
    pub const COMPARE_FAILURE: u8 = 0x85;
}

pub mod admin {
    pub const DELETE_IO_SQ: u8 = 0x00;
    pub const CREATE_IO_SQ: u8 = 0x01;
    pub const GET_LOG_PAGE: u8 = 0x02;
    pub const DELETE_IO_CQ: u8 = 0x04;
    pub const CREATE_IO_CQ: u8 = 0x05;
    pub const IDENTIFY: u8 = 0x06;
    pub const ABORT: u8 = 0x08;
    pub const SET_FEATURES: u8 = 0x09;
    pub const GET_FEATURES: u8 = 0x0a;
    pub const ASYNC_EVENT_REQUEST: u8 = 0x0c;
    pub const KEEP_ALIVE: u8 = 0x18;
}

pub mod nvm {
    pub const FLUSH: u8 = 0x00;
    pub const WRITE: u8 = 0x01;
    pub const READ: u8 = 0x02;
    pub const WRITE_UNCORRECTABLE: u8 = 0x04;
    pub const COMPARE: u8 = 0x05;
    pub const WRITE_ZEROES: u8 = 0x08;
    pub const DATASET_MANAGEMENT: u8 = 0x09;
}

/// Whether an opcode moves data to the controller (bit 0) and/or from it (bit 1).
pub fn data_transfer(opc: u8) -> u8 {
    opc & 3
}

/// Controller registers (offsets in BAR0).
pub mod reg {
    pub const CAP: usize = 0x00;
    pub const VS: usize = 0x08;
    pub const INTMS: usize = 0x0c;
    pub const CC: usize = 0x14;
    pub const CSTS: usize = 0x1c;
    pub const AQA: usize = 0x24;
    pub const ASQ: usize = 0x28;
    pub const ACQ: usize = 0x30;
    pub const CMBLOC: usize = 0x38;
    pub const CMBSZ: usize = 0x3c;
    pub const DOORBELLS: usize = 0x1000;
}

pub fn cap_mqes(cap: u64) -> u32 {
    (cap & 0xffff) as u32
}
pub fn cap_to_ms(cap: u64) -> u64 {
    ((cap >> 24) & 0xff) * 500
}
pub fn cap_dstrd(cap: u64) -> u32 {
    ((cap >> 32) & 0xf) as u32
}
pub fn cap_mpsmin(cap: u64) -> u32 {
    ((cap >> 48) & 0xf) as u32
}
pub fn cap_css_nvm(cap: u64) -> bool {
    (cap >> 37) & 1 != 0
}

/// Identify data offsets used by the driver.
pub mod ident {
    pub const CTRLR_VID: usize = 0;
    pub const CTRLR_SN: usize = 4;
    pub const CTRLR_MN: usize = 24;
    pub const CTRLR_FR: usize = 64;
    pub const CTRLR_MDTS: usize = 77;
    pub const CTRLR_CNTLID: usize = 78;
    pub const CTRLR_VER: usize = 80;
    pub const CTRLR_OACS: usize = 256;
    pub const CTRLR_AERL: usize = 259;
    pub const CTRLR_KAS: usize = 320;
    pub const CTRLR_NN: usize = 516;
    pub const CTRLR_ONCS: usize = 520;
    pub const CTRLR_VWC: usize = 525;
    pub const CTRLR_SGLS: usize = 536;
    pub const NS_NSZE: usize = 0;
    pub const NS_NSFEAT: usize = 24;
    pub const NS_NLBAF: usize = 25;
    pub const NS_FLBAS: usize = 26;
    pub const NS_DPS: usize = 29;
    pub const NS_NOIOB: usize = 46;
    pub const NS_NGUID: usize = 104;
    pub const NS_EUI64: usize = 120;
    pub const NS_LBAF: usize = 128;
}
