//! Webhook target URL validation (WHM-3): http(s) only, never link-local or metadata addresses,
//! loopback and private ranges only when the operator allows them. One classifier serves both
//! the create-time check and the delivery client's resolver (the egress guard), so a name that
//! resolves somewhere else at delivery time (DNS rebinding) is refused there too.
//!
//! The classification is std's stable `Ipv4Addr`/`Ipv6Addr` methods plus a small table taken
//! from the IANA IPv4 and IPv6 special-purpose address registries: the crates of the field
//! (`ipnet`, `ip_network`) give prefix arithmetic or a single "is global" answer, not the three
//! answers needed here (global / private-or-local / never, with cloud metadata addresses apart).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

/// Where an address sits, from most to least deliverable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Globally reachable: any vendor may deliver there.
    Global,
    /// Loopback, private, shared (CGN), unique-local, documentation, benchmarking and other
    /// special-purpose ranges that are not globally reachable: only with private targets allowed.
    Private,
    /// Link-local, unspecified, multicast, broadcast, reserved: never a delivery target.
    Never,
    /// A cloud metadata service: never a delivery target, whatever the operator allows.
    Metadata,
}

/// Cloud metadata addresses (AWS/GCP/Azure, AWS IPv6, Alibaba, Oracle).
const METADATA_V4: &[Ipv4Addr] =
    &[Ipv4Addr::new(169, 254, 169, 254), Ipv4Addr::new(100, 100, 100, 200), Ipv4Addr::new(192, 0, 0, 192)];
const METADATA_V6: &[Ipv6Addr] = &[Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)];

/// Host names of cloud metadata services.
const METADATA_HOSTS: &[&str] = &[
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.com",
    "metadata.azure.internal",
    "metadata.tencentyun.com",
    "metadata.platformequinix.com",
];

fn in_v4(ip: Ipv4Addr, net: [u8; 4], len: u32) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u32) -> bool {
    let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
    u128::from(ip) & mask == u128::from(net) & mask
}

/// The IANA IPv4 special-purpose registry, plus the metadata addresses.
pub fn classify_v4(ip: Ipv4Addr) -> Class {
    if METADATA_V4.contains(&ip) {
        return Class::Metadata;
    }
    if ip.is_link_local() || ip.is_multicast() || ip.is_broadcast() || in_v4(ip, [0, 0, 0, 0], 8) {
        // 0.0.0.0/8 "this network" is no destination (0.0.0.0 reaches the local host on Linux);
        // 240.0.0.0/4 below is reserved.
        return Class::Never;
    }
    if in_v4(ip, [240, 0, 0, 0], 4) {
        return Class::Never;
    }
    const PRIVATE: &[([u8; 4], u32)] = &[
        ([10, 0, 0, 0], 8),      // private-use
        ([100, 64, 0, 0], 10),   // shared address space (CGN)
        ([127, 0, 0, 0], 8),     // loopback
        ([172, 16, 0, 0], 12),   // private-use
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation (TEST-NET-1)
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast (deprecated)
        ([192, 168, 0, 0], 16),  // private-use
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation (TEST-NET-2)
        ([203, 0, 113, 0], 24),  // documentation (TEST-NET-3)
    ];
    if PRIVATE.iter().any(|(net, len)| in_v4(ip, *net, *len)) {
        return Class::Private;
    }
    Class::Global
}

/// The IANA IPv6 special-purpose registry, with IPv4-mapped, IPv4-compatible, NAT64 and 6to4
/// forms judged by the IPv4 address they carry.
pub fn classify_v6(ip: Ipv6Addr) -> Class {
    if METADATA_V6.contains(&ip) {
        return Class::Metadata;
    }
    let seg = ip.segments();
    let low32 = Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32);
    if ip.is_unspecified() {
        return Class::Never;
    }
    if ip.is_loopback() {
        return Class::Private;
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    // IPv4-compatible (::a.b.c.d, deprecated): stacks that still honour it reach the v4 address.
    if in_v6(ip, Ipv6Addr::UNSPECIFIED, 96) {
        return classify_v4(low32);
    }
    // NAT64 well-known prefix: the translator delivers to the embedded v4 address.
    if in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96) {
        return classify_v4(low32);
    }
    // Local-use NAT64 prefix: local by definition, and never better than what it embeds.
    if in_v6(ip, Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0), 48) {
        return Class::Private.max(classify_v4(low32));
    }
    // 6to4: the v4 address sits in bits 16..48.
    if in_v6(ip, Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16) {
        let v4 = Ipv4Addr::from((u32::from(seg[1]) << 16) | u32::from(seg[2]));
        return classify_v4(v4);
    }
    if ip.is_multicast() || in_v6(ip, Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10) {
        return Class::Never;
    }
    if in_v6(ip, Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64) {
        return Class::Never; // discard-only
    }
    const PRIVATE: &[(Ipv6Addr, u32)] = &[
        (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments
        (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
        (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation
        (Ipv6Addr::new(0x5f00, 0, 0, 0, 0, 0, 0, 0), 16), // segment routing SIDs
        (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7),  // unique-local
        (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10), // site-local (deprecated)
    ];
    if PRIVATE.iter().any(|(net, len)| in_v6(ip, *net, *len)) {
        return Class::Private;
    }
    Class::Global
}

pub fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// `Ok` when deliveries may go to `ip`; otherwise the reason.
pub fn check_ip(ip: IpAddr, allow_private: bool) -> Result<(), String> {
    match classify(ip) {
        Class::Global => Ok(()),
        Class::Private if allow_private => Ok(()),
        Class::Private => {
            Err(format!("`target_url` reaches {ip}, a loopback or private address; private targets are not allowed"))
        }
        Class::Never => Err(format!("`target_url` reaches {ip}, a link-local, unspecified or reserved address")),
        Class::Metadata => Err(format!("`target_url` reaches {ip}, a cloud metadata service")),
    }
}

/// `Ok` when the host name itself may be a target (before resolution).
fn check_name(host: &str, allow_private: bool) -> Result<(), String> {
    let d = host.trim_end_matches('.').to_ascii_lowercase();
    if METADATA_HOSTS.contains(&d.as_str()) {
        return Err("`target_url` names a cloud metadata service".into());
    }
    if !allow_private && (d == "localhost" || d.ends_with(".localhost") || d.ends_with(".internal")) {
        return Err("`target_url` names a local host; private targets are not allowed".into());
    }
    Ok(())
}

/// The system resolver, for the create-time check. Blocking: on a multi-threaded runtime the
/// worker hands its other tasks off while it waits.
fn system_lookup(host: &str) -> Vec<IpAddr> {
    let lookup = || (host, 0u16).to_socket_addrs().map(|a| a.map(|s| s.ip()).collect()).unwrap_or_default();
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(lookup)
        }
        _ => lookup(),
    }
}

/// `Ok` when deliveries may go to `url`; otherwise the reason, for the 422 body. A host name is
/// resolved and refused when any of its addresses is; a name that does not resolve now is left
/// to the delivery client's resolver guard, which checks every address it connects to.
pub fn validate_target(url: &str, allow_private: bool) -> Result<(), String> {
    validate_target_with(url, allow_private, system_lookup)
}

fn validate_target_with(url: &str, allow_private: bool, lookup: impl Fn(&str) -> Vec<IpAddr>) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`target_url` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("`target_url` must be http or https".into());
    }
    match parsed.host() {
        None => Err("`target_url` has no host".into()),
        Some(url::Host::Ipv4(v4)) => check_ip(IpAddr::V4(v4), allow_private),
        Some(url::Host::Ipv6(v6)) => check_ip(IpAddr::V6(v6), allow_private),
        Some(url::Host::Domain(d)) => {
            check_name(d, allow_private)?;
            lookup(d).into_iter().try_for_each(|ip| check_ip(ip, allow_private))
        }
    }
}

/// The egress check for a URL about to be requested: an IP-literal host never reaches the
/// client's resolver, so it is judged here; a name is judged by `GuardedResolver`.
pub fn check_egress_url(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    check_egress_parsed(&parsed, allow_private)
}

/// [`check_egress_url`] for a URL already parsed (the delivery engine parses a target once).
pub fn check_egress_parsed(parsed: &url::Url, allow_private: bool) -> Result<(), String> {
    match parsed.host() {
        Some(url::Host::Ipv4(v4)) => check_ip(IpAddr::V4(v4), allow_private),
        Some(url::Host::Ipv6(v6)) => check_ip(IpAddr::V6(v6), allow_private),
        Some(url::Host::Domain(d)) => check_name(d, allow_private),
        None => Err("no host".into()),
    }
}

/// The marker of the resolver's refusals, so the delivery engine can tell them from DNS failures.
pub const EGRESS_GUARD: &str = "egress guard";

/// The delivery client's resolver: resolves like the system does, then refuses the name when any
/// address it resolves to is refused, so a name that passed at create time and now points at
/// loopback or a metadata service (DNS rebinding) is never connected to.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl GuardedResolver {
    pub fn arc(allow_private: bool) -> Arc<Self> {
        Arc::new(Self { allow_private })
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            check_name(&host, allow_private).map_err(|e| format!("{EGRESS_GUARD}: {host}: {e}"))?;
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for a in &addrs {
                check_ip(a.ip(), allow_private).map_err(|e| format!("{EGRESS_GUARD}: {host}: {e}"))?;
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::dns::Resolve;

    /// The answer expected for a target URL in each mode.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Expect {
        /// Accepted with and without private targets.
        Ok,
        /// Refused without private targets, accepted with them.
        Private,
        /// Refused in both modes.
        Never,
    }
    use Expect::{Never, Ok as Allowed, Private};

    /// No resolution: names are judged by name alone here (resolution has its own tests).
    fn no_dns(_: &str) -> Vec<IpAddr> {
        Vec::new()
    }

    const TABLE: &[(&str, Expect)] = &[
        // Global targets.
        ("https://hooks.example.com/vendor", Allowed),
        ("http://hooks.example.com:8080/a?b=c", Allowed),
        ("https://8.8.8.8/hook", Allowed),
        ("http://1.1.1.1/", Allowed),
        ("http://93.184.216.34/", Allowed),
        ("http://[2606:4700:4700::1111]/", Allowed),
        ("http://[2a00:1450:4001:80b::200e]/", Allowed),
        ("http://[::ffff:8.8.8.8]/", Allowed),
        ("http://[64:ff9b::808:808]/", Allowed),
        ("http://[2002:808:808::1]/", Allowed),
        ("http://100.63.255.255/", Allowed),
        ("http://100.128.0.1/", Allowed),
        ("http://172.32.0.1/", Allowed),
        ("http://169.253.255.255/", Allowed),
        // Loopback in every spelling.
        ("http://127.0.0.1:9000/hook", Private),
        ("http://127.1.2.3/", Private),
        ("http://2130706433/", Private),
        ("http://0x7f000001/", Private),
        ("http://[::1]/", Private),
        ("http://[::ffff:127.0.0.1]:8080/", Private),
        ("http://[::ffff:7f00:1]/", Private),
        ("http://[::127.0.0.1]/", Private),
        ("http://[64:ff9b::7f00:1]/", Private),
        ("http://[2002:7f00:1::]/", Private),
        ("http://localhost:8080/", Private),
        ("http://LOCALHOST./", Private),
        ("http://api.localhost/", Private),
        ("http://service.internal/", Private),
        // Private, shared, benchmarking, documentation, IETF.
        ("http://10.1.2.3/", Private),
        ("http://[::ffff:10.0.0.1]/", Private),
        ("http://172.16.0.1/", Private),
        ("http://172.31.255.255/", Private),
        ("http://192.168.0.4/", Private),
        ("http://100.64.0.1/", Private),
        ("http://100.127.255.254/", Private),
        ("http://198.18.0.1/", Private),
        ("http://198.19.255.1/", Private),
        ("http://192.0.2.10/", Private),
        ("http://198.51.100.7/", Private),
        ("http://203.0.113.9/", Private),
        ("http://192.0.0.8/", Private),
        ("http://192.88.99.1/", Private),
        ("http://[fd12:3456::1]/", Private),
        ("http://[fc00::1]/", Private),
        ("http://[2001:db8::1]/", Private),
        ("http://[3fff::1]/", Private),
        ("http://[64:ff9b:1::a00:1]/", Private),
        ("http://[2002:c0a8:1::]/", Private),
        ("http://[fec0::1]/", Private),
        // Cloud metadata, every form, both modes.
        ("http://169.254.169.254/latest/meta-data", Never),
        ("http://[::ffff:169.254.169.254]/", Never),
        ("http://[::ffff:a9fe:a9fe]/", Never),
        ("http://[::169.254.169.254]/", Never),
        ("http://[64:ff9b::a9fe:a9fe]/", Never),
        ("http://[64:ff9b:1::a9fe:a9fe]/", Never),
        ("http://[2002:a9fe:a9fe::]/", Never),
        ("http://192.0.0.192/", Never),
        ("http://[::ffff:192.0.0.192]/", Never),
        ("http://[fd00:ec2::254]/", Never),
        ("http://100.100.100.200/", Never),
        ("http://[64:ff9b::6464:64c8]/", Never),
        ("http://metadata.google.internal/", Never),
        ("http://metadata/", Never),
        ("http://instance-data/", Never),
        ("http://instance-data.ec2.internal/", Never),
        ("http://Metadata.Azure.com./", Never),
        ("http://2852039166/", Never),
        // Link-local, unspecified, multicast, broadcast, reserved.
        ("http://169.254.1.1/", Never),
        ("http://[fe80::1]/", Never),
        ("http://[febf::1]/", Never),
        ("http://0.0.0.0/", Never),
        ("http://0.1.2.3/", Never),
        ("http://[::]/", Never),
        ("http://224.0.0.1/", Never),
        ("http://[ff02::1]/", Never),
        ("http://255.255.255.255/", Never),
        ("http://240.0.0.1/", Never),
        ("http://[100::1]/", Never),
        // Not http(s), not a URL.
        ("ftp://hooks.example.com/", Never),
        ("file:///etc/passwd", Never),
        ("not a url", Never),
    ];

    #[test]
    fn every_target_gets_its_answer_in_both_modes() {
        assert!(TABLE.len() >= 60);
        for (url, expect) in TABLE {
            let strict = validate_target_with(url, false, no_dns);
            let lenient = validate_target_with(url, true, no_dns);
            let got = match (strict.is_ok(), lenient.is_ok()) {
                (true, true) => Allowed,
                (false, true) => Private,
                (false, false) => Never,
                (true, false) => panic!("{url}: allowed only without private targets"),
            };
            assert_eq!(got, *expect, "{url}: strict {strict:?}, lenient {lenient:?}");
        }
    }

    #[test]
    fn a_name_is_refused_when_any_address_it_resolves_to_is() {
        let rebinding = |host: &str| match host {
            "loopback.example.com" => vec!["93.184.216.34".parse().unwrap(), "127.0.0.1".parse().unwrap()],
            "meta.example.com" => vec!["169.254.169.254".parse().unwrap()],
            _ => vec!["93.184.216.34".parse().unwrap()],
        };
        assert!(validate_target_with("http://loopback.example.com/", false, rebinding).is_err());
        assert!(validate_target_with("http://loopback.example.com/", true, rebinding).is_ok());
        assert!(validate_target_with("http://meta.example.com/", true, rebinding).is_err());
        assert!(validate_target_with("http://hooks.example.com/", false, rebinding).is_ok());
    }

    #[test]
    fn localhost_is_refused_by_what_it_resolves_to() {
        // The name rule aside, the system resolver's answer for `localhost` is loopback.
        assert!(system_lookup("localhost").iter().all(|ip| classify(*ip) == Class::Private));
        assert!(!system_lookup("localhost").is_empty());
        assert!(validate_target("http://localhost:9/hook", false).is_err());
        assert!(validate_target("http://localhost:9/hook", true).is_ok());
    }

    #[tokio::test]
    async fn the_delivery_resolver_refuses_what_the_classifier_refuses() {
        let resolve = |allow: bool, host: &str| GuardedResolver { allow_private: allow }.resolve(host.parse().unwrap());
        let strict = resolve(false, "localhost").await;
        assert!(strict.is_err_and(|e| e.to_string().contains("private")));
        let lenient: Vec<SocketAddr> =
            resolve(true, "localhost").await.expect("loopback with private targets").collect();
        assert!(!lenient.is_empty() && lenient.iter().all(|a| a.ip().is_loopback()));
        assert!(resolve(true, "metadata.google.internal").await.is_err());
        // A literal loopback address spelled as a name resolves, and is still judged.
        assert!(resolve(false, "127.0.0.1").await.is_err());
    }

    #[test]
    fn egress_urls_are_judged_by_their_literal_host() {
        assert!(check_egress_url("http://169.254.169.254/", true).is_err());
        assert!(check_egress_url("http://[::ffff:127.0.0.1]:9/", false).is_err());
        assert!(check_egress_url("http://127.0.0.1:9/", true).is_ok());
        assert!(check_egress_url("http://hooks.example.com/", false).is_ok());
    }
}
