//! Time and cores: ticks, delays, the application's core set and the core of
//! the calling thread.

use parking_lot::RwLock;
use std::cell::Cell;

pub const LCORE_ID_ANY: u32 = u32::MAX;
pub const TICKS_HZ: u64 = 1_000_000_000;

/// Monotonic ticks (nanoseconds).
#[inline]
pub fn ticks() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

pub fn delay_us(us: u32) {
    let end = ticks() + us as u64 * 1000;
    if us >= 100 {
        std::thread::sleep(std::time::Duration::from_micros(us as u64 - 50));
    }
    while ticks() < end {
        std::hint::spin_loop();
    }
}

pub struct Cores {
    pub list: Vec<u32>,
    pub main: u32,
}

static CORES: RwLock<Option<Cores>> = RwLock::new(None);

thread_local! {
    static CURRENT_CORE: Cell<u32> = const { Cell::new(LCORE_ID_ANY) };
}

/// CPUs this process may run on.
pub fn online_cpus() -> Vec<u32> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: pid 0 is the calling thread; the size matches the set.
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return vec![0];
    }
    // SAFETY: CPU_ISSET reads the set we own.
    (0..libc::CPU_SETSIZE as u32).filter(|&c| unsafe { libc::CPU_ISSET(c as usize, &set) }).collect()
}

pub fn set_cores(list: Vec<u32>, main: u32) {
    *CORES.write() = Some(Cores { list, main });
}

pub fn clear_cores() {
    *CORES.write() = None;
}

pub fn with_cores<R>(f: impl FnOnce(&[u32], u32) -> R) -> R {
    let g = CORES.read();
    match g.as_ref() {
        Some(c) => f(&c.list, c.main),
        None => f(&[0], 0),
    }
}

pub fn current_core() -> u32 {
    CURRENT_CORE.with(|c| c.get())
}

pub fn set_current_core(core: u32) {
    CURRENT_CORE.with(|c| c.set(core));
}

/// Pins the calling OS thread to `core`.
pub fn pin_to(core: u32) -> Result<(), i32> {
    // SAFETY: cpu_set_t is plain data; CPU_SET writes inside it; pid 0 is this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core as usize, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(*libc::__errno_location());
        }
    }
    Ok(())
}

/// NUMA node of a CPU from sysfs (0 when unknown).
pub fn numa_id(core: u32) -> i32 {
    let dir = format!("/sys/devices/system/cpu/cpu{core}");
    std::fs::read_dir(dir)
        .ok()
        .and_then(|rd| {
            rd.filter_map(|e| e.ok())
                .find_map(|e| e.file_name().to_str()?.strip_prefix("node")?.parse::<i32>().ok())
        })
        .unwrap_or(0)
}
