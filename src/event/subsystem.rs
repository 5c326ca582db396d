//! Subsystems: the parts of an application started in dependency order
//! before the application's start function runs, and stopped in reverse
//! order at shutdown. Each module that needs it adds itself to [`builtin`];
//! nothing depends on link order or constructors.

use parking_lot::Mutex;

/// Completion of an asynchronous init (0 or negative errno) or fini.
pub type Done = Box<dyn FnOnce(i32) + Send>;

pub struct Subsystem {
    pub name: &'static str,
    pub depends_on: &'static [&'static str],
    /// Starts the subsystem on the app thread; calls `done` exactly once.
    pub init: fn(Done),
    /// Stops the subsystem on the app thread; calls `done` exactly once.
    pub fini: fn(Done),
}

/// The subsystems built into the library (modules add theirs here as they land).
fn builtin() -> Vec<&'static Subsystem> {
    vec![&crate::sock::SUBSYSTEM, &crate::bdev::SUBSYSTEM, &crate::nvmf::SUBSYSTEM]
}

static EXTRA: Mutex<Vec<&'static Subsystem>> = Mutex::new(Vec::new());
static STARTED: Mutex<Vec<&'static Subsystem>> = Mutex::new(Vec::new());

/// Adds a subsystem for the next application start (used by embedders and tests).
pub fn register(s: &'static Subsystem) {
    let mut g = EXTRA.lock();
    if !g.iter().any(|x| x.name == s.name) {
        g.push(s);
    }
}

pub fn unregister(name: &str) {
    EXTRA.lock().retain(|x| x.name != name);
}

/// All subsystems, each after everything it depends on (registration order otherwise).
pub fn ordered() -> Result<Vec<&'static Subsystem>, String> {
    let all: Vec<&'static Subsystem> = builtin().into_iter().chain(EXTRA.lock().iter().copied()).collect();
    let mut out: Vec<&'static Subsystem> = Vec::new();
    let mut visiting = Vec::new();
    fn visit(s: &'static Subsystem, all: &[&'static Subsystem], out: &mut Vec<&'static Subsystem>, visiting: &mut Vec<&'static str>) -> Result<(), String> {
        if out.iter().any(|x| x.name == s.name) {
            return Ok(());
        }
        if visiting.contains(&s.name) {
            return Err(format!("subsystem dependency cycle through '{}'", s.name));
        }
        visiting.push(s.name);
        for dep in s.depends_on {
            let d = all.iter().find(|x| x.name == *dep).ok_or_else(|| format!("subsystem '{}' depends on unknown '{dep}'", s.name))?;
            visit(d, all, out, visiting)?;
        }
        visiting.pop();
        out.push(s);
        Ok(())
    }
    for s in &all {
        visit(s, &all, &mut out, &mut visiting)?;
    }
    Ok(out)
}

pub fn names_started() -> Vec<&'static str> {
    STARTED.lock().iter().map(|s| s.name).collect()
}

fn init_from(list: Vec<&'static Subsystem>, i: usize, done: Done) {
    let Some(s) = list.get(i).copied() else {
        done(0);
        return;
    };
    (s.init)(Box::new(move |rc| {
        if rc != 0 {
            crate::log::error(format_args!("subsystem {} failed to start: {rc}\n", s.name));
            done(rc);
            return;
        }
        STARTED.lock().push(s);
        init_from(list, i + 1, done);
    }));
}

/// Starts every subsystem in order; stops at the first failure.
pub fn init_all(done: Done) {
    match ordered() {
        Ok(list) => init_from(list, 0, done),
        Err(e) => {
            crate::log::error(format_args!("{e}\n"));
            done(-libc::EINVAL);
        }
    }
}

/// Stops the started subsystems in reverse order.
pub fn fini_all(done: Box<dyn FnOnce() + Send>) {
    let next = STARTED.lock().pop();
    match next {
        None => done(),
        Some(s) => (s.fini)(Box::new(move |_| fini_all(done))),
    }
}
