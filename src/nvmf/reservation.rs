//! NVMe reservations of one namespace (the NVMe base specification's
//! Reservations section; SPDK's `nvmf_ns_reservation_*`): registrants with
//! their keys, the reservation and its holder, the generation counter, the
//! Register / Acquire / Release / Report commands and the access check of
//! every I/O command.
//!
//! Hosts are told apart by their 128-bit host identifier, so every
//! controller of one host shares that host's registration. For the "all
//! registrants" types every registrant holds the reservation; the state
//! keeps one of them as `holder` (the one that acquired it, or another
//! registrant once that one leaves), so `holder` is always a registrant.
//!
//! Statuses are `sct << 8 | sc` (see [`crate::nvmf::status`]).

use super::wire::{get_u64, put, put_u16, put_u32, put_u64, st};

/// Opcodes of the reservation I/O commands.
pub mod opc {
    pub const REGISTER: u8 = 0x0d;
    pub const REPORT: u8 = 0x0e;
    pub const ACQUIRE: u8 = 0x11;
    pub const RELEASE: u8 = 0x15;
}

/// How a reservation restricts an I/O command (the specification's
/// "command behavior in the presence of a reservation"): `Some(false)` for
/// the read group (Read, Compare, Verify), `Some(true)` for the write group
/// (Flush, Write, Write Uncorrectable, Write Zeroes, Dataset Management,
/// Copy), `None` for commands a reservation does not restrict (the
/// reservation commands themselves, which check keys instead) and for
/// opcodes the target does not know (they fail as Invalid Opcode), as SPDK.
pub fn access_kind(opcode: u8) -> Option<bool> {
    match opcode {
        0x02 | 0x05 | 0x0c => Some(false),
        0x00 | 0x01 | 0x04 | 0x08 | 0x09 | 0x19 => Some(true),
        _ => None,
    }
}

/// Reservation types (RTYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RType {
    WriteExclusive = 1,
    ExclusiveAccess = 2,
    WriteExclusiveRegOnly = 3,
    ExclusiveAccessRegOnly = 4,
    WriteExclusiveAllRegs = 5,
    ExclusiveAccessAllRegs = 6,
}

impl RType {
    pub fn from_u8(v: u8) -> Option<RType> {
        Some(match v {
            1 => RType::WriteExclusive,
            2 => RType::ExclusiveAccess,
            3 => RType::WriteExclusiveRegOnly,
            4 => RType::ExclusiveAccessRegOnly,
            5 => RType::WriteExclusiveAllRegs,
            6 => RType::ExclusiveAccessAllRegs,
            _ => return None,
        })
    }

    /// Every registrant holds the reservation.
    pub fn all_registrants(self) -> bool {
        matches!(self, RType::WriteExclusiveAllRegs | RType::ExclusiveAccessAllRegs)
    }

    /// Registrants other than the holder are told when it is released
    /// (every type but Write Exclusive and Exclusive Access).
    fn notifies_release(self) -> bool {
        !matches!(self, RType::WriteExclusive | RType::ExclusiveAccess)
    }
}

/// One registered host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrant {
    pub hostid: [u8; 16],
    /// Its reservation key (never 0).
    pub key: u64,
}

/// The reservation state of one namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reservations {
    registrants: Vec<Registrant>,
    holder: Option<[u8; 16]>,
    rtype: Option<RType>,
    /// PRGEN: bumped by every successful Register, by Preempt and by Clear.
    generation: u32,
}

/// What a reservation command changed, for the caller to notify hosts
/// (reservation notification log pages and their asynchronous events) and
/// to abort commands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Hosts whose registration another host removed (Preempt): each gets a
    /// Registration Preempted notification.
    pub preempted_hosts: Vec<[u8; 16]>,
    /// Preempt and Abort: abort the commands of `preempted_hosts`.
    pub abort: bool,
    /// The reservation was released: `released_hosts` get a Reservation
    /// Released notification.
    pub released_notice: bool,
    pub released_hosts: Vec<[u8; 16]>,
    /// Hosts whose registration a Clear removed: each gets a Reservation
    /// Preempted notification.
    pub reservation_preempted_hosts: Vec<[u8; 16]>,
    /// Some state changed (registrations, reservation or generation).
    pub changed: bool,
}

/// Register actions (RREGA).
const RREGA_REGISTER: u32 = 0;
const RREGA_UNREGISTER: u32 = 1;
const RREGA_REPLACE: u32 = 2;
/// Change persist through power loss (CPTPL): no change, clear (both fine
/// since nothing persists), reserved and persist (refused).
const CPTPL_NO_CHANGE: u32 = 0;
const CPTPL_CLEAR: u32 = 2;
/// Acquire actions (RACQA).
const RACQA_ACQUIRE: u32 = 0;
const RACQA_PREEMPT_ABORT: u32 = 2;
/// Release actions (RRELA).
const RRELA_RELEASE: u32 = 0;
const RRELA_CLEAR: u32 = 1;
/// CDW10 bit 3: ignore existing key.
const IEKEY: u32 = 1 << 3;

/// Sizes of the extended reservation status data structure.
pub const REPORT_HEADER_LEN: usize = 64;
pub const REPORT_ENTRY_LEN: usize = 64;
/// CNTLID of a registrant in the report: registrations belong to hosts, not controllers.
const REPORT_CNTLID_UNKNOWN: u16 = 0xffff;

fn key_pair(data: &[u8]) -> Result<(u64, u64), u16> {
    if data.len() < 16 {
        return Err(st::INVALID_FIELD);
    }
    Ok((get_u64(data, 0), get_u64(data, 8)))
}

fn rtype_field(cdw10: u32) -> Result<RType, u16> {
    RType::from_u8((cdw10 >> 8) as u8).ok_or(st::INVALID_FIELD)
}

impl Reservations {
    pub fn new() -> Reservations {
        Reservations::default()
    }

    pub fn registrants(&self) -> &[Registrant] {
        &self.registrants
    }

    pub fn holder(&self) -> Option<&[u8; 16]> {
        self.holder.as_ref()
    }

    pub fn rtype(&self) -> Option<RType> {
        self.rtype
    }

    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The key of `hostid`'s registration.
    pub fn key_of(&self, hostid: &[u8; 16]) -> Option<u64> {
        self.find(hostid).map(|i| self.registrants[i].key)
    }

    /// Whether `hostid` holds the reservation (any registrant does for the
    /// all-registrants types).
    pub fn holds(&self, hostid: &[u8; 16]) -> bool {
        match self.rtype {
            None => false,
            Some(t) if t.all_registrants() => self.find(hostid).is_some(),
            Some(_) => self.holder.as_ref() == Some(hostid),
        }
    }

    /// Checks the state's invariants: at most one holder, set together with
    /// the type; the holder is a registrant; one registration per host;
    /// no zero key.
    pub fn check_invariants(&self) -> Result<(), &'static str> {
        if self.holder.is_some() != self.rtype.is_some() {
            return Err("holder and reservation type disagree");
        }
        if let Some(h) = &self.holder {
            if self.find(h).is_none() {
                return Err("the holder is not a registrant");
            }
        }
        for (i, r) in self.registrants.iter().enumerate() {
            if r.key == 0 {
                return Err("a registrant has key 0");
            }
            if self.registrants[..i].iter().any(|o| o.hostid == r.hostid) {
                return Err("a host is registered twice");
            }
        }
        Ok(())
    }

    fn find(&self, hostid: &[u8; 16]) -> Option<usize> {
        self.registrants.iter().position(|r| &r.hostid == hostid)
    }

    fn others(&self, hostid: &[u8; 16]) -> Vec<[u8; 16]> {
        self.registrants.iter().filter(|r| &r.hostid != hostid).map(|r| r.hostid).collect()
    }

    fn release_reservation(&mut self) {
        self.holder = None;
        self.rtype = None;
    }

    /// Removes `hostid`'s registration; a holder leaving releases the
    /// reservation, except for the all-registrants types while other
    /// registrants remain. Returns the type of a released reservation.
    fn remove_registrant(&mut self, hostid: &[u8; 16]) -> Option<RType> {
        let i = self.find(hostid)?;
        self.registrants.remove(i);
        if self.holder.as_ref() != Some(hostid) {
            return None;
        }
        let t = self.rtype;
        match (t, self.registrants.first()) {
            (Some(t), Some(next)) if t.all_registrants() => {
                self.holder = Some(next.hostid);
                None
            }
            _ => {
                self.release_reservation();
                t
            }
        }
    }

    /// Removes every registration with `key` but the issuer's; returns the
    /// hosts removed.
    fn remove_by_key(&mut self, key: u64, issuer: &[u8; 16]) -> Vec<[u8; 16]> {
        let gone: Vec<[u8; 16]> = self.registrants.iter().filter(|r| r.key == key && &r.hostid != issuer).map(|r| r.hostid).collect();
        for h in &gone {
            self.remove_registrant(h);
        }
        gone
    }

    /// The registration of `hostid` if `crkey` is its key (or `ignore_key`).
    fn checked_registrant(&self, hostid: &[u8; 16], crkey: u64, ignore_key: bool) -> Result<usize, u16> {
        match self.find(hostid) {
            Some(i) if ignore_key || self.registrants[i].key == crkey => Ok(i),
            _ => Err(st::RESERVATION_CONFLICT),
        }
    }

    /// Reservation Register: RREGA (CDW10 2:0) register, unregister or
    /// replace; IEKEY (bit 3); CPTPL (31:30). `data`: CRKEY, NRKEY.
    pub fn register(&mut self, hostid: &[u8; 16], cdw10: u32, data: &[u8]) -> Result<Changes, u16> {
        let (crkey, nrkey) = key_pair(data)?;
        let iekey = cdw10 & IEKEY != 0;
        let cptpl = cdw10 >> 30;
        if cptpl != CPTPL_NO_CHANGE && cptpl != CPTPL_CLEAR {
            return Err(st::INVALID_FIELD);
        }
        let mut ch = Changes::default();
        match cdw10 & 7 {
            RREGA_REGISTER => {
                if let Some(i) = self.find(hostid) {
                    // Registering again with the same key is no error and no change.
                    return if self.registrants[i].key == nrkey { Ok(ch) } else { Err(st::RESERVATION_CONFLICT) };
                }
                if nrkey == 0 {
                    return Err(st::INVALID_FIELD);
                }
                self.registrants.push(Registrant { hostid: *hostid, key: nrkey });
            }
            RREGA_UNREGISTER => {
                self.checked_registrant(hostid, crkey, iekey)?;
                if let Some(t) = self.remove_registrant(hostid) {
                    if t.notifies_release() {
                        ch.released_hosts = self.others(hostid);
                        ch.released_notice = !ch.released_hosts.is_empty();
                    }
                }
            }
            RREGA_REPLACE => {
                if nrkey == 0 {
                    return Err(st::INVALID_FIELD);
                }
                match self.find(hostid) {
                    Some(i) => {
                        if !iekey && self.registrants[i].key != crkey {
                            return Err(st::RESERVATION_CONFLICT);
                        }
                        self.registrants[i].key = nrkey;
                    }
                    None if iekey => self.registrants.push(Registrant { hostid: *hostid, key: nrkey }),
                    None => return Err(st::RESERVATION_CONFLICT),
                }
            }
            _ => return Err(st::INVALID_FIELD),
        }
        self.generation = self.generation.wrapping_add(1);
        ch.changed = true;
        Ok(ch)
    }

    /// Reservation Acquire: RACQA (CDW10 2:0) acquire, preempt, or preempt
    /// and abort; RTYPE (15:8). `data`: CRKEY, PRKEY. IEKEY is refused
    /// (Invalid Field), as SPDK does.
    pub fn acquire(&mut self, hostid: &[u8; 16], cdw10: u32, data: &[u8]) -> Result<Changes, u16> {
        let (crkey, prkey) = key_pair(data)?;
        let racqa = cdw10 & 7;
        if cdw10 & IEKEY != 0 || racqa > RACQA_PREEMPT_ABORT {
            return Err(st::INVALID_FIELD);
        }
        let rtype = rtype_field(cdw10)?;
        self.checked_registrant(hostid, crkey, false)?;
        let mut ch = Changes::default();
        if racqa == RACQA_ACQUIRE {
            return match self.rtype {
                None => {
                    self.holder = Some(*hostid);
                    self.rtype = Some(rtype);
                    ch.changed = true;
                    Ok(ch)
                }
                // Acquiring again what one holds is no change.
                Some(t) if t == rtype && self.holds(hostid) => Ok(ch),
                Some(_) => Err(st::RESERVATION_CONFLICT),
            };
        }

        // RACQA_PREEMPT or RACQA_PREEMPT_ABORT from here on.
        let old = self.rtype;
        let mut replaced = false;
        match old {
            None => {
                ch.preempted_hosts = self.remove_by_key(prkey, hostid);
                if ch.preempted_hosts.is_empty() {
                    return Err(st::RESERVATION_CONFLICT);
                }
            }
            Some(t) if t.all_registrants() => {
                if prkey == 0 {
                    let others = self.others(hostid);
                    for h in &others {
                        self.remove_registrant(h);
                    }
                    ch.preempted_hosts = others;
                    replaced = true;
                } else {
                    ch.preempted_hosts = self.remove_by_key(prkey, hostid);
                    if ch.preempted_hosts.is_empty() {
                        return Err(st::RESERVATION_CONFLICT);
                    }
                    if self.holder.is_none() {
                        // The representative holder left: the issuer stands in.
                        self.holder = Some(*hostid);
                        self.rtype = Some(t);
                    }
                }
            }
            Some(_) => {
                let holder_key = self.holder.as_ref().and_then(|h| self.key_of(h));
                if holder_key == Some(prkey) {
                    ch.preempted_hosts = self.remove_by_key(prkey, hostid);
                    replaced = true;
                } else {
                    if prkey == 0 {
                        return Err(st::INVALID_FIELD);
                    }
                    ch.preempted_hosts = self.remove_by_key(prkey, hostid);
                    if ch.preempted_hosts.is_empty() {
                        return Err(st::RESERVATION_CONFLICT);
                    }
                }
            }
        }
        if replaced {
            self.holder = Some(*hostid);
            self.rtype = Some(rtype);
            if old.is_some_and(RType::notifies_release) {
                ch.released_hosts = self.others(hostid);
                ch.released_notice = !ch.released_hosts.is_empty();
            }
        }
        ch.abort = racqa == RACQA_PREEMPT_ABORT;
        self.generation = self.generation.wrapping_add(1);
        ch.changed = true;
        Ok(ch)
    }

    /// Reservation Release: RRELA (CDW10 2:0) release or clear; RTYPE
    /// (15:8, checked on release). `data`: CRKEY. IEKEY is refused.
    pub fn release(&mut self, hostid: &[u8; 16], cdw10: u32, data: &[u8]) -> Result<Changes, u16> {
        if data.len() < 8 {
            return Err(st::INVALID_FIELD);
        }
        let crkey = get_u64(data, 0);
        let rrela = cdw10 & 7;
        if cdw10 & IEKEY != 0 || rrela > RRELA_CLEAR {
            return Err(st::INVALID_FIELD);
        }
        self.checked_registrant(hostid, crkey, false)?;
        let mut ch = Changes::default();
        if rrela == RRELA_RELEASE {
            let Some(t) = self.rtype else { return Ok(ch) };
            // The type is checked first, as SPDK does.
            if (cdw10 >> 8) as u8 != t as u8 {
                return Err(st::INVALID_FIELD);
            }
            if !self.holds(hostid) {
                // Only a holder releases; anyone else's release does nothing.
                return Ok(ch);
            }
            self.release_reservation();
            if t.notifies_release() {
                ch.released_hosts = self.others(hostid);
                ch.released_notice = !ch.released_hosts.is_empty();
            }
            ch.changed = true;
            return Ok(ch);
        }
        ch.reservation_preempted_hosts = self.others(hostid);
        self.registrants.clear();
        self.release_reservation();
        self.generation = self.generation.wrapping_add(1);
        ch.changed = true;
        Ok(ch)
    }

    /// Reservation Report: the extended reservation status data structure
    /// (64-byte header, then 64 bytes per registrant with its 128-bit host
    /// identifier). NVMe-oF hosts have 128-bit identifiers only, so EDS = 0
    /// (CDW11 bit 0) gets Host Identifier Inconsistent Format, as in SPDK.
    pub fn report(&self, cdw11_eds: bool, out: &mut Vec<u8>) -> Result<(), u16> {
        if !cdw11_eds {
            return Err(st::HOST_ID_INCONSISTENT_FORMAT);
        }
        out.clear();
        out.resize(REPORT_HEADER_LEN + self.registrants.len() * REPORT_ENTRY_LEN, 0);
        put_u32(out, 0, self.generation);
        out[4] = self.rtype.map_or(0, |t| t as u8);
        put_u16(out, 5, u16::try_from(self.registrants.len()).unwrap_or(u16::MAX));
        // PTPLS (byte 9): nothing persists through power loss.
        for (i, r) in self.registrants.iter().enumerate() {
            let e = &mut out[REPORT_HEADER_LEN + i * REPORT_ENTRY_LEN..REPORT_HEADER_LEN + (i + 1) * REPORT_ENTRY_LEN];
            put_u16(e, 0, REPORT_CNTLID_UNKNOWN);
            e[2] = u8::from(self.holds(&r.hostid));
            put_u64(e, 8, r.key);
            put(e, 16, &r.hostid);
        }
        Ok(())
    }

    /// Whether `hostid` may run an I/O command that reads (`is_write`
    /// false: Read, Compare, Verify) or writes (Write, Write Zeroes, Dataset
    /// Management, Flush, ...) the namespace, per the specification's
    /// access table; Reservation Conflict otherwise.
    pub fn check_io(&self, hostid: &[u8; 16], is_write: bool) -> Result<(), u16> {
        let Some(t) = self.rtype else { return Ok(()) };
        let registered = self.find(hostid).is_some();
        let holder = self.holder.as_ref() == Some(hostid);
        let allowed = match t {
            RType::WriteExclusive => !is_write || holder,
            RType::ExclusiveAccess => holder,
            RType::WriteExclusiveRegOnly | RType::WriteExclusiveAllRegs => !is_write || registered,
            RType::ExclusiveAccessRegOnly | RType::ExclusiveAccessAllRegs => registered,
        };
        if allowed {
            Ok(())
        } else {
            Err(st::RESERVATION_CONFLICT)
        }
    }
}

/// Reservation Notification Mask bit (Set Features 82h, CDW11) of a
/// notification type: REGPRE is bit 1, RESREL bit 2, RESPRE bit 3, the
/// same numbers as the log page types.
pub fn mask_bit(kind: u8) -> u32 {
    match kind {
        1..=3 => 1 << kind,
        _ => 0,
    }
}

/// The mask bits a host may set (REGPRE, RESREL, RESPRE).
pub const MASK_BITS: u32 = 0b1110;

/// Unread notifications kept per controller: the one a read returns plus
/// the 255 that "Number of Available Log Pages" can announce.
pub const MAX_NOTICES: usize = 256;

/// One controller's queue of Reservation Notification log pages (log
/// identifier 80h). Each notice created bumps the 64-bit log page count
/// (which never reads 0 again once it wrapped); reading the log page takes
/// the oldest. When the queue is full, the newest notice replaces the
/// last one kept, so the gap in the counts tells the host pages were lost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeQueue {
    /// (log page count, type, NSID), oldest first.
    pages: std::collections::VecDeque<(u64, u8, u32)>,
    count: u64,
}

impl NoticeQueue {
    /// Creates a notice of `kind` (1 registration preempted, 2 reservation
    /// released, 3 reservation preempted) for namespace `nsid`.
    pub fn push(&mut self, kind: u8, nsid: u32) {
        self.count = if self.count == u64::MAX { 1 } else { self.count + 1 };
        let page = (self.count, kind, nsid);
        if self.pages.len() >= MAX_NOTICES {
            if let Some(last) = self.pages.back_mut() {
                *last = page;
            }
        } else {
            self.pages.push_back(page);
        }
    }

    /// Notices not read yet.
    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// Reads the log page: the oldest notice with the number of those
    /// still queued after it, or the empty page (all zeroes) when there
    /// is none. The notice read is gone.
    pub fn pop(&mut self, out: &mut [u8; 64]) {
        match self.pages.pop_front() {
            Some((count, kind, nsid)) => {
                let avail = self.pages.len().min(255) as u8;
                super::logpage::reservation_notification_log(count, kind, avail, nsid, out);
            }
            None => out.fill(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nvmf::wire::{rd_u16, rd_u32};

    const A: [u8; 16] = [0xa; 16];
    const B: [u8; 16] = [0xb; 16];
    const C: [u8; 16] = [0xc; 16];
    const CONFLICT: Result<Changes, u16> = Err(st::RESERVATION_CONFLICT);

    fn keys(c: u64, n: u64) -> [u8; 16] {
        let mut d = [0u8; 16];
        d[..8].copy_from_slice(&c.to_le_bytes());
        d[8..].copy_from_slice(&n.to_le_bytes());
        d
    }

    fn reg(r: &mut Reservations, h: &[u8; 16], key: u64) {
        r.register(h, RREGA_REGISTER, &keys(0, key)).unwrap();
    }

    fn acq(rtype: RType, racqa: u32) -> u32 {
        ((rtype as u32) << 8) | racqa
    }

    #[test]
    fn register_unregister_replace() {
        let mut r = Reservations::new();
        let ch = r.register(&A, RREGA_REGISTER, &keys(0, 0x11)).unwrap();
        assert!(ch.changed);
        assert_eq!(r.generation(), 1);
        assert_eq!(r.register(&A, RREGA_REGISTER, &keys(0, 0x11)), Ok(Changes::default()), "same key again: no change");
        assert_eq!(r.generation(), 1);
        assert_eq!(r.register(&A, RREGA_REGISTER, &keys(0, 0x12)), CONFLICT);
        assert_eq!(r.register(&B, RREGA_REGISTER, &keys(0, 0)), Err(st::INVALID_FIELD));
        assert_eq!(r.register(&B, RREGA_REGISTER, &keys(0, 1)[..15]), Err(st::INVALID_FIELD));
        assert_eq!(r.register(&B, 3, &keys(0, 1)), Err(st::INVALID_FIELD), "RREGA 3 is reserved");
        assert_eq!(r.register(&B, 3 << 30, &keys(0, 1)), Err(st::INVALID_FIELD), "no persistence");
        assert_eq!(r.register(&B, 1 << 30, &keys(0, 1)), Err(st::INVALID_FIELD));
        r.register(&B, (2 << 30) | RREGA_REGISTER, &keys(0, 0x22)).unwrap();
        assert_eq!(r.key_of(&B), Some(0x22));

        assert_eq!(r.register(&A, RREGA_REPLACE, &keys(0x99, 0x13)), CONFLICT, "wrong current key");
        r.register(&A, RREGA_REPLACE, &keys(0x11, 0x13)).unwrap();
        assert_eq!(r.key_of(&A), Some(0x13));
        r.register(&A, RREGA_REPLACE | IEKEY, &keys(0, 0x14)).unwrap();
        assert_eq!(r.key_of(&A), Some(0x14));
        assert_eq!(r.register(&C, RREGA_REPLACE, &keys(0, 0x33)), CONFLICT, "not registered");
        r.register(&C, RREGA_REPLACE | IEKEY, &keys(0, 0x33)).unwrap();
        assert_eq!(r.key_of(&C), Some(0x33));
        assert_eq!(r.register(&C, RREGA_REPLACE, &keys(0x33, 0)), Err(st::INVALID_FIELD));

        assert_eq!(r.register(&C, RREGA_UNREGISTER, &keys(0x34, 0)), CONFLICT);
        let g = r.generation();
        r.register(&C, RREGA_UNREGISTER, &keys(0x33, 0)).unwrap();
        assert_eq!(r.generation(), g + 1);
        assert_eq!(r.key_of(&C), None);
        r.register(&B, RREGA_UNREGISTER | IEKEY, &keys(0, 0)).unwrap();
        assert_eq!(r.register(&B, RREGA_UNREGISTER | IEKEY, &keys(0, 0)), CONFLICT, "not registered");
        r.check_invariants().unwrap();
    }

    #[test]
    fn write_exclusive_between_two_hosts() {
        let mut r = Reservations::new();
        reg(&mut r, &A, 0xaa);
        reg(&mut r, &B, 0xbb);
        assert_eq!(r.acquire(&A, acq(RType::WriteExclusive, 0), &keys(0xab, 0)), CONFLICT, "wrong key");
        assert_eq!(r.acquire(&C, acq(RType::WriteExclusive, 0), &keys(0, 0)), CONFLICT, "not registered");
        assert_eq!(r.acquire(&A, 0, &keys(0xaa, 0)), Err(st::INVALID_FIELD), "RTYPE 0");
        assert_eq!(r.acquire(&A, acq(RType::WriteExclusive, 0) | IEKEY, &keys(0xaa, 0)), Err(st::INVALID_FIELD));
        assert_eq!(r.acquire(&A, acq(RType::WriteExclusive, 3), &keys(0xaa, 0)), Err(st::INVALID_FIELD));
        let g = r.generation();
        r.acquire(&A, acq(RType::WriteExclusive, 0), &keys(0xaa, 0)).unwrap();
        assert_eq!(r.generation(), g, "acquire leaves PRGEN");
        assert_eq!((r.holder(), r.rtype()), (Some(&A), Some(RType::WriteExclusive)));
        assert_eq!(r.acquire(&A, acq(RType::WriteExclusive, 0), &keys(0xaa, 0)), Ok(Changes::default()));
        assert_eq!(r.acquire(&A, acq(RType::ExclusiveAccess, 0), &keys(0xaa, 0)), CONFLICT, "other type");
        assert_eq!(r.acquire(&B, acq(RType::WriteExclusive, 0), &keys(0xbb, 0)), CONFLICT);

        assert_eq!(r.check_io(&A, true), Ok(()));
        assert_eq!(r.check_io(&B, true), Err(st::RESERVATION_CONFLICT));
        assert_eq!(r.check_io(&B, false), Ok(()));
        assert_eq!(r.check_io(&C, false), Ok(()));

        // B releases: it does not hold it, nothing happens.
        assert_eq!(r.release(&B, acq(RType::WriteExclusive, 0), &keys(0xbb, 0)), Ok(Changes::default()));
        assert_eq!(r.release(&B, acq(RType::WriteExclusive, 0), &keys(0xbc, 0)), CONFLICT, "wrong key");
        assert_eq!(r.release(&A, acq(RType::ExclusiveAccess, 0), &keys(0xaa, 0)), Err(st::INVALID_FIELD), "type mismatch");
        assert_eq!(r.release(&A, acq(RType::WriteExclusive, 0), &keys(0xaa, 0)[..7]), Err(st::INVALID_FIELD));
        let ch = r.release(&A, acq(RType::WriteExclusive, 0), &keys(0xaa, 0)).unwrap();
        assert!(!ch.released_notice, "no notice for Write Exclusive");
        assert_eq!(r.rtype(), None);
        assert_eq!(r.check_io(&B, true), Ok(()));
        r.check_invariants().unwrap();
    }

    #[test]
    fn preempt_takes_over_and_clear_wipes() {
        let mut r = Reservations::new();
        reg(&mut r, &A, 0xaa);
        reg(&mut r, &B, 0xbb);
        reg(&mut r, &C, 0xcc);
        r.acquire(&A, acq(RType::WriteExclusiveRegOnly, 0), &keys(0xaa, 0)).unwrap();
        assert_eq!(r.check_io(&B, true), Ok(()), "registrants may write");
        assert_eq!(r.check_io(&[9; 16], true), Err(st::RESERVATION_CONFLICT));
        assert_eq!(r.check_io(&[9; 16], false), Ok(()));

        assert_eq!(r.acquire(&B, acq(RType::ExclusiveAccess, 1), &keys(0xbb, 0)), Err(st::INVALID_FIELD), "PRKEY 0 against a holder");
        assert_eq!(r.acquire(&B, acq(RType::ExclusiveAccess, 1), &keys(0xbb, 0x77)), CONFLICT, "no such key");
        let g = r.generation();
        let ch = r.acquire(&B, acq(RType::ExclusiveAccess, 2), &keys(0xbb, 0xaa)).unwrap();
        assert_eq!(r.generation(), g + 1);
        assert_eq!(ch.preempted_hosts, vec![A]);
        assert!(ch.abort);
        assert!(ch.released_notice);
        assert_eq!(ch.released_hosts, vec![C]);
        assert_eq!((r.holder(), r.rtype()), (Some(&B), Some(RType::ExclusiveAccess)));
        assert_eq!(r.key_of(&A), None);
        assert_eq!(r.check_io(&C, false), Err(st::RESERVATION_CONFLICT));
        assert_eq!(r.check_io(&B, false), Ok(()));

        // Preempting a non-holder's registration leaves the reservation.
        let ch = r.acquire(&B, acq(RType::ExclusiveAccess, 1), &keys(0xbb, 0xcc)).unwrap();
        assert_eq!(ch.preempted_hosts, vec![C]);
        assert!(!ch.abort);
        assert_eq!(r.holder(), Some(&B));

        reg(&mut r, &A, 0xa1);
        reg(&mut r, &C, 0xc1);
        assert_eq!(r.release(&A, RRELA_CLEAR, &keys(0xa2, 0)), CONFLICT);
        let ch = r.release(&A, RRELA_CLEAR, &keys(0xa1, 0)).unwrap();
        assert_eq!(ch.reservation_preempted_hosts, vec![B, C]);
        assert!(r.registrants().is_empty());
        assert_eq!(r.rtype(), None);
        assert_eq!(r.release(&A, 2, &keys(0xa1, 0)), Err(st::INVALID_FIELD));
        r.check_invariants().unwrap();
    }

    #[test]
    fn preempt_without_reservation_and_self_preempt() {
        let mut r = Reservations::new();
        reg(&mut r, &A, 0xaa);
        reg(&mut r, &B, 0xbb);
        let ch = r.acquire(&A, acq(RType::WriteExclusive, 1), &keys(0xaa, 0xbb)).unwrap();
        assert_eq!(ch.preempted_hosts, vec![B]);
        assert_eq!(r.rtype(), None, "no reservation was there, none is made");
        assert_eq!(r.acquire(&A, acq(RType::WriteExclusive, 1), &keys(0xaa, 0xaa)), CONFLICT, "only itself");
        r.acquire(&A, acq(RType::WriteExclusive, 0), &keys(0xaa, 0)).unwrap();
        // The holder preempts itself to change the type.
        let ch = r.acquire(&A, acq(RType::ExclusiveAccess, 1), &keys(0xaa, 0xaa)).unwrap();
        assert!(ch.preempted_hosts.is_empty());
        assert_eq!((r.holder(), r.rtype()), (Some(&A), Some(RType::ExclusiveAccess)));
        assert_eq!(r.key_of(&A), Some(0xaa));
        r.check_invariants().unwrap();
    }

    #[test]
    fn all_registrants_types() {
        let mut r = Reservations::new();
        reg(&mut r, &A, 0xaa);
        reg(&mut r, &B, 0xbb);
        r.acquire(&A, acq(RType::ExclusiveAccessAllRegs, 0), &keys(0xaa, 0)).unwrap();
        assert!(r.holds(&A) && r.holds(&B));
        assert_eq!(r.check_io(&B, true), Ok(()));
        assert_eq!(r.check_io(&C, false), Err(st::RESERVATION_CONFLICT));
        assert_eq!(r.acquire(&B, acq(RType::ExclusiveAccessAllRegs, 0), &keys(0xbb, 0)), Ok(Changes::default()));

        // The acquirer leaves: the reservation stays with B.
        let ch = r.register(&A, RREGA_UNREGISTER, &keys(0xaa, 0)).unwrap();
        assert!(!ch.released_notice);
        assert_eq!((r.holder(), r.rtype()), (Some(&B), Some(RType::ExclusiveAccessAllRegs)));
        r.check_invariants().unwrap();

        reg(&mut r, &A, 0xaa);
        reg(&mut r, &C, 0xcc);
        // Release by any registrant releases it.
        let ch = r.release(&C, acq(RType::ExclusiveAccessAllRegs, 0), &keys(0xcc, 0)).unwrap();
        assert!(ch.released_notice);
        assert_eq!(ch.released_hosts, vec![B, A]);
        assert_eq!(r.rtype(), None);

        r.acquire(&A, acq(RType::WriteExclusiveAllRegs, 0), &keys(0xaa, 0)).unwrap();
        let ch = r.acquire(&C, acq(RType::WriteExclusive, 1), &keys(0xcc, 0)).unwrap();
        assert_eq!(ch.preempted_hosts, vec![B, A]);
        assert_eq!((r.holder(), r.rtype()), (Some(&C), Some(RType::WriteExclusive)));
        assert_eq!(r.registrants().len(), 1);

        r.release(&C, acq(RType::WriteExclusive, 0), &keys(0xcc, 0)).unwrap();
        reg(&mut r, &A, 0xaa);
        reg(&mut r, &B, 0xbb);
        r.acquire(&A, acq(RType::WriteExclusiveAllRegs, 0), &keys(0xaa, 0)).unwrap();
        // A non-zero PRKEY removes those registrants only; the holder stand-in moves.
        let ch = r.acquire(&C, acq(RType::WriteExclusiveAllRegs, 1), &keys(0xcc, 0xaa)).unwrap();
        assert_eq!(ch.preempted_hosts, vec![A]);
        assert_eq!(r.rtype(), Some(RType::WriteExclusiveAllRegs));
        assert!(r.holder().is_some());
        r.check_invariants().unwrap();
        // The last registrant leaving releases it.
        r.register(&B, RREGA_UNREGISTER, &keys(0xbb, 0)).unwrap();
        r.register(&C, RREGA_UNREGISTER, &keys(0xcc, 0)).unwrap();
        assert_eq!(r.rtype(), None);
        r.check_invariants().unwrap();
    }

    #[test]
    fn unregistering_holder_notifies_for_registrants_only() {
        let mut r = Reservations::new();
        reg(&mut r, &A, 0xaa);
        reg(&mut r, &B, 0xbb);
        r.acquire(&A, acq(RType::ExclusiveAccessRegOnly, 0), &keys(0xaa, 0)).unwrap();
        assert_eq!(r.check_io(&B, false), Ok(()));
        assert_eq!(r.check_io(&C, false), Err(st::RESERVATION_CONFLICT));
        let ch = r.register(&A, RREGA_UNREGISTER, &keys(0xaa, 0)).unwrap();
        assert!(ch.released_notice);
        assert_eq!(ch.released_hosts, vec![B]);
        assert_eq!(r.rtype(), None);
    }

    #[test]
    fn access_table() {
        use RType::*;
        // (type, holder read/write, registrant read/write, other read/write)
        let table = [
            (WriteExclusive, [true, true], [true, false], [true, false]),
            (ExclusiveAccess, [true, true], [false, false], [false, false]),
            (WriteExclusiveRegOnly, [true, true], [true, true], [true, false]),
            (ExclusiveAccessRegOnly, [true, true], [true, true], [false, false]),
            (WriteExclusiveAllRegs, [true, true], [true, true], [true, false]),
            (ExclusiveAccessAllRegs, [true, true], [true, true], [false, false]),
        ];
        for (t, h, g, o) in table {
            let mut r = Reservations::new();
            reg(&mut r, &A, 1);
            reg(&mut r, &B, 2);
            r.acquire(&A, acq(t, 0), &keys(1, 0)).unwrap();
            for (host, want) in [(A, h), (B, g), (C, o)] {
                assert_eq!(r.check_io(&host, false).is_ok(), want[0], "{t:?} read");
                assert_eq!(r.check_io(&host, true).is_ok(), want[1], "{t:?} write");
            }
        }
    }

    #[test]
    fn opcode_groups() {
        assert_eq!(access_kind(0x02), Some(false));
        assert_eq!(access_kind(0x05), Some(false));
        assert_eq!(access_kind(0x01), Some(true));
        assert_eq!(access_kind(0x00), Some(true), "flush");
        assert_eq!(access_kind(0x09), Some(true), "deallocate");
        assert_eq!(access_kind(opc::ACQUIRE), None);
        assert_eq!(access_kind(0x80), None);
    }

    #[test]
    fn report_contents() {
        let mut r = Reservations::new();
        let mut out = Vec::new();
        assert_eq!(r.report(false, &mut out), Err(st::HOST_ID_INCONSISTENT_FORMAT));
        r.report(true, &mut out).unwrap();
        assert_eq!(out.len(), 64);
        reg(&mut r, &A, 0xaa);
        reg(&mut r, &B, 0xbb);
        r.acquire(&B, acq(RType::WriteExclusiveRegOnly, 0), &keys(0xbb, 0)).unwrap();
        r.report(true, &mut out).unwrap();
        assert_eq!(out.len(), 64 + 128);
        assert_eq!(rd_u32(&out, 0), 2);
        assert_eq!(out[4], 3);
        assert_eq!(rd_u16(&out, 5), 2);
        assert_eq!(out[9], 0);
        let (e0, e1) = (&out[64..128], &out[128..]);
        assert_eq!((rd_u16(e0, 0), e0[2], get_u64(e0, 8)), (0xffff, 0, 0xaa));
        assert_eq!(&e0[16..32], &A);
        assert_eq!((e1[2], get_u64(e1, 8)), (1, 0xbb));
        assert_eq!(&e1[16..32], &B);
        assert!(e1[32..].iter().all(|&b| b == 0));
    }
    #[test]
    fn notice_queue_reads_oldest_first_and_counts() {
        use crate::nvmf::logpage::resv_notification as kind;
        let mut q = NoticeQueue::default();
        let mut p = [0xffu8; 64];
        q.pop(&mut p);
        assert!(p.iter().all(|&b| b == 0), "no notice: the empty page");
        q.push(kind::REGISTRATION_PREEMPTED, 1);
        q.push(kind::RESERVATION_RELEASED, 2);
        assert_eq!(q.len(), 2);
        q.pop(&mut p);
        assert_eq!((get_u64(&p, 0), p[8], p[9], rd_u32(&p, 12)), (1, 1, 1, 1));
        q.pop(&mut p);
        assert_eq!((get_u64(&p, 0), p[8], p[9], rd_u32(&p, 12)), (2, 2, 0, 2));
        q.pop(&mut p);
        assert!(p.iter().all(|&b| b == 0));
        q.push(kind::RESERVATION_PREEMPTED, 7);
        q.pop(&mut p);
        assert_eq!((get_u64(&p, 0), p[8]), (3, 3), "the count goes on after reads");

        // Full: the newest replaces the last kept; the counts show the gap.
        for i in 0..MAX_NOTICES + 10 {
            q.push(kind::REGISTRATION_PREEMPTED, i as u32);
        }
        assert_eq!(q.len(), MAX_NOTICES);
        q.pop(&mut p);
        assert_eq!((get_u64(&p, 0), p[9]), (4, 255), "at most 255 announced");
        for _ in 0..MAX_NOTICES - 2 {
            q.pop(&mut p);
        }
        q.pop(&mut p);
        assert_eq!(get_u64(&p, 0), 3 + (MAX_NOTICES + 10) as u64);
        assert_eq!(rd_u32(&p, 12), (MAX_NOTICES + 9) as u32);
        assert!(q.is_empty());

        let mut w = NoticeQueue { count: u64::MAX, ..Default::default() };
        w.push(kind::RESERVATION_RELEASED, 1);
        w.pop(&mut p);
        assert_eq!(get_u64(&p, 0), 1, "the count wraps to 1, never 0");
    }

    #[test]
    fn mask_bits_match_the_types() {
        assert_eq!(mask_bit(1), 1 << 1);
        assert_eq!(mask_bit(2), 1 << 2);
        assert_eq!(mask_bit(3), 1 << 3);
        assert_eq!(mask_bit(0), 0);
        assert_eq!(mask_bit(1) | mask_bit(2) | mask_bit(3), MASK_BITS);
    }
}
