//! rspdk's NVMe/TCP host (the driver) against rspdk's target (rspdk_tgt)
//! over loopback: discovery, patterns from 512 B to 1 MiB with and without
//! digests, queue depths 1 to 128, and a target killed mid-I/O: the host
//! sees errors, reconnects (reset) once the target is back, and every write
//! it saw acknowledged is on the target's file-backed (aio) bdev.

use rspdk::env;
use rspdk::nvme::ctrlr::{Ctrlr, CtrlrOpts, IoQpair, Namespace, READ, WRITE};
use rspdk::nvme::fabrics;
use std::process::Child;
use std::time::{Duration, Instant};

mod common;
use common::{contig, on_done, pattern, tcp_trid, write_read, Slot};

const NQN: &str = "nqn.2016-06.io.spdk:loop1";

struct Tgt {
    child: Child,
}

impl Drop for Tgt {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path, port: u16) -> Tgt {
    let cfg = serde_json::json!({"subsystems": [
        {"subsystem": "bdev", "config": [
            {"method": "bdev_aio_create", "params": {"name": "Aio0", "filename": dir.join("disk.img"), "block_size": 512}}
        ]},
        {"subsystem": "nvmf", "config": [
            {"method": "nvmf_create_transport", "params": {"trtype": "TCP"}},
            {"method": "nvmf_create_subsystem", "params": {"nqn": NQN, "serial_number": "LOOP0001", "allow_any_host": true}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "Aio0"}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": NQN, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": fabrics::DISCOVERY_NQN, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}}
        ]}
    ]});
    Tgt { child: common::spawn_tgt(env!("CARGO_BIN_EXE_rspdk_tgt"), dir, &cfg, port) }
}

/// Writes `count` 4 KiB patterns at queue depth `qd` (distinct LBAs from
/// `lba0`), then reads each back and compares.
fn at_depth(q: &IoQpair, ns: &Namespace, lba0: u64, count: usize, qd: usize, seed: u64) {
    let per = 4096 / ns.sector_size;
    let mut bufs: Vec<Vec<u8>> = (0..count).map(|i| pattern(seed + i as u64, 4096)).collect();
    let mut slots: Vec<Slot> = (0..count).map(|_| Slot::new()).collect();
    let mut next = 0;
    let mut done = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while done < count {
        while next < count && next - done < qd {
            let p = contig(&mut bufs[next]);
            q.ns_rw(ns, WRITE, lba0 + (next as u32 * per) as u64, per, p, std::ptr::null_mut(), 0, Some(on_done), slots[next].arg()).expect("submit");
            next += 1;
        }
        q.process_completions(0).expect("poll");
        while done < next && slots[done].done.get() {
            assert!(!slots[done].cpl.get().is_error(), "write {done} at QD {qd} failed");
            done += 1;
        }
        assert!(Instant::now() < deadline, "QD {qd}: timed out");
    }
    for (i, b) in bufs.iter().enumerate() {
        let mut r = vec![0u8; 4096];
        let c = common::io(q, ns, READ, lba0 + (i as u32 * per) as u64, per, contig(&mut r));
        assert!(!c.is_error());
        assert!(&r == b, "QD {qd}: block {i} differs");
    }
}

#[test]
fn host_against_target_over_loopback() {
    env::init(env::EnvConfig::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("rspdk-nvmf-loop-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let img = dir.join("disk.img");
    std::fs::File::create(&img).unwrap().set_len(64 << 20).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut tgt = start(&dir, port);

    // Discovery through the target's discovery subsystem.
    let disc = Ctrlr::connect_fabric(&tcp_trid(port, fabrics::DISCOVERY_NQN), CtrlrOpts::default()).expect("discovery controller");
    let log = disc.discovery_log().expect("discovery log");
    disc.detach();
    assert!(log.iter().any(|e| e.subnqn == NQN && e.is_nvme()), "discovery log: {log:?}");

    for (hd, dd) in [(false, false), (true, true)] {
        // A long keep-alive timeout: this test polls only its I/O queue, and a
        // busy machine (2 cores) can stretch it past the default 10 s.
        let opts = CtrlrOpts { header_digest: hd, data_digest: dd, keep_alive_timeout_ms: 120_000, ..Default::default() };
        let c = Ctrlr::connect_fabric(&tcp_trid(port, NQN), opts).expect("connect");
        assert_eq!(c.serial(), "LOOP0001");
        let ns = c.ns(1).expect("namespace 1");
        assert_eq!(ns.num_sectors * ns.sector_size as u64, 64 << 20);
        let q = c.alloc_io_qpair_with(128, 0, 0).expect("I/O qpair");
        let mut at = 0u64;
        for &bytes in &[512usize, 4096, 8192, 65536, 131072, 300 * 1024, 1 << 20] {
            write_read(&q, ns, at, bytes, 7 + bytes as u64 + u64::from(hd));
            at += bytes as u64;
        }
        for (i, &qd) in [1usize, 8, 32, 128].iter().enumerate() {
            at_depth(&q, ns, (8 << 20) / 512 + i as u64 * 4096, 512, qd, 100 * qd as u64);
        }
        c.free_io_qpair(q);
        c.detach();
    }

    // The target dies with writes in flight; the host sees errors, and
    // reconnects once it is back; acknowledged writes are on the file.
    let c = Ctrlr::connect_fabric(&tcp_trid(port, NQN), CtrlrOpts { keep_alive_timeout_ms: 120_000, ..Default::default() }).expect("connect");
    let ns = c.ns(1).unwrap();
    let q = c.alloc_io_qpair_with(64, 0, 0).expect("I/O qpair");
    let per = 4096 / ns.sector_size;
    let lba0 = (32u64 << 20) / 512;
    let total = 4096usize;
    let mut bufs: Vec<Vec<u8>> = (0..total).map(|i| pattern(50_000 + i as u64, 4096)).collect();
    let mut slots: Vec<Slot> = (0..total).map(|_| Slot::new()).collect();
    let mut next = 0;
    let mut killed = false;
    let mut saw_error = false;
    let start_t = Instant::now();
    let deadline = start_t + Duration::from_secs(60);
    loop {
        while next < total && !saw_error && (next - slots[..next].iter().filter(|s| s.done.get()).count()) < 32 {
            let p = contig(&mut bufs[next]);
            if q.ns_rw(ns, WRITE, lba0 + (next as u32 * per) as u64, per, p, std::ptr::null_mut(), 0, Some(on_done), slots[next].arg()).is_err() {
                saw_error = true;
                break;
            }
            next += 1;
        }
        if !killed && (next >= total / 4 || start_t.elapsed() > Duration::from_secs(5)) {
            tgt.child.kill().unwrap();
            tgt.child.wait().unwrap();
            killed = true;
        }
        if q.process_completions(0).is_err() {
            saw_error = true;
        }
        if slots[..next].iter().any(|s| s.done.get() && s.cpl.get().is_error()) {
            saw_error = true;
        }
        if saw_error && slots[..next].iter().all(|s| s.done.get()) {
            break;
        }
        assert!(Instant::now() < deadline, "the host never noticed the target was gone");
    }
    assert!(killed && saw_error);
    let acked: Vec<usize> = (0..next).filter(|&i| slots[i].done.get() && !slots[i].cpl.get().is_error()).collect();
    assert!(!acked.is_empty(), "some writes completed before the kill");
    assert!(c.reset().is_err(), "a reset while the target is down fails");
    drop(tgt);
    let _tgt2 = start(&dir, port);
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        match c.reset() {
            Ok(()) => break,
            Err(e) => {
                assert!(Instant::now() < end, "no reconnect after the target came back: {e}");
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
    for &i in &acked {
        let mut r = vec![0u8; 4096];
        let cpl = common::io(&q, ns, READ, lba0 + (i as u32 * per) as u64, per, contig(&mut r));
        assert!(!cpl.is_error(), "read after reconnect");
        assert!(r == bufs[i], "acknowledged write {i} (of {}) lost", acked.len());
    }
    println!("target killed after {next} writes submitted, {} acknowledged: all read back after the reconnect", acked.len());
    c.free_io_qpair(q);
    c.detach();
    let _ = std::fs::remove_dir_all(&dir);
}
