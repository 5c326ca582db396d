//! Transports plugged in through `nvmf_transport.h`, configured over
//! JSON-RPC as SPDK's target configures them: `nvmf_create_transport` with
//! a registered transport's name (the generic options over the transport's
//! own defaults; the whole params object is its `transport_specific`),
//! `nvmf_subsystem_add_listener`/`remove_listener` at its addresses (it
//! listens, may refuse a subsystem through `listen_associate`), and what its
//! `dump_opts`, `listen_dump_opts` and `subsystem_dump_host` write in
//! `save_config`. Everything here runs on the app thread.

use super::json::{flatten, Flat};
use super::nvmf::{spdk_nvmf_listen_opts, spdk_nvmf_transport_opts, subsystem_handle, transport_defaults, trid_pub};
use super::nvmf_transport as nt;
use crate::nvmf::group;
use crate::nvmf::subsystem::{AnaState, Error, ListenAddr, Result};
use crate::nvmf::tgt;
use parking_lot::Mutex;
use serde_json::{Map, Value};
use std::ffi::c_void;
use std::sync::Arc;

/// True if `name` names a transport registered through the C API.
pub(crate) fn is_registered(name: &str) -> bool {
    nt::is_registered(name)
}

/// True if a transport of that name was added to the target.
pub(crate) fn is_added(name: &str) -> bool {
    nt::by_name(name).is_some()
}

/// True if any plugged-in transport was added to the target.
pub(crate) fn any_added() -> bool {
    !nt::added().is_empty()
}

/// The generic members of `p` (SPDK's names) over the options `o`.
fn generic(m: &str, p: &Map<String, Value>, mut o: spdk_nvmf_transport_opts) -> std::result::Result<spdk_nvmf_transport_opts, String> {
    let num = |k: &str, max: u64| -> std::result::Result<Option<u64>, String> {
        match p.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().filter(|x| *x <= max).map(Some).ok_or_else(|| format!("{m}: {k} must be an integer from 0 to {max}, not {v}")),
        }
    };
    let flag = |k: &str| -> std::result::Result<Option<bool>, String> {
        match p.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(format!("{m}: {k} must be true or false, not {v}")),
        }
    };
    const U16: u64 = u16::MAX as u64;
    const U32: u64 = u32::MAX as u64;
    macro_rules! set {
        ($($k:ident: $t:ty, $max:expr;)*) => {$(
            if let Some(v) = num(stringify!($k), $max)? {
                o.$k = v as $t;
            }
        )*};
    }
    set! {
        max_queue_depth: u16, U16;
        max_qpairs_per_ctrlr: u16, U16;
        in_capsule_data_size: u32, U32;
        max_io_size: u32, U32;
        io_unit_size: u32, U32;
        max_aq_depth: u32, U32;
        num_shared_buffers: u32, U32;
        abort_timeout_sec: u32, U32;
        association_timeout: u32, U32;
        acceptor_poll_rate: u32, U32;
        ack_timeout: u32, U32;
        data_wr_pool_size: u32, U32;
        min_kato: u32, U32;
        kas: u16, U16;
    }
    // The newer name does not count the admin queue.
    if let Some(v) = num("max_io_qpairs_per_ctrlr", U16 - 1)? {
        o.max_qpairs_per_ctrlr = v as u16 + 1;
    }
    // UINT32_MAX asks for the default.
    if let Some(v) = num("buf_cache_size", U32)?.filter(|v| *v != U32) {
        o.buf_cache_size = v as u32;
    }
    if let Some(b) = flag("dif_insert_or_strip")? {
        o.dif_insert_or_strip = b;
    }
    if let Some(b) = flag("disable_command_passthru")? {
        o.disable_command_passthru = b;
    }
    if let Some(b) = flag("zcopy")? {
        o.zcopy = b;
    }
    Ok(o)
}

/// A flattened params object kept alive for a transport's creation.
struct Specific(Flat);
// SAFETY: the values point into the Flat's own buffer, which moves with it;
// it is read only by the transport's create, on the app thread.
unsafe impl Send for Specific {}

type Done = Box<dyn FnOnce(std::result::Result<(), String>) + Send>;

/// `nvmf_create_transport` for the registered transport `name`: created
/// with the options `p` sets (the transport reads the rest from
/// `transport_specific`, the params object), then added to the target
/// (poll groups are made first when the target has none). `done` runs once,
/// on this thread. A transport with a synchronous create is created and
/// added before this returns, so the next call of a JSON config (which does
/// not wait for answers) may listen on it; one with create_async only is
/// there once `done` ran.
pub(crate) fn rpc_create(m: &'static str, name: &str, p: &Value, done: Done) {
    if is_added(name) {
        return done(Err(format!("{m}: transport type '{name}' already exists")));
    }
    let empty = Map::new();
    let pm = p.as_object().unwrap_or(&empty);
    let Some(d) = nt::opts_init(name, transport_defaults(std::mem::size_of::<spdk_nvmf_transport_opts>())) else {
        return done(Err(format!("{m}: transport type '{name}' is not registered")));
    };
    let mut o = match generic(m, pm, d) {
        Ok(o) => o,
        Err(e) => return done(Err(e)),
    };
    if group::count() == 0 {
        if let Err(e) = group::create_groups(0) {
            return done(Err(format!("{m}: {e}")));
        }
    }
    let specific = Specific(flatten(p));
    o.transport_specific = specific.0.vals.as_ptr();
    let nm = name.to_string();
    // Added to the target at once (a JSON config's next call may listen on
    // it); answered once each poll group has its part.
    let add = move |t: *mut c_void, done: Done| {
        let ta = t as usize;
        nt::add(
            t,
            Box::new(move |rc| {
                if rc == 0 {
                    return done(Ok(()));
                }
                let _ = nt::destroy(ta as *mut c_void, Box::new(|| {}));
                done(Err(format!("{m}: transport {nm} could not be added to the target ({rc})")));
            }),
        );
    };
    match nt::create_now(name, o) {
        Ok(t) => return add(t, done),
        Err(rc) if rc != -libc::ENOTSUP => {
            return done(Err(format!("{m}: transport {name} could not be created ({})", std::io::Error::from_raw_os_error(-rc))));
        }
        Err(_) => {}
    }
    // create_async only: `specific` lives until the transport called back.
    let cell: Arc<Mutex<Option<Done>>> = Arc::new(Mutex::new(Some(done)));
    let c2 = cell.clone();
    let nm = name.to_string();
    let rc = nt::create(
        name,
        o,
        Box::new(move |t| {
            drop(specific);
            let Some(done) = c2.lock().take() else { return };
            if t.is_null() {
                return done(Err(format!("{m}: transport {nm} could not be created with these options")));
            }
            add(t, done);
        }),
    );
    if rc != 0 {
        if let Some(done) = cell.lock().take() {
            done(Err(format!("{m}: transport {name} could not be created ({})", std::io::Error::from_raw_os_error(-rc))));
        }
    }
}

/// `nvmf_subsystem_add_listener` at an address of a plugged-in transport:
/// the transport listens there (once for all subsystems), may refuse the
/// subsystem (listen_associate), then the subsystem accepts connections
/// there. The params object is the listen's `transport_specific` (what the
/// transport's listen_dump_opts wrote comes back this way). A failure
/// leaves the transport as it was.
pub(crate) fn rpc_add_listener(nqn: &str, a: ListenAddr, ana: AnaState, params: &Value) -> Result<()> {
    if tgt::subsystem(nqn).is_none() {
        return Err(Error::NotFound(format!("subsystem {nqn} not found")));
    }
    if !is_added(&a.trtype) {
        return Err(Error::Invalid(format!("transport {} does not exist (nvmf_create_transport first)", a.trtype)));
    }
    let trid = trid_pub(&a, &a.trtype);
    let fresh = !nt::is_listening(&a);
    if fresh {
        let specific = flatten(params);
        let mut o = spdk_nvmf_listen_opts {
            opts_size: std::mem::size_of::<spdk_nvmf_listen_opts>(),
            transport_specific: specific.vals.as_ptr(),
            secure_channel: false,
            reserved1: [0; 3],
            // enum spdk_nvme_ana_state.
            ana_state: match ana {
                AnaState::Optimized => 1,
                AnaState::NonOptimized => 2,
                AnaState::Inaccessible => 3,
            },
            sock_impl: std::ptr::null_mut(),
        };
        let rc = nt::listen(a.clone(), &trid, std::ptr::addr_of_mut!(o).cast());
        if rc != 0 {
            return Err(Error::Invalid(format!("transport {} cannot listen at {}:{} ({rc})", a.trtype, a.traddr, a.trsvcid)));
        }
    }
    let undo = |a: &ListenAddr| {
        if fresh {
            nt::stop_listen(a, &trid);
        }
    };
    let rc = nt::associate(&a, subsystem_handle(nqn), &trid);
    if rc != 0 {
        undo(&a);
        return Err(Error::Invalid(format!("transport {} refused the listener {}:{} for {nqn} ({rc})", a.trtype, a.traddr, a.trsvcid)));
    }
    tgt::add_subsystem_listener(nqn, a.clone(), ana).inspect_err(|_| undo(&a))
}

/// `nvmf_subsystem_remove_listener` at an address of a plugged-in
/// transport: the transport stops listening once no subsystem uses it.
pub(crate) fn rpc_remove_listener(nqn: &str, a: &ListenAddr) -> Result<()> {
    tgt::remove_subsystem_listener(nqn, a)?;
    if nt::is_listening(a) && !tgt::anyone_listens(a) {
        nt::stop_listen(a, &trid_pub(a, &a.trtype));
    }
    Ok(())
}

/// `nvmf_create_transport` params of the added plugged-in transports, for
/// `save_config` (the generic options, then what their dump_opts writes).
pub(crate) fn config() -> Vec<Value> {
    nt::transports_json()
}

/// What the plugged-in transport of `a` writes for it (listen_dump_opts),
/// as members of the listener's params; empty for other addresses.
pub(crate) fn listen_dump(a: &ListenAddr) -> Map<String, Value> {
    let Some(t) = nt::by_name(&a.trtype) else { return Map::new() };
    let tp = t as nt::Tp;
    // SAFETY: an added transport's operations, on the app thread.
    let Some(f) = (unsafe { (*(*tp).ops).listen_dump_opts }) else { return Map::new() };
    let trid = trid_pub(a, &a.trtype);
    // SAFETY: as above; the transport ID and the writer live through the call.
    nt::dumped(|w| unsafe { f(tp, &trid, w) })
}

/// What the added plugged-in transports write for host `host` of subsystem
/// `nqn` (subsystem_dump_host), as members of the host's params.
pub(crate) fn host_dump(nqn: &str, host: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let sub = subsystem_handle(nqn);
    let h = std::ffi::CString::new(host).unwrap_or_default();
    for t in nt::added() {
        let tp = t as nt::Tp;
        // SAFETY: an added transport's operations, on the app thread.
        if let Some(f) = unsafe { (*(*tp).ops).subsystem_dump_host } {
            // SAFETY: as above; the handle, string and writer live through the call.
            out.extend(nt::dumped(|w| unsafe { f(tp, sub, h.as_ptr(), w) }));
        }
    }
    out
}
