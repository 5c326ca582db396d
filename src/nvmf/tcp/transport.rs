//! The NVMe/TCP transport of the target: its options
//! (`nvmf_create_transport -t TCP`), its listening sockets, and the
//! acceptor that hands new connections to the poll groups round robin.

use super::qpair::TcpQpair;
use crate::nvmf::group;
use crate::nvmf::subsystem::ListenAddr;
use crate::sock::{Sock, SockOpts};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::ffi::c_void;

/// SPDK's TCP transport options, with SPDK's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TcpOpts {
    pub max_queue_depth: u32,
    pub max_io_qpairs_per_ctrlr: u32,
    pub in_capsule_data_size: u32,
    pub max_io_size: u32,
    pub io_unit_size: u32,
    pub max_aq_depth: u32,
    pub num_shared_buffers: u32,
    pub buf_cache_size: u32,
    pub c2h_success: bool,
    /// Reads and writes whose data moves by C2HData/R2T use the
    /// namespace's bdev buffers (zero-copy bdev I/O) when it has them.
    pub zcopy: bool,
    pub sock_priority: u32,
    pub abort_timeout_sec: u32,
    pub control_msg_num: u32,
    pub acceptor_poll_rate: u32,
    pub kas: u32,
    pub min_kato: u32,
}

impl Default for TcpOpts {
    fn default() -> Self {
        TcpOpts {
            max_queue_depth: 128,
            max_io_qpairs_per_ctrlr: 127,
            in_capsule_data_size: 4096,
            max_io_size: 131072,
            io_unit_size: 131072,
            max_aq_depth: 128,
            num_shared_buffers: 511,
            buf_cache_size: 32,
            c2h_success: true,
            zcopy: false,
            sock_priority: 0,
            abort_timeout_sec: 1,
            control_msg_num: 32,
            acceptor_poll_rate: 10000,
            kas: 10,
            min_kato: 10000,
        }
    }
}

/// Most io_unit_size buffers one request may hold (SPDK's limit of SGL
/// entries per request).
pub const MAX_BUFFERS_PER_REQUEST: u32 = 16;

impl TcpOpts {
    /// Checks the options as SPDK's TCP transport does at creation.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_queue_depth < 2 || self.max_queue_depth > 65535 {
            return Err(format!("max_queue_depth {} is not in 2..=65535", self.max_queue_depth));
        }
        if self.max_aq_depth < 32 || self.max_aq_depth > 4096 {
            return Err(format!("max_aq_depth {} is not in 32..=4096", self.max_aq_depth));
        }
        if self.max_io_qpairs_per_ctrlr == 0 || self.max_io_qpairs_per_ctrlr > 65534 {
            return Err(format!("max_io_qpairs_per_ctrlr {} is not in 1..=65534", self.max_io_qpairs_per_ctrlr));
        }
        if self.max_io_size < 4096 || !self.max_io_size.is_power_of_two() {
            return Err(format!("max_io_size {} is not a power of two of at least 4096", self.max_io_size));
        }
        if self.io_unit_size == 0 || self.io_unit_size > self.max_io_size {
            return Err(format!("io_unit_size {} is 0 or above max_io_size {}", self.io_unit_size, self.max_io_size));
        }
        if self.max_io_size.div_ceil(self.io_unit_size) > MAX_BUFFERS_PER_REQUEST {
            return Err(format!(
                "io_unit_size {} is too small for max_io_size {}: a request may take at most {MAX_BUFFERS_PER_REQUEST} buffers",
                self.io_unit_size, self.max_io_size
            ));
        }
        if self.in_capsule_data_size % 16 != 0 || self.in_capsule_data_size > 131072 {
            return Err(format!("in_capsule_data_size {} is not a multiple of 16 up to 131072", self.in_capsule_data_size));
        }
        if self.num_shared_buffers == 0 {
            return Err("num_shared_buffers must not be 0".into());
        }
        if self.sock_priority > 6 {
            return Err(format!("sock_priority {} is above 6", self.sock_priority));
        }
        if self.kas == 0 {
            return Err("kas must not be 0".into());
        }
        Ok(())
    }

    /// The object `nvmf_get_transports` and `save_config` show.
    pub fn to_json(&self) -> Value {
        json!({
            "trtype": "TCP",
            "max_queue_depth": self.max_queue_depth,
            "max_io_qpairs_per_ctrlr": self.max_io_qpairs_per_ctrlr,
            "in_capsule_data_size": self.in_capsule_data_size,
            "max_io_size": self.max_io_size,
            "io_unit_size": self.io_unit_size,
            "max_aq_depth": self.max_aq_depth,
            "num_shared_buffers": self.num_shared_buffers,
            "buf_cache_size": self.buf_cache_size,
            "dif_insert_or_strip": false,
            "zcopy": self.zcopy,
            "c2h_success": self.c2h_success,
            "sock_priority": self.sock_priority,
            "abort_timeout_sec": self.abort_timeout_sec,
            "ack_timeout": 0,
            "data_wr_pool_size": 0,
            "disable_command_passthru": false,
            "kas": self.kas,
            "min_kato": self.min_kato,
        })
    }
}

struct Listening {
    addr: ListenAddr,
    sock: usize,
}

struct Transport {
    opts: Option<TcpOpts>,
    listeners: Vec<Listening>,
    acceptor: usize,
    next_qpair_id: u64,
}

static T: Mutex<Transport> = Mutex::new(Transport { opts: None, listeners: Vec::new(), acceptor: 0, next_qpair_id: 1 });

/// The TCP transport's options, if it exists.
pub fn opts() -> Option<TcpOpts> {
    T.lock().opts
}

/// `nvmf_create_transport -t TCP`: on the app thread.
pub fn create(o: TcpOpts) -> Result<(), String> {
    create_with(o, true)
}

/// Creates the transport; `own_groups`: also one poll group per reactor
/// core when none exists (the RPC way; the C API's applications make
/// theirs with `spdk_nvmf_poll_group_create`).
pub fn create_with(o: TcpOpts, own_groups: bool) -> Result<(), String> {
    o.validate()?;
    if T.lock().opts.is_some() {
        return Err("transport TCP already exists".into());
    }
    if own_groups && group::count() == 0 {
        group::create_all(o.num_shared_buffers as usize, o.io_unit_size as usize, o.buf_cache_size as usize)?;
    } else {
        group::create_pool(o.num_shared_buffers as usize, o.io_unit_size as usize, o.buf_cache_size as usize)?;
        group::set_cache_size(o.buf_cache_size as usize);
    }
    let mut t = T.lock();
    t.opts = Some(o);
    let p = crate::thread::poller::register(acceptor_poll, std::ptr::null_mut(), u64::from(o.acceptor_poll_rate), Some("nvmf_tcp_accept"));
    t.acceptor = p.map_or(0, |p| p as usize);
    Ok(())
}

fn port_of(a: &ListenAddr) -> Result<i32, String> {
    a.trsvcid.parse::<u16>().map(i32::from).map_err(|_| format!("trsvcid '{}' is not a port number", a.trsvcid))
}

/// Starts listening on `a` (no-op if already listening there).
pub fn listen(a: &ListenAddr) -> Result<(), String> {
    let mut t = T.lock();
    let Some(o) = t.opts else {
        return Err(format!("transport {} does not exist (nvmf_create_transport first)", a.trtype));
    };
    if t.listeners.iter().any(|l| l.addr == *a) {
        return Ok(());
    }
    let port = port_of(a)?;
    let so = SockOpts { priority: o.sock_priority as i32, ..SockOpts::default() };
    let s = Sock::listen(&a.traddr, port, &so).map_err(|e| format!("cannot listen on {}:{}: {}", a.traddr, a.trsvcid, std::io::Error::from_raw_os_error(e.0)))?;
    crate::log::notice(format_args!("*** NVMe/TCP Target Listening on {} port {} ***\n", a.traddr, a.trsvcid));
    t.listeners.push(Listening { addr: a.clone(), sock: Box::into_raw(s) as usize });
    Ok(())
}

/// Whether the transport listens on `a`.
pub fn is_listening(a: &ListenAddr) -> bool {
    T.lock().listeners.iter().any(|l| l.addr == *a)
}

/// Stops listening on `a`. Connections made through it stay.
pub fn stop_listen(a: &ListenAddr) {
    let mut t = T.lock();
    if let Some(i) = t.listeners.iter().position(|l| l.addr == *a) {
        let l = t.listeners.remove(i);
        // SAFETY: the listening socket we own; not in any group.
        let _ = unsafe { Sock::close(l.sock as *mut Sock) };
    }
}

extern "C" fn acceptor_poll(_arg: *mut c_void) -> i32 {
    let mut got = Vec::new();
    {
        let t = T.lock();
        let Some(o) = t.opts else { return 0 };
        for l in &t.listeners {
            // SAFETY: a listening socket owned by the transport, used on the app thread.
            let s = unsafe { &*(l.sock as *const Sock) };
            for _ in 0..32 {
                match s.accept() {
                    Ok(c) => got.push((c, o)),
                    Err(_) => break,
                }
            }
        }
    }
    let n = got.len();
    for (c, o) in got {
        let id = {
            let mut t = T.lock();
            t.next_qpair_id += 1;
            t.next_qpair_id
        };
        let Some((th, g)) = group::next_group() else { continue };
        let (cp, gp) = (Box::into_raw(c) as usize, g as usize);
        // SAFETY: group threads live until the transport is destroyed.
        let r = crate::thread::send_fn(unsafe { &*th }, move || {
            // SAFETY: the accepted socket, handed over to this group; the group is live on its thread.
            unsafe { TcpQpair::start(gp as *mut group::PollGroup, Box::from_raw(cp as *mut Sock), o, id) };
        });
        if r.is_err() {
            crate::log::error(format_args!("nvmf/tcp: cannot hand a connection to its poll group\n"));
        }
    }
    i32::from(n > 0)
}

/// The transports, as `nvmf_get_transports` lists them.
pub fn list_json() -> Vec<Value> {
    T.lock().opts.map(|o| o.to_json()).into_iter().collect()
}

/// Tears the transport down (target shutdown): listeners close, groups stop.
pub fn destroy(done: impl FnOnce() + Send + 'static) {
    {
        let mut t = T.lock();
        for l in t.listeners.drain(..) {
            // SAFETY: listening sockets we own.
            let _ = unsafe { Sock::close(l.sock as *mut Sock) };
        }
        if t.acceptor != 0 {
            crate::thread::poller::unregister(t.acceptor as *mut crate::thread::poller::Poller);
            t.acceptor = 0;
        }
        t.opts = None;
    }
    if group::count() == 0 {
        group::free_pool();
        done();
        return;
    }
    group::destroy_all(done);
}
