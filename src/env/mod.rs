//! The environment layer (SPDK's `env.h`) without DPDK: DMA-safe memory,
//! address translation, mempools, rings, time, cores and PCI.

pub mod cpu;
pub mod mem;
pub mod memmap;
pub mod mempool;
pub mod pci;
pub mod ring;

use parking_lot::Mutex;

/// What `spdk_env_init` was asked for, in Rust terms.
#[derive(Clone, Debug)]
pub struct EnvConfig {
    pub name: String,
    pub core_mask: String,
    pub shm_id: i32,
    /// Megabytes of DMA memory; negative for no limit.
    pub mem_size_mb: i32,
    /// Main core; negative for the first core of the mask.
    pub main_core: i32,
    pub no_pci: bool,
    pub no_huge: bool,
    pub hugedir: Option<std::path::PathBuf>,
    pub pci_allowed: Vec<pci::PciAddr>,
    pub pci_blocked: Vec<pci::PciAddr>,
    pub iova_mode: Option<String>,
}

impl Default for EnvConfig {
    fn default() -> Self {
        EnvConfig {
            name: "spdk".into(),
            core_mask: "0x1".into(),
            shm_id: -1,
            mem_size_mb: -1,
            main_core: -1,
            no_pci: false,
            no_huge: false,
            hugedir: None,
            pci_allowed: Vec::new(),
            pci_blocked: Vec::new(),
            iova_mode: None,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum EnvError {
    AlreadyInitialized,
    BadCoreMask(String),
    CoreUnavailable(u32),
    BadMainCore(i32),
    UnsupportedIovaMode(String),
    BothPciLists,
}

impl EnvError {
    pub fn errno(&self) -> i32 {
        match self {
            EnvError::AlreadyInitialized => libc::EALREADY,
            _ => libc::EINVAL,
        }
    }
}

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnvError::AlreadyInitialized => write!(f, "the environment is already initialised"),
            EnvError::BadCoreMask(m) => write!(f, "invalid core mask '{m}'"),
            EnvError::CoreUnavailable(c) => write!(f, "core {c} of the mask is not available to this process"),
            EnvError::BadMainCore(c) => write!(f, "main core {c} is not in the core mask"),
            EnvError::UnsupportedIovaMode(m) => write!(f, "IOVA mode '{m}' is not supported (only 'va')"),
            EnvError::BothPciLists => write!(f, "pci_allowed and pci_blocked cannot both be given"),
        }
    }
}

pub struct EnvState {
    pub config: EnvConfig,
}

static ENV: Mutex<Option<EnvState>> = Mutex::new(None);

/// Parses a core mask (hex or list form) into sorted core numbers.
pub fn parse_core_mask(mask: &str) -> Result<Vec<u32>, EnvError> {
    let set = crate::util::cpuset::spdk_cpuset::parse(mask).ok_or_else(|| EnvError::BadCoreMask(mask.into()))?;
    let cores: Vec<u32> = set.iter().collect();
    if cores.is_empty() {
        return Err(EnvError::BadCoreMask(mask.into()));
    }
    Ok(cores)
}

pub fn init(config: EnvConfig) -> Result<(), EnvError> {
    let mut g = ENV.lock();
    if g.is_some() {
        return Err(EnvError::AlreadyInitialized);
    }
    let cores = parse_core_mask(&config.core_mask)?;
    let online = cpu::online_cpus();
    if let Some(&c) = cores.iter().find(|c| !online.contains(c)) {
        return Err(EnvError::CoreUnavailable(c));
    }
    let main = if config.main_core < 0 {
        cores[0]
    } else if cores.contains(&(config.main_core as u32)) {
        config.main_core as u32
    } else {
        return Err(EnvError::BadMainCore(config.main_core));
    };
    if let Some(m) = &config.iova_mode {
        if !m.eq_ignore_ascii_case("va") {
            return Err(EnvError::UnsupportedIovaMode(m.clone()));
        }
    }
    if !config.pci_allowed.is_empty() && !config.pci_blocked.is_empty() {
        return Err(EnvError::BothPciLists);
    }
    memmap::init_vtophys();
    mem::configure(mem::MemConfig {
        limit: (config.mem_size_mb >= 0).then(|| config.mem_size_mb as usize * 1024 * 1024),
        no_huge: config.no_huge,
        hugedir: config.hugedir.clone(),
    });
    cpu::set_cores(cores, main);
    cpu::set_current_core(main);
    *g = Some(EnvState { config });
    Ok(())
}

pub fn is_initialized() -> bool {
    ENV.lock().is_some()
}

pub fn with_config<R>(f: impl FnOnce(Option<&EnvConfig>) -> R) -> R {
    f(ENV.lock().as_ref().map(|s| &s.config))
}

/// Whether PCI device `addr` may be used under the allow/block lists.
pub fn pci_addr_permitted(addr: &pci::PciAddr) -> bool {
    with_config(|c| match c {
        Some(c) if c.no_pci => false,
        Some(c) if !c.pci_allowed.is_empty() => c.pci_allowed.contains(addr),
        Some(c) => !c.pci_blocked.contains(addr),
        None => true,
    })
}

pub fn fini() {
    let mut g = ENV.lock();
    if g.take().is_none() {
        return;
    }
    mem::release_all();
    mem::configure(mem::MemConfig::default());
    cpu::clear_cores();
    cpu::set_current_core(cpu::LCORE_ID_ANY);
}
