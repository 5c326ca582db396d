//! bdevperf: I/O load on every bdev of a JSON configuration, with SPDK's
//! bdevperf options (-q -o -w -M -t -m --json) and its per-bdev report
//! (IOPS, MiB/s, average/min/max latency). `-w reset` is verify traffic with
//! a bdev reset every half second (as SPDK's, which resets less often).

use rspdk::bdev::{self, io};
use rspdk::capi::bdev_types::*;
use rspdk::capi::thread::spdk_io_channel;
use rspdk::env::{cpu, mem};
use rspdk::event::app;
use rspdk::thread::{self, io_channel as ioch, Thread};
use std::ffi::c_void;
use std::sync::Mutex;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Work {
    Read,
    Write,
    Rw,
    Verify,
    Unmap,
    WriteZeroes,
    Flush,
    Reset,
}

#[derive(Clone, Debug)]
struct Opts {
    qd: u32,
    io_size: u64,
    work: Work,
    random: bool,
    read_pct: u32,
    seconds: u64,
    mask: String,
    json: Option<String>,
}

fn usage() -> ! {
    eprintln!("usage: bdevperf --json FILE -q DEPTH -o SIZE -w read|write|randread|randwrite|rw|randrw|verify|reset|unmap|write_zeroes|flush [-M READ%] [-t SECONDS] [-m MASK]");
    std::process::exit(2)
}

/// An I/O size: bytes, or with a k or m suffix.
fn parse_size(s: &str) -> Option<u64> {
    let (n, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1024),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        _ => (s, 1),
    };
    n.parse::<u64>().ok()?.checked_mul(mult)
}

fn parse() -> Opts {
    let mut o = Opts { qd: 0, io_size: 0, work: Work::Read, random: false, read_pct: 100, seconds: 1, mask: "0x1".into(), json: None };
    let mut work = None;
    let mut mix = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "-q" => o.qd = val().parse().unwrap_or_else(|_| usage()),
            "-o" => o.io_size = parse_size(&val()).unwrap_or_else(|| usage()),
            "-w" => work = Some(val()),
            "-M" => mix = Some(val().parse::<u32>().unwrap_or_else(|_| usage())),
            "-t" => o.seconds = val().parse().unwrap_or_else(|_| usage()),
            "-m" => o.mask = val(),
            "--json" | "-c" => o.json = Some(val()),
            "-h" | "--help" => usage(),
            _ => {
                eprintln!("bdevperf: unknown option {a}");
                usage()
            }
        }
    }
    let w = work.unwrap_or_else(|| usage());
    o.random = w.starts_with("rand");
    o.work = match w.trim_start_matches("rand") {
        "read" => Work::Read,
        "write" => Work::Write,
        "rw" => {
            o.read_pct = mix.unwrap_or_else(|| {
                eprintln!("bdevperf: -M is required with {w}");
                usage()
            });
            Work::Rw
        }
        "verify" => Work::Verify,
        "unmap" => Work::Unmap,
        "write_zeroes" => Work::WriteZeroes,
        "flush" => Work::Flush,
        "reset" => Work::Reset,
        _ => usage(),
    };
    if o.qd == 0 || o.io_size == 0 || o.json.is_none() || o.read_pct > 100 {
        usage();
    }
    o
}

#[derive(Default, Clone)]
struct Result_ {
    name: String,
    core: u32,
    ios: u64,
    errors: u64,
    miscompares: u64,
    resets: u64,
    io_waits: u64,
    failed_in_reset: u64,
    lat_total: u64,
    lat_min: u64,
    lat_max: u64,
    elapsed: u64,
}

struct Task {
    job: *mut Job,
    buf: *mut u8,
    offset: u64,
    verifying: bool,
    /// The I/O type to send again when a bdev_io frees (-ENOMEM).
    retry_type: Option<spdk_bdev_io_type>,
    wait: spdk_bdev_io_wait_entry,
}

struct Job {
    opts: Opts,
    /// `verifies(opts.work)`, asked on every I/O.
    verify: bool,
    desc: *mut bdev::Desc,
    ch: *mut spdk_io_channel,
    blocks_per_io: u64,
    slots: u64,
    next_slot: u64,
    seed: u64,
    end_tsc: u64,
    start_tsc: u64,
    outstanding: u32,
    tasks: Vec<Task>,
    res: Result_,
    reset_poller: *mut rspdk::thread::poller::Poller,
    reset_inflight: bool,
    event_slot: *mut *mut Job,
}

static RESULTS: Mutex<Vec<Result_>> = Mutex::new(Vec::new());
static JOBS_LEFT: Mutex<usize> = Mutex::new(0);

fn rand(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Workloads that write a pattern and read it back.
fn verifies(w: Work) -> bool {
    matches!(w, Work::Verify | Work::Reset)
}

/// How often `-w reset` resets the bdev.
const RESET_PERIOD_US: u64 = 500_000;

/// `-w reset`: one reset at a time, in the middle of the verify traffic.
extern "C" fn reset_tick(arg: *mut c_void) -> std::ffi::c_int {
    // SAFETY: the job that registered this poller, on its thread, until `finish` unregisters it.
    let job = unsafe { &mut *(arg as *mut Job) };
    if job.reset_inflight || cpu::ticks() >= job.end_tsc {
        return 0;
    }
    let req = io::Request {
        io_type: spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET,
        iovs: std::ptr::null_mut(),
        iovcnt: 0,
        buf: std::ptr::null_mut(),
        md_buf: std::ptr::null_mut(),
        offset_blocks: 0,
        num_blocks: 0,
        cb: Some(reset_done),
        cb_arg: arg,
    };
    match io::submit(job.desc, job.ch, req) {
        Ok(()) => {
            job.reset_inflight = true;
            job.outstanding += 1;
        }
        Err(io::SubmitError::NoMemory) => {}
        Err(e) => {
            eprintln!("bdevperf: {}: reset not submitted: {e:?}", job.res.name);
            job.res.errors += 1;
        }
    }
    1
}

extern "C" fn reset_done(bio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    io::free_io(bio);
    // SAFETY: as in reset_tick: the job waits for this reset before it finishes.
    let job = unsafe { &mut *(arg as *mut Job) };
    job.reset_inflight = false;
    if success {
        job.res.resets += 1;
    } else {
        eprintln!("bdevperf: {}: reset failed", job.res.name);
        job.res.errors += 1;
    }
    job.outstanding -= 1;
    if job.outstanding == 0 {
        finish(job);
    }
}

/// A bdev under a job went away (hot removal): the job stops submitting and
/// ends when what it has in flight has come back.
extern "C" fn on_event(t: spdk_bdev_event_type, _b: *mut spdk_bdev, ctx: *mut c_void) {
    if t != spdk_bdev_event_type::SPDK_BDEV_EVENT_REMOVE {
        return;
    }
    // SAFETY: the job's slot, set before any event can be delivered (events
    // come as messages to this thread, after start_job returned).
    let job = unsafe { *(ctx as *mut *mut Job) };
    if job.is_null() {
        return;
    }
    // SAFETY: the job lives until `finish`, which closes the descriptor first.
    let job = unsafe { &mut *job };
    eprintln!("bdevperf: {}: bdev removed; stopping its job", job.res.name);
    job.end_tsc = 0;
    if job.outstanding == 0 {
        finish(job);
    }
}

fn pattern(buf: *mut u8, len: usize, offset: u64) {
    // SAFETY: buf is the task's buffer of len bytes.
    let d = unsafe { std::slice::from_raw_parts_mut(buf, len) };
    for (i, b) in d.iter_mut().enumerate() {
        *b = (offset as usize).wrapping_mul(31).wrapping_add(i) as u8;
    }
}

fn check(buf: *mut u8, len: usize, offset: u64) -> bool {
    // SAFETY: as above.
    let d = unsafe { std::slice::from_raw_parts(buf, len) };
    d.iter().enumerate().all(|(i, &b)| b == (offset as usize).wrapping_mul(31).wrapping_add(i) as u8)
}

extern "C" fn io_done(bio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    // Latency from the layer's own submission time (one clock read less per I/O).
    let submitted = io::submit_tsc(bio);
    io::free_io(bio);
    let t = arg as *mut Task;
    // SAFETY: tasks live in their job until it finishes, on this thread.
    let (task, job) = unsafe { (&mut *t, &mut *(*t).job) };
    let now = cpu::ticks();
    if job.verify && !task.verifying && success {
        // The write landed: read it back into a cleared buffer.
        task.verifying = true;
        // SAFETY: the task's buffer.
        unsafe { std::ptr::write_bytes(task.buf, 0, (job.blocks_per_io * bdev::bdev_ref(bdev::bdev_ref_ptr(job.desc)).blocklen as u64) as usize) };
        if submit(job, task, Some(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ)) {
            return;
        }
    }
    let lat = now.saturating_sub(submitted);
    job.res.ios += 1;
    job.res.lat_total += lat;
    job.res.lat_min = job.res.lat_min.min(lat);
    job.res.lat_max = job.res.lat_max.max(lat);
    if !success {
        if job.opts.work == Work::Reset {
            // As SPDK's bdevperf in reset mode: I/O the resets abort is expected.
            job.res.failed_in_reset += 1;
        } else {
            job.res.errors += 1;
        }
    } else if job.verify {
        let len = (job.blocks_per_io * bdev::bdev_ref(bdev::bdev_ref_ptr(job.desc)).blocklen as u64) as usize;
        if !check(task.buf, len, task.offset) {
            job.res.miscompares += 1;
        }
    }
    task.verifying = false;
    if now < job.end_tsc && submit(job, task, None) {
        return;
    }
    job.outstanding -= 1;
    if job.outstanding == 0 {
        finish(job);
    }
}

fn submit(job: &mut Job, task: &mut Task, force: Option<spdk_bdev_io_type>) -> bool {
    use spdk_bdev_io_type::*;
    if force.is_none() {
        // A uniform slot from the high half of a 64x64 product (no division per I/O).
        let slot = if job.opts.random { ((rand(&mut job.seed) as u128 * job.slots as u128) >> 64) as u64 } else {
            let s = job.next_slot;
            job.next_slot = (job.next_slot + 1) % job.slots;
            s
        };
        task.offset = slot * job.blocks_per_io;
    }
    let t = force.unwrap_or(match job.opts.work {
        Work::Read => SPDK_BDEV_IO_TYPE_READ,
        Work::Write | Work::Verify | Work::Reset => SPDK_BDEV_IO_TYPE_WRITE,
        Work::Rw => {
            if (rand(&mut job.seed) % 100) < job.opts.read_pct as u64 { SPDK_BDEV_IO_TYPE_READ } else { SPDK_BDEV_IO_TYPE_WRITE }
        }
        Work::Unmap => SPDK_BDEV_IO_TYPE_UNMAP,
        Work::WriteZeroes => SPDK_BDEV_IO_TYPE_WRITE_ZEROES,
        Work::Flush => SPDK_BDEV_IO_TYPE_FLUSH,
    });
    if job.verify && t == SPDK_BDEV_IO_TYPE_WRITE {
        let len = (job.blocks_per_io * bdev::bdev_ref(bdev::bdev_ref_ptr(job.desc)).blocklen as u64) as usize;
        pattern(task.buf, len, task.offset);
    }
    let req = io::Request {
        io_type: t,
        iovs: std::ptr::null_mut(),
        iovcnt: 0,
        buf: task.buf.cast(),
        md_buf: std::ptr::null_mut(),
        offset_blocks: task.offset,
        num_blocks: job.blocks_per_io,
        cb: Some(io_done),
        cb_arg: task as *mut Task as *mut c_void,
    };
    match io::submit(job.desc, job.ch, req) {
        Ok(()) => true,
        Err(io::SubmitError::NoMemory) => {
            // No bdev_io free: wait for one (spdk_bdev_queue_io_wait) and send the same I/O again.
            task.retry_type = Some(t);
            task.wait.bdev = bdev::bdev_ref_ptr(job.desc);
            task.wait.cb_fn = Some(retry_task);
            task.wait.cb_arg = task as *mut Task as *mut c_void;
            if io::queue_io_wait(job.ch, &mut task.wait).is_ok() {
                job.res.io_waits += 1;
                return true;
            }
            // One came free in the meantime: try again now.
            submit(job, task, Some(t))
        }
        Err(e) => {
            eprintln!("bdevperf: {}: submission failed: {e:?}", job.res.name);
            job.res.errors += 1;
            false
        }
    }
}

/// A bdev_io came free for a task that found none.
unsafe extern "C" fn retry_task(arg: *mut c_void) {
    // SAFETY: the task queued itself; tasks live in their job until it finishes,
    // which waits for every outstanding task (this one included).
    let task = unsafe { &mut *(arg as *mut Task) };
    // SAFETY: as above.
    let job = unsafe { &mut *task.job };
    let t = task.retry_type.take();
    if !submit(job, task, t) {
        job.outstanding -= 1;
        if job.outstanding == 0 {
            finish(job);
        }
    }
}

fn finish(job: &mut Job) {
    job.res.elapsed = cpu::ticks() - job.start_tsc;
    if !job.reset_poller.is_null() {
        rspdk::thread::poller::unregister(job.reset_poller);
        job.reset_poller = std::ptr::null_mut();
    }
    for t in &job.tasks {
        mem::free(t.buf);
    }
    ioch::put(job.ch.cast());
    bdev::close(job.desc);
    // SAFETY: the descriptor is closed: no event reads the slot any more.
    drop(unsafe { Box::from_raw(job.event_slot) });
    RESULTS.lock().unwrap().push(job.res.clone());
    // SAFETY: the job was leaked by start_job; it ends here.
    drop(unsafe { Box::from_raw(job as *mut Job) });
    let mut left = JOBS_LEFT.lock().unwrap();
    *left -= 1;
    if *left == 0 {
        report();
        app::stop(0);
    }
}

fn report() {
    let mut res = RESULTS.lock().unwrap().clone();
    res.sort_by(|a, b| (a.name.as_str(), a.core).cmp(&(b.name.as_str(), b.core)));
    let hz = cpu::TICKS_HZ as f64;
    println!("{:>69}", "Latency(us)");
    println!("{:<32}: {:>12} {:>10} {:>10} {:>10} {:>10}", "Device Information", "IOPS", "MiB/s", "Average", "min", "max");
    let (mut tiops, mut tmib) = (0.0, 0.0);
    for r in &res {
        let secs = r.elapsed as f64 / hz;
        let iops = r.ios as f64 / secs;
        let mib = iops * OPTS.lock().unwrap().as_ref().map_or(0, |o| o.io_size) as f64 / (1 << 20) as f64;
        let avg = if r.ios > 0 { r.lat_total as f64 / r.ios as f64 / hz * 1e6 } else { 0.0 };
        println!(
            "{:<32}: {:>12.2} {:>10.2} {:>10.2} {:>10.2} {:>10.2}",
            format!("{} (core {})", r.name, r.core),
            iops,
            mib,
            avg,
            if r.ios > 0 { r.lat_min as f64 / hz * 1e6 } else { 0.0 },
            r.lat_max as f64 / hz * 1e6
        );
        if r.io_waits > 0 {
            println!("{:<32}: {} waits for a bdev_io", r.name, r.io_waits);
        }
        if r.resets > 0 {
            println!("{:<32}: {} resets, {} I/O aborted by them", r.name, r.resets, r.failed_in_reset);
        }
        if r.errors > 0 || r.miscompares > 0 {
            println!("{:<32}: {} errors, {} miscompares", r.name, r.errors, r.miscompares);
            FAILED.lock().unwrap().push(r.name.clone());
        }
        tiops += iops;
        tmib += mib;
    }
    println!("{:<32}: {:>12.2} {:>10.2}", "Total", tiops, tmib);
}

static OPTS: Mutex<Option<Opts>> = Mutex::new(None);
static FAILED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn start_job(name: String, opts: Opts, core: u32) {
    // The job does not exist yet when the bdev opens: its events find it through this slot.
    let slot: *mut *mut Job = Box::into_raw(Box::new(std::ptr::null_mut()));
    let desc = match bdev::open(&name, true, Some(on_event), slot.cast()) {
        Ok(d) => d,
        Err(e) => {
            // SAFETY: the slot made above, unused.
            drop(unsafe { Box::from_raw(slot) });
            eprintln!("bdevperf: cannot open {name}: {e}");
            FAILED.lock().unwrap().push(name);
            let mut left = JOBS_LEFT.lock().unwrap();
            *left -= 1;
            if *left == 0 {
                app::stop(1);
            }
            return;
        }
    };
    let b = bdev::bdev_ref(bdev::bdev_ref_ptr(desc));
    let blocks_per_io = (opts.io_size / b.blocklen as u64).max(1);
    let ch = ioch::get(bdev::bdev_ref_ptr(desc).cast()).expect("channel").cast();
    let now = cpu::ticks();
    let job = Box::into_raw(Box::new(Job {
        verify: verifies(opts.work),
        desc,
        ch,
        blocks_per_io,
        slots: (b.blockcnt / blocks_per_io).max(1),
        next_slot: 0,
        seed: 0x9e37_79b9_7f4a_7c15 ^ ((core as u64 + 1) << 32) ^ name.len() as u64,
        start_tsc: now,
        end_tsc: now + opts.seconds * cpu::TICKS_HZ,
        outstanding: 0,
        tasks: Vec::new(),
        res: Result_ { name, core, lat_min: u64::MAX, ..Default::default() },
        opts,
        reset_poller: std::ptr::null_mut(),
        reset_inflight: false,
        event_slot: slot,
    }));
    // SAFETY: the slot lives until `finish`, after the descriptor closed.
    unsafe { *slot = job };
    // SAFETY: just created; owned by this thread until `finish`.
    let j = unsafe { &mut *job };
    let len = (blocks_per_io * b.blocklen as u64) as usize;
    for _ in 0..j.opts.qd {
        let buf = mem::alloc(len, 4096).expect("DMA buffer");
        // SAFETY: all-zero is a valid, unqueued wait entry.
        let wait = unsafe { std::mem::zeroed() };
        j.tasks.push(Task { job, buf, offset: 0, verifying: false, retry_type: None, wait });
    }
    for i in 0..j.tasks.len() {
        let t: *mut Task = &mut j.tasks[i];
        // SAFETY: the task vector no longer grows; pointers stay valid.
        if submit(j, unsafe { &mut *t }, None) {
            j.outstanding += 1;
        }
    }
    if j.outstanding == 0 {
        finish(j);
        return;
    }
    if j.opts.work == Work::Reset {
        j.reset_poller = rspdk::thread::poller::register(reset_tick, job.cast(), RESET_PERIOD_US, Some("bdevperf_reset")).unwrap_or(std::ptr::null_mut());
    }
}

fn main() {
    let opts = parse();
    *OPTS.lock().unwrap() = Some(opts.clone());
    let cfg = app::AppConfig { name: "bdevperf".into(), reactor_mask: Some(opts.mask.clone()), json_config_file: opts.json.clone(), rpc_addr: None, ..Default::default() };
    let o = opts.clone();
    let rc = app::start(
        cfg,
        Box::new(move || {
            // Leaf bdevs only, as SPDK's bdevperf: a claimed bdev belongs to the module on top of it.
            let bdevs: Vec<String> = bdev::list().into_iter().filter(|&b| !bdev::is_claimed(b)).map(bdev::name_of).collect();
            if bdevs.is_empty() {
                eprintln!("bdevperf: the configuration has no bdevs");
                app::stop(1);
                return;
            }
            let threads: Vec<*mut Thread> = thread::ids().into_iter().map(thread::by_id).filter(|t| !t.is_null()).collect();
            *JOBS_LEFT.lock().unwrap() = bdevs.len() * threads.len();
            for t in threads {
                // SAFETY: the framework's threads live until the app stops.
                let th = unsafe { &*t };
                let core = th.sched.load(std::sync::atomic::Ordering::Acquire) as u32;
                for name in &bdevs {
                    let (name, o) = (name.clone(), o.clone());
                    thread::send_fn(th, move || start_job(name, o, core)).expect("job message");
                }
            }
        }),
    );
    app::fini();
    let failed = FAILED.lock().unwrap().clone();
    if rc != 0 || !failed.is_empty() {
        eprintln!("bdevperf: failed (rc {rc}{})", if failed.is_empty() { String::new() } else { format!(", errors on {}", failed.join(", ")) });
        std::process::exit(1);
    }
}
