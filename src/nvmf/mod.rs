//! NVMe over Fabrics: the wire layouts of the fabrics specification
//! (`spec`), the NVMe/TCP pieces shared by the target and the host (`tcp`),
//! and the target: its configuration model (`subsystem`, `tgt`), poll
//! groups (`group`), controllers (`ctrlr`, with `identify`, `logpage`,
//! `features`, `reservation`) and I/O (`io`).

pub mod ctrlr;
pub mod ext;
pub mod features;
pub mod group;
pub mod identify;
pub mod io;
pub mod logpage;
pub mod reservation;
pub mod spec;
pub mod subsystem;
pub mod tcp;
pub mod tgt;
mod wire;
pub use wire::{st, status, status_parts};

/// The "nvmf" application subsystem: nothing to start (the transport and
/// poll groups come with `nvmf_create_transport`); at shutdown the
/// connections close, the poll groups stop and the subsystems go.
pub static SUBSYSTEM: crate::event::subsystem::Subsystem =
    crate::event::subsystem::Subsystem { name: "nvmf", depends_on: &["bdev", "sock"], init: |done| done(0), fini: subsystem_fini };

fn subsystem_fini(done: crate::event::subsystem::Done) {
    tcp::transport::destroy(move || {
        tgt::fini();
        done(0);
    });
}
