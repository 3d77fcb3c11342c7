//! Fleets: accounts, sites and devices, generated deterministically from a seed.
//!
//! Devices are stored compactly (48 bytes: ids as `Uuid`, addresses as bytes, models as table
//! indexes, a synthetic device's name derived from its place) and turned into `contract::Device`
//! only when a page is served, so a 10,000,000-device fleet fits in about half a GiB. Each site
//! keeps its devices' indexes in page order. A synthetic fleet's device ids are an invertible
//! function of the seed and the index, so finding a device by id needs no index at all, and its
//! sites are generated in parallel, each from its own seeded generator.

use std::borrow::Cow;
use std::collections::HashMap;

use contract::{Coordinates, Device, DeviceStatus, Site};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

mod ids;
mod kind;

use ids::{DerivedIds, splitmix};
pub use kind::Kind;

/// Which fleet to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetSpec {
    /// Two accounts, six sites (one empty), about fifty realistic devices.
    Demo,
    /// `n` devices for the first account in sites of about 1,000, plus a small second account.
    Synthetic(u64),
}

impl std::str::FromStr for FleetSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "demo" => Ok(Self::Demo),
            _ => match s.strip_prefix("synthetic:").and_then(|n| n.replace('_', "").parse::<u64>().ok()) {
                Some(n @ 1..=Self::MAX_SYNTHETIC) => Ok(Self::Synthetic(n)),
                Some(n) => {
                    Err(format!("`synthetic:{n}`: the number of devices must be from 1 to {}", Self::MAX_SYNTHETIC))
                }
                None => Err(format!("unknown fleet `{s}` (expected `demo` or `synthetic:N`)")),
            },
        }
    }
}

impl FleetSpec {
    /// The largest synthetic fleet: about 2.4 GiB of records (48 bytes per device and 4 in its
    /// site's list), and well inside the `u32` indexes.
    pub const MAX_SYNTHETIC: u64 = 50_000_000;

    /// How many accounts the fleet has, known without generating it (a large fleet takes a while).
    pub fn account_count(self) -> usize {
        2
    }
}

const FIRMWARE: &[&str] = &["10.12.3", "11.4.61", "2.3.1", "1.9.0-rc2", "5.0.14"];

#[derive(Debug, Clone)]
pub struct AccountRec {
    pub id: Uuid,
    pub name: String,
    /// Site indexes, in page order.
    pub sites: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct SiteRec {
    pub id: Uuid,
    pub account: u16,
    pub name: String,
    pub address: Option<String>,
    pub coordinates: Option<Coordinates>,
    pub timezone: Option<String>,
    /// Device indexes, in page order.
    pub devices: Vec<u32>,
    /// `devices` split into cameras and the others, each in page order (the `cursor` shape's two
    /// collections): worked out on first use ([`Fleet::cameras_and_others`]), not per page.
    pub split: std::sync::OnceLock<[Box<[u32]>; 2]>,
}

/// One device in 48 bytes (a test keeps it so): what a 10,000,000-device fleet costs is mostly
/// this. Fields with no `pub` are read through `Fleet` (`device_name`), `DeviceJson`, or
/// `parent()`, `ip()` and `mac()`.
#[derive(Debug, Clone)]
pub struct DeviceRec {
    pub id: Uuid,
    pub last_seen_ms: i64,
    pub site: u32,
    /// The parent's index, or [`NONE`].
    parent: u32,
    /// An index into `Fleet::names`, or [`NONE`] for a synthetic name derived from the index.
    name: u32,
    /// The address (`10.x.y.z`) and the MAC's last three bytes (the first three are the model's
    /// OUI), meaningful when `kind.has_network()`.
    ip: [u8; 4],
    mac_tail: [u8; 3],
    pub kind: Kind,
    /// What inventory serves (INV-2).
    pub status: DeviceStatus,
    /// What the device really is: the same as `status` unless a stale-inventory fault froze
    /// inventory, in which case events still follow the device's changes.
    pub live: DeviceStatus,
    model: u8,
    firmware: u8,
}

/// No parent, or a derived name.
const NONE: u32 = u32::MAX;

impl DeviceRec {
    pub fn parent(&self) -> Option<u32> {
        (self.parent != NONE).then_some(self.parent)
    }

    pub fn ip(&self) -> Option<[u8; 4]> {
        self.kind.has_network().then_some(self.ip)
    }

    pub fn mac(&self) -> Option<[u8; 6]> {
        let oui = self.kind.models()[self.model as usize].1;
        let t = self.mac_tail;
        self.kind.has_network().then_some([oui[0], oui[1], oui[2], t[0], t[1], t[2]])
    }
}

#[derive(Debug, Clone)]
pub struct Fleet {
    pub accounts: Vec<AccountRec>,
    pub sites: Vec<SiteRec>,
    pub devices: Vec<DeviceRec>,
    /// Stored device names (the demo's, a synthetic fleet's second tenant's).
    names: Vec<Box<str>>,
    lookup: Lookup,
    /// Every site by its id, built on first use: an inventory request names its site, and a
    /// fleet of ten million devices has ten thousand sites to look through.
    site_ids: std::sync::OnceLock<HashMap<Uuid, u32>>,
}

/// How a device is found by its id.
#[derive(Debug, Clone)]
enum Lookup {
    /// Random ids (the demo's, unchanged since it was written: its snapshots hold them).
    Map(HashMap<Uuid, u32>),
    /// Ids derived from the index ([`DerivedIds`]): inverted, then checked.
    Derived(DerivedIds),
}

struct Builder {
    rng: StdRng,
    now_ms: i64,
    fleet: Fleet,
}

impl Builder {
    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.r#gen()).into_uuid()
    }

    fn account(&mut self, name: &str) -> u16 {
        let id = self.uuid();
        self.fleet.accounts.push(AccountRec { id, name: name.to_owned(), sites: Vec::new() });
        (self.fleet.accounts.len() - 1) as u16
    }

    fn site(&mut self, account: u16, name: &str, address: &str, coords: (f64, f64), tz: &str) -> u32 {
        let id = self.uuid();
        let idx = self.fleet.sites.len() as u32;
        self.fleet.sites.push(SiteRec {
            id,
            account,
            name: name.to_owned(),
            address: Some(address.to_owned()),
            coordinates: Some(Coordinates { latitude: coords.0, longitude: coords.1 }),
            timezone: Some(tz.to_owned()),
            devices: Vec::new(),
            split: std::sync::OnceLock::new(),
        });
        self.fleet.accounts[account as usize].sites.push(idx);
        idx
    }

    fn device(&mut self, site: u32, kind: Kind, name: String, parent: Option<u32>) -> u32 {
        let idx = self.fleet.devices.len() as u32;
        let id = match &self.fleet.lookup {
            Lookup::Derived(ids) => ids.id(idx),
            Lookup::Map(_) => self.uuid(),
        };
        let mut rec = random_device(&mut self.rng, self.now_ms, id, site, kind, parent);
        rec.name = self.fleet.names.len() as u32;
        self.fleet.names.push(name.into_boxed_str());
        self.fleet.devices.push(rec);
        if let Lookup::Map(map) = &mut self.fleet.lookup {
            map.insert(id, idx);
        }
        self.fleet.sites[site as usize].devices.push(idx);
        idx
    }

    /// A realistic site: an NVR with cameras, an access panel with doors and their readers,
    /// an intrusion panel with sensors.
    fn furnish(&mut self, site: u32, cameras: &[&str], doors: &[&str], sensors: &[&str]) {
        if cameras.len() > 4 {
            self.device(site, Kind::Nvr, "Video Recorder 1".into(), None);
        }
        for c in cameras {
            self.device(site, Kind::Camera, format!("{c} Camera"), None);
        }
        if !doors.is_empty() {
            let panel = self.device(site, Kind::AccessPanel, "Access Controller 1".into(), None);
            for d in doors {
                let door = self.device(site, Kind::Door, format!("{d} Door"), Some(panel));
                self.device(site, Kind::Reader, format!("{d} Reader"), Some(door));
            }
        }
        if !sensors.is_empty() {
            let panel = self.device(site, Kind::IntrusionPanel, "Intrusion Panel".into(), None);
            for s in sensors {
                self.device(site, Kind::Sensor, s.to_string(), Some(panel));
            }
        }
    }
}

/// A device's random attributes, drawn from `rng` in the order the demo's snapshots were made
/// with (its name is the caller's).
fn random_device(rng: &mut StdRng, now_ms: i64, id: Uuid, site: u32, kind: Kind, parent: Option<u32>) -> DeviceRec {
    let model = rng.gen_range(0..kind.models().len());
    let mac_tail: [u8; 3] = if kind.has_network() { rng.r#gen() } else { [0; 3] };
    let ip = if kind.has_network() { [10, (site % 250) as u8 + 1, rng.r#gen(), rng.gen_range(2..254)] } else { [0; 4] };
    let status = if rng.gen_ratio(1, 12) { DeviceStatus::Offline } else { DeviceStatus::Online };
    let last_seen_ms =
        now_ms - rng.gen_range(1_000..if status == DeviceStatus::Offline { 86_400_000 } else { 120_000 });
    DeviceRec {
        id,
        last_seen_ms,
        site,
        parent: parent.unwrap_or(NONE),
        name: NONE,
        ip,
        mac_tail,
        kind,
        status,
        live: status,
        model: model as u8,
        firmware: rng.gen_range(0..FIRMWARE.len()) as u8,
    }
}

impl Fleet {
    /// Site `site`'s cameras and its other devices, each in page order, split once per site (a
    /// device's kind never changes; a new fleet starts unsplit).
    pub fn cameras_and_others(&self, site: u32) -> (&[u32], &[u32]) {
        let rec = &self.sites[site as usize];
        let [cameras, others] = rec.split.get_or_init(|| {
            let (cameras, others): (Vec<u32>, Vec<u32>) =
                rec.devices.iter().partition(|&&d| self.devices[d as usize].kind == Kind::Camera);
            [cameras.into(), others.into()]
        });
        (cameras, others)
    }

    pub fn generate(spec: FleetSpec, seed: u64, now_ms: i64) -> Self {
        let lookup = match spec {
            FleetSpec::Demo => Lookup::Map(HashMap::new()),
            FleetSpec::Synthetic(_) => Lookup::Derived(DerivedIds::new(seed)),
        };
        let mut b = Builder {
            rng: StdRng::seed_from_u64(seed),
            now_ms,
            fleet: Fleet {
                accounts: Vec::new(),
                sites: Vec::new(),
                devices: Vec::new(),
                names: Vec::new(),
                lookup,
                site_ids: std::sync::OnceLock::new(),
            },
        };
        match spec {
            FleetSpec::Demo => demo(&mut b),
            FleetSpec::Synthetic(n) => synthetic(&mut b, seed, n),
        }
        b.fleet
    }

    /// A device's name: stored, or a synthetic device's `<type> <site>-<position>`.
    pub fn device_name(&self, idx: u32) -> Cow<'_, str> {
        let d = &self.devices[idx as usize];
        match self.names.get(d.name as usize) {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(SyntheticName(d.kind, idx).to_string()),
        }
    }

    pub fn site_index(&self, account: u16, site_id: &str) -> Option<u32> {
        self.any_site_index(site_id).filter(|&s| self.sites[s as usize].account == account)
    }

    /// A site of any account (for cross-tenant faults and the control API).
    pub fn any_site_index(&self, site_id: &str) -> Option<u32> {
        let id = Uuid::parse_str(site_id).ok()?;
        let ids = self.site_ids.get_or_init(|| self.sites.iter().enumerate().map(|(i, s)| (s.id, i as u32)).collect());
        ids.get(&id).copied()
    }

    pub fn device_by_id(&self, device_id: &str) -> Option<u32> {
        let id = Uuid::parse_str(device_id).ok()?;
        match &self.lookup {
            Lookup::Map(map) => map.get(&id).copied(),
            Lookup::Derived(ids) => ids.index(&id, self.devices.len()),
        }
    }

    pub fn account_of_device(&self, device: u32) -> u16 {
        self.sites[self.devices[device as usize].site as usize].account
    }

    pub fn site_wire(&self, idx: u32) -> Site {
        let s = &self.sites[idx as usize];
        Site {
            site_id: s.id.to_string(),
            name: s.name.clone(),
            address: s.address.clone(),
            coordinates: s.coordinates,
            timezone: s.timezone.clone(),
        }
    }

    pub fn device_wire(&self, idx: u32) -> Device {
        let d = &self.devices[idx as usize];
        let site = &self.sites[d.site as usize];
        let account = &self.accounts[site.account as usize];
        Device {
            device_id: d.id.to_string(),
            name: self.device_name(idx).into_owned(),
            device_type: d.kind.as_str().to_owned(),
            site_id: site.id.to_string(),
            status: d.status,
            account_id: Some(account.id.to_string()),
            mac_address: d
                .mac()
                .map(|m| format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])),
            parent_id: d.parent().map(|p| self.devices[p as usize].id.to_string()),
            ip: d.ip().map(|ip| std::net::Ipv4Addr::from(ip).to_string()),
            hostname: d.ip().map(|ip| format!("{}-{:02x}{:02x}", d.kind.as_str().replace('_', "-"), ip[2], ip[3])),
            site_name: Some(site.name.clone()),
            last_seen: Some(contract::rfc3339_millis(d.last_seen_ms)),
            model: Some(d.kind.models()[d.model as usize].0.to_owned()),
            firmware_version: Some(FIRMWARE[d.firmware as usize].to_owned()),
        }
    }
}

/// A device as inventory serves it, serialised straight from the compact record: the same bytes
/// as `device_wire` through a `serde_json::Value` (whose keys are sorted), without building the
/// `Device` or the `Value` tree. Serving a page that way cost most of its time in the allocator.
#[derive(Debug, Clone, Copy)]
pub struct DeviceJson<'a> {
    pub fleet: &'a Fleet,
    pub idx: u32,
}

impl serde::Serialize for DeviceJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let fleet = self.fleet;
        let d = &fleet.devices[self.idx as usize];
        let site = &fleet.sites[d.site as usize];
        let account = &fleet.accounts[site.account as usize];
        let mut m = serializer.serialize_map(None)?;
        // Keys in sorted order, as a `Value` object writes them.
        m.serialize_entry("account_id", &account.id)?;
        m.serialize_entry("device_id", &d.id)?;
        m.serialize_entry("firmware_version", FIRMWARE[d.firmware as usize])?;
        if let Some(ip) = d.ip() {
            let hostname = format!("{}-{:02x}{:02x}", d.kind.as_str().replace('_', "-"), ip[2], ip[3]);
            m.serialize_entry("hostname", &hostname)?;
            m.serialize_entry("ip", &std::net::Ipv4Addr::from(ip))?;
        }
        m.serialize_entry("last_seen", &contract::rfc3339_millis(d.last_seen_ms))?;
        if let Some(x) = d.mac() {
            let mac = format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", x[0], x[1], x[2], x[3], x[4], x[5]);
            m.serialize_entry("mac_address", &mac)?;
        }
        m.serialize_entry("model", d.kind.models()[d.model as usize].0)?;
        match fleet.names.get(d.name as usize) {
            Some(name) => m.serialize_entry("name", &**name)?,
            None => m.serialize_entry("name", &Collected(SyntheticName(d.kind, self.idx)))?,
        }
        if let Some(p) = d.parent() {
            m.serialize_entry("parent_id", &fleet.devices[p as usize].id)?;
        }
        m.serialize_entry("site_id", &site.id)?;
        m.serialize_entry("site_name", &site.name)?;
        m.serialize_entry("status", &d.status)?;
        m.serialize_entry("type", d.kind.as_str())?;
        m.end()
    }
}

/// A `Display` serialised as a string, without a `String` in between.
struct Collected<T>(T);

impl<T: std::fmt::Display> serde::Serialize for Collected<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Devices per synthetic site (the last one may have fewer).
const PER_SITE: u64 = 1_000;

/// A synthetic device's name from its kind and index: `camera 0042-0017` is site 42's 17th
/// device (the first account's devices are numbered site after site, `PER_SITE` each).
struct SyntheticName(Kind, u32);

impl std::fmt::Display for SyntheticName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (site, position) = (u64::from(self.1) / PER_SITE, u64::from(self.1) % PER_SITE);
        write!(f, "{} {:04}-{:04}", self.0.as_str(), site + 1, position + 1)
    }
}

fn demo(b: &mut Builder) {
    let a = b.account("Northwind Logistics");
    let chicago = b.site(
        a,
        "Chicago Headquarters",
        "233 S Wacker Dr, Chicago, IL 60606, USA",
        (41.8789, -87.6359),
        "America/Chicago",
    );
    b.furnish(
        chicago,
        &[
            "Front Lobby",
            "Main Entrance",
            "Reception",
            "Server Room",
            "Stairwell B",
            "Cafeteria",
            "Parking Garage P1",
            "Rear Exit",
        ],
        &["Front Lobby", "Server Room", "Executive Suite", "Rear Exit"],
        &["Lobby Motion", "Server Room Glass Break", "Rear Exit Contact"],
    );
    let dallas = b.site(
        a,
        "Dallas Distribution Center",
        "2500 Victory Ave, Dallas, TX 75219, USA",
        (32.7905, -96.8103),
        "America/Chicago",
    );
    b.furnish(
        dallas,
        &[
            "Loading Dock",
            "Warehouse Aisle 4",
            "Warehouse Aisle 9",
            "Shipping Office",
            "Parking Lot North",
            "Parking Lot South",
        ],
        &["Loading Dock", "Shipping Office"],
        &["Warehouse Motion", "Dock Door Contact"],
    );
    let denver =
        b.site(a, "Denver Office", "1700 Lincoln St, Denver, CO 80203, USA", (39.7436, -104.9866), "America/Denver");
    b.furnish(denver, &["Front Lobby", "Elevator Bank", "Mail Room"], &["Front Lobby"], &[]);
    b.site(
        a,
        "Seattle Lab (opening soon)",
        "400 Broad St, Seattle, WA 98109, USA",
        (47.6205, -122.3493),
        "America/Los_Angeles",
    );
    let h = b.account("Harbor Health");
    let boston =
        b.site(h, "Boston Clinic", "55 Fruit St, Boston, MA 02114, USA", (42.3628, -71.0692), "America/New_York");
    b.furnish(boston, &["Patient Entrance", "Pharmacy", "Records Room", "Ambulance Bay"], &["Pharmacy"], &[]);
    let phoenix = b.site(
        h,
        "Phoenix Clinic",
        "1111 E McDowell Rd, Phoenix, AZ 85006, USA",
        (33.4653, -112.0569),
        "America/Phoenix",
    );
    b.furnish(phoenix, &["Main Entrance", "Lab Corridor"], &[], &["Lab Freezer Door Contact"]);
}

/// `n` devices in sites of `PER_SITE` for the first account (sites `0..`, devices `0..n` site
/// after site), an empty site, and a small second tenant. Each site's devices come from their own
/// generator seeded from the seed and the site, so sites are generated in parallel, in place.
fn synthetic(b: &mut Builder, seed: u64, n: u64) {
    let ids = DerivedIds::new(seed);
    let a = b.account("Synthetic Fleet Inc.");
    let sites = n.div_ceil(PER_SITE);
    for s in 0..sites {
        let site = b.site(
            a,
            &format!("Synthetic Site {:04}", s + 1),
            &format!("{} Synthetic Way, Springfield, IL 62701, USA", s + 1),
            (39.78, -89.65),
            "America/Chicago",
        );
        let first = s * PER_SITE;
        b.fleet.sites[site as usize].devices = (first as u32..n.min(first + PER_SITE) as u32).collect();
    }
    let placeholder = random_device(&mut StdRng::seed_from_u64(0), 0, Uuid::nil(), 0, Kind::Camera, None);
    let mut devices = Vec::with_capacity(n as usize + 16);
    devices.resize(n as usize, placeholder);
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()) as u64;
    // Whole sites per thread, so a site's panel and its children are made by one.
    let per_thread = sites.div_ceil(threads).max(1) * PER_SITE;
    let now_ms = b.now_ms;
    std::thread::scope(|scope| {
        for (chunk, part) in devices.chunks_mut(per_thread as usize).enumerate() {
            scope.spawn(move || {
                let first = chunk as u64 * per_thread;
                for (site_part, recs) in part.chunks_mut(PER_SITE as usize).enumerate() {
                    let s = first / PER_SITE + site_part as u64;
                    synthetic_site(recs, ids, seed, now_ms, s);
                }
            });
        }
    });
    b.fleet.devices = devices;
    b.site(a, "Synthetic Empty Site", "1 Empty Way, Springfield, IL 62701, USA", (39.78, -89.65), "America/Chicago");
    let h = b.account("Second Tenant Co.");
    let other =
        b.site(h, "Second Tenant Site", "2 Tenant Rd, Madison, WI 53703, USA", (43.07, -89.38), "America/Chicago");
    b.furnish(other, &["Lobby", "Dock", "Yard", "Gate", "Roof"], &["Lobby"], &["Yard Motion"]);
}

/// Synthetic site `s`'s devices into `recs` (their indexes start at `s * PER_SITE`): an access
/// panel first, doors and readers under it, a sensor in twenty, cameras.
fn synthetic_site(recs: &mut [DeviceRec], ids: DerivedIds, seed: u64, now_ms: i64, s: u64) {
    let mut rng = StdRng::seed_from_u64(splitmix(seed ^ splitmix(s)));
    let first = (s * PER_SITE) as u32;
    for (i, rec) in recs.iter_mut().enumerate() {
        let (kind, parent) = match i {
            0 => (Kind::AccessPanel, None),
            _ if i % 20 == 7 => (Kind::Sensor, Some(first)),
            _ if i % 4 == 1 => (Kind::Door, Some(first)),
            _ if i % 4 == 2 => (Kind::Reader, Some(first)),
            _ => (Kind::Camera, None),
        };
        let idx = first + i as u32;
        *rec = random_device(&mut rng, now_ms, ids.id(idx), s as u32, kind, parent);
    }
}

#[cfg(test)]
mod tests;
