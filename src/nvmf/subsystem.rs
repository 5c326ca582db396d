//! The NVMe-oF target's configuration model (SPDK's `nvmf.h` subsystems):
//! subsystems with their namespaces, allowed hosts and listeners, the
//! discovery subsystem, and the discovery log page each host may see.
//!
//! This module holds and checks the state; the TCP transport serves it.
//! Namespaces name bdevs; opening them is the target's job (`tgt.rs`).

use std::collections::BTreeMap;

/// The well-known NQN of the discovery subsystem.
pub const DISCOVERY_NQN: &str = "nqn.2014-08.org.nvmexpress.discovery";
/// Longest NQN the specification allows (bytes, without the NUL).
pub const MAX_NQN_LEN: usize = 223;
pub const DEFAULT_SERIAL: &str = "00000000000000000000";
pub const DEFAULT_MODEL: &str = "SPDK bdev Controller";
pub const DEFAULT_MAX_NAMESPACES: u32 = 32;
pub const MIN_CNTLID: u16 = 1;
pub const MAX_CNTLID: u16 = 0xffef;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Parameters are wrong (what and why).
    Invalid(String),
    Exists(String),
    NotFound(String),
    /// The subsystem is full (max_namespaces).
    Full(String),
}

impl Error {
    pub fn errno(&self) -> i32 {
        match self {
            Error::Invalid(_) => libc::EINVAL,
            Error::Exists(_) => libc::EEXIST,
            Error::NotFound(_) => libc::ENOENT,
            Error::Full(_) => libc::ENOSPC,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid(s) | Error::Exists(s) | Error::NotFound(s) | Error::Full(s) => f.write_str(s),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Checks an NQN as the NVMe base specification defines it: at most 223
/// bytes, either the UUID form `nqn.2014-08.org.nvmexpress:uuid:<uuid>` or
/// `nqn.yyyy-mm.<reverse domain>[:<anything>]`.
pub fn check_nqn(nqn: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::Invalid(format!("NQN '{nqn}' is not valid: {why}")));
    if nqn.len() > MAX_NQN_LEN {
        return bad("longer than 223 bytes");
    }
    if nqn == DISCOVERY_NQN {
        return Ok(());
    }
    if let Some(u) = nqn.strip_prefix("nqn.2014-08.org.nvmexpress:uuid:") {
        return if crate::util::uuid::parse(u).is_some() { Ok(()) } else { bad("the UUID form needs a UUID after 'uuid:'") };
    }
    let Some(rest) = nqn.strip_prefix("nqn.") else { return bad("it must start with 'nqn.'") };
    let b = rest.as_bytes();
    let date_ok = b.len() >= 8 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5..7].iter().all(u8::is_ascii_digit) && b[7] == b'.';
    if !date_ok {
        return bad("'nqn.' must be followed by a date 'yyyy-mm.'");
    }
    let month = (b[5] - b'0') * 10 + (b[6] - b'0');
    if !(1..=12).contains(&month) {
        return bad("the month must be 01 to 12");
    }
    let domain = rest[8..].split(':').next().unwrap_or("");
    if domain.is_empty() || !domain.split('.').all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')) {
        return bad("a reverse domain name must follow the date");
    }
    Ok(())
}

fn check_ascii(what: &str, v: &str, max: usize) -> Result<()> {
    if v.len() > max || !v.bytes().all(|c| (0x20..0x7f).contains(&c)) {
        return Err(Error::Invalid(format!("{what} '{v}' must be at most {max} printable ASCII characters")));
    }
    Ok(())
}

/// Parses `len` bytes of hexadecimal (NGUID: 16, EUI-64: 8), with or without dashes.
pub fn parse_hex_id(what: &str, s: &str, len: usize) -> Result<Vec<u8>> {
    let digits: String = s.chars().filter(|&c| c != '-').collect();
    if digits.len() != len * 2 || !digits.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::Invalid(format!("{what} '{s}' must be {len} bytes in hexadecimal")));
    }
    Ok((0..len).map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).expect("checked hex")).collect())
}

/// A transport address a subsystem listens on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddr {
    /// "TCP".
    pub trtype: String,
    /// "IPv4" or "IPv6".
    pub adrfam: String,
    pub traddr: String,
    pub trsvcid: String,
}

/// Asymmetric namespace access state of a listener (ANA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnaState {
    Optimized,
    NonOptimized,
    Inaccessible,
}

impl AnaState {
    pub fn parse(s: &str) -> Result<AnaState> {
        match s {
            "optimized" => Ok(AnaState::Optimized),
            "non_optimized" => Ok(AnaState::NonOptimized),
            "inaccessible" => Ok(AnaState::Inaccessible),
            _ => Err(Error::Invalid(format!("ana_state '{s}' is not optimized, non_optimized or inaccessible"))),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            AnaState::Optimized => "optimized",
            AnaState::NonOptimized => "non_optimized",
            AnaState::Inaccessible => "inaccessible",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub addr: ListenAddr,
    pub ana_state: AnaState,
}

/// A namespace: a bdev under an NSID, with its identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub nsid: u32,
    pub bdev_name: String,
    pub uuid: Option<[u8; 16]>,
    pub nguid: Option<[u8; 16]>,
    pub eui64: Option<[u8; 8]>,
    pub anagrpid: u32,
}

/// The options of `nvmf_create_subsystem`.
#[derive(Debug, Clone)]
pub struct SubsystemOpts {
    pub nqn: String,
    pub serial_number: Option<String>,
    pub model_number: Option<String>,
    pub allow_any_host: bool,
    pub max_namespaces: Option<u32>,
    pub ana_reporting: bool,
    pub min_cntlid: Option<u16>,
    pub max_cntlid: Option<u16>,
    /// Created inactive (the C API's `spdk_nvmf_subsystem_create`); the RPC
    /// creates subsystems active, as SPDK's `nvmf_create_subsystem` starts them.
    pub inactive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subtype {
    Discovery,
    Nvme,
}

/// A subsystem's state (`spdk_nvmf_subsystem_start`/`stop`/`pause`/`resume`):
/// hosts connect and commands run only while it is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Inactive,
    Active,
    Paused,
}

#[derive(Debug, Clone)]
pub struct Subsystem {
    pub nqn: String,
    pub state: State,
    pub subtype: Subtype,
    pub serial_number: String,
    pub model_number: String,
    pub allow_any_host: bool,
    /// Host NQNs allowed to connect (when `allow_any_host` is off).
    pub hosts: Vec<String>,
    pub listeners: Vec<Listener>,
    pub namespaces: BTreeMap<u32, Namespace>,
    /// 0: no limit.
    pub max_namespaces: u32,
    pub ana_reporting: bool,
    pub min_cntlid: u16,
    pub max_cntlid: u16,
}

impl Subsystem {
    /// Whether `host` may connect to this subsystem (and see it in discovery).
    pub fn host_allowed(&self, host: &str) -> bool {
        self.allow_any_host || self.hosts.iter().any(|h| h == host)
    }

    fn listener_index(&self, a: &ListenAddr) -> Option<usize> {
        self.listeners.iter().position(|l| l.addr == *a)
    }
}

/// A discovery referral: another discovery service (or an NVM subsystem)
/// the discovery log points hosts to (`nvmf_discovery_add_referral`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub addr: ListenAddr,
    /// The well-known discovery NQN unless the referral names a subsystem.
    pub subnqn: String,
    pub secure_channel: bool,
}

/// Every subsystem of one target, the discovery subsystem first.
#[derive(Debug)]
pub struct Subsystems {
    list: Vec<Subsystem>,
    /// Discovery referrals, the newest first (as SPDK lists them).
    referrals: Vec<Referral>,
    /// Monotonic change counter of the discovery log (its GENCTR).
    pub genctr: u64,
}

impl Default for Subsystems {
    fn default() -> Self {
        Subsystems::new()
    }
}

impl Subsystems {
    pub fn new() -> Subsystems {
        let discovery = Subsystem {
            nqn: DISCOVERY_NQN.to_string(),
            state: State::Active,
            subtype: Subtype::Discovery,
            serial_number: String::new(),
            model_number: String::new(),
            allow_any_host: true,
            hosts: Vec::new(),
            listeners: Vec::new(),
            namespaces: BTreeMap::new(),
            max_namespaces: 0,
            ana_reporting: false,
            min_cntlid: MIN_CNTLID,
            max_cntlid: MAX_CNTLID,
        };
        Subsystems { list: vec![discovery], referrals: Vec::new(), genctr: 0 }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Subsystem> {
        self.list.iter()
    }

    pub fn get(&self, nqn: &str) -> Option<&Subsystem> {
        self.list.iter().find(|s| s.nqn == nqn)
    }

    fn get_mut(&mut self, nqn: &str) -> Result<&mut Subsystem> {
        self.list.iter_mut().find(|s| s.nqn == nqn).ok_or_else(|| Error::NotFound(format!("subsystem {nqn} not found")))
    }

    fn nvme_mut(&mut self, nqn: &str) -> Result<&mut Subsystem> {
        let s = self.get_mut(nqn)?;
        if s.subtype == Subtype::Discovery {
            return Err(Error::Invalid(format!("{nqn} is the discovery subsystem: it has no namespaces or hosts")));
        }
        Ok(s)
    }

    fn changed(&mut self) {
        self.genctr += 1;
    }

    /// `nvmf_create_subsystem`.
    pub fn create(&mut self, o: &SubsystemOpts) -> Result<()> {
        check_nqn(&o.nqn)?;
        if o.nqn == DISCOVERY_NQN {
            return Err(Error::Exists("the discovery subsystem always exists".into()));
        }
        if self.get(&o.nqn).is_some() {
            return Err(Error::Exists(format!("subsystem {} already exists", o.nqn)));
        }
        let serial = o.serial_number.clone().unwrap_or_else(|| DEFAULT_SERIAL.into());
        check_ascii("serial_number", &serial, 20)?;
        let model = o.model_number.clone().unwrap_or_else(|| DEFAULT_MODEL.into());
        check_ascii("model_number", &model, 40)?;
        let (min, max) = (o.min_cntlid.unwrap_or(MIN_CNTLID), o.max_cntlid.unwrap_or(MAX_CNTLID));
        if min < MIN_CNTLID || max > MAX_CNTLID || min > max {
            return Err(Error::Invalid(format!("controller IDs must satisfy {MIN_CNTLID} <= min_cntlid ({min}) <= max_cntlid ({max}) <= {MAX_CNTLID}")));
        }
        self.list.push(Subsystem {
            nqn: o.nqn.clone(),
            state: if o.inactive { State::Inactive } else { State::Active },
            subtype: Subtype::Nvme,
            serial_number: serial,
            model_number: model,
            allow_any_host: o.allow_any_host,
            hosts: Vec::new(),
            listeners: Vec::new(),
            namespaces: BTreeMap::new(),
            max_namespaces: o.max_namespaces.unwrap_or(DEFAULT_MAX_NAMESPACES),
            ana_reporting: o.ana_reporting,
            min_cntlid: min,
            max_cntlid: max,
        });
        self.changed();
        Ok(())
    }

    /// `nvmf_delete_subsystem`: returns the deleted subsystem (its namespaces to close).
    pub fn delete(&mut self, nqn: &str) -> Result<Subsystem> {
        if nqn == DISCOVERY_NQN {
            return Err(Error::Invalid("the discovery subsystem cannot be deleted".into()));
        }
        let i = self.list.iter().position(|s| s.nqn == nqn).ok_or_else(|| Error::NotFound(format!("subsystem {nqn} not found")))?;
        let s = self.list.remove(i);
        self.changed();
        Ok(s)
    }

    /// `nvmf_subsystem_add_ns`: the NSID used (the lowest free one when `nsid` is 0).
    pub fn add_ns(&mut self, nqn: &str, mut ns: Namespace) -> Result<u32> {
        let s = self.nvme_mut(nqn)?;
        if ns.nsid == u32::MAX {
            return Err(Error::Invalid("nsid 4294967295 is the broadcast value".into()));
        }
        if s.max_namespaces != 0 && ns.nsid > s.max_namespaces {
            return Err(Error::Invalid(format!("nsid {} is above max_namespaces {} of {nqn}", ns.nsid, s.max_namespaces)));
        }
        if ns.nsid == 0 {
            let limit = if s.max_namespaces == 0 { u32::MAX - 1 } else { s.max_namespaces };
            ns.nsid = (1..=limit).find(|n| !s.namespaces.contains_key(n)).ok_or_else(|| Error::Full(format!("{nqn} has no free namespace ID")))?;
        } else if s.namespaces.contains_key(&ns.nsid) {
            return Err(Error::Exists(format!("{nqn} already has namespace {}", ns.nsid)));
        }
        for other in s.namespaces.values() {
            if ns.uuid.is_some() && other.uuid == ns.uuid {
                return Err(Error::Exists(format!("namespace {} of {nqn} has that uuid already", other.nsid)));
            }
            if ns.nguid.is_some() && other.nguid == ns.nguid {
                return Err(Error::Exists(format!("namespace {} of {nqn} has that nguid already", other.nsid)));
            }
            if ns.eui64.is_some() && other.eui64 == ns.eui64 {
                return Err(Error::Exists(format!("namespace {} of {nqn} has that eui64 already", other.nsid)));
            }
        }
        if ns.anagrpid == 0 {
            ns.anagrpid = ns.nsid;
        }
        let id = ns.nsid;
        s.namespaces.insert(id, ns);
        self.changed();
        Ok(id)
    }

    /// `nvmf_subsystem_remove_ns`.
    pub fn remove_ns(&mut self, nqn: &str, nsid: u32) -> Result<Namespace> {
        let s = self.nvme_mut(nqn)?;
        let ns = s.namespaces.remove(&nsid).ok_or_else(|| Error::NotFound(format!("{nqn} has no namespace {nsid}")))?;
        self.changed();
        Ok(ns)
    }

    /// `nvmf_subsystem_add_host`.
    pub fn add_host(&mut self, nqn: &str, host: &str) -> Result<()> {
        check_nqn(host)?;
        let s = self.nvme_mut(nqn)?;
        if s.hosts.iter().any(|h| h == host) {
            return Err(Error::Exists(format!("host {host} is already allowed on {nqn}")));
        }
        s.hosts.push(host.to_string());
        self.changed();
        Ok(())
    }

    /// `nvmf_subsystem_remove_host`.
    pub fn remove_host(&mut self, nqn: &str, host: &str) -> Result<()> {
        let s = self.nvme_mut(nqn)?;
        let i = s.hosts.iter().position(|h| h == host).ok_or_else(|| Error::NotFound(format!("host {host} is not allowed on {nqn}")))?;
        s.hosts.remove(i);
        self.changed();
        Ok(())
    }

    /// Sets the serial number (`spdk_nvmf_subsystem_set_sn`).
    pub fn set_serial(&mut self, nqn: &str, sn: &str) -> Result<()> {
        check_ascii("serial_number", sn, 20)?;
        self.nvme_mut(nqn)?.serial_number = sn.to_string();
        Ok(())
    }

    /// Sets the model number (`spdk_nvmf_subsystem_set_mn`).
    pub fn set_model(&mut self, nqn: &str, mn: &str) -> Result<()> {
        check_ascii("model_number", mn, 40)?;
        self.nvme_mut(nqn)?.model_number = mn.to_string();
        Ok(())
    }

    pub fn set_ana_reporting(&mut self, nqn: &str, on: bool) -> Result<()> {
        self.nvme_mut(nqn)?.ana_reporting = on;
        Ok(())
    }

    /// Moves a subsystem to `to`; `from` lists the states it may leave.
    pub fn set_state(&mut self, nqn: &str, from: &[State], to: State) -> Result<()> {
        let s = self.get_mut(nqn)?;
        if !from.contains(&s.state) {
            return Err(Error::Invalid(format!("{nqn} is {:?}, not {:?}", s.state, from)));
        }
        s.state = to;
        Ok(())
    }

    /// `nvmf_subsystem_allow_any_host`.
    pub fn allow_any_host(&mut self, nqn: &str, on: bool) -> Result<()> {
        self.nvme_mut(nqn)?.allow_any_host = on;
        self.changed();
        Ok(())
    }

    /// Adds a listener (the transport opens it first).
    pub fn add_listener(&mut self, nqn: &str, addr: ListenAddr, ana_state: AnaState) -> Result<()> {
        let s = self.get_mut(nqn)?;
        if s.listener_index(&addr).is_some() {
            return Err(Error::Exists(format!("{nqn} listens on {}:{} already", addr.traddr, addr.trsvcid)));
        }
        s.listeners.push(Listener { addr, ana_state });
        self.changed();
        Ok(())
    }

    pub fn remove_listener(&mut self, nqn: &str, addr: &ListenAddr) -> Result<()> {
        let s = self.get_mut(nqn)?;
        let i = s.listener_index(addr).ok_or_else(|| Error::NotFound(format!("{nqn} does not listen on {}:{}", addr.traddr, addr.trsvcid)))?;
        s.listeners.remove(i);
        self.changed();
        Ok(())
    }

    /// `nvmf_subsystem_listener_set_ana_state`.
    pub fn set_ana_state(&mut self, nqn: &str, addr: &ListenAddr, state: AnaState) -> Result<()> {
        let s = self.nvme_mut(nqn)?;
        if !s.ana_reporting {
            return Err(Error::Invalid(format!("{nqn} was created without ana_reporting")));
        }
        let i = s.listener_index(addr).ok_or_else(|| Error::NotFound(format!("{nqn} does not listen on {}:{}", addr.traddr, addr.trsvcid)))?;
        s.listeners[i].ana_state = state;
        self.changed();
        Ok(())
    }

    /// Whether any subsystem listens on `addr` (a listener closes with its last subsystem).
    pub fn anyone_listens(&self, addr: &ListenAddr) -> bool {
        self.list.iter().any(|s| s.listener_index(addr).is_some())
    }

    /// The discovery log entries `host` may see: one per (NVM subsystem it is
    /// allowed on, listener), plus the discovery subsystem's own listeners.
    pub fn discovery_entries(&self, host: &str) -> Vec<DiscoveryEntry> {
        let mut out = Vec::new();
        for s in &self.list {
            if s.subtype == Subtype::Nvme && !s.host_allowed(host) {
                continue;
            }
            for (i, l) in s.listeners.iter().enumerate() {
                out.push(DiscoveryEntry { subnqn: s.nqn.clone(), subtype: s.subtype.clone(), addr: l.addr.clone(), portid: i as u16, referral: false });
            }
        }
        for r in &self.referrals {
            let subtype = if r.subnqn == DISCOVERY_NQN { Subtype::Discovery } else { Subtype::Nvme };
            out.push(DiscoveryEntry { subnqn: r.subnqn.clone(), subtype, addr: r.addr.clone(), portid: 0, referral: true });
        }
        out
    }

    /// The discovery referrals, the newest first.
    pub fn referrals(&self) -> &[Referral] {
        &self.referrals
    }

    /// `spdk_nvmf_tgt_add_referral`: an empty `subnqn` means the discovery
    /// NQN. Adding a referral that exists already changes nothing (SPDK's
    /// rule); returns whether it was new.
    pub fn add_referral(&mut self, mut r: Referral) -> Result<bool> {
        if r.subnqn.is_empty() {
            r.subnqn = DISCOVERY_NQN.to_string();
        }
        check_nqn(&r.subnqn)?;
        if r.secure_channel {
            return Err(Error::Invalid("secure channels (TLS) are not supported by this build".into()));
        }
        let a = &mut r.addr;
        match a.trtype.to_ascii_uppercase().as_str() {
            t @ ("TCP" | "RDMA") => a.trtype = t.to_string(),
            t => return Err(Error::Invalid(format!("referral transport type '{t}' is not TCP or RDMA"))),
        }
        if a.traddr.is_empty() || a.traddr.len() > 256 || a.trsvcid.is_empty() || a.trsvcid.len() > 32 {
            return Err(Error::Invalid("a referral needs traddr (at most 256 bytes) and trsvcid (at most 32 bytes)".into()));
        }
        if self.find_referral(&r.addr, &r.subnqn).is_some() {
            return Ok(false);
        }
        self.referrals.insert(0, r);
        self.changed();
        Ok(true)
    }

    /// `spdk_nvmf_tgt_remove_referral` (an empty `subnqn` means the discovery NQN).
    pub fn remove_referral(&mut self, addr: &ListenAddr, subnqn: &str) -> Result<Referral> {
        let nqn = if subnqn.is_empty() { DISCOVERY_NQN } else { subnqn };
        let i = self.find_referral(addr, nqn).ok_or_else(|| Error::NotFound(format!("no referral to {} {}:{} ({nqn})", addr.trtype, addr.traddr, addr.trsvcid)))?;
        let r = self.referrals.remove(i);
        self.changed();
        Ok(r)
    }

    /// Transport IDs compare as SPDK's do: type, address and service ID without case, NQN exactly.
    fn find_referral(&self, a: &ListenAddr, subnqn: &str) -> Option<usize> {
        self.referrals.iter().position(|r| {
            let b = &r.addr;
            b.trtype.eq_ignore_ascii_case(&a.trtype)
                && b.adrfam.eq_ignore_ascii_case(&a.adrfam)
                && b.traddr.eq_ignore_ascii_case(&a.traddr)
                && b.trsvcid.eq_ignore_ascii_case(&a.trsvcid)
                && r.subnqn == subnqn
        })
    }
}

/// One entry of the discovery log page (its wire form is built by the transport).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryEntry {
    pub subnqn: String,
    pub subtype: Subtype,
    pub addr: ListenAddr,
    pub portid: u16,
    /// A referral's record (not one of this target's subsystems).
    pub referral: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(nqn: &str) -> SubsystemOpts {
        SubsystemOpts { nqn: nqn.into(), serial_number: None, model_number: None, allow_any_host: false, max_namespaces: None, ana_reporting: false, min_cntlid: None, max_cntlid: None, inactive: false }
    }

    fn ns(nsid: u32, bdev: &str) -> Namespace {
        Namespace { nsid, bdev_name: bdev.into(), uuid: None, nguid: None, eui64: None, anagrpid: 0 }
    }

    fn tcp(port: &str) -> ListenAddr {
        ListenAddr { trtype: "TCP".into(), adrfam: "IPv4".into(), traddr: "127.0.0.1".into(), trsvcid: port.into() }
    }

    #[test]
    fn nqns_are_checked() {
        for ok in ["nqn.2016-06.io.spdk:cnode1", "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555", DISCOVERY_NQN, "nqn.2019-12.com.example"] {
            assert_eq!(check_nqn(ok), Ok(()), "{ok}");
        }
        for bad in ["", "iqn.2016-06.io.spdk:x", "nqn.16-06.io.spdk:x", "nqn.2016-13.io.spdk:x", "nqn.2016-06.:x", "nqn.2014-08.org.nvmexpress:uuid:nope", &format!("nqn.2016-06.io.spdk:{}", "x".repeat(220))] {
            assert!(check_nqn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subsystems_namespaces_and_hosts() {
        let mut s = Subsystems::new();
        assert_eq!(s.iter().count(), 1);
        let g0 = s.genctr;
        s.create(&opts("nqn.2016-06.io.spdk:cnode1")).unwrap();
        assert!(s.genctr > g0);
        assert!(matches!(s.create(&opts("nqn.2016-06.io.spdk:cnode1")), Err(Error::Exists(_))));
        let mut o = opts("nqn.2016-06.io.spdk:cnode2");
        o.serial_number = Some("x".repeat(21));
        assert!(s.create(&o).unwrap_err().to_string().contains("serial_number"));
        let mut o = opts("nqn.2016-06.io.spdk:cnode2");
        o.min_cntlid = Some(10);
        o.max_cntlid = Some(5);
        assert!(s.create(&o).is_err());
        let c = "nqn.2016-06.io.spdk:cnode1";
        assert_eq!(s.add_ns(c, ns(0, "Malloc0")), Ok(1));
        assert_eq!(s.add_ns(c, ns(0, "Malloc1")), Ok(2));
        assert!(matches!(s.add_ns(c, ns(2, "Malloc2")), Err(Error::Exists(_))));
        assert!(s.add_ns(c, ns(33, "Malloc2")).is_err(), "above max_namespaces 32");
        let mut with_uuid = ns(5, "Malloc3");
        with_uuid.uuid = Some([7; 16]);
        assert_eq!(s.add_ns(c, with_uuid.clone()), Ok(5));
        with_uuid.nsid = 6;
        assert!(s.add_ns(c, with_uuid).unwrap_err().to_string().contains("uuid"));
        assert_eq!(s.get(c).unwrap().namespaces[&5].anagrpid, 5);
        assert_eq!(s.remove_ns(c, 2).unwrap().bdev_name, "Malloc1");
        assert!(matches!(s.remove_ns(c, 2), Err(Error::NotFound(_))));
        assert!(s.add_ns(DISCOVERY_NQN, ns(1, "Malloc9")).is_err());

        let host = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
        assert!(!s.get(c).unwrap().host_allowed(host));
        s.add_host(c, host).unwrap();
        assert!(s.get(c).unwrap().host_allowed(host));
        assert!(s.add_host(c, host).is_err());
        assert!(s.add_host(c, "bogus").is_err());
        s.remove_host(c, host).unwrap();
        s.allow_any_host(c, true).unwrap();
        assert!(s.get(c).unwrap().host_allowed(host));
        assert_eq!(s.delete(c).unwrap().namespaces.len(), 2);
        assert!(s.delete(DISCOVERY_NQN).is_err());
        assert!(s.delete(c).is_err());
    }

    #[test]
    fn discovery_shows_each_host_what_it_may_connect_to() {
        let mut s = Subsystems::new();
        let (a, b) = ("nqn.2016-06.io.spdk:a", "nqn.2016-06.io.spdk:b");
        s.create(&opts(a)).unwrap();
        let mut ob = opts(b);
        ob.allow_any_host = true;
        s.create(&ob).unwrap();
        s.add_listener(a, tcp("4420"), AnaState::Optimized).unwrap();
        s.add_listener(b, tcp("4420"), AnaState::Optimized).unwrap();
        s.add_listener(b, tcp("4421"), AnaState::Optimized).unwrap();
        s.add_listener(DISCOVERY_NQN, tcp("8009"), AnaState::Optimized).unwrap();
        assert!(s.add_listener(b, tcp("4421"), AnaState::Optimized).is_err());
        let h1 = "nqn.2016-06.io.spdk:host1";
        s.add_host(a, h1).unwrap();
        let seen = |h: &str| s.discovery_entries(h).into_iter().map(|e| (e.subnqn, e.addr.trsvcid)).collect::<Vec<_>>();
        assert_eq!(seen(h1), vec![(DISCOVERY_NQN.to_string(), "8009".to_string()), (a.into(), "4420".into()), (b.into(), "4420".into()), (b.into(), "4421".into())]);
        assert_eq!(seen("nqn.2016-06.io.spdk:host2"), vec![(DISCOVERY_NQN.to_string(), "8009".to_string()), (b.into(), "4420".into()), (b.into(), "4421".into())]);
        assert!(s.anyone_listens(&tcp("4420")));
        s.remove_listener(a, &tcp("4420")).unwrap();
        assert!(s.anyone_listens(&tcp("4420")), "b still listens there");
        assert!(s.set_ana_state(b, &tcp("4420"), AnaState::Inaccessible).is_err(), "no ana_reporting");
    }

    #[test]
    fn referrals_in_the_discovery_log() {
        let mut s = Subsystems::new();
        s.add_listener(DISCOVERY_NQN, tcp("8009"), AnaState::Optimized).unwrap();
        let g0 = s.genctr;
        let r = |port: &str, nqn: &str| Referral { addr: tcp(port), subnqn: nqn.into(), secure_channel: false };
        assert_eq!(s.add_referral(r("4430", "")), Ok(true));
        assert!(s.genctr > g0);
        let g1 = s.genctr;
        assert_eq!(s.add_referral(r("4430", DISCOVERY_NQN)), Ok(false), "the same referral again changes nothing");
        assert_eq!(s.genctr, g1);
        assert_eq!(s.add_referral(r("4431", "nqn.2016-06.io.spdk:far")), Ok(true));
        assert!(s.add_referral(r("4432", "bogus")).is_err());
        assert!(s.add_referral(Referral { secure_channel: true, ..r("4432", "") }).is_err());
        let mut fc = r("4432", "");
        fc.addr.trtype = "FC".into();
        assert!(s.add_referral(fc).is_err());
        let e = s.discovery_entries("nqn.2016-06.io.spdk:host1");
        let seen: Vec<_> = e.iter().map(|e| (e.referral, e.subtype.clone(), e.addr.trsvcid.as_str(), e.subnqn.as_str())).collect();
        assert_eq!(seen, vec![
            (false, Subtype::Discovery, "8009", DISCOVERY_NQN),
            (true, Subtype::Nvme, "4431", "nqn.2016-06.io.spdk:far"),
            (true, Subtype::Discovery, "4430", DISCOVERY_NQN),
        ]);
        assert!(matches!(s.remove_referral(&tcp("4430"), "nqn.2016-06.io.spdk:far"), Err(Error::NotFound(_))));
        let g2 = s.genctr;
        assert_eq!(s.remove_referral(&tcp("4430"), "").unwrap().subnqn, DISCOVERY_NQN);
        assert!(s.genctr > g2);
        assert_eq!(s.referrals().len(), 1);
    }

    #[test]
    fn hex_ids() {
        assert_eq!(parse_hex_id("eui64", "0011223344556677", 8).unwrap(), vec![0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
        assert_eq!(parse_hex_id("nguid", "00112233-4455-6677-8899-aabbccddeeff", 16).unwrap().len(), 16);
        assert!(parse_hex_id("eui64", "00112233", 8).is_err());
        assert!(parse_hex_id("eui64", "zz11223344556677", 8).is_err());
    }
}
