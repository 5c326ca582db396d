//! The process's NVMe-oF target: its subsystems and the bdev descriptors
//! its namespaces hold. Control runs on the app thread (RPC, JSON config);
//! a namespace whose bdev goes away is removed.

use super::subsystem::{Error, Namespace, Result, Subsystem, SubsystemOpts, Subsystems};
use crate::bdev;
use crate::capi::bdev_types::{spdk_bdev, spdk_bdev_event_type};
use parking_lot::Mutex;
use std::ffi::c_void;

struct Tgt {
    subs: Subsystems,
    /// Open descriptors of namespaces: (nqn, nsid, descriptor, event context).
    descs: Vec<(String, u32, usize, usize)>,
}

static TGT: Mutex<Option<Tgt>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut Tgt) -> R) -> R {
    let mut g = TGT.lock();
    f(g.get_or_insert_with(|| Tgt { subs: Subsystems::new(), descs: Vec::new() }))
}

/// A snapshot of the subsystems (for listings and saved configs).
pub fn subsystems() -> Vec<Subsystem> {
    with(|t| t.subs.iter().cloned().collect())
}

pub fn create_subsystem(o: &SubsystemOpts) -> Result<()> {
    with(|t| t.subs.create(o))
}

pub fn delete_subsystem(nqn: &str) -> Result<()> {
    let closing = with(|t| -> Result<Vec<(usize, usize)>> {
        t.subs.delete(nqn)?;
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut t.descs).into_iter().partition(|d| d.0 == nqn);
        t.descs = kept;
        Ok(gone.into_iter().map(|d| (d.2, d.3)).collect())
    })?;
    for (d, ctx) in closing {
        close(d, ctx);
    }
    Ok(())
}

/// Where a namespace's bdev events go.
struct NsKey {
    nqn: String,
    nsid: u32,
}

extern "C" fn ns_event(t: spdk_bdev_event_type, _b: *mut spdk_bdev, ctx: *mut c_void) {
    if t != spdk_bdev_event_type::SPDK_BDEV_EVENT_REMOVE {
        return;
    }
    // SAFETY: the NsKey leaked by add_ns, freed only after its descriptor closed.
    let k = unsafe { &*(ctx as *const NsKey) };
    crate::log::notice(format_args!("nvmf: the bdev of namespace {} of {} is going away; removing the namespace\n", k.nsid, k.nqn));
    let (nqn, nsid) = (k.nqn.clone(), k.nsid);
    let _ = remove_ns(&nqn, nsid);
}

fn close(desc: usize, ctx: usize) {
    bdev::close(desc as *mut bdev::Desc);
    // SAFETY: the NsKey of this descriptor, which is closed: no event reads it now.
    drop(unsafe { Box::from_raw(ctx as *mut NsKey) });
}

/// `nvmf_subsystem_add_ns`: opens the bdev (read-write) and adds the namespace.
pub fn add_ns(nqn: &str, ns: Namespace) -> Result<u32> {
    if with(|t| t.subs.get(nqn).is_none()) {
        return Err(Error::NotFound(format!("subsystem {nqn} not found")));
    }
    let key = Box::into_raw(Box::new(NsKey { nqn: nqn.to_string(), nsid: 0 }));
    let desc = match bdev::open(&ns.bdev_name, true, Some(ns_event), key.cast()) {
        Ok(d) => d,
        Err(e) => {
            // SAFETY: not handed to anyone.
            drop(unsafe { Box::from_raw(key) });
            return Err(Error::Invalid(format!("bdev {}: {e}", ns.bdev_name)));
        }
    };
    let r = with(|t| {
        let id = t.subs.add_ns(nqn, ns)?;
        t.descs.push((nqn.to_string(), id, desc as usize, key as usize));
        Ok(id)
    });
    match r {
        // SAFETY: the key is ours until its descriptor closes; events come on this (the app) thread.
        Ok(id) => unsafe { (*key).nsid = id },
        Err(_) => close(desc as usize, key as usize),
    }
    r
}

/// `nvmf_subsystem_remove_ns`: closes the namespace's descriptor.
pub fn remove_ns(nqn: &str, nsid: u32) -> Result<()> {
    let d = with(|t| -> Result<Option<(usize, usize)>> {
        t.subs.remove_ns(nqn, nsid)?;
        let i = t.descs.iter().position(|d| d.0 == nqn && d.1 == nsid);
        Ok(i.map(|i| t.descs.remove(i)).map(|d| (d.2, d.3)))
    })?;
    if let Some((desc, ctx)) = d {
        close(desc, ctx);
    }
    Ok(())
}

pub fn add_host(nqn: &str, host: &str) -> Result<()> {
    with(|t| t.subs.add_host(nqn, host))
}

pub fn remove_host(nqn: &str, host: &str) -> Result<()> {
    with(|t| t.subs.remove_host(nqn, host))
}

pub fn allow_any_host(nqn: &str, on: bool) -> Result<()> {
    with(|t| t.subs.allow_any_host(nqn, on))
}

/// Deletes every subsystem (the target's shutdown): their namespaces close.
pub fn fini() {
    let nqns: Vec<String> = subsystems().into_iter().filter(|s| s.subtype == super::subsystem::Subtype::Nvme).map(|s| s.nqn).collect();
    for n in nqns {
        let _ = delete_subsystem(&n);
    }
}
