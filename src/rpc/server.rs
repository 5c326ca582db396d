//! The JSON-RPC server on a Unix socket: non-blocking accept, reads and
//! writes from one timed poller on the thread that started it (the app
//! thread), so no reactor ever blocks on a client. Partial reads and writes
//! are buffered; each connection answers its requests as they complete
//! (batches as one array when their last member completes).

use super::jsonrpc::{self, Framed, Skipper};
use super::Responder;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

/// SPDK's `SPDK_JSONRPC_MAX_CONNS`.
const MAX_CONNS: usize = 64;
const POLL_PERIOD_US: u64 = 1000;

struct Batch {
    remaining: usize,
    responses: Vec<Option<Value>>,
}

struct Conn {
    id: u64,
    stream: UnixStream,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    /// Requests (or batches) not answered yet.
    outstanding: usize,
    batches: HashMap<u64, Batch>,
    /// The peer closed its side (or reading failed).
    read_closed: bool,
    /// Writing failed: the connection is dropped.
    broken: bool,
    /// Skipping an over-long request up to its end.
    skip: Option<Skipper>,
}

struct Server {
    listener: UnixListener,
    path: PathBuf,
    lock_path: PathBuf,
    _lock: std::fs::File,
    conns: Vec<Conn>,
    next_conn: u64,
    next_batch: u64,
    poller: usize,
}

static SERVER: Mutex<Option<Server>> = Mutex::new(None);
/// Responses on their way to connections: (conn, batch slot, response).
type Outgoing = (u64, Option<(u64, usize)>, Option<Value>);
static OUTBOX: Mutex<Vec<Outgoing>> = Mutex::new(Vec::new());

/// Queues a response (from any thread); the poller writes it.
pub(crate) fn deliver(conn: u64, batch: Option<(u64, usize)>, resp: Option<Value>) {
    OUTBOX.lock().push((conn, batch, resp));
}

/// Starts listening on `path` and polling on the current spdk_thread.
pub fn start(path: &str) -> Result<(), String> {
    let mut g = SERVER.lock();
    if g.is_some() {
        return Err("the RPC server is already running".into());
    }
    let path = PathBuf::from(path);
    if path.as_os_str().len() >= 108 {
        return Err(format!("RPC listen address {} is too long for a Unix socket", path.display()));
    }
    let lock_path = PathBuf::from(format!("{}.lock", path.display()));
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("cannot open the RPC lock file {}: {e}", lock_path.display()))?;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(format!("RPC Unix domain socket path {} in use. Specify another.", path.display()));
    }
    // We hold the lock: whatever socket file is there is stale.
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let poller = crate::thread::poller::register(poll, std::ptr::null_mut(), POLL_PERIOD_US, Some("rpc_subsystem_poll"))
        .ok_or_else(|| "cannot register the RPC poller (no spdk_thread?)".to_string())?;
    *g = Some(Server { listener, path, lock_path, _lock: lock, conns: Vec::new(), next_conn: 1, next_batch: 1, poller: poller as usize });
    crate::log::notice(format_args!("RPC server listening on {}\n", g.as_ref().map(|s| s.path.display().to_string()).unwrap_or_default()));
    Ok(())
}

/// Stops the server (on the thread that started it): writes what it can of
/// the answers already made, closes every connection and removes the socket.
pub fn stop() {
    let Some(mut s) = SERVER.lock().take() else { return };
    crate::thread::poller::unregister(s.poller as *mut crate::thread::poller::Poller);
    drain_outbox(&mut s);
    for c in &mut s.conns {
        flush(c);
    }
    let _ = std::fs::remove_file(&s.path);
    let _ = std::fs::remove_file(&s.lock_path);
}

pub fn is_running() -> bool {
    SERVER.lock().is_some()
}

/// One unit of work found in the input.
enum Work {
    Request(u64, Option<(u64, usize)>, jsonrpc::Request),
    Reject(u64, Option<(u64, usize)>, Value),
}

fn push_value(s_next_batch: &mut u64, c: &mut Conn, v: Value, work: &mut Vec<Work>) {
    match v {
        Value::Array(items) if items.is_empty() => {
            c.outstanding += 1;
            work.push(Work::Reject(c.id, None, jsonrpc::error(Value::Null, jsonrpc::INVALID_REQUEST, "Invalid request: empty batch")));
        }
        Value::Array(items) => {
            let b = *s_next_batch;
            *s_next_batch += 1;
            c.outstanding += 1;
            c.batches.insert(b, Batch { remaining: items.len(), responses: vec![None; items.len()] });
            for (i, item) in items.into_iter().enumerate() {
                match jsonrpc::validate(item) {
                    Ok(req) => work.push(Work::Request(c.id, Some((b, i)), req)),
                    Err(rej) => work.push(Work::Reject(c.id, Some((b, i)), jsonrpc::error(rej.id.unwrap_or(Value::Null), rej.code, &rej.message))),
                }
            }
        }
        v => {
            c.outstanding += 1;
            match jsonrpc::validate(v) {
                Ok(req) => work.push(Work::Request(c.id, None, req)),
                Err(rej) => work.push(Work::Reject(c.id, None, jsonrpc::error(rej.id.unwrap_or(Value::Null), rej.code, &rej.message))),
            }
        }
    }
}

fn too_large(c: &mut Conn, work: &mut Vec<Work>) {
    c.outstanding += 1;
    let msg = format!("Invalid request: a request must not exceed {} bytes", jsonrpc::MAX_REQUEST_SIZE);
    work.push(Work::Reject(c.id, None, jsonrpc::error(Value::Null, jsonrpc::INVALID_REQUEST, &msg)));
}

/// Takes the complete requests out of a connection's input.
fn parse_input(next_batch: &mut u64, c: &mut Conn, work: &mut Vec<Work>) {
    loop {
        if let Some(sk) = c.skip.as_mut() {
            match sk.feed(&c.inbuf) {
                Some(n) => {
                    c.inbuf.drain(..n);
                    c.skip = None;
                    too_large(c, work);
                }
                None => {
                    c.inbuf.clear();
                    return;
                }
            }
        }
        match jsonrpc::frame(&c.inbuf) {
            Framed::Values(vals, used) => {
                c.inbuf.drain(..used);
                for v in vals {
                    push_value(next_batch, c, v, work);
                }
                if c.inbuf.len() > jsonrpc::MAX_REQUEST_SIZE {
                    c.skip = Some(Skipper::default());
                    continue;
                }
                return;
            }
            Framed::Garbage(msg) => {
                c.outstanding += 1;
                work.push(Work::Reject(c.id, None, jsonrpc::error(Value::Null, jsonrpc::PARSE_ERROR, &msg)));
                // The stream cannot be resynchronised: answer, then close.
                c.inbuf.clear();
                c.read_closed = true;
                return;
            }
        }
    }
}

fn read_some(c: &mut Conn) {
    let mut buf = [0u8; 65536];
    // Bounded per poll so one client cannot hold the app thread.
    for _ in 0..64 {
        match c.stream.read(&mut buf) {
            Ok(0) => {
                c.read_closed = true;
                return;
            }
            Ok(n) => c.inbuf.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                c.read_closed = true;
                return;
            }
        }
    }
}

fn write_response(c: &mut Conn, v: &Value) {
    if serde_json::to_writer(&mut c.out, v).is_ok() {
        c.out.push(b'\n');
    }
}

fn flush(c: &mut Conn) {
    while c.out_pos < c.out.len() {
        match c.stream.write(&c.out[c.out_pos..]) {
            Ok(0) => {
                c.broken = true;
                break;
            }
            Ok(n) => c.out_pos += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                c.broken = true;
                break;
            }
        }
    }
    if c.out_pos == c.out.len() {
        c.out.clear();
        c.out_pos = 0;
    }
}

fn drain_outbox(s: &mut Server) {
    let items = std::mem::take(&mut *OUTBOX.lock());
    for (conn, batch, resp) in items {
        let Some(c) = s.conns.iter_mut().find(|c| c.id == conn) else { continue };
        match batch {
            None => {
                c.outstanding = c.outstanding.saturating_sub(1);
                if let Some(r) = resp {
                    write_response(c, &r);
                }
            }
            Some((b, i)) => {
                let Some(bt) = c.batches.get_mut(&b) else { continue };
                if let Some(slot) = bt.responses.get_mut(i) {
                    *slot = resp;
                }
                bt.remaining = bt.remaining.saturating_sub(1);
                if bt.remaining == 0 {
                    let all: Vec<Value> = c.batches.remove(&b).map(|bt| bt.responses.into_iter().flatten().collect()).unwrap_or_default();
                    c.outstanding = c.outstanding.saturating_sub(1);
                    if !all.is_empty() {
                        write_response(c, &Value::Array(all));
                    }
                }
            }
        }
    }
}

extern "C" fn poll(_arg: *mut std::ffi::c_void) -> std::ffi::c_int {
    let mut work = Vec::new();
    {
        let mut g = SERVER.lock();
        let Some(s) = g.as_mut() else { return 0 };
        loop {
            match s.listener.accept() {
                Ok((stream, _)) => {
                    if s.conns.len() >= MAX_CONNS {
                        crate::log::error(format_args!("RPC server: {MAX_CONNS} connections already open; refusing another\n"));
                        continue;
                    }
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    let id = s.next_conn;
                    s.next_conn += 1;
                    s.conns.push(Conn {
                        id,
                        stream,
                        inbuf: Vec::new(),
                        out: Vec::new(),
                        out_pos: 0,
                        outstanding: 0,
                        batches: HashMap::new(),
                        read_closed: false,
                        broken: false,
                        skip: None,
                    });
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let next_batch = &mut s.next_batch;
        for c in s.conns.iter_mut().filter(|c| !c.read_closed) {
            read_some(c);
            parse_input(next_batch, c, &mut work);
        }
    }
    let busy = !work.is_empty();
    // Handlers run without the server lock: they may answer at once.
    for w in work {
        match w {
            Work::Request(conn, batch, req) => {
                let id = req.id.clone();
                super::dispatch(req, Responder::for_conn(conn, batch, id));
            }
            Work::Reject(conn, batch, resp) => deliver(conn, batch, Some(resp)),
        }
    }
    let mut g = SERVER.lock();
    let Some(s) = g.as_mut() else { return busy as i32 };
    drain_outbox(s);
    for c in s.conns.iter_mut() {
        flush(c);
    }
    s.conns.retain(|c| {
        let done = c.broken || (c.read_closed && c.outstanding == 0 && c.out.is_empty());
        !done
    });
    busy as i32
}
