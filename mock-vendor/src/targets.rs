//! Webhook target URL validation (WHM-3): http(s) only, never link-local or metadata addresses,
//! loopback and private ranges only when the operator allows them.

use std::net::IpAddr;

/// Host names that resolve to cloud metadata services.
const METADATA_HOSTS: &[&str] = &["metadata.google.internal", "metadata", "instance-data", "metadata.azure.com"];

fn link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80 || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}

fn private_or_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_unspecified()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

/// `Ok` when deliveries may go to `url`; otherwise the reason, for the 422 body.
pub fn validate_target(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`target_url` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("`target_url` must be http or https".into());
    }
    let ip = match parsed.host() {
        None => return Err("`target_url` has no host".into()),
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if METADATA_HOSTS.contains(&d.as_str()) {
                return Err("`target_url` names a cloud metadata service".into());
            }
            if !allow_private && (d == "localhost" || d.ends_with(".localhost") || d.ends_with(".internal")) {
                return Err("`target_url` names a local host; private targets are not allowed".into());
            }
            None
        }
    };
    if let Some(ip) = ip {
        if link_local(ip) {
            return Err("`target_url` is a link-local address (cloud metadata services live there)".into());
        }
        if !allow_private && private_or_loopback(ip) {
            return Err("`target_url` is a loopback or private address; private targets are not allowed".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_are_always_refused() {
        for url in [
            "http://169.254.169.254/latest/meta-data",
            "http://[fe80::1]/",
            "http://metadata.google.internal/",
            "http://[::ffff:169.254.169.254]/",
        ] {
            assert!(validate_target(url, true).is_err(), "{url}");
        }
    }

    #[test]
    fn private_targets_need_permission() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://10.1.2.3/",
            "http://localhost:8080/",
            "http://[::1]/",
            "http://192.168.0.4/",
        ] {
            assert!(validate_target(url, false).is_err(), "{url}");
            assert!(validate_target(url, true).is_ok(), "{url}");
        }
        assert!(validate_target("https://hooks.example.com/vendor", false).is_ok());
        assert!(validate_target("ftp://hooks.example.com/", true).is_err());
        assert!(validate_target("not a url", true).is_err());
    }
}
