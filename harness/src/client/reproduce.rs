//! Reproduce commands: the `curl` line evidence carries so a reader can send the same request,
//! minting its token with `harness token` rather than printing one.

use reqwest::{Method, Url};
use suites::ProbeAuth;

pub use suites::attempts::shell_quote;

use super::VendorClient;

impl VendorClient {
    pub(super) fn reproduce(&self, method: &Method, url: &Url, body: Option<&str>, auth: &ProbeAuth) -> String {
        let config = format!("{}{}", shell_quote(&self.config_hint), self.token_flags);
        let mut cmd = format!("curl -sS -i -X {method}");
        let (header, prefix) = (self.profile.auth.header(), self.profile.auth.prefix());
        match auth {
            ProbeAuth::Fresh => cmd.push_str(&format!(" -H \"{header}: {prefix}$(harness token --config {config})\"")),
            // curl leaves out a header whose value is blank; `name;` sends it empty.
            ProbeAuth::Crafted { craft, .. } if craft == "empty" && prefix.trim().is_empty() => {
                cmd.push_str(&format!(" -H {}", shell_quote(&format!("{header};"))))
            }
            ProbeAuth::Crafted { craft, .. } => cmd.push_str(&format!(
                " -H \"{header}: {prefix}$(harness token --config {config} --craft {})\"",
                shell_quote(craft)
            )),
            ProbeAuth::Missing => {}
        }
        for (name, value) in self.profile.auth.extra_headers() {
            cmd.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
        }
        if let Some(body) = body {
            cmd.push_str(&format!(" -H 'Content-Type: application/json' --data {}", shell_quote(body)));
        }
        cmd.push(' ');
        cmd.push_str(&shell_quote(url.as_str()));
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_encoding() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(suites::encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(suites::encode_segment("5e6693c0-091d"), "5e6693c0-091d");
    }
}
