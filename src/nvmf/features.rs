//! Controller features of the NVMe-oF target (SPDK's `spdk_nvmf_ctrlr_feat`
//! and its Get / Set Features handlers): the state of one controller's
//! features and the decoding, checking and encoding of the two commands.
//!
//! Namespace-scoped features (Reservation Notification Mask 82h,
//! Reservation Persistence 83h) are not controller state: the caller routes
//! them to the namespace before coming here (they get Invalid Field here).
//! No feature is saveable: Set Features with SV gets Feature Identifier Not
//! Saveable, and the saved value of a feature is its default.

use super::wire::{put, st};
use crate::nvme::spec::Cmd;

/// Feature identifiers (FID).
pub mod fid {
    pub const ARBITRATION: u8 = 0x01;
    pub const POWER_MANAGEMENT: u8 = 0x02;
    pub const TEMPERATURE_THRESHOLD: u8 = 0x04;
    pub const ERROR_RECOVERY: u8 = 0x05;
    pub const VOLATILE_WRITE_CACHE: u8 = 0x06;
    pub const NUMBER_OF_QUEUES: u8 = 0x07;
    pub const INTERRUPT_COALESCING: u8 = 0x08;
    pub const INTERRUPT_VECTOR_CONFIGURATION: u8 = 0x09;
    pub const WRITE_ATOMICITY: u8 = 0x0a;
    pub const ASYNC_EVENT_CONFIGURATION: u8 = 0x0b;
    pub const KEEP_ALIVE_TIMER: u8 = 0x0f;
    pub const HOST_BEHAVIOR_SUPPORT: u8 = 0x16;
    pub const HOST_IDENTIFIER: u8 = 0x81;
    pub const RESERVATION_NOTIFICATION_MASK: u8 = 0x82;
    pub const RESERVATION_PERSISTENCE: u8 = 0x83;
}

/// Get Features select (SEL, CDW10 10:8).
pub mod sel {
    pub const CURRENT: u8 = 0;
    pub const DEFAULT: u8 = 1;
    pub const SAVED: u8 = 2;
    pub const SUPPORTED_CAPABILITIES: u8 = 3;
}

/// Supported capabilities (Get Features with SEL 3): saveable, namespace
/// specific, changeable.
pub const CAP_SAVEABLE: u32 = 1 << 0;
pub const CAP_NS_SPECIFIC: u32 = 1 << 1;
pub const CAP_CHANGEABLE: u32 = 1 << 2;

/// Keep Alive timeout a discovery controller gets when the host asks for none (2 minutes).
pub const DISCOVERY_KATO_MS: u32 = 120_000;
/// Keep Alive granularity of SPDK's target in milliseconds (KAS 100 × 100 ms).
pub const SPDK_KATO_GRANULARITY_MS: u32 = 10_000;
/// Size of the Host Behavior Support data structure.
pub const HOST_BEHAVIOR_LEN: usize = 512;
/// Temperature sensors: the composite (0) and eight more.
pub const TEMP_SENSORS: usize = 9;

/// Asynchronous Event Configuration bits the controller keeps: SMART
/// critical warnings (7:0), namespace attribute (8), firmware activation
/// (9), telemetry (10), ANA change (11) and discovery log change (31).
pub const AEC_SUPPORTED: u32 = 0x8000_0fff;
pub const AEC_NS_ATTRIBUTE: u32 = 1 << 8;
pub const AEC_ANA_CHANGE: u32 = 1 << 11;
pub const AEC_DISCOVERY_LOG_CHANGE: u32 = 1 << 31;

/// The controller features live migration carries, in the order and
/// layout of SPDK's `struct spdk_nvmf_ctrlr_feat` (each the dword Get
/// Features returns).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeatDwords {
    pub arbitration: u32,
    pub power_management: u32,
    pub error_recovery: u32,
    pub volatile_write_cache: u32,
    pub number_of_queues: u32,
    pub interrupt_coalescing: u32,
    pub interrupt_vector_configuration: u32,
    pub write_atomicity: u32,
    pub async_event_configuration: u32,
    pub keep_alive_timer: u32,
}
const _: () = assert!(std::mem::size_of::<FeatDwords>() == 40);

/// What the controller allows, given by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureLimits {
    /// I/O queue pairs the controller may have (the transport's
    /// max_qpairs_per_ctrlr minus the admin queue; at most 65535 count).
    pub max_io_queues: u32,
    /// A volatile write cache is present (otherwise feature 06h is refused).
    pub vwc_present: bool,
    /// Whether the host identifier may be set. On fabrics it comes with
    /// Connect, and SPDK answers Set Features 81h with Command Sequence Error.
    pub host_id_settable: bool,
    /// Keep Alive granularity in milliseconds (KAS × 100): KATO is rounded
    /// up to a multiple of it (0: kept as given).
    pub kas_ms: u32,
    /// I/O queues exist already: Number of Queues may no longer be set.
    pub io_queues_exist: bool,
    /// A discovery controller: only Keep Alive Timer and Asynchronous Event
    /// Configuration exist (also when the features were made for one).
    pub discovery: bool,
}

impl Default for FeatureLimits {
    fn default() -> Self {
        FeatureLimits { max_io_queues: 127, vwc_present: true, host_id_settable: false, kas_ms: SPDK_KATO_GRANULARITY_MS, io_queues_exist: false, discovery: false }
    }
}

/// The features of one controller (current values; the defaults are kept
/// aside for Get Features with SEL default or saved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Features {
    /// AB (2:0), LPW, MPW, HPW.
    pub arbitration: u32,
    /// PS (4:0), WH (7:5).
    pub power_management: u32,
    /// Per sensor, the over (0) and under (1) temperature thresholds in kelvins.
    pub temperature_threshold: [[u16; 2]; TEMP_SENSORS],
    /// TLER (15:0).
    pub error_recovery: u32,
    /// WCE.
    pub volatile_write_cache: bool,
    /// NSQR (15:0) and NCQR (31:16), 0's based.
    pub number_of_queues: u32,
    /// THR (7:0), TIME (15:8).
    pub interrupt_coalescing: u32,
    /// CD of Interrupt Vector Configuration (fabrics have no interrupts: coalescing disabled).
    pub interrupt_coalescing_disabled: bool,
    /// DN (bit 0).
    pub write_atomicity: u32,
    pub async_event_config: u32,
    /// KATO in milliseconds (0: keep alive off).
    pub keep_alive_timer: u32,
    pub host_identifier: [u8; 16],
    /// ACRE of Host Behavior Support.
    pub host_behavior_acre: bool,
    vwc_present: bool,
    host_id_settable: bool,
    discovery: bool,
    default: Option<Box<Features>>,
}

impl Default for Features {
    /// The features of a new I/O controller with [`FeatureLimits::default`],
    /// no host identifier and no keep alive.
    fn default() -> Self {
        Features::new([0; 16], 0, &FeatureLimits::default(), false, false)
    }
}

/// Rounds a keep alive timeout up to the granularity (saturating).
pub fn round_kato(kato_ms: u32, granularity_ms: u32) -> u32 {
    if granularity_ms == 0 {
        return kato_ms;
    }
    kato_ms.div_ceil(granularity_ms).saturating_mul(granularity_ms)
}

fn number_of_queues(limits: &FeatureLimits) -> u32 {
    let n = limits.max_io_queues.saturating_sub(1).min(0xfffe);
    (n << 16) | n
}

/// TMPSEL 0-8 or 15 (all) and THSEL 0 (over) or 1 (under).
fn temp_selectors(cdw11: u32) -> Result<(usize, usize), u16> {
    let tmpsel = ((cdw11 >> 16) & 0xf) as usize;
    let thsel = ((cdw11 >> 20) & 0x3) as usize;
    if (tmpsel >= TEMP_SENSORS && tmpsel != 15) || thsel > 1 {
        return Err(st::INVALID_FIELD);
    }
    Ok((tmpsel, thsel))
}

impl Features {
    /// The features of a new controller, as SPDK sets them: KATO from
    /// Connect rounded up to the granularity (a discovery controller asked
    /// for none gets 2 minutes, and discovery log change events only when
    /// it asked for keep alive), namespace attribute (and ANA change)
    /// events on, the write cache enabled, and all the I/O queues allowed.
    pub fn new(host_identifier: [u8; 16], connect_kato_ms: u32, limits: &FeatureLimits, ana_reporting: bool, discovery: bool) -> Features {
        let mut aec = AEC_NS_ATTRIBUTE;
        if ana_reporting {
            aec |= AEC_ANA_CHANGE;
        }
        let discovery = discovery || limits.discovery;
        let mut kato = round_kato(connect_kato_ms, limits.kas_ms);
        if discovery {
            if kato == 0 {
                kato = DISCOVERY_KATO_MS;
            } else {
                aec |= AEC_DISCOVERY_LOG_CHANGE;
            }
        }
        let mut f = Features {
            arbitration: 0,
            power_management: 0,
            temperature_threshold: [[0; 2]; TEMP_SENSORS],
            error_recovery: 0,
            volatile_write_cache: limits.vwc_present,
            number_of_queues: number_of_queues(limits),
            interrupt_coalescing: 0,
            interrupt_coalescing_disabled: true,
            write_atomicity: 0,
            async_event_config: aec,
            keep_alive_timer: kato,
            host_identifier,
            host_behavior_acre: false,
            vwc_present: limits.vwc_present,
            host_id_settable: limits.host_id_settable,
            discovery,
            default: None,
        };
        f.default = Some(Box::new(f.clone()));
        f
    }

    /// The default values (those of a new controller).
    pub fn defaults(&self) -> &Features {
        self.default.as_deref().unwrap_or(self)
    }

    fn known(&self, fid: u8) -> bool {
        if self.discovery {
            return matches!(fid, fid::KEEP_ALIVE_TIMER | fid::ASYNC_EVENT_CONFIGURATION);
        }
        matches!(
            fid,
            fid::ARBITRATION
                | fid::POWER_MANAGEMENT
                | fid::TEMPERATURE_THRESHOLD
                | fid::ERROR_RECOVERY
                | fid::NUMBER_OF_QUEUES
                | fid::INTERRUPT_COALESCING
                | fid::INTERRUPT_VECTOR_CONFIGURATION
                | fid::WRITE_ATOMICITY
                | fid::ASYNC_EVENT_CONFIGURATION
                | fid::KEEP_ALIVE_TIMER
                | fid::HOST_BEHAVIOR_SUPPORT
                | fid::HOST_IDENTIFIER
        ) || (fid == fid::VOLATILE_WRITE_CACHE && self.vwc_present)
    }

    fn changeable(&self, fid: u8) -> bool {
        match fid {
            fid::INTERRUPT_VECTOR_CONFIGURATION => false,
            fid::HOST_IDENTIFIER => self.host_id_settable,
            _ => true,
        }
    }

    /// The current values as Get Features returns them (Interrupt Vector
    /// Configuration for vector 0).
    pub fn dwords(&self) -> FeatDwords {
        FeatDwords {
            arbitration: self.arbitration,
            power_management: self.power_management,
            error_recovery: self.error_recovery,
            volatile_write_cache: u32::from(self.volatile_write_cache),
            number_of_queues: self.number_of_queues,
            interrupt_coalescing: self.interrupt_coalescing,
            interrupt_vector_configuration: u32::from(self.interrupt_coalescing_disabled) << 16,
            write_atomicity: self.write_atomicity,
            async_event_configuration: self.async_event_config,
            keep_alive_timer: self.keep_alive_timer,
        }
    }

    /// Takes saved values back (live migration): each dword is kept to the
    /// bits Set Features would keep; a write cache the controller lacks
    /// stays off.
    pub fn restore_dwords(&mut self, d: &FeatDwords) {
        self.arbitration = d.arbitration & !0xf8;
        self.power_management = d.power_management & 0xff;
        self.error_recovery = d.error_recovery & 0xffff;
        self.volatile_write_cache = self.vwc_present && d.volatile_write_cache & 1 != 0;
        self.number_of_queues = d.number_of_queues;
        self.interrupt_coalescing = d.interrupt_coalescing & 0xffff;
        self.interrupt_coalescing_disabled = d.interrupt_vector_configuration & (1 << 16) != 0;
        self.write_atomicity = d.write_atomicity & 1;
        self.async_event_config = d.async_event_configuration & AEC_SUPPORTED;
        self.keep_alive_timer = d.keep_alive_timer;
    }

    /// Get Features: FID (CDW10 7:0), SEL (10:8), CDW11 per feature.
    /// Returns completion dword 0; the Host Identifier (16 bytes) and Host
    /// Behavior Support (512 bytes) data go to `data_out`.
    pub fn get(&self, cmd: &Cmd, data_out: &mut Vec<u8>) -> Result<u32, u16> {
        let id = cmd.cdw10 as u8;
        let select = ((cmd.cdw10 >> 8) & 7) as u8;
        if !self.known(id) || select > sel::SUPPORTED_CAPABILITIES {
            return Err(st::INVALID_FIELD);
        }
        if select == sel::SUPPORTED_CAPABILITIES {
            return Ok(if self.changeable(id) { CAP_CHANGEABLE } else { 0 });
        }
        let v = if select == sel::CURRENT { self } else { self.defaults() };
        let cdw11 = cmd.cdw11;
        Ok(match id {
            fid::ARBITRATION => v.arbitration,
            fid::POWER_MANAGEMENT => v.power_management,
            fid::TEMPERATURE_THRESHOLD => {
                let (tmpsel, thsel) = temp_selectors(cdw11)?;
                let sensor = if tmpsel == 15 { 0 } else { tmpsel };
                u32::from(v.temperature_threshold[sensor][thsel]) | (cdw11 & 0x003f_0000)
            }
            fid::ERROR_RECOVERY => v.error_recovery,
            fid::VOLATILE_WRITE_CACHE => u32::from(v.volatile_write_cache),
            fid::NUMBER_OF_QUEUES => v.number_of_queues,
            fid::INTERRUPT_COALESCING => v.interrupt_coalescing,
            fid::INTERRUPT_VECTOR_CONFIGURATION => (cdw11 & 0xffff) | (u32::from(v.interrupt_coalescing_disabled) << 16),
            fid::WRITE_ATOMICITY => v.write_atomicity,
            fid::ASYNC_EVENT_CONFIGURATION => v.async_event_config,
            fid::KEEP_ALIVE_TIMER => v.keep_alive_timer,
            fid::HOST_BEHAVIOR_SUPPORT => {
                data_out.clear();
                data_out.resize(HOST_BEHAVIOR_LEN, 0);
                data_out[0] = u8::from(v.host_behavior_acre);
                0
            }
            fid::HOST_IDENTIFIER => {
                // Fabrics hosts have 128-bit identifiers: EXHID (CDW11 bit 0) must be set.
                if cdw11 & 1 == 0 {
                    return Err(st::INVALID_FIELD);
                }
                data_out.clear();
                data_out.extend_from_slice(&v.host_identifier);
                0
            }
            _ => return Err(st::INVALID_FIELD),
        })
    }

    /// Set Features: FID (CDW10 7:0), SV (31), CDW11 per feature, and the
    /// data of Host Behavior Support (512 bytes) and Host Identifier (16).
    /// Returns completion dword 0 (the queues allocated, for Number of Queues).
    pub fn set(&mut self, cmd: &Cmd, data_in: &[u8], limits: &FeatureLimits) -> Result<u32, u16> {
        let id = cmd.cdw10 as u8;
        let cdw11 = cmd.cdw11;
        if !self.known(id) || (limits.discovery && !matches!(id, fid::KEEP_ALIVE_TIMER | fid::ASYNC_EVENT_CONFIGURATION)) {
            return Err(st::INVALID_FIELD);
        }
        if cmd.cdw10 & (1 << 31) != 0 {
            return Err(st::FEATURE_NOT_SAVEABLE);
        }
        match id {
            // Bits 7:3 are reserved.
            fid::ARBITRATION => self.arbitration = cdw11 & !0xf8,
            fid::POWER_MANAGEMENT => {
                // Only power state 0 exists (NPSS is 0).
                if cdw11 & 0x1f != 0 {
                    return Err(st::INVALID_FIELD);
                }
                self.power_management = cdw11 & 0xff;
            }
            fid::TEMPERATURE_THRESHOLD => {
                let (tmpsel, thsel) = temp_selectors(cdw11)?;
                let tmpth = cdw11 as u16;
                if tmpsel == 15 {
                    for s in self.temperature_threshold.iter_mut() {
                        s[thsel] = tmpth;
                    }
                } else {
                    self.temperature_threshold[tmpsel][thsel] = tmpth;
                }
            }
            fid::ERROR_RECOVERY => {
                // DULBE (bit 16) is not offered in Identify Namespace.
                if cdw11 & (1 << 16) != 0 {
                    return Err(st::INVALID_FIELD);
                }
                self.error_recovery = cdw11 & 0xffff;
            }
            fid::VOLATILE_WRITE_CACHE => {
                if !limits.vwc_present {
                    return Err(st::INVALID_FIELD);
                }
                self.volatile_write_cache = cdw11 & 1 != 0;
            }
            fid::NUMBER_OF_QUEUES => {
                if cdw11 & 0xffff == 0xffff || cdw11 >> 16 == 0xffff {
                    return Err(st::INVALID_FIELD);
                }
                if limits.io_queues_exist {
                    return Err(st::COMMAND_SEQUENCE_ERROR);
                }
                // Like SPDK, the controller allocates what it allows, whatever was asked.
                self.number_of_queues = number_of_queues(limits);
                return Ok(self.number_of_queues);
            }
            fid::INTERRUPT_COALESCING => self.interrupt_coalescing = cdw11 & 0xffff,
            fid::INTERRUPT_VECTOR_CONFIGURATION => return Err(st::INVALID_FIELD),
            fid::WRITE_ATOMICITY => self.write_atomicity = cdw11 & 1,
            fid::ASYNC_EVENT_CONFIGURATION => self.async_event_config = cdw11 & AEC_SUPPORTED,
            fid::KEEP_ALIVE_TIMER => {
                if cdw11 == 0 {
                    return Err(st::KEEP_ALIVE_INVALID);
                }
                self.keep_alive_timer = round_kato(cdw11, limits.kas_ms);
            }
            fid::HOST_BEHAVIOR_SUPPORT => {
                if data_in.len() < HOST_BEHAVIOR_LEN {
                    return Err(st::INVALID_FIELD);
                }
                self.host_behavior_acre = match data_in[0] {
                    0 => false,
                    1 => true,
                    _ => return Err(st::INVALID_FIELD),
                };
            }
            fid::HOST_IDENTIFIER => {
                if !limits.host_id_settable {
                    return Err(st::COMMAND_SEQUENCE_ERROR);
                }
                if cdw11 & 1 == 0 || data_in.len() < 16 {
                    return Err(st::INVALID_FIELD);
                }
                put(&mut self.host_identifier, 0, &data_in[..16]);
            }
            _ => return Err(st::INVALID_FIELD),
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTID: [u8; 16] = [7; 16];

    fn cmd(cdw10: u32, cdw11: u32) -> Cmd {
        Cmd { cdw10, cdw11, ..Cmd::new(0x09, 0) }
    }

    fn feats() -> Features {
        Features::new(HOSTID, 15_000, &FeatureLimits::default(), true, false)
    }

    fn get(f: &Features, cdw10: u32, cdw11: u32) -> Result<u32, u16> {
        f.get(&cmd(cdw10, cdw11), &mut Vec::new())
    }

    #[test]
    fn dwords_round_trip() {
        let mut f = feats();
        f.set(&cmd(fid::ARBITRATION as u32, 0x0403_0201), &[], &FeatureLimits::default()).unwrap();
        let mut d = f.dwords();
        assert_eq!(d.arbitration, 0x0403_0201);
        assert_eq!(d.keep_alive_timer, 20_000);
        assert_eq!(d.interrupt_vector_configuration, 1 << 16);
        d.arbitration = 0x0706_05ff;
        d.write_atomicity = 3;
        d.async_event_configuration = 0xffff_ffff;
        let mut g = Features::default();
        g.restore_dwords(&d);
        assert_eq!(get(&g, fid::ARBITRATION as u32, 0), Ok(0x0706_0507), "reserved bits 7:3 dropped");
        assert_eq!(get(&g, fid::WRITE_ATOMICITY as u32, 0), Ok(1));
        assert_eq!(get(&g, fid::ASYNC_EVENT_CONFIGURATION as u32, 0), Ok(AEC_SUPPORTED));
        assert_eq!(g.dwords().keep_alive_timer, 20_000);
    }

    #[test]
    fn new_controller_values() {
        let f = feats();
        assert_eq!(f.keep_alive_timer, 20_000, "15 s rounded up to 10 s steps");
        assert_eq!(f.async_event_config, AEC_NS_ATTRIBUTE | AEC_ANA_CHANGE);
        assert_eq!(f.number_of_queues, (126 << 16) | 126);
        assert!(f.volatile_write_cache);
        let d = Features::new(HOSTID, 0, &FeatureLimits::default(), false, true);
        assert_eq!(d.keep_alive_timer, DISCOVERY_KATO_MS);
        assert_eq!(d.async_event_config, AEC_NS_ATTRIBUTE);
        let d = Features::new(HOSTID, 1, &FeatureLimits::default(), false, true);
        assert_eq!(d.keep_alive_timer, 10_000);
        assert_eq!(d.async_event_config, AEC_NS_ATTRIBUTE | AEC_DISCOVERY_LOG_CHANGE);
        let io = Features::new(HOSTID, 0, &FeatureLimits::default(), false, false);
        assert_eq!(io.keep_alive_timer, 0);
        assert_eq!(Features::default().host_identifier, [0; 16]);
        let big = FeatureLimits { max_io_queues: 1 << 20, ..FeatureLimits::default() };
        assert_eq!(Features::new(HOSTID, 0, &big, false, false).number_of_queues, 0xfffe_fffe, "FFFFh is not a count");
        assert_eq!(round_kato(u32::MAX, 10_000), u32::MAX);
        assert_eq!(round_kato(5, 0), 5);
    }

    #[test]
    fn set_then_get_round_trips() {
        let mut f = feats();
        let l = FeatureLimits::default();
        let cases: [(u8, u32, u32); 7] = [
            (fid::ARBITRATION, 0x0403_02ff, 0x0403_0207),
            (fid::POWER_MANAGEMENT, 0xe0, 0xe0),
            (fid::ERROR_RECOVERY, 0x1234, 0x1234),
            (fid::INTERRUPT_COALESCING, 0x0000_0a05, 0x0a05),
            (fid::WRITE_ATOMICITY, 1, 1),
            (fid::ASYNC_EVENT_CONFIGURATION, 0xffff_ffff, AEC_SUPPORTED),
            (fid::KEEP_ALIVE_TIMER, 25_000, 30_000),
        ];
        for (id, set, want) in cases {
            assert_eq!(f.set(&cmd(u32::from(id), set), &[], &l), Ok(0), "fid {id:#x}");
            assert_eq!(get(&f, u32::from(id), 0), Ok(want), "fid {id:#x}");
            assert_eq!(get(&f, u32::from(id) | (3 << 8), 0), Ok(CAP_CHANGEABLE));
        }
        f.set(&cmd(u32::from(fid::VOLATILE_WRITE_CACHE), 0), &[], &l).unwrap();
        assert_eq!(get(&f, u32::from(fid::VOLATILE_WRITE_CACHE), 0), Ok(0));
        assert_eq!(get(&f, u32::from(fid::VOLATILE_WRITE_CACHE) | (1 << 8), 0), Ok(1), "default");
        assert_eq!(get(&f, u32::from(fid::VOLATILE_WRITE_CACHE) | (2 << 8), 0), Ok(1), "saved = default");
        assert_eq!(get(&f, u32::from(fid::KEEP_ALIVE_TIMER) | (1 << 8), 0), Ok(20_000));
        assert_eq!(get(&f, u32::from(fid::ARBITRATION) | (4 << 8), 0), Err(st::INVALID_FIELD), "SEL 4");

        // Temperature thresholds per sensor, and all sensors at once.
        let tt = u32::from(fid::TEMPERATURE_THRESHOLD);
        f.set(&cmd(tt, (3 << 16) | 350), &[], &l).unwrap();
        f.set(&cmd(tt, (15 << 16) | (1 << 20) | 250), &[], &l).unwrap();
        assert_eq!(get(&f, tt, 3 << 16), Ok((3 << 16) | 350));
        assert_eq!(get(&f, tt, (8 << 16) | (1 << 20)), Ok((8 << 16) | (1 << 20) | 250));
        assert_eq!(get(&f, tt, 9 << 16), Err(st::INVALID_FIELD));
        assert_eq!(f.set(&cmd(tt, 2 << 20), &[], &l), Err(st::INVALID_FIELD));
    }

    #[test]
    fn set_errors() {
        let mut f = feats();
        let mut l = FeatureLimits::default();
        let pm = u32::from(fid::POWER_MANAGEMENT);
        assert_eq!(f.set(&cmd(pm, 1), &[], &l), Err(st::INVALID_FIELD), "power state 1");
        assert_eq!(f.set(&cmd(pm | (1 << 31), 0), &[], &l), Err(st::FEATURE_NOT_SAVEABLE));
        assert_eq!(f.set(&cmd(0x03, 0), &[], &l), Err(st::INVALID_FIELD), "LBA range type: unknown");
        assert_eq!(f.set(&cmd(0x03 | (1 << 31), 0), &[], &l), Err(st::INVALID_FIELD));
        assert_eq!(f.set(&cmd(u32::from(fid::RESERVATION_PERSISTENCE), 0), &[], &l), Err(st::INVALID_FIELD));
        assert_eq!(f.set(&cmd(u32::from(fid::ERROR_RECOVERY), 1 << 16), &[], &l), Err(st::INVALID_FIELD), "DULBE");
        assert_eq!(f.set(&cmd(u32::from(fid::KEEP_ALIVE_TIMER), 0), &[], &l), Err(st::KEEP_ALIVE_INVALID));
        assert_eq!(f.set(&cmd(u32::from(fid::INTERRUPT_VECTOR_CONFIGURATION), 0), &[], &l), Err(st::INVALID_FIELD));
        assert_eq!(get(&f, u32::from(fid::INTERRUPT_VECTOR_CONFIGURATION), 5), Ok(5 | (1 << 16)));
        assert_eq!(get(&f, u32::from(fid::INTERRUPT_VECTOR_CONFIGURATION) | (3 << 8), 0), Ok(0));

        let nq = u32::from(fid::NUMBER_OF_QUEUES);
        assert_eq!(f.set(&cmd(nq, 0xffff), &[], &l), Err(st::INVALID_FIELD));
        assert_eq!(f.set(&cmd(nq, 0xffff_0000), &[], &l), Err(st::INVALID_FIELD));
        l.max_io_queues = 4;
        assert_eq!(f.set(&cmd(nq, (63 << 16) | 63), &[], &l), Ok((3 << 16) | 3));
        assert_eq!(get(&f, nq, 0), Ok((3 << 16) | 3));
        l.io_queues_exist = true;
        assert_eq!(f.set(&cmd(nq, 1), &[], &l), Err(st::COMMAND_SEQUENCE_ERROR));

        let mut no_vwc = FeatureLimits { vwc_present: false, ..FeatureLimits::default() };
        let mut g = Features::new(HOSTID, 0, &no_vwc, false, false);
        assert_eq!(g.set(&cmd(u32::from(fid::VOLATILE_WRITE_CACHE), 1), &[], &no_vwc), Err(st::INVALID_FIELD));
        assert_eq!(get(&g, u32::from(fid::VOLATILE_WRITE_CACHE), 0), Err(st::INVALID_FIELD));
        no_vwc.vwc_present = true;
        assert_eq!(g.set(&cmd(u32::from(fid::VOLATILE_WRITE_CACHE), 1), &[], &no_vwc), Err(st::INVALID_FIELD), "features made without a cache");
    }

    #[test]
    fn discovery_controllers_have_keep_alive_and_events_only() {
        let l = FeatureLimits { discovery: true, ..FeatureLimits::default() };
        let mut d = Features::new(HOSTID, 0, &FeatureLimits::default(), false, true);
        assert_eq!(get(&d, u32::from(fid::KEEP_ALIVE_TIMER), 0), Ok(DISCOVERY_KATO_MS));
        assert_eq!(get(&d, u32::from(fid::NUMBER_OF_QUEUES), 0), Err(st::INVALID_FIELD));
        assert_eq!(d.set(&cmd(u32::from(fid::ASYNC_EVENT_CONFIGURATION), AEC_DISCOVERY_LOG_CHANGE), &[], &l), Ok(0));
        assert_eq!(d.set(&cmd(u32::from(fid::NUMBER_OF_QUEUES), 0), &[], &l), Err(st::INVALID_FIELD));
        let mut io = feats();
        assert_eq!(io.set(&cmd(u32::from(fid::ARBITRATION), 0), &[], &l), Err(st::INVALID_FIELD), "limits say discovery");
    }

    #[test]
    fn host_identifier_and_behavior() {
        let mut f = feats();
        let l = FeatureLimits::default();
        let hid = u32::from(fid::HOST_IDENTIFIER);
        let mut out = Vec::new();
        assert_eq!(f.get(&cmd(hid, 0), &mut out), Err(st::INVALID_FIELD), "EXHID 0");
        assert_eq!(f.get(&cmd(hid, 1), &mut out), Ok(0));
        assert_eq!(out, HOSTID);
        assert_eq!(f.set(&cmd(hid, 1), &[9; 16], &l), Err(st::COMMAND_SEQUENCE_ERROR));
        assert_eq!(get(&f, hid | (3 << 8), 1), Ok(0), "not changeable");
        let settable = FeatureLimits { host_id_settable: true, ..l };
        let mut g = Features::new(HOSTID, 0, &settable, false, false);
        assert_eq!(g.set(&cmd(hid, 1), &[9; 15], &settable), Err(st::INVALID_FIELD));
        assert_eq!(g.set(&cmd(hid, 0), &[9; 16], &settable), Err(st::INVALID_FIELD));
        g.set(&cmd(hid, 1), &[9; 16], &settable).unwrap();
        assert_eq!(g.host_identifier, [9; 16]);
        g.get(&cmd(hid | (1 << 8), 1), &mut out).unwrap();
        assert_eq!(out, HOSTID, "the default is the Connect one");

        let hb = u32::from(fid::HOST_BEHAVIOR_SUPPORT);
        let mut data = [0u8; 512];
        data[0] = 1;
        assert_eq!(f.set(&cmd(hb, 0), &data[..100], &l), Err(st::INVALID_FIELD));
        f.set(&cmd(hb, 0), &data, &l).unwrap();
        f.get(&cmd(hb, 0), &mut out).unwrap();
        assert_eq!(out.len(), 512);
        assert_eq!(out[0], 1);
        data[0] = 2;
        assert_eq!(f.set(&cmd(hb, 0), &data, &l), Err(st::INVALID_FIELD));
    }

    #[test]
    fn no_cdw_panics() {
        let mut f = feats();
        let l = FeatureLimits { host_id_settable: true, ..FeatureLimits::default() };
        let mut out = Vec::new();
        let mut x: u32 = 0x1234_5678;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let c = cmd(x.rotate_left(7) & 0x8000_07ff, x);
            let _ = f.get(&c, &mut out);
            let _ = f.set(&c, &out.clone(), &l);
        }
    }
}
