//! The NVMe/TCP target over loopback, driven by a minimal host written
//! here on top of the PDU codec: initialization, fabrics Connect (admin
//! and I/O), Property Get/Set, Identify, writes with in-capsule data and
//! with R2T/H2CData, reads with C2HData, compare-and-write, digests, the
//! host NQN check, and a misbehaving connection that is closed alone while
//! another keeps doing I/O.

use rspdk::nvme::spec::{Cmd, Cpl};
use rspdk::nvmf::tcp::pdu::{self, Pdu, PduReader, Role, TxOpts};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;

mod common;
use std::time::{Duration, Instant};

const NQN: &str = "nqn.2016-06.io.spdk:test1";
const NQN_RESTRICTED: &str = "nqn.2016-06.io.spdk:test2";
const HOST: &str = "nqn.2014-08.org.nvmexpress:uuid:0f0e0d0c-0b0a-0908-0706-050403020100";
const HOST_ALLOWED: &str = "nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-0b0a-0908-0706-050403020100";
const DISCOVERY: &str = "nqn.2014-08.org.nvmexpress.discovery";

struct Tgt {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Drop for Tgt {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts the target with the JSON config `cfg` gives for its port.
fn start_tgt_with(cfg: impl FnOnce(u16) -> serde_json::Value) -> Tgt {
    let port = free_port();
    let dir = std::env::temp_dir().join(format!("rspdk-nvmf-test-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let child = common::spawn_tgt(env!("CARGO_BIN_EXE_rspdk_tgt"), &dir, &cfg(port), port);
    Tgt { child, port, dir }
}

fn start_tgt() -> Tgt {
    start_tgt_with(|port| serde_json::json!({"subsystems": [
        {"subsystem": "bdev", "config": [
            {"method": "bdev_malloc_create", "params": {"name": "M0", "num_blocks": 8192, "block_size": 512}},
            {"method": "bdev_malloc_create", "params": {"name": "M1", "num_blocks": 1024, "block_size": 4096}}
        ]},
        {"subsystem": "nvmf", "config": [
            {"method": "nvmf_create_transport", "params": {"trtype": "TCP", "in_capsule_data_size": 4096, "max_queue_depth": 64}},
            {"method": "nvmf_create_subsystem", "params": {"nqn": NQN, "serial_number": "SN-LOOPBACK-1", "allow_any_host": true}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "M0", "nsid": 1}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": NQN, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}},
            {"method": "nvmf_create_subsystem", "params": {"nqn": NQN_RESTRICTED, "allow_any_host": false}},
            {"method": "nvmf_subsystem_add_host", "params": {"nqn": NQN_RESTRICTED, "host": HOST_ALLOWED}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN_RESTRICTED, "namespace": {"bdev_name": "M1"}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": NQN_RESTRICTED, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": DISCOVERY, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}}
        ]}
    ]}))
}

/// A received PDU, owned.
#[derive(Debug)]
enum Rx {
    IcResp { maxh2cdata: u32 },
    Resp(Cpl),
    C2H { cccid: u16, datao: u32, data: Vec<u8>, success: bool },
    R2T { cccid: u16, ttag: u16, r2to: u32, r2tl: u32 },
    Term { fes: u16 },
}

struct Host {
    s: TcpStream,
    rd: PduReader,
    txo: TxOpts,
    buf: Vec<u8>,
    pending: Vec<u8>,
    cid: u16,
    maxh2cdata: u32,
    icd: usize,
    /// Host identifier sent in Connect data.
    hostid: [u8; 16],
}

impl Host {
    fn connect(port: u16, hdgst: bool, ddgst: bool) -> Host {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.set_nodelay(true).unwrap();
        let mut h = Host { s, rd: PduReader::new(Role::Host, 1 << 20), txo: TxOpts::default(), buf: Vec::new(), pending: Vec::new(), cid: 0, maxh2cdata: 0, icd: 0, hostid: [7u8; 16] };
        pdu::write_ic_req(&mut h.buf, 0, hdgst, ddgst, 0);
        h.s.write_all(&h.buf).unwrap();
        match h.recv().expect("ICResp") {
            Rx::IcResp { maxh2cdata } => h.maxh2cdata = maxh2cdata,
            o => panic!("expected ICResp, got {o:?}"),
        }
        h.rd.set_digests(hdgst, ddgst);
        h.txo = TxOpts { hdgst, ddgst, pda: 0 };
        h
    }

    /// The next PDU; None when the target closed the connection.
    fn recv(&mut self) -> Option<Rx> {
        loop {
            if !self.pending.is_empty() {
                let (used, r) = self.rd.feed(&self.pending);
                let out = match r {
                    Ok(Some(p)) => Some(match p {
                        Pdu::IcResp { maxh2cdata, .. } => Rx::IcResp { maxh2cdata },
                        Pdu::CapsuleResp { cpl } => Rx::Resp(cpl),
                        Pdu::C2HData { flags, cccid, datao, data } => Rx::C2H { cccid, datao, data: data.to_vec(), success: flags & 0x08 != 0 },
                        Pdu::R2T { cccid, ttag, r2to, r2tl } => Rx::R2T { cccid, ttag, r2to, r2tl },
                        Pdu::TermReq { fes, .. } => Rx::Term { fes },
                        o => panic!("unexpected PDU {o:?}"),
                    }),
                    Ok(None) => None,
                    Err(e) => panic!("bad PDU from the target: {e}"),
                };
                self.pending.drain(..used);
                if out.is_some() {
                    return out;
                }
            }
            let mut b = [0u8; 65536];
            match self.s.read(&mut b) {
                Ok(0) => return None,
                Ok(n) => self.pending.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    fn next_cid(&mut self) -> u16 {
        self.cid = self.cid.wrapping_add(1);
        self.cid
    }

    /// Runs one command: `out` is written (in-capsule when it fits, else
    /// through R2T), `inlen` bytes are read back. Returns the completion and the data read.
    fn exec(&mut self, mut cmd: Cmd, out: &[u8], inlen: usize) -> (Cpl, Vec<u8>) {
        let cid = self.next_cid();
        cmd.set_cid(cid);
        cmd.cdw0 |= 1 << 14; // PSDT: SGL
        let incapsule = !out.is_empty() && out.len() <= self.icd;
        let len = if out.is_empty() { inlen } else { out.len() } as u64;
        cmd.prp1 = 0;
        cmd.prp2 = len | (u64::from(if incapsule { 0x01u8 } else { 0x5a }) << 56);
        pdu::write_capsule_cmd(&mut self.buf, &self.txo, &cmd, if incapsule { out } else { &[] });
        self.s.write_all(&self.buf).unwrap();
        let mut data = vec![0u8; inlen];
        loop {
            match self.recv().expect("connection closed during a command") {
                Rx::Resp(c) => {
                    assert_eq!(c.cid, cid);
                    return (c, data);
                }
                Rx::C2H { cccid, datao, data: d, success } => {
                    assert_eq!(cccid, cid);
                    data[datao as usize..datao as usize + d.len()].copy_from_slice(&d);
                    if success {
                        return (Cpl { cid, ..Default::default() }, data);
                    }
                }
                Rx::R2T { cccid, ttag, r2to, r2tl } => {
                    assert_eq!(cccid, cid);
                    let mut off = r2to as usize;
                    let end = (r2to + r2tl) as usize;
                    while off < end {
                        let n = (end - off).min(self.maxh2cdata as usize);
                        pdu::write_h2c_data(&mut self.buf, &self.txo, cid, ttag, off as u32, &out[off..off + n], off + n == end);
                        self.s.write_all(&self.buf).unwrap();
                        off += n;
                    }
                }
                o => panic!("unexpected {o:?}"),
            }
        }
    }

    /// Sends two commands with in-capsule data back to back (a fused
    /// pair), then collects both completions, in command order.
    fn exec_pair(&mut self, cmds: [Cmd; 2], data: [&[u8]; 2]) -> [Cpl; 2] {
        let mut cids = [0u16; 2];
        for k in 0..2 {
            let mut c = cmds[k];
            cids[k] = self.next_cid();
            c.set_cid(cids[k]);
            c.cdw0 |= 1 << 14;
            c.prp1 = 0;
            c.prp2 = data[k].len() as u64 | (0x01u64 << 56);
            pdu::write_capsule_cmd(&mut self.buf, &self.txo, &c, data[k]);
            self.s.write_all(&self.buf).unwrap();
        }
        let mut out = [Cpl::default(); 2];
        let mut got = 0;
        while got < 2 {
            match self.recv().expect("connection closed during a fused pair") {
                Rx::Resp(c) => {
                    let k = cids.iter().position(|&x| x == c.cid).expect("a completion of the pair");
                    out[k] = c;
                    got += 1;
                }
                o => panic!("unexpected {o:?}"),
            }
        }
        out
    }

    /// Sends a command without waiting for it; a `len` of data to write is
    /// announced with a transport SGL, so the target asks for it with an
    /// R2T (which the caller answers, or not). Returns the CID.
    fn send_only(&mut self, mut cmd: Cmd, len: u32) -> u16 {
        let cid = self.next_cid();
        cmd.set_cid(cid);
        cmd.cdw0 |= 1 << 14;
        cmd.prp1 = 0;
        cmd.prp2 = u64::from(len) | (0x5au64 << 56);
        pdu::write_capsule_cmd(&mut self.buf, &self.txo, &cmd, &[]);
        self.s.write_all(&self.buf).unwrap();
        cid
    }

    /// The next `n` completions, in arrival order (nothing else may come).
    fn completions(&mut self, n: usize) -> Vec<Cpl> {
        (0..n)
            .map(|_| match self.recv().expect("connection closed while waiting for completions") {
                Rx::Resp(c) => c,
                o => panic!("expected a completion, got {o:?}"),
            })
            .collect()
    }

    fn fabric(&mut self, fctype: u8, cdw10: u32, cdw11: u32, cdw12: u32, data: &[u8]) -> Cpl {
        let mut c = Cmd::new(0x7f, u32::from(fctype));
        c.cdw10 = cdw10;
        c.cdw11 = cdw11;
        c.cdw12 = cdw12;
        self.exec(c, data, 0).0
    }

    /// Fabrics Connect; returns the completion (cdw0 = cntlid on success).
    fn connect_q(&mut self, qid: u16, sqsize: u16, subnqn: &str, hostnqn: &str, cntlid: u16) -> Cpl {
        let mut d = vec![0u8; 1024];
        d[0..16].copy_from_slice(&self.hostid);
        d[16..18].copy_from_slice(&cntlid.to_le_bytes());
        d[256..256 + subnqn.len()].copy_from_slice(subnqn.as_bytes());
        d[512..512 + hostnqn.len()].copy_from_slice(hostnqn.as_bytes());
        self.icd = if qid == 0 { 8192 } else { 4096 };
        self.fabric(0x01, u32::from(qid) << 16, u32::from(sqsize - 1), 30_000, &d)
    }

    fn prop_get(&mut self, off: u32, eight: bool) -> u64 {
        let c = self.fabric(0x04, u32::from(eight), off, 0, &[]);
        assert_eq!(c.status >> 1, 0, "property get {off:#x}");
        u64::from(c.cdw0) | (u64::from(c.cdw1) << 32)
    }

    fn prop_set(&mut self, off: u32, v: u32) {
        let c = self.fabric(0x00, 0, off, v, &[]);
        assert_eq!(c.status >> 1, 0, "property set {off:#x}");
    }

    /// An admin queue on `subnqn`, enabled.
    fn admin(port: u16, subnqn: &str, hostnqn: &str, digests: bool) -> (Host, u16) {
        Host::admin_as(port, subnqn, hostnqn, digests, [7u8; 16])
    }

    /// The same for the host with identifier `hostid`.
    fn admin_as(port: u16, subnqn: &str, hostnqn: &str, digests: bool, hostid: [u8; 16]) -> (Host, u16) {
        let mut h = Host::connect(port, digests, digests);
        h.hostid = hostid;
        let c = h.connect_q(0, 32, subnqn, hostnqn, 0xffff);
        assert_eq!(c.status >> 1, 0, "admin connect status {:#x}", c.status);
        let cntlid = c.cdw0 as u16;
        let cap = h.prop_get(0, true);
        assert!(cap & 0xffff >= 31, "CAP.MQES {cap:#x}");
        h.prop_set(0x14, 0x0046_0001);
        let end = Instant::now() + Duration::from_secs(5);
        while h.prop_get(0x1c, false) & 1 == 0 {
            assert!(Instant::now() < end, "CSTS.RDY never set");
        }
        (h, cntlid)
    }
}

fn status(c: &Cpl) -> (u8, u8) {
    (((c.status >> 9) & 7) as u8, ((c.status >> 1) & 0xff) as u8)
}

fn rw(op: u8, slba: u64, nlb: u32) -> Cmd {
    let mut c = Cmd::new(op, 1);
    c.cdw10 = slba as u32;
    c.cdw11 = (slba >> 32) as u32;
    c.cdw12 = nlb - 1;
    c
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

fn io_queue(port: u16, cntlid: u16, qid: u16, digests: bool) -> Host {
    io_queue_as(port, cntlid, qid, digests, [7u8; 16])
}

fn io_queue_as(port: u16, cntlid: u16, qid: u16, digests: bool, hostid: [u8; 16]) -> Host {
    let mut q = Host::connect(port, digests, digests);
    q.hostid = hostid;
    let c = q.connect_q(qid, 32, NQN, HOST, cntlid);
    assert_eq!(c.status >> 1, 0, "I/O connect status {:#x} cdw0 {:#x}", c.status, c.cdw0);
    q
}

fn io_checks(q: &mut Host) {
    // In-capsule write (4 KiB), R2T write (64 KiB and 128 KiB), reads back.
    for (slba, n, seed) in [(0u64, 4096usize, 1u8), (64, 65536, 2), (512, 131072, 3), (8191, 512, 4)] {
        let data = pattern(n, seed);
        let (c, _) = q.exec(rw(0x01, slba, (n / 512) as u32), &data, 0);
        assert_eq!(status(&c), (0, 0), "write {n} at {slba}");
        let (c, back) = q.exec(rw(0x02, slba, (n / 512) as u32), &[], n);
        assert_eq!(status(&c), (0, 0), "read {n} at {slba}");
        assert!(back == data, "data read back at LBA {slba} ({n} bytes) differs");
    }
    // Beyond the namespace: LBA out of range.
    let (c, _) = q.exec(rw(0x02, 8191, 2), &[], 1024);
    assert_eq!(status(&c), (0, 0x80));
    // Compare: equal, then different.
    let (c, _) = q.exec(rw(0x05, 0, 8), &pattern(4096, 1), 0);
    assert_eq!(status(&c), (0, 0), "compare equal");
    let (c, _) = q.exec(rw(0x05, 0, 8), &pattern(4096, 9), 0);
    assert_eq!(status(&c), (2, 0x85), "compare different");
    // Write zeroes, then the blocks read as zeroes.
    let (c, _) = q.exec(rw(0x08, 64, 16), &[], 0);
    assert_eq!(status(&c), (0, 0));
    let (_, back) = q.exec(rw(0x02, 64, 16), &[], 8192);
    assert!(back.iter().all(|&b| b == 0), "write zeroes");
    // Fused compare-and-write: the compare matches, the write lands.
    let fuse = |mut c: Cmd, f: u32| {
        c.cdw0 |= f << 8;
        c
    };
    let (old, new) = (pattern(4096, 1), pattern(4096, 21));
    let [c1, c2] = q.exec_pair([fuse(rw(0x05, 0, 8), 1), fuse(rw(0x01, 0, 8), 2)], [&old, &new]);
    assert_eq!((status(&c1), status(&c2)), ((0, 0), (0, 0)), "fused compare-and-write");
    let (_, back) = q.exec(rw(0x02, 0, 8), &[], 4096);
    assert!(back == new, "the fused write landed");
    // The compare misses: compare failure, the write is aborted, data stays.
    let [c1, c2] = q.exec_pair([fuse(rw(0x05, 0, 8), 1), fuse(rw(0x01, 0, 8), 2)], [&old, &pattern(4096, 33)]);
    assert_eq!(status(&c1), (2, 0x85), "fused compare that misses");
    assert_eq!(status(&c2), (0, 0x09), "its write: aborted due to a failed fused command");
    let (_, back) = q.exec(rw(0x02, 0, 8), &[], 4096);
    assert!(back == new, "the data after a failed compare-and-write is unchanged");
    // A fused write without its compare: missing fused command.
    let (c, _) = q.exec(fuse(rw(0x01, 0, 8), 2), &new, 0);
    assert_eq!(status(&c), (0, 0x0a));
    // Restore LBA 0..8 for later compares.
    let (c, _) = q.exec(rw(0x01, 0, 8), &old, 0);
    assert_eq!(status(&c), (0, 0));
    // Dataset management, deallocate two ranges (accepted; advisory on malloc).
    let mut ranges = vec![0u8; 32];
    ranges[4..8].copy_from_slice(&8u32.to_le_bytes());
    ranges[8..16].copy_from_slice(&2000u64.to_le_bytes());
    ranges[20..24].copy_from_slice(&16u32.to_le_bytes());
    ranges[24..32].copy_from_slice(&3000u64.to_le_bytes());
    let mut dsm = Cmd::new(0x09, 1);
    dsm.cdw10 = 1;
    dsm.cdw11 = 1 << 2;
    let (c, _) = q.exec(dsm, &ranges, 0);
    assert_eq!(status(&c), (0, 0), "deallocate");
    ranges[24..32].copy_from_slice(&8190u64.to_le_bytes());
    let (c, _) = q.exec(dsm, &ranges, 0);
    assert_eq!(status(&c), (0, 0x80), "a range beyond the namespace");
    // Flush.
    let (c, _) = q.exec(Cmd::new(0x00, 1), &[], 0);
    assert_eq!(status(&c), (0, 0));
    // An unknown namespace.
    let mut bad = rw(0x02, 0, 1);
    bad.nsid = 9;
    let (c, _) = q.exec(bad, &[], 512);
    assert_eq!(status(&c), (0, 0x0b));
}

#[test]
fn loopback_host_against_the_target() {
    let t = start_tgt();
    let (mut a, cntlid) = Host::admin(t.port, NQN, HOST, false);
    // Identify controller: serial and subsystem NQN.
    let mut idc = Cmd::new(0x06, 0);
    idc.cdw10 = 1;
    let (c, id) = a.exec(idc, &[], 4096);
    assert_eq!(status(&c), (0, 0));
    assert_eq!(String::from_utf8_lossy(&id[4..24]).trim_end(), "SN-LOOPBACK-1");
    assert_eq!(String::from_utf8_lossy(&id[768..768 + NQN.len()]), NQN);
    assert_eq!(u16::from_le_bytes([id[78], id[79]]), cntlid);
    // Identify namespace 1: 8192 blocks.
    let mut idn = Cmd::new(0x06, 1);
    idn.cdw10 = 0;
    let (c, ns) = a.exec(idn, &[], 4096);
    assert_eq!(status(&c), (0, 0));
    assert_eq!(u64::from_le_bytes(ns[0..8].try_into().unwrap()), 8192);
    // Set Features, Number of Queues: 3 each (0's based).
    let mut sf = Cmd::new(0x09, 0);
    sf.cdw10 = 0x07;
    sf.cdw11 = 0x0002_0002;
    let (c, _) = a.exec(sf, &[], 0);
    assert_eq!(status(&c), (0, 0), "set number of queues");
    // Two I/O queues, I/O on both.
    let mut q1 = io_queue(t.port, cntlid, 1, false);
    let mut q2 = io_queue(t.port, cntlid, 2, false);
    io_checks(&mut q1);
    let d = pattern(8192, 77);
    let (c, _) = q2.exec(rw(0x01, 1000, 16), &d, 0);
    assert_eq!(status(&c), (0, 0));
    let (_, back) = q1.exec(rw(0x02, 1000, 16), &[], 8192);
    assert!(back == d, "what one queue wrote, the other reads");
    // An I/O queue for a controller that does not exist.
    let mut q9 = Host::connect(t.port, false, false);
    let c = q9.connect_q(3, 32, NQN, HOST, cntlid.wrapping_add(100));
    assert_eq!(status(&c), (1, 0x82), "I/O connect to an unknown controller");
    // A misbehaving connection (an undefined PDU type) gets a TermReq and is
    // closed; the good queues go on.
    let mut evil = Host::connect(t.port, false, false);
    evil.s.write_all(&[0x33, 0, 8, 0, 8, 0, 0, 0]).unwrap();
    match evil.recv() {
        Some(Rx::Term { fes }) => assert_eq!(fes, 0x01, "FES invalid header field"),
        o => panic!("expected a C2HTermReq, got {o:?}"),
    }
    assert!(evil.recv().is_none(), "the bad connection is closed");
    // An H2CData for a command that asked for none.
    let mut evil2 = io_queue(t.port, cntlid, 3, false);
    pdu::write_h2c_data(&mut evil2.buf, &evil2.txo, 5, 0, 0, &[1, 2, 3, 4], true);
    evil2.s.write_all(&evil2.buf).unwrap();
    assert!(matches!(evil2.recv(), Some(Rx::Term { .. })), "TermReq for a stray H2CData");
    assert!(evil2.recv().is_none());
    io_checks(&mut q2);
    // Keep alive on the admin queue.
    let (c, _) = a.exec(Cmd::new(0x18, 0), &[], 0);
    assert_eq!(status(&c), (0, 0));
}

#[test]
fn digests_and_host_checks() {
    let t = start_tgt();
    // Both digests on every PDU.
    let (mut a, cntlid) = Host::admin(t.port, NQN, HOST, true);
    let mut sf = Cmd::new(0x09, 0);
    sf.cdw10 = 0x07;
    sf.cdw11 = 0x0001_0001;
    let (c, _) = a.exec(sf, &[], 0);
    assert_eq!(status(&c), (0, 0));
    let mut q = io_queue(t.port, cntlid, 1, true);
    io_checks(&mut q);
    // A data digest that does not match closes that connection.
    let mut q2 = io_queue(t.port, cntlid, 2, true);
    let cmd = {
        let mut c = rw(0x01, 0, 1);
        c.set_cid(99);
        c.cdw0 |= 1 << 14;
        c.prp2 = 512 | (0x01u64 << 56);
        c
    };
    pdu::write_capsule_cmd(&mut q2.buf, &q2.txo, &cmd, &[5u8; 512]);
    let n = q2.buf.len();
    q2.buf[n - 1] ^= 0xff;
    q2.s.write_all(&q2.buf).unwrap();
    // The connection ends (recv returns None); no success for the corrupted write before that.
    while let Some(p) = q2.recv() {
        if let Rx::Resp(c) = p {
            assert_ne!(status(&c), (0, 0), "a corrupted write must not succeed");
        }
    }
    // The good queue still works.
    io_checks(&mut q);
    // The restricted subsystem: another host is refused at Connect.
    let mut h = Host::connect(t.port, false, false);
    let c = h.connect_q(0, 32, NQN_RESTRICTED, HOST, 0xffff);
    assert_eq!(status(&c), (1, 0x84), "a host not allowed is refused");
    // The allowed one gets in.
    let (_a2, _) = Host::admin(t.port, NQN_RESTRICTED, HOST_ALLOWED, false);
    // A subsystem that does not exist: invalid parameter in the data (subnqn).
    let mut h = Host::connect(t.port, false, false);
    let c = h.connect_q(0, 32, "nqn.2016-06.io.spdk:nothere", HOST, 0xffff);
    assert_eq!(status(&c), (1, 0x82));
    assert_eq!(c.cdw0, 256 | (1 << 16), "IPO = subnqn offset, IATTR = data");
    // Discovery: the log page lists test1 for HOST, not test2.
    let (mut d, _) = Host::admin(t.port, DISCOVERY, HOST, false);
    let mut glp = Cmd::new(0x02, 0);
    glp.cdw10 = 0x70 | ((4096 / 4 - 1) << 16);
    let (c, page) = d.exec(glp, &[], 4096);
    assert_eq!(status(&c), (0, 0));
    let numrec = u64::from_le_bytes(page[8..16].try_into().unwrap()) as usize;
    let nqns: Vec<String> = (0..numrec.min(3))
        .map(|i| {
            let e = &page[1024 + i * 1024..];
            String::from_utf8_lossy(&e[256..512]).trim_end_matches('\0').to_string()
        })
        .collect();
    assert!(nqns.iter().any(|n| n == NQN), "discovery lists {NQN}: {nqns:?}");
    assert!(!nqns.iter().any(|n| n == NQN_RESTRICTED), "discovery hides {NQN_RESTRICTED} from {HOST}: {nqns:?}");
}

fn resv(q: &mut Host, opc: u8, cdw10: u32, keys: &[u64]) -> (u8, u8) {
    let data: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
    let mut c = Cmd::new(opc, 1);
    c.cdw10 = cdw10;
    status(&q.exec(c, &data, 0).0)
}

/// Two hosts (host identifiers 0x11.. and 0x22..), each with an enabled
/// controller: their admin queues and one I/O queue each.
fn two_hosts(t: &Tgt) -> (Vec<Host>, Vec<Host>) {
    let hosts = [[0x11u8; 16], [0x22u8; 16]];
    let mut qs = Vec::new();
    let mut admins = Vec::new();
    for h in hosts {
        let (mut a, cntlid) = Host::admin_as(t.port, NQN, HOST, false, h);
        let mut sf = Cmd::new(0x09, 0);
        sf.cdw10 = 0x07;
        assert_eq!(status(&a.exec(sf, &[], 0).0), (0, 0));
        qs.push(io_queue_as(t.port, cntlid, 1, false, h));
        admins.push(a);
    }
    (admins, qs)
}

#[test]
fn reservations_between_two_hosts() {
    let t = start_tgt();
    let (_admins, mut qs) = two_hosts(&t);
    let (mut qa, mut qb) = (qs.remove(0), qs.remove(0));
    // Host A registers key 0xabc and takes a Write Exclusive reservation.
    assert_eq!(resv(&mut qa, 0x0d, 0, &[0, 0xabc]), (0, 0), "register");
    assert_eq!(resv(&mut qa, 0x11, 1 << 8, &[0xabc, 0]), (0, 0), "acquire write exclusive");
    // Host B may read but not write.
    let d = pattern(512, 5);
    let (c, _) = qb.exec(rw(0x01, 100, 1), &d, 0);
    assert_eq!(status(&c), (0, 0x83), "write by a non-holder: reservation conflict");
    let (c, _) = qb.exec(rw(0x02, 100, 1), &[], 512);
    assert_eq!(status(&c), (0, 0), "read by a non-holder");
    // A writes; a wrong key is refused.
    assert_eq!(status(&qa.exec(rw(0x01, 100, 1), &d, 0).0), (0, 0));
    assert_eq!(resv(&mut qa, 0x15, 1 << 8, &[0xdef]), (0, 0x83), "release with a wrong key");
    // Report (extended): one registrant, A holds a type 1 reservation.
    let mut rep = Cmd::new(0x0e, 1);
    rep.cdw10 = 4096 / 4 - 1;
    rep.cdw11 = 1;
    let (c, data) = qa.exec(rep, &[], 4096);
    assert_eq!(status(&c), (0, 0), "report");
    assert_eq!(data[4], 1, "RTYPE write exclusive");
    assert_eq!(u16::from_le_bytes([data[5], data[6]]), 1, "one registrant");
    // A releases: B writes.
    assert_eq!(resv(&mut qa, 0x15, 1 << 8, &[0xabc]), (0, 0), "release");
    assert_eq!(status(&qb.exec(rw(0x01, 100, 1), &d, 0).0), (0, 0), "write after the release");
}

/// Reads the Reservation Notification log page (64 bytes): (log page
/// count, type, number of available pages, NSID).
fn resv_log(a: &mut Host) -> (u64, u8, u8, u32) {
    let mut glp = Cmd::new(0x02, 0xffff_ffff);
    glp.cdw10 = 0x80 | ((64 / 4 - 1) << 16);
    let (c, p) = a.exec(glp, &[], 64);
    assert_eq!(status(&c), (0, 0), "get log page 80h");
    assert!(p[10..12].iter().chain(&p[16..]).all(|&b| b == 0), "reserved bytes are zero");
    (u64::from_le_bytes(p[0..8].try_into().unwrap()), p[8], p[9], u32::from_le_bytes(p[12..16].try_into().unwrap()))
}

/// The Reservation Notification Mask of namespace 1 (Get Features 82h).
fn resv_mask(a: &mut Host) -> u32 {
    let mut gf = Cmd::new(0x0a, 1);
    gf.cdw10 = 0x82;
    let (c, _) = a.exec(gf, &[], 0);
    assert_eq!(status(&c), (0, 0), "get features 82h");
    c.cdw0
}

const AEN_RESV_LOG: u32 = 0x0080_0006;

#[test]
fn reservation_notifications_and_preempt_and_abort() {
    let t = start_tgt();
    let (mut admins, mut qs) = two_hosts(&t);
    let (mut qa, mut qb) = (qs.remove(0), qs.remove(0));
    let (mut aa, mut ab) = (admins.remove(0), admins.remove(0));
    // A second controller of host A (no I/O queue): it gets its own notices.
    let (mut aa2, _) = Host::admin_as(t.port, NQN, HOST, false, [0x11u8; 16]);
    const WERO: u32 = 3 << 8;
    assert_eq!(resv(&mut qa, 0x0d, 0, &[0, 0xa1]), (0, 0));
    assert_eq!(resv(&mut qb, 0x0d, 0, &[0, 0xb1]), (0, 0));
    assert_eq!(resv(&mut qa, 0x11, WERO, &[0xa1, 0]), (0, 0), "A acquires write exclusive - registrants only");
    assert_eq!(resv_log(&mut aa), (0, 0, 0, 0), "nothing to report yet");
    assert_eq!(resv_mask(&mut aa), 0, "nothing masked by default");

    // B preempts A: A's controller gets the event and the page.
    let aer = aa.send_only(Cmd::new(0x0c, 0), 0);
    let aer_b = ab.send_only(Cmd::new(0x0c, 0), 0);
    assert_eq!(resv(&mut qb, 0x11, WERO | 1, &[0xb1, 0xa1]), (0, 0), "B preempts A");
    let c = aa.completions(1)[0];
    assert_eq!((c.cid, status(&c), c.cdw0), (aer, (0, 0), AEN_RESV_LOG), "A's AER: reservation log page available");
    assert_eq!(resv_log(&mut aa), (1, 1, 0, 1), "registration preempted, count 1, none left, NSID 1");
    assert_eq!(resv_log(&mut aa), (0, 0, 0, 0), "read: the next read is the empty page");
    assert_eq!(resv_log(&mut aa2), (1, 1, 0, 1), "A's other controller has its own page");
    assert_eq!(resv_log(&mut ab), (0, 0, 0, 0), "the preempting host gets none");
    // A is no registrant: its write conflicts; B holds the reservation.
    let d = pattern(512, 3);
    assert_eq!(status(&qa.exec(rw(0x01, 10, 1), &d, 0).0), (0, 0x83));

    // A masks registration preempted notices on namespace 1.
    let mut sf = Cmd::new(0x09, 1);
    sf.cdw10 = 0x82;
    sf.cdw11 = 1 << 1;
    assert_eq!(status(&aa.exec(sf, &[], 0).0), (0, 0), "set features 82h");
    assert_eq!(resv_mask(&mut aa), 1 << 1);
    let mut sfx = sf;
    sfx.nsid = 7;
    assert_eq!(status(&aa.exec(sfx, &[], 0).0), (0, 0x0b), "an inactive namespace");
    let mut gf = Cmd::new(0x0a, 0xffff_ffff);
    gf.cdw10 = 0x82;
    assert_eq!(status(&aa.exec(gf, &[], 0).0), (0, 0x02), "get for every namespace at once");
    let aer = aa.send_only(Cmd::new(0x0c, 0), 0);
    assert_eq!(resv(&mut qa, 0x0d, 0, &[0, 0xa2]), (0, 0));
    assert_eq!(resv(&mut qb, 0x11, WERO | 1, &[0xb1, 0xa2]), (0, 0), "B preempts A again: masked");
    // B releases its registrants-only reservation: registrant A is told
    // (the masked preempt above made no page and no event, so this is
    // the event A gets and the page it reads, with the next count).
    assert_eq!(resv(&mut qa, 0x0d, 0, &[0, 0xa3]), (0, 0));
    assert_eq!(resv(&mut qb, 0x15, WERO, &[0xb1]), (0, 0), "B releases");
    let c = aa.completions(1)[0];
    assert_eq!((c.cid, c.cdw0), (aer, AEN_RESV_LOG));
    assert_eq!(resv_log(&mut aa), (2, 2, 0, 1), "reservation released, count 2");
    assert_eq!(resv_log(&mut aa), (0, 0, 0, 0));

    // Clear by A: B's registration goes, B gets "reservation preempted".
    assert_eq!(resv(&mut qa, 0x15, 1, &[0xa3]), (0, 0), "A clears");
    let c = ab.completions(1)[0];
    assert_eq!((c.cid, c.cdw0), (aer_b, AEN_RESV_LOG), "B's AER");
    assert_eq!(resv_log(&mut ab), (1, 3, 0, 1), "reservation preempted");

    // Preempt and abort: A's write waits for its data (R2T sent, never
    // answered); B preempts A with abort; the write completes as aborted.
    assert_eq!(resv(&mut qa, 0x0d, 0, &[0, 0xa4]), (0, 0));
    assert_eq!(resv(&mut qb, 0x0d, 0, &[0, 0xb2]), (0, 0));
    assert_eq!(resv(&mut qb, 0x11, 2 << 8, &[0xb2, 0]), (0, 0), "B acquires exclusive access");
    let wcid = qa.send_only(rw(0x01, 20, 8), 4096);
    let ttag = match qa.recv() {
        Some(Rx::R2T { cccid, ttag, r2to, r2tl }) => {
            assert_eq!((cccid, r2to, r2tl), (wcid, 0, 4096));
            ttag
        }
        o => panic!("expected an R2T, got {o:?}"),
    };
    assert_eq!(resv(&mut qb, 0x11, (2 << 8) | 2, &[0xb2, 0xa4]), (0, 0), "B preempts and aborts");
    let c = qa.completions(1)[0];
    assert_eq!((c.cid, status(&c)), (wcid, (0, 0x1e)), "A's waiting write: aborted due to preempt and abort");
    // The data A sends late for it is dropped; the queue goes on.
    pdu::write_h2c_data(&mut qa.buf, &qa.txo, wcid, ttag, 0, &pattern(4096, 9), true);
    qa.s.write_all(&qa.buf).unwrap();
    let (c, _) = qa.exec(rw(0x02, 20, 8), &[], 4096);
    assert_eq!(status(&c), (0, 0x83), "A reads under B's exclusive access: conflict, on a working queue");
    let (c, back) = qb.exec(rw(0x02, 20, 8), &[], 4096);
    assert_eq!(status(&c), (0, 0));
    assert!(back != pattern(4096, 9), "the aborted write did not land");
}

/// A target whose namespace 1 is a delay bdev over a malloc bdev: reads
/// take 3 s; the delay bdev can abort what it holds.
fn start_tgt_slow_reads(abort_timeout_sec: u32) -> Tgt {
    start_tgt_with(|port| serde_json::json!({"subsystems": [
        {"subsystem": "bdev", "config": [
            {"method": "bdev_malloc_create", "params": {"name": "M0", "num_blocks": 8192, "block_size": 512}},
            {"method": "bdev_delay_create", "params": {"base_bdev_name": "M0", "name": "D0", "avg_read_latency": 3_000_000, "p99_read_latency": 3_000_000, "avg_write_latency": 1, "p99_write_latency": 1}}
        ]},
        {"subsystem": "nvmf", "config": [
            {"method": "nvmf_create_transport", "params": {"trtype": "TCP", "abort_timeout_sec": abort_timeout_sec}},
            {"method": "nvmf_create_subsystem", "params": {"nqn": NQN, "allow_any_host": true}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "D0", "nsid": 1}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": NQN, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}}
        ]}
    ]}))
}

#[test]
fn preempt_and_abort_aborts_commands_the_bdev_has() {
    let t = start_tgt_slow_reads(1);
    let (_admins, mut qs) = two_hosts(&t);
    let (mut qa, mut qb) = (qs.remove(0), qs.remove(0));
    qa.s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    qb.s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    const WERO: u32 = 3 << 8;
    assert_eq!(resv(&mut qa, 0x0d, 0, &[0, 0xa1]), (0, 0));
    assert_eq!(resv(&mut qb, 0x0d, 0, &[0, 0xb1]), (0, 0));
    assert_eq!(resv(&mut qa, 0x11, WERO, &[0xa1, 0]), (0, 0), "A acquires write exclusive - registrants only");
    let d = pattern(4096, 6);
    assert_eq!(status(&qa.exec(rw(0x01, 0, 8), &d, 0).0), (0, 0), "A writes (writes are not delayed)");
    // A's read sits in the delay bdev for 3 s; B preempts A with abort.
    let rcid = qa.send_only(rw(0x02, 0, 8), 4096);
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    assert_eq!(resv(&mut qb, 0x11, WERO | 2, &[0xb1, 0xa1]), (0, 0), "B preempts and aborts A");
    let mut others = 0;
    let c = wait_for(&mut qa, rcid, None, &mut others);
    assert_eq!(status(&c), (0, 0x1e), "A's read the bdev had: Command Aborted due to Preempt and Abort");
    assert!(t0.elapsed() < Duration::from_millis(2000), "aborted in the bdev, not left to its 3 s: {:?}", t0.elapsed());
    assert_eq!(others, 0);
    // B holds the reservation now; A, no longer a registrant, may not write.
    assert_eq!(status(&qa.exec(rw(0x01, 0, 8), &d, 0).0), (0, 0x83), "A's write after the preempt: conflict");
    // A read nobody aborts still takes its time and returns the data.
    let (c, back) = qb.exec(rw(0x02, 0, 8), &[], 4096);
    assert_eq!(status(&c), (0, 0));
    assert!(back == d, "the data A wrote");
}

/// An enabled controller of `NQN` with one I/O queue: (admin, I/O).
fn admin_and_io(port: u16) -> (Host, Host) {
    let (mut a, cntlid) = Host::admin(port, NQN, HOST, false);
    let mut sf = Cmd::new(0x09, 0);
    sf.cdw10 = 0x07;
    assert_eq!(status(&a.exec(sf, &[], 0).0), (0, 0), "set number of queues");
    (a, io_queue(port, cntlid, 1, false))
}

#[test]
fn abort_command() {
    let t = start_tgt();
    let (mut a, mut q) = admin_and_io(t.port);
    let abort = |sqid: u16, cid: u16| {
        let mut c = Cmd::new(0x08, 0);
        c.cdw10 = u32::from(sqid) | (u32::from(cid) << 16);
        c
    };
    // A write waiting for its data (R2T sent): aborted.
    let wcid = q.send_only(rw(0x01, 40, 8), 4096);
    let ttag = match q.recv() {
        Some(Rx::R2T { cccid, ttag, .. }) if cccid == wcid => ttag,
        o => panic!("expected an R2T, got {o:?}"),
    };
    let (c, _) = a.exec(abort(1, wcid), &[], 0);
    assert_eq!(status(&c), (0, 0));
    assert_eq!(c.cdw0 & 1, 0, "aborted");
    let c = q.completions(1)[0];
    assert_eq!((c.cid, status(&c)), (wcid, (0, 0x07)), "the write: command abort requested");
    // Its late data is dropped; the queue works.
    pdu::write_h2c_data(&mut q.buf, &q.txo, wcid, ttag, 0, &pattern(4096, 4), true);
    q.s.write_all(&q.buf).unwrap();
    let d = pattern(4096, 5);
    assert_eq!(status(&q.exec(rw(0x01, 40, 8), &d, 0).0), (0, 0));
    let (_, back) = q.exec(rw(0x02, 40, 8), &[], 4096);
    assert!(back == d, "only the later write landed");
    // Unknown CID, unknown queue: not aborted.
    let (c, _) = a.exec(abort(1, 0x7777), &[], 0);
    assert_eq!((status(&c), c.cdw0 & 1), ((0, 0), 1), "unknown CID");
    let (c, _) = a.exec(abort(9, 1), &[], 0);
    assert_eq!((status(&c), c.cdw0 & 1), ((0, 0), 1), "unknown queue");
    // A held AER on the admin queue: aborted, then the Abort answers.
    let aer = a.send_only(Cmd::new(0x0c, 0), 0);
    let acid = a.send_only(abort(0, aer), 0);
    let cs = a.completions(2);
    let by = |cid: u16| cs.iter().find(|c| c.cid == cid).copied().expect("both complete");
    assert_eq!(status(&by(aer)), (0, 0x07), "the AER: command abort requested");
    assert_eq!((status(&by(acid)), by(acid).cdw0 & 1), ((0, 0), 0), "the Abort: aborted");
}

/// Waits for command `cid`'s completion on `q` (C2H data into `back`,
/// when given); other commands' completions are counted into `others`.
fn wait_for(q: &mut Host, cid: u16, mut back: Option<&mut Vec<u8>>, others: &mut usize) -> Cpl {
    loop {
        match q.recv().expect("the command completes") {
            Rx::C2H { cccid, datao, data, success } => {
                if cccid == cid {
                    if let Some(b) = back.as_deref_mut() {
                        b[datao as usize..datao as usize + data.len()].copy_from_slice(&data);
                    }
                }
                if success {
                    if cccid == cid {
                        return Cpl { cid, ..Default::default() };
                    }
                    *others += 1;
                }
            }
            Rx::Resp(c) if c.cid == cid => return c,
            Rx::Resp(_) => *others += 1,
            o => panic!("unexpected {o:?}"),
        }
    }
}

#[test]
fn abort_of_a_command_with_the_bdev_is_passed_to_the_bdev() {
    // Reads take 3 s (a delay bdev, which can abort what it holds); the
    // transport's abort timeout is 1 s.
    let t = start_tgt_slow_reads(1);
    let (mut a, mut q) = admin_and_io(t.port);
    q.s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let d = pattern(4096, 8);
    assert_eq!(status(&q.exec(rw(0x01, 0, 8), &d, 0).0), (0, 0));
    let rcid = q.send_only(rw(0x02, 0, 8), 4096);
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    let mut ab = Cmd::new(0x08, 0);
    ab.cdw10 = 1 | (u32::from(rcid) << 16);
    let (c, _) = a.exec(ab, &[], 0);
    assert_eq!((status(&c), c.cdw0 & 1), ((0, 0), 0), "the read the delay bdev holds is aborted");
    assert!(t0.elapsed() < Duration::from_millis(900), "at once, not after the abort timeout: {:?}", t0.elapsed());
    let mut others = 0;
    let c = wait_for(&mut q, rcid, None, &mut others);
    assert_eq!(status(&c), (0, 0x07), "the read completes with Command Abort Requested");
    assert!(t0.elapsed() < Duration::from_millis(2000), "before its 3 s: {:?}", t0.elapsed());
    // The queue goes on: a read that is not aborted takes its 3 s and returns the data.
    let t1 = Instant::now();
    let (c, back) = q.exec(rw(0x02, 0, 8), &[], 4096);
    assert_eq!(status(&c), (0, 0));
    assert!(back == d, "the data");
    assert!(t1.elapsed() >= Duration::from_millis(2500), "the delay still applies: {:?}", t1.elapsed());
    // An Abort for a command id nobody uses: not aborted.
    ab.cdw10 = 1 | (0xfff0u32 << 16);
    let (c, _) = a.exec(ab, &[], 0);
    assert_eq!((status(&c), c.cdw0 & 1), ((0, 0), 1));
}

#[test]
fn remove_ns_lets_the_namespace_commands_finish_first() {
    // The delay bdev holds reads for 3 s. Removing the namespace of an
    // active subsystem pauses it first (as SPDK's RPC does): the read that
    // is with the bdev finishes with its data before the namespace's
    // channels go, and the RPC answers after that.
    let t = start_tgt_slow_reads(30);
    let (_a, mut q) = admin_and_io(t.port);
    q.s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let d = pattern(4096, 11);
    assert_eq!(status(&q.exec(rw(0x01, 0, 8), &d, 0).0), (0, 0));
    let rcid = q.send_only(rw(0x02, 0, 8), 4096);
    // Well inside the read's 3 s: it is with the delay bdev now.
    std::thread::sleep(Duration::from_millis(500));
    rpc(&t, "nvmf_subsystem_remove_ns", serde_json::json!({"nqn": NQN, "nsid": 1})).expect("the namespace is removed");
    // The read was answered before the RPC was: its data and completion
    // are here already (without the pause they would come seconds later).
    q.s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let mut back = vec![0u8; 4096];
    let mut others = 0;
    let c = wait_for(&mut q, rcid, Some(&mut back), &mut others);
    assert_eq!(status(&c), (0, 0), "the read completed normally");
    assert!(back == d, "with its data");
    // The namespace is gone and the subsystem runs again.
    q.s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    assert_eq!(status(&q.exec(rw(0x02, 0, 8), &[], 4096).0), (0, 0x0b), "namespace 1 is gone");
    let subs = rpc(&t, "nvmf_get_subsystems", serde_json::json!({})).unwrap();
    let me = subs.as_array().unwrap().iter().find(|s| s["nqn"] == NQN).expect("the subsystem");
    assert_eq!(me["namespaces"].as_array().map_or(0, Vec::len), 0);
    assert!(rpc(&t, "nvmf_subsystem_remove_ns", serde_json::json!({"nqn": NQN, "nsid": 1})).is_err(), "removing it again fails");
}

#[test]
fn abort_of_a_command_the_bdev_cannot_abort_waits_for_abort_timeout() {
    // A null bdev (its module cannot abort) limited by QoS to 1 MiB/s: 24
    // reads of 128 KiB wait their turn in the bdev layer for seconds.
    let t = start_tgt_with(|port| serde_json::json!({"subsystems": [
        {"subsystem": "bdev", "config": [
            {"method": "bdev_null_create", "params": {"name": "N0", "num_blocks": 16384, "block_size": 512}},
            {"method": "bdev_set_qos_limit", "params": {"name": "N0", "rw_mbytes_per_sec": 1}}
        ]},
        {"subsystem": "nvmf", "config": [
            {"method": "nvmf_create_transport", "params": {"trtype": "TCP", "abort_timeout_sec": 1}},
            {"method": "nvmf_create_subsystem", "params": {"nqn": NQN, "allow_any_host": true}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "N0", "nsid": 1}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": NQN, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}}
        ]}
    ]}));
    let (mut a, mut q) = admin_and_io(t.port);
    q.s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let cids: Vec<u16> = (0..24u64).map(|i| q.send_only(rw(0x02, i * 256, 256), 131072)).collect();
    let last = *cids.last().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    let mut ab = Cmd::new(0x08, 0);
    ab.cdw10 = 1 | (u32::from(last) << 16);
    let (c, _) = a.exec(ab, &[], 0);
    let waited = t0.elapsed();
    assert_eq!((status(&c), c.cdw0 & 1), ((0, 0), 1), "a read with a bdev that cannot abort is not aborted");
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_millis(2500), "the Abort waited the 1 s abort timeout: {waited:?}");
    // Every read completes normally, the last one too.
    let mut others = 0;
    let c = wait_for(&mut q, last, None, &mut others);
    assert_eq!(status(&c), (0, 0), "the last read");
    assert_eq!(others, cids.len() - 1, "the other reads completed before it");
}

/// A target whose transport takes `transport` (TCP) and serves a 4 MiB malloc
/// bdev of 512-byte blocks as namespace 1 of NQN to any host.
fn start_tgt_transport(transport: serde_json::Value) -> Tgt {
    start_tgt_with(|port| serde_json::json!({"subsystems": [
        {"subsystem": "bdev", "config": [
            {"method": "bdev_malloc_create", "params": {"name": "M0", "num_blocks": 8192, "block_size": 512}}
        ]},
        {"subsystem": "nvmf", "config": [
            {"method": "nvmf_create_transport", "params": transport},
            {"method": "nvmf_create_subsystem", "params": {"nqn": NQN, "allow_any_host": true}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "M0", "nsid": 1}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": NQN, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}}
        ]}
    ]}))
}

#[test]
fn io_unit_size_splits_data_over_several_buffers() {
    // 8 KiB buffers: a 128 KiB command holds 16 of them; every check of
    // io_checks (R2T writes up to 128 KiB, reads, compare, fused
    // compare-and-write, write zeroes, deallocate) runs on that target.
    let t = start_tgt_transport(serde_json::json!({"trtype": "TCP", "io_unit_size": 8192, "max_io_size": 131072, "in_capsule_data_size": 4096}));
    let (_a, mut q) = admin_and_io(t.port);
    io_checks(&mut q);
    // Odd sizes that end inside a buffer, sent by R2T, read back whole.
    for (slba, n, seed) in [(100u64, 12288usize, 5u8), (300, 8704, 6), (1000, 130560, 7)] {
        let data = pattern(n, seed);
        assert_eq!(status(&q.exec(rw(0x01, slba, (n / 512) as u32), &data, 0).0), (0, 0), "write {n}");
        let (c, back) = q.exec(rw(0x02, slba, (n / 512) as u32), &[], n);
        assert_eq!(status(&c), (0, 0), "read {n}");
        assert!(back == data, "{n} bytes at LBA {slba} read back differ");
    }
}

/// The target's virtual memory size in KiB (VmSize of /proc/PID/status).
fn vm_size_kib(t: &Tgt) -> u64 {
    let st = std::fs::read_to_string(format!("/proc/{}/status", t.child.id())).unwrap();
    let l = st.lines().find(|l| l.starts_with("VmSize:")).expect("VmSize in status");
    l.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn the_shared_pool_holds_buffers_of_io_unit_size() {
    // Two targets made by RPC that differ only in io_unit_size: 2048
    // buffers of 128 KiB (256 MiB) against 2048 of 8 KiB (16 MiB). The pool
    // is the only thing that depends on it, so the address spaces differ by
    // the pools' difference (240 MiB); buffers of max_io_size would make
    // them the same.
    let opts = |unit: u32| serde_json::json!({"trtype": "TCP", "io_unit_size": unit, "max_io_size": 131072, "num_shared_buffers": 2048, "buf_cache_size": 0});
    let big = start_tgt_transport(opts(131072));
    let (_a, mut q) = admin_and_io(big.port);
    let d = pattern(131072, 3);
    assert_eq!(status(&q.exec(rw(0x01, 0, 256), &d, 0).0), (0, 0));
    let small = start_tgt_transport(opts(8192));
    let (_a2, mut q2) = admin_and_io(small.port);
    assert_eq!(status(&q2.exec(rw(0x01, 0, 256), &d, 0).0), (0, 0), "128 KiB over 16 buffers of 8 KiB");
    let (c, back) = q2.exec(rw(0x02, 0, 256), &[], 131072);
    assert_eq!(status(&c), (0, 0));
    assert!(back == d, "read back over 8 KiB buffers");
    let (vb, vs) = (vm_size_kib(&big), vm_size_kib(&small));
    let diff = vb as i64 - vs as i64;
    assert!((200 * 1024..280 * 1024).contains(&diff), "VmSize {vb} KiB with 128 KiB units, {vs} KiB with 8 KiB units: {diff} KiB apart, expected about 240 MiB");
}

#[test]
fn io_unit_size_of_512_bytes_and_a_dsm_list_across_buffers() {
    let t = start_tgt_transport(serde_json::json!({"trtype": "TCP", "io_unit_size": 512, "max_io_size": 8192, "in_capsule_data_size": 4096}));
    let (_a, mut q) = admin_and_io(t.port);
    // Everything by R2T: every byte moves through 512-byte pool buffers.
    q.icd = 0;
    for (slba, n, seed) in [(0u64, 512usize, 1u8), (7, 1536, 2), (40, 4096, 3), (90, 5120, 4), (8176, 8192, 5)] {
        let data = pattern(n, seed);
        assert_eq!(status(&q.exec(rw(0x01, slba, (n / 512) as u32), &data, 0).0), (0, 0), "write {n}");
        let (c, back) = q.exec(rw(0x02, slba, (n / 512) as u32), &[], n);
        assert_eq!(status(&c), (0, 0), "read {n}");
        assert!(back == data, "{n} bytes at LBA {slba} read back differ");
        // Compare over the same buffers: equal, then one byte off at the end.
        assert_eq!(status(&q.exec(rw(0x05, slba, (n / 512) as u32), &data, 0).0), (0, 0), "compare {n}");
        let mut off = data.clone();
        off[n - 1] ^= 0xff;
        assert_eq!(status(&q.exec(rw(0x05, slba, (n / 512) as u32), &off, 0).0), (2, 0x85), "compare {n} that differs in its last byte");
    }
    // Above max_io_size: refused.
    let (c, _) = q.exec(rw(0x01, 0, 32), &pattern(16384, 9), 0);
    assert_eq!(status(&c), (0, 0x0f), "a write above max_io_size");
    // A deallocate list of 256 ranges (4 KiB, eight buffers): its last
    // range beyond the namespace is found, so all eight were read.
    let mut ranges = vec![0u8; 4096];
    for i in 0..256 {
        ranges[i * 16 + 4..i * 16 + 8].copy_from_slice(&1u32.to_le_bytes());
        ranges[i * 16 + 8..i * 16 + 16].copy_from_slice(&(i as u64 * 4).to_le_bytes());
    }
    let mut dsm = Cmd::new(0x09, 1);
    dsm.cdw10 = 255;
    dsm.cdw11 = 1 << 2;
    assert_eq!(status(&q.exec(dsm, &ranges, 0).0), (0, 0), "deallocate 256 ranges");
    ranges[255 * 16 + 8..255 * 16 + 16].copy_from_slice(&8192u64.to_le_bytes());
    assert_eq!(status(&q.exec(dsm, &ranges, 0).0), (0, 0x80), "the 256th range is beyond the namespace");
}

/// One JSON-RPC call to the target's socket; the response's result or error.
fn rpc(t: &Tgt, method: &str, params: serde_json::Value) -> Result<serde_json::Value, serde_json::Value> {
    let mut s = std::os::unix::net::UnixStream::connect(t.dir.join("rpc.sock")).expect("the RPC socket");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    s.write_all(req.to_string().as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).expect("an RPC response");
        assert!(n > 0, "the RPC connection closed without a response");
        got.extend_from_slice(&buf[..n]);
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&got) {
            return match v.get("error") {
                Some(e) => Err(e.clone()),
                None => Ok(v["result"].clone()),
            };
        }
    }
}

/// The discovery log as `HOST` sees it: generation counter and entries.
fn discovery_log(port: u16) -> (u64, Vec<rspdk::nvme::fabrics::DiscoveryEntry>) {
    let (mut d, _) = Host::admin(port, DISCOVERY, HOST, false);
    let mut glp = Cmd::new(0x02, 0);
    glp.cdw10 = 0x70 | ((8192 / 4 - 1) << 16);
    let (c, page) = d.exec(glp, &[], 8192);
    assert_eq!(status(&c), (0, 0));
    let (genctr, numrec) = rspdk::nvme::fabrics::discovery_header(&page).expect("a discovery log header");
    let entries = page[1024..].chunks(1024).take(numrec as usize).filter_map(rspdk::nvme::fabrics::discovery_entry).collect();
    (genctr, entries)
}

#[test]
fn discovery_referrals() {
    let far = "nqn.2016-06.io.spdk:far";
    let addr = |svc: &str| serde_json::json!({"trtype": "TCP", "adrfam": "IPv4", "traddr": "192.0.2.10", "trsvcid": svc});
    // One referral comes from the JSON config.
    let t = start_tgt_with(|port| serde_json::json!({"subsystems": [
        {"subsystem": "nvmf", "config": [
            {"method": "nvmf_create_transport", "params": {"trtype": "TCP"}},
            {"method": "nvmf_discovery_add_referral", "params": {"address": addr("8009")}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": DISCOVERY, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}}
        ]}
    ]}));
    let (g0, es) = discovery_log(t.port);
    let refs: Vec<_> = es.iter().filter(|e| e.traddr == "192.0.2.10").collect();
    assert_eq!(refs.len(), 1, "{es:?}");
    let r = refs[0];
    assert_eq!((r.trtype, r.adrfam, r.subtype, r.trsvcid.as_str(), r.subnqn.as_str()), (3, 1, 1, "8009", DISCOVERY), "a referral to another discovery service");
    assert_eq!(r.cntlid, 0xffff);
    assert!(es.iter().any(|e| e.subtype == 3 && e.traddr == "127.0.0.1"), "the current discovery subsystem is listed too: {es:?}");

    // A referral added at run time: the generation counter moves.
    rpc(&t, "nvmf_discovery_add_referral", serde_json::json!({"address": addr("4420"), "subnqn": far})).expect("add");
    let (g1, es) = discovery_log(t.port);
    assert_ne!(g1, g0, "GENCTR changes with a new referral");
    let r = es.iter().find(|e| e.subnqn == far).expect("the referral to an NVM subsystem");
    assert_eq!((r.subtype, r.trsvcid.as_str()), (2, "4420"));
    let listed = rpc(&t, "nvmf_discovery_get_referrals", serde_json::json!({})).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    assert_eq!(listed[0]["subnqn"], far);
    assert_eq!(listed[0]["address"]["trsvcid"], "4420");
    assert_eq!(listed[1]["secure_channel"], false);

    // TLS is refused, and so is removing what is not there.
    assert!(rpc(&t, "nvmf_discovery_add_referral", serde_json::json!({"address": addr("4421"), "secure_channel": true})).is_err());
    assert!(rpc(&t, "nvmf_discovery_remove_referral", serde_json::json!({"address": addr("4421")})).is_err());
    assert!(rpc(&t, "nvmf_discovery_add_referral", serde_json::json!({"address": {"trtype": "TCP"}})).is_err());
    assert_eq!(discovery_log(t.port).0, g1, "failed calls change nothing");

    rpc(&t, "nvmf_discovery_remove_referral", serde_json::json!({"address": addr("8009")})).expect("remove");
    let (g2, es) = discovery_log(t.port);
    assert_ne!(g2, g1, "GENCTR changes when a referral goes");
    assert!(!es.iter().any(|e| e.subtype == 1), "{es:?}");
    assert_eq!(es.iter().filter(|e| e.traddr == "192.0.2.10").count(), 1);
}

/// The current I/O queues over every poll group (`nvmf_get_stats`).
fn current_io_qpairs(t: &Tgt) -> u64 {
    let s = rpc(t, "nvmf_get_stats", serde_json::json!({})).expect("nvmf_get_stats");
    s["poll_groups"].as_array().expect("poll groups").iter().map(|g| g["current_io_qpairs"].as_u64().unwrap()).sum()
}

fn wait_io_qpairs(t: &Tgt, want: u64) {
    let end = Instant::now() + Duration::from_secs(10);
    while current_io_qpairs(t) != want {
        assert!(Instant::now() < end, "the I/O queues never went to {want}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn zcopy_reads_and_writes_use_the_bdev_buffers() {
    // One shared data buffer and no per-group cache: a command that takes
    // a pool buffer holds all of them. Namespace 1 is a malloc bdev (it
    // lends its memory), namespace 2 a null bdev (it cannot).
    let t = start_tgt_with(|port| serde_json::json!({"subsystems": [
        {"subsystem": "bdev", "config": [
            {"method": "bdev_malloc_create", "params": {"name": "M0", "num_blocks": 8192, "block_size": 512}},
            {"method": "bdev_null_create", "params": {"name": "N0", "num_blocks": 8192, "block_size": 512}}
        ]},
        {"subsystem": "nvmf", "config": [
            {"method": "nvmf_create_transport", "params": {"trtype": "TCP", "zcopy": true, "num_shared_buffers": 1, "buf_cache_size": 0, "in_capsule_data_size": 4096}},
            {"method": "nvmf_create_subsystem", "params": {"nqn": NQN, "allow_any_host": true}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "M0", "nsid": 1}}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "N0", "nsid": 2}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": NQN, "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}}
        ]}
    ]}));
    let tr = rpc(&t, "nvmf_get_transports", serde_json::json!({})).expect("nvmf_get_transports");
    assert_eq!(tr[0]["zcopy"], serde_json::json!(true), "{tr}");
    let (mut a, cntlid) = Host::admin(t.port, NQN, HOST, false);
    let mut sf = Cmd::new(0x09, 0);
    sf.cdw10 = 0x07;
    sf.cdw11 = 0x0007_0007;
    assert_eq!(status(&a.exec(sf, &[], 0).0), (0, 0), "set number of queues");
    let null_rw = |op: u8, slba: u64, nlb: u32| {
        let mut c = rw(op, slba, nlb);
        c.nsid = 2;
        c
    };
    // The null namespace's write takes the only pool buffer and waits for its data.
    let mut hold = io_queue(t.port, cntlid, 1, false);
    hold.icd = 0;
    let held = hold.send_only(null_rw(0x01, 0, 8), 4096);
    let held_ttag = match hold.recv() {
        Some(Rx::R2T { cccid, ttag, .. }) if cccid == held => ttag,
        o => panic!("expected an R2T for the null write, got {o:?}"),
    };
    // A second one finds no buffer: no R2T yet.
    let mut hold2 = io_queue(t.port, cntlid, 2, false);
    let waiting = hold2.send_only(null_rw(0x01, 8, 8), 4096);
    hold2.s.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut b = [0u8; 64];
    assert!(matches!(hold2.s.read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut), "no R2T while the pool is empty");
    hold2.s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();

    // Meanwhile the malloc namespace moves every size through its own
    // memory (R2T writes, C2H reads), with and without digests.
    for (qid, digests) in [(3u16, false), (4, true)] {
        let mut q = io_queue(t.port, cntlid, qid, digests);
        q.icd = 0;
        for (slba, n, seed) in [(0u64, 4096usize, 1u8), (16, 8192, 2), (64, 16384, 3), (200, 65536, 4), (512, 131072, 5), (8192 - 256, 131072, 6), (3000, 20480, 7)] {
            let data = pattern(n, seed.wrapping_add(qid as u8));
            let (c, _) = q.exec(rw(0x01, slba, (n / 512) as u32), &data, 0);
            assert_eq!(status(&c), (0, 0), "zero-copy write {n} at {slba} (digests {digests})");
            let (c, back) = q.exec(rw(0x02, slba, (n / 512) as u32), &[], n);
            assert_eq!(status(&c), (0, 0), "zero-copy read {n} at {slba}");
            assert!(back == data, "{n} bytes at LBA {slba} read back differ (digests {digests})");
        }
        // In-capsule data and an SGL longer than the blocks still work (pool-free ways).
        q.icd = 4096;
        let d = pattern(4096, 9);
        assert_eq!(status(&q.exec(rw(0x01, 40, 8), &d, 0).0), (0, 0));
        assert!(q.exec(rw(0x02, 40, 8), &[], 4096).1 == d);
        // Out of range: the command's checks ran before any buffer was lent.
        q.icd = 0;
        let (c, _) = q.exec(rw(0x01, 8190, 8), &pattern(4096, 1), 0);
        assert_eq!(status(&c), (0, 0x80), "a zero-copy write beyond the namespace");
        let (c, _) = q.exec(rw(0x02, 8190, 8), &[], 4096);
        assert_eq!(status(&c), (0, 0x80), "a zero-copy read beyond the namespace");
    }

    // Aborted while waiting for its data: the lent buffers go back; the
    // late data is dropped; the queue goes on.
    let mut q = io_queue(t.port, cntlid, 5, false);
    q.icd = 0;
    let wcid = q.send_only(rw(0x01, 100, 8), 4096);
    let ttag = match q.recv() {
        Some(Rx::R2T { cccid, ttag, r2tl, .. }) if cccid == wcid => {
            assert_eq!(r2tl, 4096);
            ttag
        }
        o => panic!("expected an R2T, got {o:?}"),
    };
    let mut abort = Cmd::new(0x08, 0);
    abort.cdw10 = 5 | (u32::from(wcid) << 16);
    let (c, _) = a.exec(abort, &[], 0);
    assert_eq!((status(&c), c.cdw0 & 1), ((0, 0), 0), "aborted");
    assert_eq!(q.completions(1)[0].cid, wcid);
    pdu::write_h2c_data(&mut q.buf, &q.txo, wcid, ttag, 0, &pattern(4096, 4), true);
    q.s.write_all(&q.buf).unwrap();
    let d = pattern(4096, 11);
    assert_eq!(status(&q.exec(rw(0x01, 100, 8), &d, 0).0), (0, 0));
    assert!(q.exec(rw(0x02, 100, 8), &[], 4096).1 == d, "only the later write landed");

    // A connection closed with a zero-copy write waiting for its data and
    // one with unread C2H data: each queue goes away (nothing of the
    // bdev is left outstanding, or the queue would stay).
    let before = current_io_qpairs(&t);
    let mut q6 = io_queue(t.port, cntlid, 6, false);
    q6.send_only(rw(0x01, 300, 256), 131072);
    assert!(matches!(q6.recv(), Some(Rx::R2T { .. })));
    let mut q7 = io_queue(t.port, cntlid, 7, false);
    for _ in 0..16 {
        q7.send_only(rw(0x02, 0, 256), 131072);
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(current_io_qpairs(&t), before + 2);
    drop(q6);
    drop(q7);
    wait_io_qpairs(&t, before);

    // The null namespace still works with zcopy on: the held write gets
    // its data and completes, then the waiting one gets the buffer.
    pdu::write_h2c_data(&mut hold.buf, &hold.txo, held, held_ttag, 0, &pattern(4096, 3), true);
    hold.s.write_all(&hold.buf).unwrap();
    let c = hold.completions(1)[0];
    assert_eq!((c.cid, status(&c)), (held, (0, 0)));
    match hold2.recv() {
        Some(Rx::R2T { cccid, ttag, .. }) if cccid == waiting => {
            pdu::write_h2c_data(&mut hold2.buf, &hold2.txo, waiting, ttag, 0, &pattern(4096, 5), true);
            hold2.s.write_all(&hold2.buf).unwrap();
        }
        o => panic!("expected the R2T of the waiting write, got {o:?}"),
    }
    let c = hold2.completions(1)[0];
    assert_eq!((c.cid, status(&c)), (waiting, (0, 0)));
    let (c, _) = hold.exec(null_rw(0x02, 0, 8), &[], 4096);
    assert_eq!(status(&c), (0, 0), "a read of the null namespace, through a pool buffer");
}

#[test]
fn large_h2c_payloads_land_in_place_and_keep_their_checks() {
    let t = start_tgt_transport(serde_json::json!({"trtype": "TCP", "zcopy": true}));
    let (_a, cntlid) = {
        let (mut a, cntlid) = Host::admin(t.port, NQN, HOST, false);
        let mut sf = Cmd::new(0x09, 0);
        sf.cdw10 = 0x07;
        sf.cdw11 = 0x0003_0003;
        assert_eq!(status(&a.exec(sf, &[], 0).0), (0, 0));
        (a, cntlid)
    };
    // 128 KiB in two H2CData PDUs, trickled in pieces that split headers,
    // data and digests across the target's reads.
    for (qid, digests) in [(1u16, false), (2, true)] {
        let mut q = io_queue(t.port, cntlid, qid, digests);
        let data = pattern(131072, 40 + qid as u8);
        let cid = q.send_only(rw(0x01, 1024, 256), 131072);
        let ttag = match q.recv() {
            Some(Rx::R2T { cccid, ttag, r2tl, .. }) if cccid == cid => {
                assert_eq!(r2tl, 131072);
                ttag
            }
            o => panic!("expected an R2T, got {o:?}"),
        };
        let mut wire = Vec::new();
        for (off, last) in [(0usize, false), (65536, true)] {
            pdu::write_h2c_data(&mut q.buf, &q.txo, cid, ttag, off as u32, &data[off..off + 65536], last);
            wire.extend_from_slice(&q.buf);
        }
        for chunk in wire.chunks(20000) {
            let (head, rest) = chunk.split_at(chunk.len().min(13));
            for piece in [head, rest] {
                q.s.write_all(piece).unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        let c = q.completions(1)[0];
        assert_eq!((c.cid, status(&c)), (cid, (0, 0)));
        let (c, back) = q.exec(rw(0x02, 1024, 256), &[], 131072);
        assert_eq!(status(&c), (0, 0));
        assert!(back == data, "trickled 128 KiB read back differs (digests {digests})");
    }
    // A bad data digest on a large payload still ends the connection, and
    // the zero-copy write's blocks keep their data (unchecked data never
    // reaches the bdev's memory).
    let mut q = io_queue(t.port, cntlid, 3, true);
    let before = q.exec(rw(0x02, 1024, 128), &[], 65536).1;
    let cid = q.send_only(rw(0x01, 1024, 128), 65536);
    let ttag = match q.recv() {
        Some(Rx::R2T { ttag, .. }) => ttag,
        o => panic!("expected an R2T, got {o:?}"),
    };
    pdu::write_h2c_data(&mut q.buf, &q.txo, cid, ttag, 0, &pattern(65536, 99), true);
    let n = q.buf.len();
    q.buf[n - 1] ^= 0x5a;
    q.s.write_all(&q.buf).unwrap();
    while let Some(p) = q.recv() {
        if let Rx::Resp(c) = p {
            assert_ne!(status(&c), (0, 0), "a write with a bad digest must not succeed");
        }
    }
    let mut q = io_queue(t.port, cntlid, 3, false);
    assert!(q.exec(rw(0x02, 1024, 128), &[], 65536).1 == before, "the blocks kept their data");
    // A large payload at the wrong offset: TermReq (data transfer out of range), as ever.
    let cid = q.send_only(rw(0x01, 0, 128), 65536);
    let ttag = match q.recv() {
        Some(Rx::R2T { ttag, .. }) => ttag,
        o => panic!("expected an R2T, got {o:?}"),
    };
    pdu::write_h2c_data(&mut q.buf, &q.txo, cid, ttag, 512, &pattern(32768, 1), false);
    q.s.write_all(&q.buf).unwrap();
    match q.recv() {
        Some(Rx::Term { fes }) => assert_eq!(fes, 0x05),
        o => panic!("expected a TermReq, got {o:?}"),
    }
}
