//! The NVMe/TCP target's connection state machine, end to end: a real
//! target (TCP transport with zero copy, subsystem nqn.2016-06.io.spdk:fuzz
//! with a malloc namespace, whose reads and writes by R2T/C2H use the
//! bdev's own buffers, and a null namespace, whose use pool buffers; a
//! listener on 127.0.0.1 only) runs in this process
//! on its own thread, and every input is played as a host over a fresh
//! loopback connection.
//!
//! Byte 0 chooses how far a valid host takes the connection first (not at
//! all; ICReq; ICReq and an admin Connect with the controller enabled; or
//! ICReq and an I/O Connect to a controller made on a second connection),
//! the digests and HPDA asked for, whether the rest is sent raw (in
//! input-sized chunks, for partial reads) or as a list of operations that
//! build PDUs with the library's encoders (capsules with in-capsule data or
//! a transport SGL, H2CData of any TTAG, CID, offset and length, answers to
//! the target's R2Ts, TermReq, raw bytes, pauses), and whether the host ends
//! by half-closing (the target must then close too) or by a reset.
//!
//! Checked: the target never panics (the fuzzer's panic hook aborts on any
//! thread); what it sends on a negotiated connection parses as valid
//! controller-to-host PDUs; it closes a half-closed connection; once the
//! input's connections are closed, its controllers are gone and its data
//! buffers are back in the pool; and after every input a fresh connection
//! still gets its ICResp, so a bad host only ever loses its own connection.
//!
//! Replay an input with NVMF_TCP_CONN_TRACE=1 to see what the target answered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::event::{app, json_config};
use rspdk::nvme::fabrics;
use rspdk::nvme::spec::{Cmd, Cpl};
use rspdk::nvmf::tcp::pdu::{self, Pdu, PduReader, Role, TxOpts};
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const NQN: &str = "nqn.2016-06.io.spdk:fuzz";
const HOSTNQN: &str = "nqn.2014-08.org.nvmexpress:uuid:f0220000-0000-4000-8000-00000000f022";
/// Transport limits the configuration sets (kept small so the fuzzer reaches them).
const QUEUE_DEPTH: u16 = 32;
const MAX_IO: u32 = 131072;
const NUM_BUFS: usize = 8;
const BUF_CACHE: usize = 2;
/// The CID of the command that ends an input's commands.
const SYNC_CID: u16 = 0xfffe;
/// How long the target may take to answer what must be answered.
const PATIENCE: Duration = Duration::from_secs(10);
/// Time given to one input's sending and R2T answering.
const INPUT_BUDGET: Duration = Duration::from_millis(500);

static PORT: OnceLock<u16> = OnceLock::new();

fn config(port: u16) -> String {
    serde_json::json!({"subsystems": [
        {"subsystem": "bdev", "config": [
            {"method": "bdev_malloc_create", "params": {"name": "FuzzMalloc", "num_blocks": 4096, "block_size": 512}},
            {"method": "bdev_null_create", "params": {"name": "FuzzNull", "num_blocks": 1024, "block_size": 4096}}
        ]},
        {"subsystem": "nvmf", "config": [
            {"method": "nvmf_create_transport", "params": {"trtype": "TCP", "in_capsule_data_size": 4096, "max_queue_depth": QUEUE_DEPTH,
                "max_aq_depth": 32, "max_io_size": MAX_IO, "io_unit_size": MAX_IO, "max_io_qpairs_per_ctrlr": 4,
                "num_shared_buffers": NUM_BUFS, "buf_cache_size": BUF_CACHE, "acceptor_poll_rate": 0, "zcopy": true}},
            {"method": "nvmf_create_subsystem", "params": {"nqn": NQN, "serial_number": "FUZZ0001", "allow_any_host": true}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "FuzzMalloc", "nsid": 1}}},
            {"method": "nvmf_subsystem_add_ns", "params": {"nqn": NQN, "namespace": {"bdev_name": "FuzzNull", "nsid": 2}}},
            {"method": "nvmf_subsystem_add_listener", "params": {"nqn": NQN, "listen_address":
                {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": port.to_string()}}}
        ]}
    ]})
    .to_string()
}

/// Starts the target once, on its own thread, and waits until it answers.
fn target_port() -> u16 {
    *PORT.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port").port();
        let text = config(port);
        std::thread::Builder::new()
            .name("nvmf_tgt".into())
            .spawn(move || {
                let cfg = app::AppConfig {
                    name: "nvmf_tcp_conn_fuzz".into(),
                    rpc_addr: None,
                    reactor_mask: Some("0x1".into()),
                    no_pci: true,
                    no_huge: true,
                    disable_signal_handlers: true,
                    print_level: rspdk::log::LOG_DISABLED,
                    ..Default::default()
                };
                let rc = app::start(
                    cfg,
                    Box::new(move || {
                        let calls = json_config::parse(&text, "fuzz config").expect("the fuzz configuration parses");
                        json_config::apply(&calls, "fuzz config").expect("the fuzz configuration applies");
                    }),
                );
                panic!("the target stopped (rc {rc})");
            })
            .expect("the target thread");
        let t0 = Instant::now();
        while !health_check(port) {
            assert!(t0.elapsed() < Duration::from_secs(60), "the target never came up on port {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        port
    })
}

/// With NVMF_TCP_CONN_TRACE set (when replaying an input by hand): what
/// the target answered, on stderr.
fn trace(args: std::fmt::Arguments<'_>) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("NVMF_TCP_CONN_TRACE").is_some()) {
        eprintln!("nvmf_tcp_conn: {args}");
    }
}

/// Closes with a reset: nothing lingers in TIME_WAIT on either side.
fn reset_close(s: TcpStream) {
    let l = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: a valid socket and a linger struct of the size given.
    unsafe {
        libc::setsockopt(s.as_raw_fd(), libc::SOL_SOCKET, libc::SO_LINGER, (&l as *const libc::linger).cast(), std::mem::size_of::<libc::linger>() as libc::socklen_t);
    }
}

/// The host end of one connection: sends without ever blocking on a target
/// that is itself waiting for us to read, and parses what comes back.
struct Host {
    s: Option<TcpStream>,
    /// Parses the target's PDUs once the initialization exchange is known.
    rd: PduReader,
    checked: bool,
    pending: Vec<u8>,
    closed: bool,
    txo: TxOpts,
    maxh2cdata: u32,
    ic_resp: bool,
    cpls: Vec<Cpl>,
    r2ts: VecDeque<(u16, u16, u32, u32)>,
    cid: u16,
}

impl Host {
    fn connect(port: u16) -> Option<Host> {
        // Retried a little: a burst of connections may find no ephemeral port free for a moment.
        let t0 = Instant::now();
        let s = loop {
            match TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) && t0.elapsed() < PATIENCE => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => return None,
            }
        };
        s.set_nodelay(true).ok()?;
        s.set_nonblocking(true).ok()?;
        Some(Host {
            s: Some(s),
            rd: PduReader::new(Role::Host, 1 << 20),
            checked: false,
            pending: Vec::new(),
            closed: false,
            txo: TxOpts::default(),
            maxh2cdata: 4096,
            ic_resp: false,
            cpls: Vec::new(),
            r2ts: VecDeque::new(),
            cid: 0,
        })
    }

    fn sock(&self) -> &TcpStream {
        self.s.as_ref().expect("an open socket")
    }

    /// Reads what is there. Returns whether anything came.
    fn pump(&mut self) -> bool {
        if self.closed {
            return false;
        }
        let mut b = [0u8; 65536];
        let mut any = false;
        loop {
            match self.sock().read(&mut b) {
                Ok(0) => {
                    self.closed = true;
                    break;
                }
                Ok(n) => {
                    any = true;
                    if self.checked {
                        self.pending.extend_from_slice(&b[..n]);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    self.closed = true;
                    break;
                }
            }
        }
        self.parse();
        any
    }

    fn parse(&mut self) {
        let mut off = 0;
        while off < self.pending.len() {
            let (used, r) = self.rd.feed(&self.pending[off..]);
            off += used;
            match r {
                Ok(None) => break,
                Ok(Some(p)) => match p {
                    Pdu::IcResp { hdgst, ddgst, maxh2cdata, .. } => {
                        assert!(!self.ic_resp, "a second ICResp");
                        assert_eq!((hdgst, ddgst), (self.txo.hdgst, self.txo.ddgst), "ICResp digests differ from those asked for");
                        self.rd.set_digests(hdgst, ddgst);
                        self.ic_resp = true;
                        self.maxh2cdata = maxh2cdata;
                    }
                    Pdu::CapsuleResp { cpl } => {
                        trace(format_args!("completion cid {} status {:#x} cdw0 {:#x}", cpl.cid, cpl.status, cpl.cdw0));
                        self.cpls.push(cpl);
                    }
                    Pdu::R2T { cccid, ttag, r2to, r2tl } => {
                        assert!(r2tl > 0 && r2tl <= MAX_IO, "R2T of {r2tl} bytes");
                        trace(format_args!("R2T cid {cccid} ttag {ttag} offset {r2to} length {r2tl}"));
                        self.r2ts.push_back((cccid, ttag, r2to, r2tl));
                    }
                    Pdu::C2HData { cccid, datao, data, .. } => trace(format_args!("C2HData cid {cccid} offset {datao} length {}", data.len())),
                    Pdu::TermReq { fes, fei, .. } => trace(format_args!("TermReq FES {fes:#x} FEI {fei}")),
                    o => panic!("the target sent {o:?}"),
                },
                Err(e) => panic!("the target sent a malformed PDU: {e}"),
            }
        }
        self.pending.drain(..off);
    }

    /// Waits up to `ms` for the socket to become readable.
    fn wait_readable(&self, ms: i32) {
        let mut p = libc::pollfd { fd: self.sock().as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, ms) };
    }

    /// Sends `bytes` in pieces of the sizes `chunk` gives, reading meanwhile. Gives up
    /// (silently) when the target closed or the budget is spent.
    fn send(&mut self, bytes: &[u8], chunk: &mut dyn FnMut() -> usize, deadline: Instant) {
        let mut off = 0;
        while off < bytes.len() && !self.closed {
            let end = off.saturating_add(chunk().max(1)).min(bytes.len());
            match self.sock().write(&bytes[off..end]) {
                Ok(n) => off += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        return;
                    }
                    let mut p = libc::pollfd { fd: self.sock().as_raw_fd(), events: libc::POLLIN | libc::POLLOUT, revents: 0 };
                    // SAFETY: one valid pollfd.
                    unsafe { libc::poll(&mut p, 1, 5) };
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => self.closed = true,
            }
            self.pump();
        }
    }

    fn send_all(&mut self, bytes: &[u8]) {
        self.send(bytes, &mut || usize::MAX, Instant::now() + PATIENCE);
    }

    /// Reads until `done` holds, the connection closes or `limit` passes.
    /// With `quiet`, also stops after that long without any byte.
    fn wait_for(&mut self, done: &dyn Fn(&Host) -> bool, limit: Duration, quiet: Option<Duration>) -> bool {
        let t0 = Instant::now();
        let mut last = t0;
        loop {
            if self.pump() {
                last = Instant::now();
            }
            if done(self) {
                return true;
            }
            let now = Instant::now();
            if self.closed || now - t0 > limit || quiet.is_some_and(|q| now - last > q) {
                return false;
            }
            self.wait_readable(1);
        }
    }

    /// ICReq; waits for the ICResp. Returns whether it came.
    fn init(&mut self, hpda: u8, hdgst: bool, ddgst: bool) -> bool {
        self.checked = true;
        self.txo = TxOpts { hdgst, ddgst, pda: 0 };
        self.rd.set_pda(hpda);
        let mut b = Vec::new();
        pdu::write_ic_req(&mut b, hpda, hdgst, ddgst, 0);
        self.send_all(&b);
        self.wait_for(&|h| h.ic_resp, PATIENCE, None)
    }

    fn next_cid(&mut self) -> u16 {
        self.cid = self.cid.wrapping_add(1);
        self.cid
    }

    /// Sends `cmd` with `data` in the capsule (an in-capsule SGL) and waits
    /// for its completion.
    fn exec(&mut self, mut cmd: Cmd, data: &[u8]) -> Option<Cpl> {
        let cid = self.next_cid();
        set_sgl(&mut cmd, cid, data.len() as u32, true);
        let mut b = Vec::new();
        pdu::write_capsule_cmd(&mut b, &self.txo, &cmd, data);
        self.send_all(&b);
        self.wait_for(&|h| h.cpls.iter().any(|c| c.cid == cid), PATIENCE, None);
        let i = self.cpls.iter().position(|c| c.cid == cid)?;
        Some(self.cpls.remove(i))
    }

    /// Fabrics Connect of queue `qid`; the controller ID on success.
    fn connect_q(&mut self, qid: u16, cntlid: u16) -> Option<u16> {
        let d = fabrics::connect_data(&[0x5a; 16], cntlid, NQN, HOSTNQN);
        let c = self.exec(fabrics::connect_cmd(qid, QUEUE_DEPTH - 1, if qid == 0 { 30_000 } else { 0 }), &d)?;
        (c.status >> 1 == 0).then(|| fabrics::connect_cntlid(c.cdw0))
    }

    /// Admin Connect, then CC.EN (with 64-byte SQEs and 16-byte CQEs).
    fn admin_enabled(&mut self) -> Option<u16> {
        let id = self.connect_q(0, 0xffff)?;
        let c = self.exec(fabrics::prop_set_cmd(fabrics::prop::CC, false, 1 | (6 << 16) | (4 << 20)), &[])?;
        (c.status >> 1 == 0).then_some(id)
    }

    /// Lets the target take in everything sent before the input ends: on
    /// an initialized connection a Keep Alive's completion (of any status)
    /// says all before it was handled; otherwise, or when it never comes (a
    /// PDU left incomplete swallows it), a short silence does.
    fn settle(&mut self) {
        if self.closed {
            return;
        }
        if self.ic_resp {
            let mut cmd = Cmd::new(0x18, 0);
            set_sgl(&mut cmd, SYNC_CID, 0, true);
            let mut b = Vec::new();
            pdu::write_capsule_cmd(&mut b, &self.txo, &cmd, &[]);
            self.send_all(&b);
        }
        self.wait_for(&|h| h.cpls.iter().any(|c| c.cid == SYNC_CID), Duration::from_millis(20), Some(Duration::from_millis(1)));
    }

    /// Half-closes and waits for the target to close its end.
    fn finish_clean(&mut self) {
        let _ = self.sock().shutdown(Shutdown::Write);
        let closed = self.wait_for(&|h| h.closed, PATIENCE, None) || self.closed;
        assert!(closed, "the target kept a half-closed connection open for {PATIENCE:?}");
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Some(s) = self.s.take() {
            reset_close(s);
        }
    }
}

/// SGL data block descriptor in PRP1/PRP2: in-capsule at offset 0, or a
/// transport data block (the data follows through R2T/H2CData).
fn set_sgl(cmd: &mut Cmd, cid: u16, len: u32, in_capsule: bool) {
    cmd.set_cid(cid);
    cmd.cdw0 |= 1 << 14;
    cmd.prp1 = 0;
    cmd.prp2 = u64::from(len) | (u64::from(if in_capsule { 0x01u8 } else { 0x5a }) << 56);
}

/// Once every connection of an input is closed, the target lets go of its
/// controllers and data buffers (the one poll group caches at most BUF_CACHE).
fn assert_released() {
    let t0 = Instant::now();
    loop {
        let ctrlrs = rspdk::nvmf::ctrlr::controllers(Some(NQN)).len();
        let free = rspdk::nvmf::group::pool().map_or(0, |p| p.count());
        if ctrlrs == 0 && free + BUF_CACHE >= NUM_BUFS {
            return;
        }
        assert!(t0.elapsed() < PATIENCE, "{ctrlrs} controller(s) and {} of {NUM_BUFS} buffers still held with every connection closed", NUM_BUFS - free);
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// A fresh connection gets its ICResp.
fn health_check(port: u16) -> bool {
    Host::connect(port).is_some_and(|mut h| h.init(0, false, false))
}

/// Input bytes, read front to back; zeros once exhausted.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn empty(&self) -> bool {
        self.0.is_empty()
    }

    fn u8(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, &[][..]), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }

    /// `n` bytes: the input's, then zeros.
    fn data(&mut self, n: usize) -> Vec<u8> {
        let mut v = self.bytes(n).to_vec();
        v.resize(n, 0);
        v
    }

    /// A command with the opcode, CID-free dwords and namespace the input gives.
    fn cmd(&mut self) -> Cmd {
        let opc = self.u8();
        let mut c = Cmd::new(opc, u32::from(self.u8()) % 4);
        if opc == 0x7f {
            // Fabrics: the command type takes the namespace field.
            c.nsid = u32::from(self.u8());
        }
        c.cdw0 |= u32::from(self.u8() & 3) << 8; // fused bits
        c.cdw10 = self.u32();
        c.cdw11 = self.u32();
        c.cdw12 = self.u32();
        c
    }
}

/// A capsule from 64 raw SQE bytes (CID and SGL included).
fn raw_sqe(b: &[u8]) -> Cmd {
    let mut s = [0u8; 64];
    s[..b.len().min(64)].copy_from_slice(&b[..b.len().min(64)]);
    let w = |i: usize| u32::from_le_bytes([s[i * 4], s[i * 4 + 1], s[i * 4 + 2], s[i * 4 + 3]]);
    let dw = |i: usize| u64::from(w(i)) | (u64::from(w(i + 1)) << 32);
    Cmd {
        cdw0: w(0),
        nsid: w(1),
        cdw2: w(2),
        cdw3: w(3),
        mptr: dw(4),
        prp1: dw(6),
        prp2: dw(8),
        cdw10: w(10),
        cdw11: w(11),
        cdw12: w(12),
        cdw13: w(13),
        cdw14: w(14),
        cdw15: w(15),
    }
}

/// Plays the operations of a structured input.
fn play_ops(h: &mut Host, inp: &mut Input<'_>, chunk: &mut dyn FnMut() -> usize, deadline: Instant) {
    let mut last_transport_cid = 0u16;
    let mut b = Vec::new();
    while !inp.empty() && !h.closed && Instant::now() < deadline {
        b.clear();
        match inp.u8() % 8 {
            0 => {
                let cmd = raw_sqe(inp.bytes(64));
                let n = usize::from(inp.u8()) * 16;
                let data = inp.data(n);
                pdu::write_capsule_cmd(&mut b, &h.txo, &cmd, &data);
            }
            1 => {
                let mut cmd = inp.cmd();
                let n = usize::from(inp.u16()) % 8200;
                let data = inp.data(n);
                let cid = h.next_cid();
                set_sgl(&mut cmd, cid, n as u32, true);
                pdu::write_capsule_cmd(&mut b, &h.txo, &cmd, &data);
            }
            2 => {
                let mut cmd = inp.cmd();
                let len = inp.u32() % (2 * MAX_IO + 1);
                let cid = h.next_cid();
                last_transport_cid = cid;
                set_sgl(&mut cmd, cid, len, false);
                pdu::write_capsule_cmd(&mut b, &h.txo, &cmd, &[]);
            }
            3 => {
                let sel = inp.u8();
                let ttag = u16::from(inp.u8());
                let cccid = if sel & 1 != 0 { inp.u16() } else { last_transport_cid };
                let datao = if sel & 2 != 0 { inp.u32() } else { u32::from(inp.u16()) };
                let n = usize::from(inp.u16()) % (64 * 1024);
                let data = inp.data(n);
                pdu::write_h2c_data(&mut b, &h.txo, cccid, ttag, datao, &data, sel & 4 != 0);
            }
            4 => answer_r2ts(h, inp, chunk, deadline),
            5 => {
                let n = usize::from(inp.u8());
                b.extend_from_slice(inp.bytes(n));
            }
            6 => {
                let fes = inp.u16();
                let fei = inp.u32();
                pdu::write_term_req(&mut b, true, fes, fei, &[]);
            }
            _ => {
                h.wait_for(&|_| false, Duration::from_millis(5), Some(Duration::from_millis(1)));
            }
        }
        if !b.is_empty() {
            h.send(&b, chunk, deadline);
        }
    }
}

/// Answers the R2Ts that come within a short wait with their H2CData, in
/// PDUs of at most MAXH2CDATA (or smaller, as the input says).
fn answer_r2ts(h: &mut Host, inp: &mut Input<'_>, chunk: &mut dyn FnMut() -> usize, deadline: Instant) {
    h.wait_for(&|h| !h.r2ts.is_empty(), Duration::from_millis(10), Some(Duration::from_millis(1)));
    let piece = (u32::from(inp.u8()) * 1024).clamp(512, h.maxh2cdata.max(512));
    let fill = inp.u8();
    let mut b = Vec::new();
    while let Some((cccid, ttag, r2to, r2tl)) = h.r2ts.pop_front() {
        let data = vec![fill; r2tl as usize];
        let mut off = 0;
        while off < data.len() && !h.closed {
            let n = (data.len() - off).min(piece as usize);
            b.clear();
            pdu::write_h2c_data(&mut b, &h.txo, cccid, ttag, r2to + off as u32, &data[off..off + n], off + n == data.len());
            h.send(&b, chunk, deadline);
            off += n;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let port = target_port();
    let mut inp = Input(data);
    let sel = inp.u8();
    let sel2 = inp.u8();
    let level = sel & 3;
    let (hdgst, ddgst) = (sel & 4 != 0, sel & 8 != 0);
    let structured = sel & 16 != 0;
    let clean_end = sel & 32 != 0;
    let hpda = [0u8, 1, 3, 31][usize::from(sel >> 6)];
    let deadline = Instant::now() + INPUT_BUDGET;

    // Level 3 needs a controller first: its admin queue is a second connection.
    let mut admin = None;
    let mut cntlid = 0xffff;
    if level == 3 {
        let mut a = Host::connect(port).expect("connect to the target");
        assert!(a.init(0, false, false), "no ICResp on the admin connection");
        cntlid = a.admin_enabled().expect("admin Connect and CC.EN on a fresh controller");
        admin = Some(a);
    }

    let mut h = Host::connect(port).expect("connect to the target");
    if level >= 1 {
        assert!(h.init(hpda, hdgst, ddgst), "no ICResp");
    }
    if level == 2 {
        assert!(h.admin_enabled().is_some(), "admin Connect and CC.EN on a fresh controller");
    }
    if level == 3 {
        assert!(h.connect_q(1, cntlid).is_some(), "I/O Connect to controller {cntlid}");
    }

    // Raw bytes always go in pieces of 1 to 512 bytes; operations too if sel2 says so.
    let mut seed = u32::from(sel2) | 1;
    let pieces = !structured || sel2 & 2 != 0;
    let mut chunk = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        if pieces {
            1 + (seed >> 16) as usize % 512
        } else {
            usize::MAX
        }
    };
    if structured {
        play_ops(&mut h, &mut inp, &mut chunk, deadline);
    } else {
        let rest = inp.bytes(usize::MAX).to_vec();
        h.send(&rest, &mut chunk, deadline);
    }

    h.settle();
    // Either ending; the admin connection goes first or last.
    if sel2 & 1 != 0 {
        drop(admin.take());
    }
    if clean_end {
        h.finish_clean();
    }
    drop(h);
    drop(admin);
    assert_released();
    assert!(health_check(port), "a fresh connection got no ICResp after this input");
});
