//! Rust names for the NVMe specification types whose C definitions are
//! hand-written in `src/capi/raw/nvme_spec.h` (bitfields, anonymous unions).
//! cbindgen does not emit these (see `cbindgen.toml`: excluded, and renamed
//! to their `struct`/`union`/`enum` tags); the Rust side only needs their
//! size and the fields it reads, which match the C layout.

use crate::nvme::spec;

/// `struct spdk_nvme_cmd` (64 bytes; same layout as the driver's command).
pub type spdk_nvme_cmd = spec::Cmd;
/// `struct spdk_nvme_cpl` (16 bytes; same layout as the driver's completion).
pub type spdk_nvme_cpl = spec::Cpl;

/// `struct spdk_nvme_ctrlr_data` (4096 bytes of identify data).
#[repr(C)]
pub struct spdk_nvme_ctrlr_data {
    pub raw: [u8; 4096],
}
/// `struct spdk_nvme_ns_data` (4096 bytes of identify data).
#[repr(C)]
pub struct spdk_nvme_ns_data {
    pub raw: [u8; 4096],
}
/// `struct spdk_nvme_registers` (BAR0); only pointed to.
#[repr(C)]
pub struct spdk_nvme_registers {
    pub raw: [u8; 0x1000],
}
/// `struct spdk_nvme_status` (16-bit bitfield).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_status {
    pub raw: u16,
}
/// `struct spdk_nvme_dsm_range` (16 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_dsm_range {
    pub attributes: u32,
    pub length: u32,
    pub starting_lba: u64,
}

macro_rules! reg_union {
    ($($name:ident: $t:ty),*) => {$(
        #[repr(C)]
        #[derive(Clone, Copy)]
        pub union $name {
            pub raw: $t,
        }
    )*};
}
reg_union!(spdk_nvme_cap_register: u64, spdk_nvme_vs_register: u32, spdk_nvme_csts_register: u32, spdk_nvme_cc_register: u32, spdk_nvme_cmbsz_register: u32);

macro_rules! c_enum {
    ($($name:ident),*) => {$(
        /// A C enum of `nvme_spec.h`, carried as its 32-bit value.
        #[repr(transparent)]
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub struct $name(pub u32);
    )*};
}
c_enum!(spdk_nvme_cc_ams, spdk_nvme_cc_css, spdk_nvme_qprio, spdk_nvme_csi, spdk_nvme_pi_type);

const _: () = assert!(std::mem::size_of::<spdk_nvme_dsm_range>() == 16);
const _: () = assert!(std::mem::size_of::<spdk_nvme_cap_register>() == 8);
