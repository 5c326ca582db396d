//! The NVMe/TCP host transport against the Linux kernel's NVMe-oF target
//! (nvmet-tcp) in the VM harness guest. scripts/vm/nvme-tcp-host-tests.sh
//! configures the target through configfs and runs this with
//! `RSPDK_TCP_NQNS`, `RSPDK_TCP_SERIALS`, `RSPDK_TCP_NS_BYTES` and
//! `RSPDK_TCP_CONFIGFS` set; elsewhere it checks nothing and says so.

use rspdk::env;
use rspdk::nvme::ctrlr::{Ctrlr, CtrlrOpts, IoQpair, FLUSH, READ, WRITE, WRITE_ZEROES};
use rspdk::nvme::fabrics;
use rspdk::nvme::qpair::{Payload, SubmitError};
use rspdk::nvme::spec::{self, Cmd};
use rspdk::nvme::trid::{self, TransportId};
use std::ffi::{c_int, c_void};
use std::time::{Duration, Instant};

mod common;
use common::{blocks, contig, io, on_done, pattern, tcp_trid, wait, write_read, Slot};

/// Scattered buffers for readv/writev: the SGL callbacks walk these.
struct Iovs {
    bufs: Vec<Vec<u8>>,
    at: usize,
    off: usize,
}

extern "C" fn iov_reset(arg: *mut c_void, offset: u32) {
    // SAFETY: arg is the test's Iovs, alive while its command is.
    let v = unsafe { &mut *(arg as *mut Iovs) };
    let mut left = offset as usize;
    v.at = 0;
    while v.at < v.bufs.len() && left >= v.bufs[v.at].len() {
        left -= v.bufs[v.at].len();
        v.at += 1;
    }
    v.off = left;
}

extern "C" fn iov_next(arg: *mut c_void, addr: *mut *mut c_void, len: *mut u32) -> c_int {
    // SAFETY: as above.
    let v = unsafe { &mut *(arg as *mut Iovs) };
    let Some(b) = v.bufs.get_mut(v.at) else { return -1 };
    // SAFETY: the out-parameters of the driver's call; off < b.len().
    unsafe {
        *addr = b.as_mut_ptr().add(v.off).cast();
        *len = (b.len() - v.off) as u32;
    }
    v.at += 1;
    v.off = 0;
    0
}

fn sgl(v: &mut Iovs) -> Payload {
    let len = v.bufs.iter().map(Vec::len).sum();
    Payload::Sgl { reset: iov_reset, next: iov_next, arg: v as *mut Iovs as *mut c_void, offset: 0, len }
}

/// Patterns at sizes from one block to 1 MiB (in-capsule up to IOCCSZ, then
/// R2T with H2CData in several PDUs), scattered I/O, write zeroes, flush,
/// deallocate, on two I/O queue pairs.
fn exercise(c: &Ctrlr, qps: &[Box<IoQpair>], seed: u64) {
    let ns = c.ns(1).expect("namespace 1");
    let ss = ns.sector_size as usize;
    for (qi, q) in qps.iter().enumerate() {
        let mut at = qi as u64 * (4 << 20);
        for &bytes in &[512usize, 4096, 8192, 16384 - 512, 16384, 16384 + 512, 65536, 65536 + 4096, 300 * 1024, 1 << 20] {
            write_read(q, ns, at, bytes, seed ^ bytes as u64 ^ qi as u64);
            at += blocks(ns, bytes) as u64;
        }
        // Scattered: odd segment sizes both ways.
        let base = ((10 << 20) + qi as u64 * (1 << 20)) / ss as u64;
        let data = pattern(seed + 77, 20480);
        let nb = (20480 / ss) as u32;
        let cuts = [100usize, 4000, 4192, 7000, 5188];
        let mut bufs = Vec::new();
        let mut at = 0;
        for &k in &cuts {
            bufs.push(data[at..at + k].to_vec());
            at += k;
        }
        assert_eq!(at, data.len());
        let mut wv = Iovs { bufs, at: 0, off: 0 };
        let cw = io(q, ns, WRITE, base, nb, sgl(&mut wv));
        assert!(!cw.is_error(), "writev");
        let mut flat = vec![0u8; data.len()];
        assert!(!io(q, ns, READ, base, nb, contig(&mut flat)).is_error());
        assert!(flat == data, "writev data read back");
        let mut rv = Iovs { bufs: vec![vec![0u8; 1000], vec![0u8; 9000], vec![0u8; data.len() - 10_000]], at: 0, off: 0 };
        assert!(!io(q, ns, READ, base, nb, sgl(&mut rv)).is_error());
        assert!(rv.bufs.concat() == data, "readv data");
        // Write zeroes, then the blocks read as zeros.
        let c0 = io(q, ns, WRITE_ZEROES, base, 8, Payload::None);
        assert!(!c0.is_error(), "write zeroes: sct {} sc {}", c0.sct(), c0.sc());
        let mut z = vec![0xffu8; 8 * ss];
        assert!(!io(q, ns, READ, base, 8, contig(&mut z)).is_error());
        assert!(z.iter().all(|&b| b == 0), "write zeroes left data");
        // Flush and deallocate (dataset management) complete without error.
        let mut s = Slot::new();
        q.submit_raw(Cmd::new(FLUSH, 1), Payload::None, Some(on_done), s.arg()).unwrap();
        wait(q, &s);
        assert!(!s.cpl.get().is_error(), "flush");
        let mut range = [0u8; 16];
        range[4..8].copy_from_slice(&8u32.to_le_bytes());
        range[8..16].copy_from_slice(&(base + 8).to_le_bytes());
        let mut dsm = Cmd::new(spec::nvm::DATASET_MANAGEMENT, 1);
        dsm.cdw11 = 1 << 2;
        let mut s = Slot::new();
        q.submit_raw(dsm, contig(&mut range), Some(on_done), s.arg()).unwrap();
        wait(q, &s);
        assert!(!s.cpl.get().is_error(), "deallocate: sct {} sc {}", s.cpl.get().sct(), s.cpl.get().sc());
    }
    // Many commands in flight at once on each queue pair.
    for (qi, q) in qps.iter().enumerate() {
        let n = 48usize;
        let mut bufs: Vec<Vec<u8>> = (0..n).map(|i| pattern(seed ^ (i as u64) << 8 ^ qi as u64, 8192)).collect();
        let mut slots: Vec<Slot> = (0..n).map(|_| Slot::new()).collect();
        let base = ((20 << 20) + qi as u64 * (1 << 20)) / ss as u64;
        let per = (8192 / ss) as u64;
        for i in 0..n {
            let p = contig(&mut bufs[i]);
            q.ns_rw(ns, WRITE, base + i as u64 * per, per as u32, p, std::ptr::null_mut(), 0, Some(on_done), slots[i].arg()).unwrap();
        }
        for s in &slots {
            wait(q, s);
            assert!(!s.cpl.get().is_error());
        }
        for i in 0..n {
            let mut r = vec![0u8; 8192];
            assert!(!io(q, ns, READ, base + i as u64 * per, per as u32, contig(&mut r)).is_error());
            assert!(r == bufs[i], "queued write {i} read back");
        }
    }
}

fn configfs_link(cfs: &str, port: u32, nqn: &str, on: bool) {
    let link = format!("{cfs}/ports/{port}/subsystems/{nqn}");
    if on {
        std::os::unix::fs::symlink(format!("{cfs}/subsystems/{nqn}"), &link).unwrap_or_else(|e| panic!("link {link}: {e}"));
    } else {
        std::fs::remove_file(&link).unwrap_or_else(|e| panic!("unlink {link}: {e}"));
    }
}

#[test]
fn nvme_tcp_host_against_kernel_target() {
    let Ok(nqns) = std::env::var("RSPDK_TCP_NQNS") else {
        eprintln!("RSPDK_TCP_NQNS unset (not in the VM guest with a configured nvmet target): nothing to check here");
        return;
    };
    env::init(env::EnvConfig::default()).unwrap();
    let nqns: Vec<String> = nqns.split_whitespace().map(str::to_string).collect();
    let serials: Vec<String> = std::env::var("RSPDK_TCP_SERIALS").unwrap().split_whitespace().map(str::to_string).collect();
    let ns_bytes: Vec<u64> = std::env::var("RSPDK_TCP_NS_BYTES").unwrap().split_whitespace().map(|v| v.parse().unwrap()).collect();
    let cfs = std::env::var("RSPDK_TCP_CONFIGFS").unwrap();

    // Discovery: every subsystem of port 4420 is in the log page.
    let disc = Ctrlr::connect_fabric(&tcp_trid(4420, fabrics::DISCOVERY_NQN), CtrlrOpts::default()).expect("discovery controller");
    let log = disc.discovery_log().expect("discovery log");
    disc.detach();
    println!("discovery: {} records", log.len());
    for n in &nqns {
        let e = log.iter().find(|e| &e.subnqn == n).unwrap_or_else(|| panic!("{n} missing from the discovery log {log:?}"));
        assert!(e.is_nvme());
        let t = e.trid().expect("a TCP entry");
        assert_eq!((t.traddr.as_str(), t.trsvcid.as_str(), t.adrfam), ("127.0.0.1", "4420", trid::ADRFAM_IPV4));
    }

    for (hd, dd) in [(false, false), (true, true), (true, false)] {
        let opts = CtrlrOpts { header_digest: hd, data_digest: dd, ..Default::default() };
        let c = Ctrlr::connect_fabric(&tcp_trid(4420, &nqns[0]), opts).unwrap_or_else(|e| panic!("connect {}: {e}", nqns[0]));
        println!("digests {hd}/{dd}: serial '{}' model '{}' nn {} max xfer {}", c.serial(), c.model(), c.num_ns(), c.max_xfer_size);
        assert_eq!(c.serial(), serials[0]);
        assert_eq!(c.model(), "rspdk tcp test");
        let ns = c.ns(1).expect("namespace 1");
        assert!(ns.active);
        assert_eq!(ns.num_sectors * ns.sector_size as u64, ns_bytes[0]);
        assert_eq!(c.namespaces.iter().filter(|n| n.active).count(), 1);
        let qps: Vec<Box<IoQpair>> = (0..2).map(|_| c.alloc_io_qpair_with(64, 0, 0).expect("I/O qpair")).collect();
        exercise(&c, &qps, 1 + hd as u64 * 2 + dd as u64);
        for q in qps {
            c.free_io_qpair(q);
        }
        c.detach();
    }

    // IPv6: the first subsystem on [::1]:4422.
    if std::env::var("RSPDK_TCP_IPV6").as_deref() == Ok("1") {
        let t = TransportId { adrfam: trid::ADRFAM_IPV6, traddr: "::1".into(), ..tcp_trid(4422, &nqns[0]) };
        let c = Ctrlr::connect_fabric(&t, CtrlrOpts::default()).unwrap_or_else(|e| panic!("connect over IPv6: {e}"));
        assert_eq!(c.serial(), serials[0]);
        let q = c.alloc_io_qpair_with(16, 0, 0).expect("I/O qpair over IPv6");
        write_read(&q, c.ns(1).unwrap(), 39 << 20, 65536, 907);
        c.free_io_qpair(q);
        c.detach();
        println!("IPv6: connected to [::1]:4422, data written and read back");
    } else {
        println!("IPv6: no ::1 in the guest, not checked");
    }

    // The second subsystem answers with its own identity.
    let c2 = Ctrlr::connect_fabric(&tcp_trid(4420, &nqns[1]), CtrlrOpts::default()).unwrap();
    assert_eq!(c2.serial(), serials[1]);
    assert_eq!(c2.ns(1).map(|n| n.num_sectors * n.sector_size as u64), Some(ns_bytes[1]));
    c2.detach();

    // Keep alive: a 2 s timeout outlives 4 s of admin polling only with Keep Alive sent.
    let opts = CtrlrOpts { keep_alive_timeout_ms: 2000, ..Default::default() };
    let c = Ctrlr::connect_fabric(&tcp_trid(4420, &nqns[0]), opts).unwrap();
    let qps: Vec<Box<IoQpair>> = (0..2).map(|_| c.alloc_io_qpair_with(32, 0, 0).expect("I/O qpair")).collect();
    let until = Instant::now() + Duration::from_secs(4);
    while Instant::now() < until {
        c.process_admin_completions();
        for q in &qps {
            q.process_completions(0).expect("the connection stays up under keep alive");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let ns = c.ns(1).unwrap();
    write_read(&qps[0], ns, 30 << 20, 4096, 900);
    // No separate metadata over a fabric.
    let (mut b, mut md) = (vec![0u8; ns.sector_size as usize], [0u8; 64]);
    let r = qps[0].ns_rw(ns, READ, 0, 1, contig(&mut b), md.as_mut_ptr(), 0, None, std::ptr::null_mut());
    assert_eq!(r, Err(SubmitError::BadBuffer));

    // Reset while idle: the queue pairs keep their handles and work after it.
    c.reset().expect("reset");
    write_read(&qps[0], ns, 31 << 20, 65536, 901);
    write_read(&qps[1], ns, 32 << 20, 8192, 902);

    // Reset with commands in flight: each completes (written or aborted), once.
    let mut bufs: Vec<Vec<u8>> = (0..16).map(|i| pattern(1000 + i, 65536)).collect();
    let mut slots: Vec<Slot> = (0..16).map(|_| Slot::new()).collect();
    let per = 65536 / ns.sector_size;
    for i in 0..16 {
        let p = contig(&mut bufs[i]);
        qps[0].ns_rw(ns, WRITE, ((33 << 20) / ns.sector_size + i as u32 * per) as u64, per, p, std::ptr::null_mut(), 0, Some(on_done), slots[i].arg()).unwrap();
    }
    c.reset().expect("reset under I/O");
    for s in &slots {
        wait(&qps[0], s);
    }
    let aborted = slots.iter().filter(|s| s.cpl.get().is_error()).count();
    println!("reset under I/O: {aborted} of 16 writes aborted");
    for s in slots.iter().filter(|s| s.cpl.get().is_error()) {
        assert_eq!((s.cpl.get().sct(), s.cpl.get().sc()), (spec::sct::GENERIC, spec::sc::ABORTED_SQ_DELETION));
    }
    write_read(&qps[0], ns, 35 << 20, 16384, 903);

    // The target goes away: polling reports -ENXIO, reset fails, and once the
    // target is back a reset reconnects.
    configfs_link(&cfs, 1, &nqns[0], false);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut saw_enxio = false;
    while Instant::now() < deadline && !saw_enxio {
        saw_enxio = qps[0].process_completions(0) == Err(libc::ENXIO);
        c.process_admin_completions();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(saw_enxio, "process_completions reports the dropped connection");
    assert!(c.reset().is_err(), "reset fails while the subsystem is not on the port");
    assert!(c.is_failed());
    assert!(c.reset().is_err(), "and fails again");
    configfs_link(&cfs, 1, &nqns[0], true);
    c.reset().expect("reset after the target came back");
    assert!(!c.is_failed());
    write_read(&qps[1], ns, 36 << 20, 32768, 904);

    // Failover: another listener (port 4421) of the same subsystem.
    assert!(c.set_trid(&tcp_trid(4421, &nqns[0])).is_err(), "set_trid needs a failed controller");
    c.fail();
    c.set_trid(&tcp_trid(4421, &nqns[0])).expect("set_trid");
    c.reset().expect("reset onto port 4421");
    assert_eq!(c.fabric_trid().unwrap().trsvcid, "4421");
    write_read(&qps[0], ns, 37 << 20, 131072, 905);
    write_read(&qps[1], ns, 38 << 20, 512, 906);
    let mut r = vec![0u8; 16384];
    assert!(!io(&qps[0], ns, READ, (35 << 20) / ns.sector_size as u64, 16384 / ns.sector_size, contig(&mut r)).is_error());
    assert!(r == pattern(903, 16384), "data written before the failover reads back over the other path");
    for q in qps {
        c.free_io_qpair(q);
    }
    c.detach();
    println!("nvme/tcp host: all checks passed");
}
