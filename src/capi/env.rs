//! `spdk/env.h`: environment, DMA memory, memory maps, mempools, rings, time, cores, PCI addresses.

use super::{cstr, guard, SendPtr};
use crate::env::{self, cpu, mem, memmap, mempool::Mempool, pci::PciAddr, ring::Ring};
use std::ffi::{c_char, c_int, c_uint, c_void};

pub const SPDK_ENV_NUMA_ID_ANY: c_int = -1;
pub const SPDK_ENV_SOCKET_ID_ANY: c_int = -1;
pub const SPDK_ENV_LCORE_ID_ANY: u32 = 0xFFFF_FFFF;
pub const SPDK_MALLOC_DMA: u32 = 0x01;
pub const SPDK_MALLOC_SHARE: u32 = 0x02;
pub const SPDK_MAX_MEMZONE_NAME_LEN: u32 = 32;
pub const SPDK_MAX_MEMPOOL_NAME_LEN: u32 = 29;
pub const SPDK_VTOPHYS_ERROR: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/// `struct spdk_pci_addr`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct spdk_pci_addr {
    pub domain: u32,
    pub bus: u8,
    pub dev: u8,
    pub func: u8,
}
const _: () = assert!(std::mem::size_of::<spdk_pci_addr>() == 8);

impl From<spdk_pci_addr> for PciAddr {
    fn from(a: spdk_pci_addr) -> PciAddr {
        PciAddr { domain: a.domain, bus: a.bus, dev: a.dev, func: a.func }
    }
}

/// `struct spdk_env_opts` (SPDK asserts 120 bytes).
#[repr(C)]
pub struct spdk_env_opts {
    pub name: *const c_char,
    pub core_mask: *const c_char,
    pub lcore_map: *const c_char,
    pub shm_id: c_int,
    pub mem_channel: c_int,
    pub main_core: c_int,
    pub mem_size: c_int,
    pub no_pci: bool,
    pub hugepage_single_segments: bool,
    pub unlink_hugepage: bool,
    pub no_huge: bool,
    pub reserved: u32,
    pub num_pci_addr: usize,
    pub hugedir: *const c_char,
    pub pci_blocked: *mut spdk_pci_addr,
    pub pci_allowed: *mut spdk_pci_addr,
    pub iova_mode: *const c_char,
    pub base_virtaddr: u64,
    /// Opaque context for use of the env implementation.
    pub env_context: *mut c_void,
    pub vf_token: *const c_char,
    /// Size of this structure as the caller knows it (ABI compatibility).
    pub opts_size: usize,
}
const _: () = assert!(std::mem::size_of::<spdk_env_opts>() == 120);
const _: () = assert!(std::mem::offset_of!(spdk_env_opts, no_pci) == 40);
const _: () = assert!(std::mem::offset_of!(spdk_env_opts, num_pci_addr) == 48);
const _: () = assert!(std::mem::offset_of!(spdk_env_opts, opts_size) == 112);

/// Opaque: a memory map.
pub struct spdk_mem_map {
    _private: [u8; 0],
}
/// Opaque: a memory pool.
pub struct spdk_mempool {
    _private: [u8; 0],
}
/// Opaque: a ring.
pub struct spdk_ring {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum spdk_mem_map_notify_action {
    SPDK_MEM_MAP_NOTIFY_REGISTER,
    SPDK_MEM_MAP_NOTIFY_UNREGISTER,
}

pub type spdk_mem_map_notify_cb = Option<
    unsafe extern "C" fn(cb_ctx: *mut c_void, map: *mut spdk_mem_map, action: spdk_mem_map_notify_action, vaddr: *mut c_void, size: usize) -> c_int,
>;
pub type spdk_mem_map_contiguous_translations = Option<unsafe extern "C" fn(addr_1: u64, addr_2: u64) -> c_int>;

/// `struct spdk_mem_map_ops`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_mem_map_ops {
    pub notify_cb: spdk_mem_map_notify_cb,
    pub are_contiguous: spdk_mem_map_contiguous_translations,
}

#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum spdk_ring_type {
    SPDK_RING_TYPE_SP_SC,
    SPDK_RING_TYPE_MP_SC,
    SPDK_RING_TYPE_MP_MC,
}

pub type spdk_mempool_obj_cb_t = Option<unsafe extern "C" fn(mp: *mut spdk_mempool, opaque: *mut c_void, obj: *mut c_void, obj_idx: c_uint)>;
pub type spdk_mempool_mem_cb_t =
    Option<unsafe extern "C" fn(mp: *mut spdk_mempool, opaque: *mut c_void, addr: *mut c_void, iova: u64, len: usize, mem_idx: c_uint)>;

const DEFAULT_NAME: &CStr0 = c"spdk";
type CStr0 = std::ffi::CStr;

/// Initialise `opts` with the defaults (`opts_size` becomes `sizeof(*opts)`).
#[no_mangle]
pub unsafe extern "C" fn spdk_env_opts_init(opts: *mut spdk_env_opts) {
    guard((), || {
        if opts.is_null() {
            return;
        }
        // SAFETY: the caller passes a struct of this header's layout.
        unsafe {
            std::ptr::write_bytes(opts as *mut u8, 0, std::mem::size_of::<spdk_env_opts>());
            let o = &mut *opts;
            o.name = DEFAULT_NAME.as_ptr();
            o.core_mask = c"0x1".as_ptr();
            o.shm_id = -1;
            o.mem_channel = -1;
            o.main_core = -1;
            o.mem_size = -1;
            o.base_virtaddr = 0x2000_0000_0000;
            o.opts_size = std::mem::size_of::<spdk_env_opts>();
        }
    })
}

static LAST_CONFIG: parking_lot::Mutex<Option<env::EnvConfig>> = parking_lot::Mutex::new(None);

unsafe fn config_from(o: &spdk_env_opts) -> Result<env::EnvConfig, String> {
    let size = if o.opts_size == 0 { std::mem::size_of::<spdk_env_opts>() } else { o.opts_size };
    let has = |end: usize| size >= end;
    let mut c = env::EnvConfig::default();
    // SAFETY (for the cstr calls): strings in opts are the caller's valid C strings.
    if let Some(n) = unsafe { cstr(o.name) } {
        c.name = n.into();
    }
    if let Some(m) = unsafe { cstr(o.core_mask) } {
        c.core_mask = m.into();
    }
    if !o.lcore_map.is_null() {
        return Err("lcore_map is not supported; use core_mask".into());
    }
    c.shm_id = o.shm_id;
    c.main_core = o.main_core;
    c.mem_size_mb = o.mem_size;
    c.no_pci = o.no_pci;
    c.no_huge = o.no_huge;
    if has(56) && o.num_pci_addr > 0 {
        let list = |p: *mut spdk_pci_addr| -> Vec<PciAddr> {
            if p.is_null() {
                Vec::new()
            } else {
                // SAFETY: the caller gives num_pci_addr entries at p.
                unsafe { std::slice::from_raw_parts(p, o.num_pci_addr) }.iter().map(|&a| a.into()).collect()
            }
        };
        c.pci_blocked = list(o.pci_blocked);
        c.pci_allowed = list(o.pci_allowed);
    }
    if has(64) {
        c.hugedir = unsafe { cstr(o.hugedir) }.map(Into::into);
    }
    if has(88) {
        c.iova_mode = unsafe { cstr(o.iova_mode) }.map(Into::into);
    }
    Ok(c)
}

/// Initialise the environment (`opts` NULL: again, after `spdk_env_fini`, with the last options).
#[no_mangle]
pub unsafe extern "C" fn spdk_env_init(opts: *const spdk_env_opts) -> c_int {
    guard(-libc::EFAULT, || {
        let cfg = if opts.is_null() {
            match LAST_CONFIG.lock().clone() {
                Some(c) => c,
                None => {
                    crate::log::error(format_args!("spdk_env_init: NULL options and no earlier initialisation\n"));
                    return -libc::EINVAL;
                }
            }
        } else {
            // SAFETY: non-NULL opts of this header's layout.
            match unsafe { config_from(&*opts) } {
                Ok(c) => c,
                Err(e) => {
                    crate::log::error(format_args!("spdk_env_init: {e}\n"));
                    return -libc::EINVAL;
                }
            }
        };
        match env::init(cfg.clone()) {
            Ok(()) => {
                *LAST_CONFIG.lock() = Some(cfg);
                0
            }
            Err(e) => {
                crate::log::error(format_args!("spdk_env_init: {e}\n"));
                -e.errno()
            }
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_env_fini() {
    guard((), env::fini)
}

fn alloc_checked(size: usize, align: usize, unused: *mut u64, zero: bool) -> *mut c_void {
    if !unused.is_null() || size == 0 || (align != 0 && !align.is_power_of_two()) {
        return std::ptr::null_mut();
    }
    match mem::alloc(size, align) {
        Some(p) => {
            if zero {
                // SAFETY: p is a fresh block of at least `size` bytes.
                unsafe { std::ptr::write_bytes(p, 0, size) };
            }
            p.cast()
        }
        None => std::ptr::null_mut(),
    }
}

#[no_mangle]
pub extern "C" fn spdk_malloc(size: usize, align: usize, unused: *mut u64, numa_id: c_int, flags: u32) -> *mut c_void {
    let _ = numa_id;
    guard(std::ptr::null_mut(), || if flags == 0 { std::ptr::null_mut() } else { alloc_checked(size, align, unused, false) })
}

#[no_mangle]
pub extern "C" fn spdk_zmalloc(size: usize, align: usize, unused: *mut u64, numa_id: c_int, flags: u32) -> *mut c_void {
    let _ = (numa_id, flags);
    guard(std::ptr::null_mut(), || alloc_checked(size, align, unused, true))
}

fn realloc_checked(buf: *mut c_void, size: usize, align: usize) -> *mut c_void {
    if buf.is_null() {
        return alloc_checked(size, align, std::ptr::null_mut(), false);
    }
    if size == 0 || (align != 0 && !align.is_power_of_two()) {
        return std::ptr::null_mut();
    }
    mem::realloc(buf.cast(), size, align).map_or(std::ptr::null_mut(), |p| p.cast())
}

#[no_mangle]
pub extern "C" fn spdk_realloc(buf: *mut c_void, size: usize, align: usize) -> *mut c_void {
    guard(std::ptr::null_mut(), || realloc_checked(buf, size, align))
}

#[no_mangle]
pub extern "C" fn spdk_free(buf: *mut c_void) {
    guard((), || {
        if !buf.is_null() && !mem::free(buf.cast()) {
            crate::log::error(format_args!("spdk_free: {buf:p} was not allocated by spdk_malloc\n"));
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_dma_malloc(size: usize, align: usize, unused: *mut u64) -> *mut c_void {
    guard(std::ptr::null_mut(), || alloc_checked(size, align, unused, false))
}

#[no_mangle]
pub extern "C" fn spdk_dma_malloc_socket(size: usize, align: usize, unused: *mut u64, numa_id: c_int) -> *mut c_void {
    let _ = numa_id;
    guard(std::ptr::null_mut(), || alloc_checked(size, align, unused, false))
}

#[no_mangle]
pub extern "C" fn spdk_dma_zmalloc(size: usize, align: usize, unused: *mut u64) -> *mut c_void {
    guard(std::ptr::null_mut(), || alloc_checked(size, align, unused, true))
}

#[no_mangle]
pub extern "C" fn spdk_dma_zmalloc_socket(size: usize, align: usize, unused: *mut u64, numa_id: c_int) -> *mut c_void {
    let _ = numa_id;
    guard(std::ptr::null_mut(), || alloc_checked(size, align, unused, true))
}

#[no_mangle]
pub extern "C" fn spdk_dma_realloc(buf: *mut c_void, size: usize, align: usize, unused: *mut u64) -> *mut c_void {
    guard(std::ptr::null_mut(), || if unused.is_null() { realloc_checked(buf, size, align) } else { std::ptr::null_mut() })
}

#[no_mangle]
pub extern "C" fn spdk_dma_free(buf: *mut c_void) {
    spdk_free(buf)
}

/// The I/O address of `buf`; with `size`, reduced to the contiguous bytes from `buf`.
#[no_mangle]
pub unsafe extern "C" fn spdk_vtophys(buf: *const c_void, size: *mut u64) -> u64 {
    guard(SPDK_VTOPHYS_ERROR, || {
        // SAFETY: size is NULL or the caller's valid u64.
        memmap::vtophys(buf as u64, unsafe { size.as_mut() })
    })
}

#[no_mangle]
pub extern "C" fn spdk_mem_register(vaddr: *mut c_void, len: usize) -> c_int {
    guard(-libc::EFAULT, || memmap::register(vaddr as u64, len as u64).map_or_else(|e| -e, |_| 0))
}

#[no_mangle]
pub extern "C" fn spdk_mem_unregister(vaddr: *mut c_void, len: usize) -> c_int {
    guard(-libc::EFAULT, || memmap::unregister(vaddr as u64, len as u64).map_or_else(|e| -e, |_| 0))
}

/// A map whose translations default to `default_translation`; `ops` may be NULL.
#[no_mangle]
pub unsafe extern "C" fn spdk_mem_map_alloc(default_translation: u64, ops: *const spdk_mem_map_ops, cb_ctx: *mut c_void) -> *mut spdk_mem_map {
    guard(std::ptr::null_mut(), || {
        // SAFETY: ops is NULL or the caller's valid struct, copied here.
        let ops = unsafe { ops.as_ref() }.copied();
        let ctx = SendPtr(cb_ctx);
        let notify: Option<memmap::NotifyFn> = ops.and_then(|o| o.notify_cb).map(|cb| {
            Box::new(move |map: &memmap::MemMap, action: memmap::Action, va: u64, len: u64| {
                let a = match action {
                    memmap::Action::Register => spdk_mem_map_notify_action::SPDK_MEM_MAP_NOTIFY_REGISTER,
                    memmap::Action::Unregister => spdk_mem_map_notify_action::SPDK_MEM_MAP_NOTIFY_UNREGISTER,
                };
                let c = ctx;
                // SAFETY: calling the application's callback with its own context.
                let rc = unsafe { cb(c.0, map as *const _ as *mut spdk_mem_map, a, va as *mut c_void, len as usize) };
                if rc == 0 {
                    Ok(())
                } else {
                    Err(rc.abs())
                }
            }) as memmap::NotifyFn
        });
        let contiguous: Option<memmap::ContiguousFn> = ops.and_then(|o| o.are_contiguous).map(|cb| {
            // SAFETY: calling the application's pure callback.
            Box::new(move |a, b| unsafe { cb(a, b) } != 0) as memmap::ContiguousFn
        });
        match memmap::map_alloc(default_translation, notify, contiguous) {
            Ok(m) => Box::into_raw(m).cast(),
            Err(_) => std::ptr::null_mut(),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mem_map_free(pmap: *mut *mut spdk_mem_map) {
    guard((), || {
        // SAFETY: pmap is NULL or points to a map pointer from spdk_mem_map_alloc.
        let Some(slot) = (unsafe { pmap.as_mut() }) else { return };
        if slot.is_null() {
            return;
        }
        // SAFETY: the map was created by Box::into_raw in spdk_mem_map_alloc.
        memmap::map_free(unsafe { Box::from_raw(*slot as *mut memmap::MemMap) });
        *slot = std::ptr::null_mut();
    })
}

unsafe fn map_ref<'a>(map: *const spdk_mem_map) -> Option<&'a memmap::MemMap> {
    // SAFETY: map is NULL or a live map from spdk_mem_map_alloc.
    unsafe { (map as *const memmap::MemMap).as_ref() }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mem_map_set_translation(map: *mut spdk_mem_map, vaddr: u64, size: u64, translation: u64) -> c_int {
    guard(-libc::EFAULT, || match unsafe { map_ref(map) } {
        Some(m) => m.set_translation(vaddr, size, translation).map_or_else(|e| -e, |_| 0),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mem_map_clear_translation(map: *mut spdk_mem_map, vaddr: u64, size: u64) -> c_int {
    guard(-libc::EFAULT, || match unsafe { map_ref(map) } {
        Some(m) => m.clear_translation(vaddr, size).map_or_else(|e| -e, |_| 0),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mem_map_translate(map: *const spdk_mem_map, vaddr: u64, size: *mut u64) -> u64 {
    guard(SPDK_VTOPHYS_ERROR, || match unsafe { map_ref(map) } {
        // SAFETY: size is NULL or the caller's valid u64.
        Some(m) => m.translate(vaddr, unsafe { size.as_mut() }),
        None => SPDK_VTOPHYS_ERROR,
    })
}

unsafe fn pool<'a>(mp: *const spdk_mempool) -> Option<&'a Mempool> {
    // SAFETY: mp is NULL or a live pool from spdk_mempool_create.
    unsafe { (mp as *const Mempool).as_ref() }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_create(name: *const c_char, count: usize, ele_size: usize, cache_size: usize, numa_id: c_int) -> *mut spdk_mempool {
    let _ = (cache_size, numa_id);
    guard(std::ptr::null_mut(), || {
        // SAFETY: name is NULL or the caller's C string.
        let Some(name) = (unsafe { cstr(name) }) else { return std::ptr::null_mut() };
        Mempool::create(name, count, ele_size).map_or(std::ptr::null_mut(), |p| Box::into_raw(p).cast())
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_create_ctor(
    name: *const c_char,
    count: usize,
    ele_size: usize,
    cache_size: usize,
    numa_id: c_int,
    obj_init: spdk_mempool_obj_cb_t,
    obj_init_arg: *mut c_void,
) -> *mut spdk_mempool {
    // SAFETY: forwarding the caller's arguments.
    let mp = unsafe { spdk_mempool_create(name, count, ele_size, cache_size, numa_id) };
    if let (false, Some(init)) = (mp.is_null(), obj_init) {
        guard((), || {
            // SAFETY: mp is the pool just created.
            let p = unsafe { pool(mp) }.expect("pool");
            for i in 0..p.capacity() {
                // SAFETY: the application's initialiser on each element of its pool.
                unsafe { init(mp, obj_init_arg, p.element(i).cast(), i as c_uint) };
            }
        });
    }
    mp
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_get_name(mp: *mut spdk_mempool) -> *mut c_char {
    guard(std::ptr::null_mut(), || unsafe { pool(mp) }.map_or(std::ptr::null_mut(), |p| p.name().as_ptr() as *mut c_char))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_free(mp: *mut spdk_mempool) {
    guard((), || {
        if !mp.is_null() {
            // SAFETY: created by Box::into_raw in spdk_mempool_create.
            drop(unsafe { Box::from_raw(mp as *mut Mempool) });
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_get(mp: *mut spdk_mempool) -> *mut c_void {
    guard(std::ptr::null_mut(), || unsafe { pool(mp) }.and_then(|p| p.get()).map_or(std::ptr::null_mut(), |e| e.cast()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_get_bulk(mp: *mut spdk_mempool, ele_arr: *mut *mut c_void, count: usize) -> c_int {
    guard(-libc::EFAULT, || {
        let Some(p) = (unsafe { pool(mp) }) else { return -libc::EINVAL };
        if count == 0 {
            return 0;
        }
        if ele_arr.is_null() {
            return -libc::EINVAL;
        }
        // SAFETY: the caller provides `count` writable slots; pointers and usize share a layout.
        let out = unsafe { std::slice::from_raw_parts_mut(ele_arr as *mut usize, count) };
        if p.get_bulk(out) {
            0
        } else {
            -libc::ENOENT
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_put(mp: *mut spdk_mempool, ele: *mut c_void) {
    guard((), || {
        if let Some(p) = unsafe { pool(mp) } {
            if !p.put(ele.cast()) {
                crate::log::error(format_args!("spdk_mempool_put: {ele:p} is not an element of pool {:?}\n", p.name()));
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_put_bulk(mp: *mut spdk_mempool, ele_arr: *mut *mut c_void, count: usize) {
    guard((), || {
        let Some(p) = (unsafe { pool(mp) }) else { return };
        if ele_arr.is_null() || count == 0 {
            return;
        }
        // SAFETY: the caller provides `count` element pointers.
        let items = unsafe { std::slice::from_raw_parts(ele_arr as *const usize, count) };
        if !p.put_bulk(items) {
            crate::log::error(format_args!("spdk_mempool_put_bulk: foreign elements refused by pool {:?}\n", p.name()));
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_count(pool_: *const spdk_mempool) -> usize {
    guard(0, || unsafe { pool(pool_) }.map_or(0, |p| p.count()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_obj_iter(mp: *mut spdk_mempool, obj_cb: spdk_mempool_obj_cb_t, obj_cb_arg: *mut c_void) -> u32 {
    guard(0, || {
        let (Some(p), Some(cb)) = (unsafe { pool(mp) }, obj_cb) else { return 0 };
        for i in 0..p.capacity() {
            // SAFETY: the application's callback over its own pool's elements.
            unsafe { cb(mp, obj_cb_arg, p.element(i).cast(), i as c_uint) };
        }
        p.capacity() as u32
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_mem_iter(mp: *mut spdk_mempool, mem_cb: spdk_mempool_mem_cb_t, mem_cb_arg: *mut c_void) -> u32 {
    guard(0, || {
        let (Some(p), Some(cb)) = (unsafe { pool(mp) }, mem_cb) else { return 0 };
        let (addr, len) = p.memory();
        // SAFETY: the application's callback over its own pool's one memory chunk.
        unsafe { cb(mp, mem_cb_arg, addr.cast(), memmap::vtophys(addr as u64, None), len, 0) };
        1
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_mempool_lookup(name: *const c_char) -> *mut spdk_mempool {
    guard(std::ptr::null_mut(), || {
        // SAFETY: name is NULL or a C string.
        unsafe { cstr(name) }.and_then(Mempool::lookup).map_or(std::ptr::null_mut(), |p| p as *mut spdk_mempool)
    })
}

struct CRing(Ring<usize>);

unsafe fn ring_ref<'a>(r: *const spdk_ring) -> Option<&'a CRing> {
    // SAFETY: NULL or a live ring from spdk_ring_create.
    unsafe { (r as *const CRing).as_ref() }
}

/// A ring of `count` pointers (every type is safe for many producers and consumers).
#[no_mangle]
pub extern "C" fn spdk_ring_create(type_: spdk_ring_type, count: usize, numa_id: c_int) -> *mut spdk_ring {
    let _ = (type_, numa_id);
    guard(std::ptr::null_mut(), || if count == 0 { std::ptr::null_mut() } else { Box::into_raw(Box::new(CRing(Ring::new(count)))).cast() })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_ring_free(ring: *mut spdk_ring) {
    guard((), || {
        if !ring.is_null() {
            // SAFETY: created by Box::into_raw in spdk_ring_create.
            drop(unsafe { Box::from_raw(ring as *mut CRing) });
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_ring_count(ring: *mut spdk_ring) -> usize {
    guard(0, || unsafe { ring_ref(ring) }.map_or(0, |r| r.0.len()))
}

/// Enqueues all `count` objects or none; returns the number enqueued.
#[no_mangle]
pub unsafe extern "C" fn spdk_ring_enqueue(ring: *mut spdk_ring, objs: *mut *mut c_void, count: usize, free_space: *mut usize) -> usize {
    guard(0, || {
        let Some(r) = (unsafe { ring_ref(ring) }) else { return 0 };
        let n = if objs.is_null() || count == 0 {
            0
        } else {
            // SAFETY: the caller provides `count` pointers.
            let items = unsafe { std::slice::from_raw_parts(objs as *const usize, count) };
            if r.0.enqueue_bulk(items) {
                count
            } else {
                0
            }
        };
        // SAFETY: NULL or the caller's usize.
        if let Some(f) = unsafe { free_space.as_mut() } {
            *f = r.0.free_space();
        }
        n
    })
}

/// Dequeues up to `count` objects; returns how many.
#[no_mangle]
pub unsafe extern "C" fn spdk_ring_dequeue(ring: *mut spdk_ring, objs: *mut *mut c_void, count: usize) -> usize {
    guard(0, || {
        let Some(r) = (unsafe { ring_ref(ring) }) else { return 0 };
        if objs.is_null() || count == 0 {
            return 0;
        }
        // SAFETY: the caller provides `count` writable slots.
        let out = unsafe { std::slice::from_raw_parts_mut(objs as *mut usize, count) };
        r.0.dequeue_burst(out)
    })
}

#[no_mangle]
pub extern "C" fn spdk_get_ticks() -> u64 {
    cpu::ticks()
}

#[no_mangle]
pub extern "C" fn spdk_get_ticks_hz() -> u64 {
    cpu::TICKS_HZ
}

/// A CPU hint for spin loops.
#[no_mangle]
pub extern "C" fn spdk_pause() {
    std::hint::spin_loop()
}

#[no_mangle]
pub extern "C" fn spdk_delay_us(us: c_uint) {
    guard((), || cpu::delay_us(us))
}

#[no_mangle]
pub extern "C" fn spdk_env_get_core_count() -> u32 {
    guard(0, || cpu::with_cores(|c, _| c.len() as u32))
}

#[no_mangle]
pub extern "C" fn spdk_env_get_current_core() -> u32 {
    cpu::current_core()
}

#[no_mangle]
pub extern "C" fn spdk_env_get_main_core() -> u32 {
    guard(0, || cpu::with_cores(|_, m| m))
}

#[no_mangle]
pub extern "C" fn spdk_env_get_first_core() -> u32 {
    guard(u32::MAX, || cpu::with_cores(|c, _| c.first().copied().unwrap_or(u32::MAX)))
}

#[no_mangle]
pub extern "C" fn spdk_env_get_last_core() -> u32 {
    guard(u32::MAX, || cpu::with_cores(|c, _| c.last().copied().unwrap_or(u32::MAX)))
}

/// The next core of the mask after `prev_core`, or `UINT32_MAX` at the end.
#[no_mangle]
pub extern "C" fn spdk_env_get_next_core(prev_core: u32) -> u32 {
    guard(u32::MAX, || cpu::with_cores(|c, _| c.iter().copied().find(|&x| x > prev_core).unwrap_or(u32::MAX)))
}

#[no_mangle]
pub extern "C" fn spdk_env_get_numa_id(core: u32) -> i32 {
    guard(SPDK_ENV_NUMA_ID_ANY, || cpu::numa_id(core))
}

#[no_mangle]
pub extern "C" fn spdk_env_get_socket_id(core: u32) -> u32 {
    spdk_env_get_numa_id(core) as u32
}

#[no_mangle]
pub extern "C" fn spdk_process_is_primary() -> bool {
    true
}

/// Parses `DDDD:BB:DD.F` (or `BB:DD.F`); 0 or -EINVAL.
#[no_mangle]
pub unsafe extern "C" fn spdk_pci_addr_parse(addr: *mut spdk_pci_addr, bdf: *const c_char) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: NULL or the caller's C string / struct.
        let (Some(s), Some(out)) = (unsafe { cstr(bdf) }, unsafe { addr.as_mut() }) else { return -libc::EINVAL };
        match PciAddr::parse(s) {
            Some(a) => {
                *out = spdk_pci_addr { domain: a.domain, bus: a.bus, dev: a.dev, func: a.func };
                0
            }
            None => -libc::EINVAL,
        }
    })
}

/// Formats `addr` as `DDDD:BB:DD.F` into `bdf`; 0, or -1 if it does not fit.
#[no_mangle]
pub unsafe extern "C" fn spdk_pci_addr_fmt(bdf: *mut c_char, sz: usize, addr: *const spdk_pci_addr) -> c_int {
    guard(-1, || {
        // SAFETY: NULL or the caller's struct.
        let Some(a) = (unsafe { addr.as_ref() }) else { return -1 };
        let s = PciAddr::from(*a).to_string();
        if bdf.is_null() || sz < s.len() + 1 {
            return -1;
        }
        // SAFETY: bdf has room for sz >= len + 1 bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(s.as_ptr(), bdf as *mut u8, s.len());
            *bdf.add(s.len()) = 0;
        }
        0
    })
}

/// -1, 0 or 1 as `a1` sorts before, equal to or after `a2`.
#[no_mangle]
pub unsafe extern "C" fn spdk_pci_addr_compare(a1: *const spdk_pci_addr, a2: *const spdk_pci_addr) -> c_int {
    guard(0, || {
        // SAFETY: the caller's structs (NULL sorts first).
        match (unsafe { a1.as_ref() }, unsafe { a2.as_ref() }) {
            (Some(a), Some(b)) => PciAddr::from(*a).compare(&PciAddr::from(*b)) as c_int,
            (None, None) => 0,
            (None, _) => -1,
            (_, None) => 1,
        }
    })
}
