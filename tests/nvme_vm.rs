//! The NVMe driver against QEMU's emulated controller, inside the VM harness
//! guest (`scripts/vm/run.sh ... -- <this test binary>`); elsewhere it checks
//! nothing and says so. The host side (scripts/vm/nvme-tests.sh) then checks
//! the image files for exactly the bytes written here.

use rspdk::env::{self, mem, pci::PciAddr};
use rspdk::nvme::ctrlr::{Ctrlr, CtrlrOpts, IoQpair, Namespace, READ, WRITE};
use rspdk::nvme::qpair::Payload;
use rspdk::nvme::spec::Cpl;

mod common;
use common::{on_done, Slot};

fn io(q: &IoQpair, ns: &Namespace, opc: u8, lba: u64, n: u32, buf: *mut u8) -> Cpl {
    let mut s = Slot::new();
    let len = n as usize * ns.sector_size as usize;
    q.ns_rw(ns, opc, lba, n, Payload::Contig { buf, len }, std::ptr::null_mut(), 0, Some(on_done), s.arg()).expect("submitted");
    while !s.done.get() {
        q.process_completions(0).expect("poll");
    }
    s.cpl.get()
}

/// A byte of the pattern for (controller, namespace, LBA, offset).
fn pattern(c: usize, nsid: u32, lba: u64, off: usize) -> u8 {
    (lba.wrapping_mul(131) as usize ^ off.wrapping_mul(7) ^ (c << 5) ^ (nsid as usize) << 3) as u8
}

/// On the host after the guest powered off: each image holds exactly the
/// pattern written for its LBAs (`RSPDK_CHECK_IMAGES="CTRL:NSID:IMAGE ..."`,
/// with the guest's `written-c*-ns*` records in `RSPDK_CHECK_RESULTS`).
#[test]
fn images_hold_what_the_guest_wrote() {
    let (Ok(images), Ok(results)) = (std::env::var("RSPDK_CHECK_IMAGES"), std::env::var("RSPDK_CHECK_RESULTS")) else {
        eprintln!("RSPDK_CHECK_IMAGES unset: nothing to check here");
        return;
    };
    for spec in images.split_whitespace() {
        let mut it = spec.splitn(3, ':');
        let (c, nsid, path) = (it.next().unwrap().parse::<usize>().unwrap(), it.next().unwrap().parse::<u32>().unwrap(), it.next().unwrap());
        let rec = std::fs::read_to_string(format!("{results}/written-c{c}-ns{nsid}")).expect("the guest recorded its writes");
        let mut f = rec.split_whitespace().map(|v| v.parse::<u64>().unwrap());
        let (blocks, ss) = (f.next().unwrap(), f.next().unwrap() as usize);
        let img = std::fs::read(path).unwrap();
        for lba in 0..blocks {
            for off in 0..ss {
                let at = lba as usize * ss + off;
                assert_eq!(img[at], pattern(c, nsid, lba, off), "{path}: byte {off} of LBA {lba}");
            }
        }
        // Nothing beyond what was written (the image started as zeros).
        assert!(img[blocks as usize * ss..].iter().all(|&b| b == 0), "{path}: no stray writes");
        println!("{path}: {blocks} blocks of {ss} bytes as written, the rest untouched");
    }
}

#[test]
fn nvme_driver_in_guest() {
    let Ok(bdfs) = std::env::var("RSPDK_VM_NVME_BDFS") else {
        eprintln!("not in the VM harness guest (RSPDK_VM_NVME_BDFS unset): nothing to check here");
        return;
    };
    env::init(env::EnvConfig::default()).unwrap();
    let serials: Vec<String> = std::env::var("RSPDK_TEST_SERIALS").unwrap_or_default().split_whitespace().map(str::to_string).collect();
    for (ci, bdf) in bdfs.split_whitespace().enumerate() {
        let addr = PciAddr::parse(bdf).unwrap();
        let c = Ctrlr::attach(addr, CtrlrOpts::default()).unwrap_or_else(|e| panic!("attach {bdf}: {e}"));
        println!("{bdf}: serial '{}' model '{}' namespaces {} mdts-bytes {}", c.serial(), c.model(), c.num_ns(), c.max_xfer_size);
        if let Some(want) = serials.get(ci) {
            assert_eq!(&c.serial(), want, "serial as QEMU was given");
        }
        assert_eq!(c.model(), "QEMU NVMe Ctrl");
        let q = c.alloc_io_qpair(0, 0).expect("io qpair");
        for ns in c.namespaces.iter().filter(|n| n.active) {
            let ss = ns.sector_size as usize;
            println!("  ns {}: {} sectors of {} bytes", ns.id, ns.num_sectors, ss);
            // Sizes from one sector to beyond MDTS (split into several commands).
            let big = (c.max_xfer_size as usize * 3 + ss) / ss;
            let mut lba = 0u64;
            for n in [1u32, 2, 7, 8, 64, big as u32] {
                let len = n as usize * ss;
                let buf = mem::alloc(len, 4096).unwrap();
                // SAFETY: buf is a live block of len bytes.
                let data = unsafe { std::slice::from_raw_parts_mut(buf, len) };
                for (i, b) in data.iter_mut().enumerate() {
                    *b = pattern(ci, ns.id, lba + (i / ss) as u64, i % ss);
                }
                let w = io(&q, ns, WRITE, lba, n, buf);
                assert!(!w.is_error(), "write of {n} blocks at {lba}: sct {} sc {}", w.sct(), w.sc());
                data.fill(0);
                let r = io(&q, ns, READ, lba, n, buf);
                assert!(!r.is_error(), "read of {n} blocks at {lba}");
                for (i, b) in data.iter().enumerate() {
                    assert_eq!(*b, pattern(ci, ns.id, lba + (i / ss) as u64, i % ss), "byte {i} of {n} blocks at {lba}");
                }
                mem::free(buf);
                lba += n as u64;
            }
            // Out of range: an NVMe status, not a crash.
            let buf = mem::alloc(ss, 4096).unwrap();
            let r = io(&q, ns, READ, ns.num_sectors, 1, buf);
            assert!(r.is_error(), "read past the end fails");
            println!("  ns {}: read past the end: sct {:#x} sc {:#x}", ns.id, r.sct(), r.sc());
            mem::free(buf);
            // Record what was written for the host to check.
            if let Ok(dir) = std::env::var("RSPDK_TEST_RESULTS") {
                std::fs::write(format!("{dir}/written-c{ci}-ns{}", ns.id), format!("{lba} {ss}\n")).unwrap();
            }
        }
        c.free_io_qpair(q);
        c.detach();
    }
}
