//! The NVMe/TCP host transport: one TCP connection per queue pair, spoken
//! with the shared PDU codec (`nvmf::tcp::pdu`). A queue pair owns its
//! non-blocking socket, a request slot per command id (no allocation per
//! command) and reusable send buffers; completions are reaped by polling,
//! like the PCIe queues.
//!
//! Data placement follows the NVMe/TCP transport binding: write data up to
//! the in-capsule size travels in the command capsule (SGL offset data block
//! descriptor); larger writes wait for R2T and go out as H2CData PDUs of at
//! most MAXH2CDATA bytes each (as large as allowed, as Linux's host does:
//! Linux 6.1's target checks the data digest of an R2T's data as if it came
//! in one PDU); read data arrives in C2HData PDUs, the last one possibly
//! carrying SUCCESS (no CapsuleResp).

use super::fabrics;
use super::qpair::{CmdCb, Done, Payload, SubmitError};
use super::spec::{self, Cmd, Cpl};
use crate::nvmf::spec::SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS;
use crate::nvmf::tcp::pdu::{self, Pdu, PduReader, Role, TxOpts};
use std::ffi::c_void;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Send buffer size past which H2CData PDUs are pushed to the socket before more are built.
const TX_HIGH: usize = 256 * 1024;
/// In-capsule data accepted on the admin queue (the Connect data needs 1 KiB).
pub const ADMIN_IN_CAPSULE: usize = 8192;
const RECV_BUF: usize = 64 * 1024;

/// SGL descriptor type byte: data block (0) / offset subtype (1), for data in the capsule.
const SGL_OFFSET_DATA_BLOCK: u8 = 0x01;
/// Transport SGL data block (5) / transport-specific subtype (0xA): data in data PDUs.
const SGL_TRANSPORT_DATA_BLOCK: u8 = 0x5a;

/// The data pointer (PRP1, PRP2 words) of a command whose `len` bytes are in the capsule at offset 0.
pub fn sgl_in_capsule(len: u32) -> (u64, u64) {
    (0, len as u64 | ((SGL_OFFSET_DATA_BLOCK as u64) << 56))
}

/// The data pointer of a command whose `len` bytes move in data PDUs (R2T/H2CData or C2HData).
pub fn sgl_transport(len: u32) -> (u64, u64) {
    (0, len as u64 | ((SGL_TRANSPORT_DATA_BLOCK as u64) << 56))
}

/// Data direction of a command: bit 0 host to controller, bit 1 controller to host.
pub fn direction(cmd: &Cmd) -> u8 {
    match fabrics::fctype(cmd) {
        Some(f) => f & 3,
        None => spec::data_transfer(cmd.opc()),
    }
}

/// Why a connection could not be set up.
#[derive(Debug)]
pub struct ConnectError {
    pub what: String,
    pub errno: i32,
}

fn cerr(what: String, e: &std::io::Error) -> ConnectError {
    let errno = match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => libc::ETIMEDOUT,
        _ => e.raw_os_error().unwrap_or(libc::EIO),
    };
    ConnectError { what: format!("{what}: {e}"), errno }
}

/// Calls `each(address, at, n)` for the pieces of `p` covering `len` bytes
/// from byte `off`, `at` counting from 0.
fn walk(p: &Payload, off: usize, len: usize, mut each: impl FnMut(*mut u8, usize, usize)) -> Result<(), SubmitError> {
    if off + len > p.len() {
        return Err(SubmitError::BadBuffer);
    }
    match *p {
        Payload::None => return Err(SubmitError::BadBuffer),
        // SAFETY: off + len <= the length of the caller's buffer.
        Payload::Contig { buf, .. } => each(unsafe { buf.add(off) }, 0, len),
        Payload::Sgl { reset, next, arg, offset, .. } => {
            reset(arg, offset + off as u32);
            let mut at = 0;
            while at < len {
                let (addr, seg) = next_sge(next, arg)?;
                let n = seg.min(len - at);
                each(addr, at, n);
                at += n;
            }
        }
    }
    Ok(())
}

/// Copies `dst.len()` bytes of `p` starting at byte `off` into `dst`.
fn copy_out(p: &Payload, off: usize, dst: &mut [u8]) -> Result<(), SubmitError> {
    let d = dst.as_mut_ptr();
    walk(p, off, dst.len(), |src, at, n| {
        // SAFETY: `src` has n readable bytes (the application's buffer, live while its
        // command is); at + n <= dst.len().
        unsafe { std::ptr::copy_nonoverlapping(src, d.add(at), n) }
    })
}

/// Copies `src` into `p` at byte `off`.
fn copy_in(p: &Payload, off: usize, src: &[u8]) -> Result<(), SubmitError> {
    walk(p, off, src.len(), |dst, at, n| {
        // SAFETY: `dst` has n writable bytes (the application's buffer, live while its
        // command is); at + n <= src.len().
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr().add(at), dst, n) }
    })
}

fn next_sge(next: super::qpair::NextSgeCb, arg: *mut c_void) -> Result<(*mut u8, usize), SubmitError> {
    let mut addr: *mut c_void = std::ptr::null_mut();
    let mut len: u32 = 0;
    if next(arg, &mut addr, &mut len) != 0 || addr.is_null() || len == 0 {
        return Err(SubmitError::BadBuffer);
    }
    Ok((addr.cast(), len as usize))
}

struct Req {
    cb: Option<CmdCb>,
    arg: *mut c_void,
    active: bool,
    cmd: Cmd,
    payload: Payload,
    submit_tsc: u64,
    timeout_reported: bool,
}

/// The sending half: the socket, what the controller negotiated, and buffers reused for every PDU.
struct Conn {
    stream: TcpStream,
    opts: TxOpts,
    maxh2cdata: u32,
    /// Bytes queued for the socket, sent from `tx_off`.
    tx: Vec<u8>,
    tx_off: usize,
    /// One PDU as the codec builds it.
    pdu: Vec<u8>,
    /// Payload bytes gathered for one PDU.
    gather: Vec<u8>,
}

impl Conn {
    fn queue_pdu(&mut self) {
        self.tx.extend_from_slice(&self.pdu);
    }

    /// Sends what the socket takes now.
    fn flush(&mut self) -> std::io::Result<()> {
        while self.tx_off < self.tx.len() {
            match self.stream.write(&self.tx[self.tx_off..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(k) => self.tx_off += k,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.tx.clear();
        self.tx_off = 0;
        Ok(())
    }
}

/// Everything of a queue pair but the receiver (which lends out PDUs while they are handled).
struct State {
    id: u16,
    conn: Conn,
    reqs: Vec<Req>,
    free: Vec<u16>,
    outstanding: usize,
    failed: bool,
    in_capsule: usize,
    /// The largest C2HData the receiver takes: longer reads are refused at submission.
    max_data: usize,
}

impl State {
    fn broken(&mut self, why: std::fmt::Arguments) {
        if !self.failed {
            crate::log::error(format_args!("nvme/tcp: qpair {}: {why}; connection closed\n", self.id));
        }
        self.failed = true;
        let _ = self.conn.stream.shutdown(std::net::Shutdown::Both);
    }

    fn complete(&mut self, cid: u16, cpl: Cpl, out: &mut Vec<Done>) {
        let r = &mut self.reqs[cid as usize];
        r.active = false;
        r.payload = Payload::None;
        out.push((r.cb, r.arg, cpl));
        self.free.push(cid);
        self.outstanding -= 1;
    }

    fn active(&self, cid: u16) -> Option<&Req> {
        self.reqs.get(cid as usize).filter(|r| r.active)
    }

    /// Acts on one received PDU; returns how many commands completed, or why the stream is broken.
    fn handle(&mut self, p: Pdu, out: &mut Vec<Done>) -> Result<usize, String> {
        match p {
            Pdu::CapsuleResp { cpl } => {
                if self.active(cpl.cid).is_none() {
                    return Err(format!("response for idle command id {}", cpl.cid));
                }
                self.complete(cpl.cid, cpl, out);
                Ok(1)
            }
            Pdu::C2HData { flags, cccid, datao, data } => {
                let Some(r) = self.active(cccid) else { return Err(format!("C2HData for idle command id {cccid}")) };
                if direction(&r.cmd) & 2 == 0 || copy_in(&r.payload, datao as usize, data).is_err() {
                    return Err(format!("C2HData of {} bytes at {datao} does not fit command id {cccid}", data.len()));
                }
                if flags & SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS != 0 {
                    let cpl = Cpl::synthetic(spec::sct::GENERIC, spec::sc::SUCCESS, false, self.id, cccid);
                    self.complete(cccid, cpl, out);
                    return Ok(1);
                }
                Ok(0)
            }
            Pdu::R2T { cccid, ttag, r2to, r2tl } => {
                let Some(r) = self.active(cccid) else { return Err(format!("R2T for idle command id {cccid}")) };
                let payload = r.payload;
                if direction(&r.cmd) & 1 == 0 || r2tl == 0 || r2to as usize + r2tl as usize > payload.len() {
                    return Err(format!("R2T of {r2tl} bytes at {r2to} does not fit command id {cccid}"));
                }
                let chunk = self.conn.maxh2cdata.max(4096);
                let mut at = r2to;
                let end = r2to + r2tl;
                while at < end {
                    let n = (end - at).min(chunk);
                    let c = &mut self.conn;
                    c.gather.resize(n as usize, 0);
                    copy_out(&payload, at as usize, &mut c.gather).map_err(|_| format!("command id {cccid}: its buffer cannot be read"))?;
                    pdu::write_h2c_data(&mut c.pdu, &c.opts, cccid, ttag, at, &c.gather, at + n == end);
                    c.queue_pdu();
                    at += n;
                    // Keep the queue short for large transfers.
                    if c.tx.len() >= TX_HIGH {
                        c.flush().map_err(|e| format!("send: {e}"))?;
                    }
                }
                Ok(0)
            }
            Pdu::TermReq { fes, fei, .. } => Err(format!("the controller terminated the connection (FES {fes:#x}, FEI {fei:#x})")),
            other => Err(format!("unexpected PDU {other:?}")),
        }
    }
}

/// A queue pair over one NVMe/TCP connection.
pub struct TcpQpair {
    pub id: u16,
    entries: u16,
    reader: PduReader,
    rbuf: Box<[u8]>,
    rpos: usize,
    rlen: usize,
    st: State,
}

// SAFETY: the raw pointers in requests are the application's callback
// arguments and buffers; the queue pair is used by one thread at a time.
unsafe impl Send for TcpQpair {}

/// What the connection asks of the controller.
#[derive(Clone, Copy, Debug)]
pub struct ConnParams {
    pub hdgst: bool,
    pub ddgst: bool,
    pub timeout: Duration,
    /// The largest data PDU accepted from the controller.
    pub max_data: u32,
}

impl TcpQpair {
    /// Connects to `addr` and runs the initialization exchange (ICReq/ICResp);
    /// the fabrics Connect comes after, as a command on the new queue.
    pub fn connect(addr: &SocketAddr, id: u16, entries: u16, p: &ConnParams) -> Result<TcpQpair, ConnectError> {
        let stream = TcpStream::connect_timeout(addr, p.timeout).map_err(|e| cerr(format!("connecting to {addr}"), &e))?;
        let _ = stream.set_nodelay(true);
        let mut pdu_buf = Vec::with_capacity(pdu::IC_HLEN);
        // HPDA 0, MAXR2T 0 (one outstanding R2T per command).
        pdu::write_ic_req(&mut pdu_buf, 0, p.hdgst, p.ddgst, 0);
        let mut s = &stream;
        s.write_all(&pdu_buf).map_err(|e| cerr(format!("{addr}: sending ICReq"), &e))?;
        stream.set_read_timeout(Some(p.timeout)).map_err(|e| cerr("socket".into(), &e))?;
        let mut reader = PduReader::new(Role::Host, p.max_data.max(ADMIN_IN_CAPSULE as u32));
        let mut ic = [0u8; pdu::IC_HLEN];
        s.read_exact(&mut ic).map_err(|e| cerr(format!("{addr}: waiting for ICResp"), &e))?;
        let (cpda, hdgst, ddgst, maxh2cdata) = match reader.feed(&ic) {
            (_, Ok(Some(Pdu::IcResp { pfv, cpda, hdgst, ddgst, maxh2cdata }))) if pfv == pdu::PFV_1_0 => (cpda, hdgst, ddgst, maxh2cdata),
            (_, Ok(Some(Pdu::TermReq { fes, .. }))) => return Err(ConnectError { what: format!("{addr}: the controller refused ICReq (FES {fes:#x})"), errno: libc::ECONNREFUSED }),
            (_, r) => return Err(ConnectError { what: format!("{addr}: no valid ICResp ({r:?})"), errno: libc::EPROTO }),
        };
        if hdgst != p.hdgst || ddgst != p.ddgst {
            crate::log::info("nvme", format_args!("nvme/tcp: {addr}: digests header {hdgst} data {ddgst} (asked {} {})\n", p.hdgst, p.ddgst));
        }
        if maxh2cdata < 4096 {
            return Err(ConnectError { what: format!("{addr}: MAXH2CDATA {maxh2cdata} is below 4096"), errno: libc::EPROTO });
        }
        reader.set_digests(hdgst, ddgst);
        reader.set_pda(0);
        stream.set_nonblocking(true).map_err(|e| cerr("socket".into(), &e))?;
        let entries = entries.max(2);
        let n = entries as usize - 1;
        let reqs = (0..n)
            .map(|_| Req { cb: None, arg: std::ptr::null_mut(), active: false, cmd: Cmd::default(), payload: Payload::None, submit_tsc: 0, timeout_reported: false })
            .collect();
        let conn = Conn {
            stream,
            opts: TxOpts { hdgst, ddgst, pda: cpda },
            maxh2cdata,
            tx: Vec::with_capacity(64 * 1024),
            tx_off: 0,
            pdu: Vec::with_capacity(64 * 1024),
            gather: Vec::with_capacity(64 * 1024),
        };
        Ok(TcpQpair {
            id,
            entries,
            reader,
            rbuf: vec![0u8; RECV_BUF].into_boxed_slice(),
            rpos: 0,
            rlen: 0,
            st: State {
                id,
                conn,
                reqs,
                free: (0..n as u16).rev().collect(),
                outstanding: 0,
                failed: false,
                in_capsule: ADMIN_IN_CAPSULE,
                max_data: p.max_data.max(ADMIN_IN_CAPSULE as u32) as usize,
            },
        })
    }

    /// Write data up to `bytes` goes in the command capsule.
    pub fn set_in_capsule(&mut self, bytes: usize) {
        self.st.in_capsule = bytes;
    }

    pub fn in_capsule(&self) -> usize {
        self.st.in_capsule
    }

    pub fn digests(&self) -> (bool, bool) {
        (self.st.conn.opts.hdgst, self.st.conn.opts.ddgst)
    }

    pub fn maxh2cdata(&self) -> u32 {
        self.st.conn.maxh2cdata
    }

    pub fn entries(&self) -> u16 {
        self.entries
    }

    pub fn capacity(&self) -> usize {
        self.st.reqs.len()
    }

    pub fn free_trackers(&self) -> usize {
        self.st.free.len()
    }

    pub fn outstanding(&self) -> usize {
        self.st.outstanding
    }

    pub fn failed(&self) -> bool {
        self.st.failed
    }

    /// Closes the connection; outstanding commands complete as aborted at the next reap.
    pub fn close(&mut self) {
        self.st.failed = true;
        let _ = self.st.conn.stream.shutdown(std::net::Shutdown::Both);
    }

    /// Queues `cmd` with its data for sending (at the latest by the next
    /// `reap`); `cb(arg, cpl)` runs from `reap` when it completes.
    pub fn submit(&mut self, mut cmd: Cmd, payload: &Payload, cb: Option<CmdCb>, arg: *mut c_void) -> Result<u16, SubmitError> {
        if self.st.failed {
            return Err(SubmitError::Failed);
        }
        let cid = *self.st.free.last().ok_or(SubmitError::NoTracker)?;
        let len = payload.len();
        if len > u32::MAX as usize || (direction(&cmd) & 2 != 0 && len > self.st.max_data) {
            return Err(SubmitError::BadBuffer);
        }
        let inline = len > 0 && direction(&cmd) & 1 != 0 && len <= self.st.in_capsule;
        let (a, b) = if inline { sgl_in_capsule(len as u32) } else { sgl_transport(len as u32) };
        // PSDT 01: SGLs, metadata in one buffer.
        cmd.cdw0 = (cmd.cdw0 & !(3 << 14)) | (1 << 14);
        cmd.prp1 = a;
        cmd.prp2 = b;
        cmd.set_cid(cid);
        let c = &mut self.st.conn;
        if inline {
            c.gather.resize(len, 0);
            copy_out(payload, 0, &mut c.gather)?;
        } else {
            c.gather.clear();
        }
        pdu::write_capsule_cmd(&mut c.pdu, &c.opts, &cmd, &c.gather);
        c.queue_pdu();
        self.st.free.pop();
        self.st.outstanding += 1;
        let r = &mut self.st.reqs[cid as usize];
        *r = Req { cb, arg, active: true, cmd, payload: *payload, submit_tsc: crate::env::cpu::ticks(), timeout_reported: false };
        // Capsules go out in batches from the next reap (as SPDK flushes its
        // sockets from polling), or now when much is queued.
        if self.st.conn.tx.len() >= TX_HIGH {
            if let Err(e) = self.st.conn.flush() {
                // The command is ours now: it completes as aborted from the next reap.
                self.st.broken(format_args!("send: {e}"));
            }
        }
        Ok(cid)
    }

    /// Sends what is queued, then takes up to `max` completions (0: all there
    /// are) into `out`. A broken connection completes everything outstanding
    /// as aborted (SQ deletion).
    pub fn reap(&mut self, max: u32, out: &mut Vec<Done>) -> usize {
        let limit = if max == 0 { usize::MAX } else { max as usize };
        let mut n = 0;
        if !self.st.failed {
            if let Err(e) = self.st.conn.flush() {
                self.st.broken(format_args!("send: {e}"));
            }
        }
        while !self.st.failed && n < limit {
            if self.rpos < self.rlen {
                let (used, r) = self.reader.feed(&self.rbuf[self.rpos..self.rlen]);
                self.rpos += used;
                match r {
                    Ok(Some(p)) => match self.st.handle(p, out) {
                        Ok(k) => n += k,
                        Err(why) => self.st.broken(format_args!("{why}")),
                    },
                    Ok(None) => {}
                    Err(e) => {
                        let c = &mut self.st.conn;
                        if pdu::write_term_req_for(&mut c.pdu, Role::Host, &e, &[]) {
                            let _ = c.stream.write(&c.pdu);
                        }
                        self.st.broken(format_args!("bad PDU: {e}"));
                    }
                }
                continue;
            }
            match self.st.conn.stream.read(&mut self.rbuf) {
                Ok(0) => self.st.broken(format_args!("the controller closed the connection")),
                Ok(k) => {
                    self.rpos = 0;
                    self.rlen = k;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => self.st.broken(format_args!("receive: {e}")),
            }
        }
        if !self.st.failed {
            if let Err(e) = self.st.conn.flush() {
                self.st.broken(format_args!("send: {e}"));
            }
        }
        if self.st.failed && self.st.outstanding > 0 {
            let before = out.len();
            self.abort_all(spec::sct::GENERIC, spec::sc::ABORTED_SQ_DELETION, out);
            n += out.len() - before;
        }
        n
    }

    /// Completes every outstanding command with (sct, sc) without the controller.
    pub fn abort_all(&mut self, sct: u8, sc: u8, out: &mut Vec<Done>) {
        for cid in 0..self.st.reqs.len() as u16 {
            if self.st.reqs[cid as usize].active {
                let cpl = Cpl::synthetic(sct, sc, false, self.id, cid);
                self.st.complete(cid, cpl, out);
            }
        }
    }

    /// Outstanding commands submitted before `tsc`: (cid, command).
    pub fn older_than(&self, tsc: u64) -> Vec<(u16, Cmd)> {
        self.st.reqs.iter().enumerate().filter(|(_, r)| r.active && r.submit_tsc < tsc).map(|(i, r)| (i as u16, r.cmd)).collect()
    }

    /// Commands submitted before `deadline` not reported yet (except `exempt` ones): marked, ids returned.
    pub fn expired(&mut self, deadline: u64, exempt: impl Fn(&Cmd) -> bool) -> Vec<u16> {
        let mut out = Vec::new();
        for (i, r) in self.st.reqs.iter_mut().enumerate() {
            if r.active && !r.timeout_reported && r.submit_tsc < deadline && !exempt(&r.cmd) {
                r.timeout_reported = true;
                out.push(i as u16);
            }
        }
        out
    }

    pub fn command(&self, cid: u16) -> Option<Cmd> {
        self.st.active(cid).map(|r| r.cmd)
    }

    /// Runs one command to completion (connection set-up and control path).
    pub fn run_sync(&mut self, cmd: Cmd, payload: &Payload, timeout: Duration) -> Result<Cpl, i32> {
        use super::ctrlr::{sync_done, SyncSlot};
        let slot = SyncSlot::default();
        self.submit(cmd, payload, Some(sync_done), &slot as *const SyncSlot as *mut c_void).map_err(|e| e.errno())?;
        let deadline = std::time::Instant::now() + timeout;
        let mut out = Vec::with_capacity(4);
        loop {
            self.reap(0, &mut out);
            super::qpair::deliver(&mut out);
            if slot.done.get() {
                break;
            }
            if self.st.failed {
                return Err(libc::ECONNRESET);
            }
            if std::time::Instant::now() > deadline {
                // The slot on our stack must never be written later: the connection goes.
                self.st.broken(format_args!("command {:#x} timed out", cmd.opc()));
                self.reap(0, &mut out);
                super::qpair::deliver(&mut out);
                return Err(libc::ETIMEDOUT);
            }
            std::thread::sleep(Duration::from_micros(20));
        }
        Ok(slot.cpl.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn sgl_descriptors() {
        let (a, b) = sgl_in_capsule(4096);
        assert_eq!(a, 0);
        assert_eq!(b as u32, 4096);
        assert_eq!((b >> 56) as u8, 0x01);
        let (a, b) = sgl_transport(1 << 20);
        assert_eq!(a, 0);
        assert_eq!(b as u32, 1 << 20);
        assert_eq!((b >> 56) as u8, 0x5a);
        assert_eq!(direction(&Cmd::new(spec::nvm::WRITE, 1)), 1);
        assert_eq!(direction(&Cmd::new(spec::nvm::READ, 1)), 2);
        assert_eq!(direction(&fabrics::connect_cmd(0, 31, 0)), 1);
        assert_eq!(direction(&fabrics::prop_get_cmd(0, true)), 0);
    }

    /// A scripted controller on a real socket: checks the host's ICReq,
    /// in-capsule and R2T-driven writes, C2HData with and without SUCCESS.
    #[test]
    fn queue_pair_against_a_scripted_controller() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
        let big2 = big.clone();
        let ctrl = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut r = PduReader::new(Role::Controller, 1 << 20);
            let mut out = Vec::new();
            let mut buf = vec![0u8; 65536];
            let opts = TxOpts { hdgst: true, ddgst: true, pda: 0 };
            let mut got = Vec::new();
            let mut next = |s: &mut TcpStream, r: &mut PduReader, f: &mut dyn FnMut(Pdu)| loop {
                let k = s.read(&mut buf).unwrap();
                assert!(k > 0, "host closed");
                let mut at = 0;
                let mut done = false;
                while at < k {
                    let (used, p) = r.feed(&buf[at..k]);
                    at += used;
                    if let Some(p) = p.unwrap() {
                        f(p);
                        done = true;
                    }
                }
                if done {
                    return;
                }
            };
            next(&mut s, &mut r, &mut |p| match p {
                Pdu::IcReq { hdgst, ddgst, .. } => assert!(hdgst && ddgst),
                p => panic!("{p:?}"),
            });
            pdu::write_ic_resp(&mut out, 0, true, true, 8192);
            s.write_all(&out).unwrap();
            r.set_digests(true, true);
            // 1: an in-capsule write of 512 bytes.
            let mut cmd = Cmd::default();
            next(&mut s, &mut r, &mut |p| match p {
                Pdu::CapsuleCmd { cmd: c, data } => {
                    cmd = c;
                    got = data.to_vec();
                }
                p => panic!("{p:?}"),
            });
            assert_eq!(got, vec![0xabu8; 512]);
            assert_eq!((cmd.prp2 >> 56) as u8, 0x01);
            assert_eq!(cmd.cdw0 >> 14 & 3, 1, "PSDT SGL");
            let cpl = Cpl { cid: cmd.cid(), ..Default::default() };
            pdu::write_capsule_resp(&mut out, &opts, &cpl);
            s.write_all(&out).unwrap();
            // 2: a 200000-byte write: R2T for all of it, H2CData in chunks of at most MAXH2CDATA.
            next(&mut s, &mut r, &mut |p| match p {
                Pdu::CapsuleCmd { cmd: c, data } => {
                    cmd = c;
                    assert!(data.is_empty());
                }
                p => panic!("{p:?}"),
            });
            assert_eq!((cmd.prp2 >> 56) as u8, 0x5a);
            assert_eq!(cmd.prp2 as u32, 200_000);
            pdu::write_r2t(&mut out, &opts, cmd.cid(), 9, 0, 200_000);
            s.write_all(&out).unwrap();
            let mut data = vec![0u8; 200_000];
            let mut seen = 0;
            let mut last = false;
            while !last {
                next(&mut s, &mut r, &mut |p| match p {
                    Pdu::H2CData { flags, ttag, datao, data: d, .. } => {
                        assert_eq!(ttag, 9);
                        assert!(d.len() <= 8192);
                        data[datao as usize..datao as usize + d.len()].copy_from_slice(d);
                        seen += d.len();
                        last = flags & crate::nvmf::spec::SPDK_NVME_TCP_H2C_DATA_FLAGS_LAST_PDU != 0;
                    }
                    p => panic!("{p:?}"),
                });
            }
            assert_eq!(seen, 200_000);
            assert!(data == big2);
            let cpl = Cpl { cid: cmd.cid(), ..Default::default() };
            pdu::write_capsule_resp(&mut out, &opts, &cpl);
            s.write_all(&out).unwrap();
            // 3: a read answered in two C2HData PDUs, the second with SUCCESS.
            next(&mut s, &mut r, &mut |p| match p {
                Pdu::CapsuleCmd { cmd: c, .. } => cmd = c,
                p => panic!("{p:?}"),
            });
            assert_eq!(cmd.opc(), spec::nvm::READ);
            pdu::write_c2h_data(&mut out, &opts, cmd.cid(), 0, &[1u8; 3000], false, false);
            s.write_all(&out).unwrap();
            pdu::write_c2h_data(&mut out, &opts, cmd.cid(), 3000, &[2u8; 1096], true, true);
            s.write_all(&out).unwrap();
            // 4: then the connection drops.
            drop(s);
        });
        let p = ConnParams { hdgst: true, ddgst: true, timeout: Duration::from_secs(5), max_data: 1 << 20 };
        let mut q = TcpQpair::connect(&addr, 1, 8, &p).unwrap();
        assert_eq!(q.digests(), (true, true));
        assert_eq!(q.maxh2cdata(), 8192);
        q.set_in_capsule(4096);
        let mut small = vec![0xabu8; 512];
        let c = q.run_sync(Cmd::new(spec::nvm::WRITE, 1), &Payload::Contig { buf: small.as_mut_ptr(), len: 512 }, Duration::from_secs(5)).unwrap();
        assert!(!c.is_error());
        let mut b = big.clone();
        let c = q.run_sync(Cmd::new(spec::nvm::WRITE, 1), &Payload::Contig { buf: b.as_mut_ptr(), len: b.len() }, Duration::from_secs(5)).unwrap();
        assert!(!c.is_error());
        let mut rd = vec![0u8; 4096];
        let c = q.run_sync(Cmd::new(spec::nvm::READ, 1), &Payload::Contig { buf: rd.as_mut_ptr(), len: 4096 }, Duration::from_secs(5)).unwrap();
        assert!(!c.is_error());
        assert!(rd[..3000].iter().all(|&x| x == 1) && rd[3000..].iter().all(|&x| x == 2));
        ctrl.join().unwrap();
        // The drop is seen: a command in flight completes as aborted, the queue refuses more.
        let mut out = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let _ = q.submit(Cmd::new(spec::nvm::FLUSH, 1), &Payload::None, None, std::ptr::null_mut());
        while !q.failed() && std::time::Instant::now() < deadline {
            q.reap(0, &mut out);
        }
        assert!(q.failed());
        assert_eq!(q.outstanding(), 0);
        assert_eq!(q.submit(Cmd::new(spec::nvm::FLUSH, 1), &Payload::None, None, std::ptr::null_mut()), Err(SubmitError::Failed));
    }
}
