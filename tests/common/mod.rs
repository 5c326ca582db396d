//! Helpers shared by the NVMe driver's integration tests (not every test uses all).
#![allow(dead_code)]


use rspdk::nvme::ctrlr::{IoQpair, Namespace, READ, WRITE};
use rspdk::nvme::qpair::Payload;
use rspdk::nvme::spec::Cpl;
use rspdk::nvme::trid::{self, TransportId};
use std::time::{Duration, Instant};
use std::ffi::c_void;

/// A command's completion, filled by [`on_done`]. Cells: the callback
/// writes them through a pointer while the test holds shared references
/// (plain fields let the optimiser keep `done` in a register for ever).
pub struct Slot {
    pub done: std::cell::Cell<bool>,
    pub cpl: std::cell::Cell<Cpl>,
}

impl Slot {
    pub fn new() -> Slot {
        Slot { done: std::cell::Cell::new(false), cpl: std::cell::Cell::new(Cpl::default()) }
    }

    pub fn arg(&mut self) -> *mut c_void {
        self as *mut Slot as *mut c_void
    }
}

/// The completion callback for a [`Slot`] passed as the argument.
pub extern "C" fn on_done(arg: *mut c_void, cpl: *const Cpl) {
    // SAFETY: arg is the test's Slot, alive until done.
    let s = unsafe { &*(arg as *const Slot) };
    // SAFETY: valid for the call.
    s.cpl.set(unsafe { *cpl });
    s.done.set(true);
}

pub fn wait(q: &IoQpair, s: &Slot) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !s.done.get() {
        q.process_completions(0).expect("poll");
        assert!(Instant::now() < deadline, "command timed out");
    }
}

pub fn io(q: &IoQpair, ns: &Namespace, opc: u8, lba: u64, n: u32, payload: Payload) -> Cpl {
    let mut s = Slot::new();
    q.ns_rw(ns, opc, lba, n, payload, std::ptr::null_mut(), 0, Some(on_done), s.arg()).expect("submitted");
    wait(q, &s);
    s.cpl.get()
}

pub fn contig(b: &mut [u8]) -> Payload {
    Payload::Contig { buf: b.as_mut_ptr(), len: b.len() }
}

pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub fn tcp_trid(port: u16, nqn: &str) -> TransportId {
    TransportId {
        trtype: trid::TRTYPE_TCP,
        trstring: "TCP".into(),
        adrfam: trid::ADRFAM_IPV4,
        traddr: "127.0.0.1".into(),
        trsvcid: port.to_string(),
        subnqn: nqn.into(),
        priority: 0,
    }
}

/// `bytes` rounded up to whole blocks of `ns`.
pub fn blocks(ns: &Namespace, bytes: usize) -> usize {
    bytes.div_ceil(ns.sector_size as usize).max(1) * ns.sector_size as usize
}

/// Writes then reads back `bytes` (rounded to blocks) at byte `at` and checks.
pub fn write_read(q: &IoQpair, ns: &Namespace, at: u64, bytes: usize, seed: u64) {
    let bytes = blocks(ns, bytes);
    let lba = at / ns.sector_size as u64;
    let n = (bytes / ns.sector_size as usize) as u32;
    let mut w = pattern(seed, bytes);
    let c = io(q, ns, WRITE, lba, n, contig(&mut w));
    assert!(!c.is_error(), "write of {bytes} bytes at LBA {lba}: sct {} sc {}", c.sct(), c.sc());
    let mut r = vec![0u8; bytes];
    let c = io(q, ns, READ, lba, n, contig(&mut r));
    assert!(!c.is_error(), "read of {bytes} bytes at LBA {lba}: sct {} sc {}", c.sct(), c.sc());
    assert!(r == w, "{bytes} bytes at LBA {lba} read back differently (first difference at {:?})", r.iter().zip(&w).position(|(a, b)| a != b));
}


/// Starts `rspdk_tgt` (the binary `exe`) with JSON config `cfg` written
/// into `dir`, and waits until it listens on 127.0.0.1:`port`.
pub fn spawn_tgt(exe: &str, dir: &std::path::Path, cfg: &serde_json::Value, port: u16) -> std::process::Child {
    let p = dir.join("tgt.json");
    std::fs::write(&p, cfg.to_string()).unwrap();
    let child = std::process::Command::new(exe)
        .arg("--json")
        .arg(&p)
        .arg("-r")
        .arg(dir.join("rpc.sock"))
        .stdout(std::process::Stdio::null())
        // The target's log, for when a test fails.
        .stderr(std::fs::File::create(dir.join("tgt.log")).map_or(std::process::Stdio::null(), std::process::Stdio::from))
        .spawn()
        .expect("rspdk_tgt starts");
    let end = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < end, "the target never listened on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}
