//! `harness token`: mints a bearer token from the configured key (or prints the credential the
//! profile's kind of auth sends: an API key, a static token, an OAuth2 access token), for curl. This is the one
//! place the harness prints a token, because the operator asked for it.
//!
//! `--craft <name>` mints one of the auth suite's crafted tokens instead (the reproduce command
//! of a crafted-token probe calls it): bad ones, and `rotation-key`, a valid token of the
//! account's second key. For a vendor that does not use the contract's JWTs only the keyless
//! crafts (`garbage`, `empty`) apply. `--list-crafts` lists the names.

use std::path::PathBuf;

use anyhow::Context as _;
use suites::auth::craft;

use crate::config::VendorConfig;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The vendor configuration
    #[arg(long, default_value = "vendor.toml")]
    pub config: PathBuf,
    /// Use the `[second_account]` credential
    #[arg(long)]
    pub second_account: bool,
    /// Mint the auth suite's crafted token NAME (`expired:3600`, `alg-none:none`, ...) instead of a valid one
    #[arg(long, value_name = "NAME")]
    pub craft: Option<String>,
    /// List the crafted token names `--craft` takes, and exit
    #[arg(long, conflicts_with_all = ["craft", "second_account"])]
    pub list_crafts: bool,
}

/// The `--list-crafts` text: one name (with its argument) and description a line.
pub fn crafts_text() -> String {
    let names: Vec<String> = craft::CRAFTS
        .iter()
        .map(|c| c.arg.map_or_else(|| c.kind.to_owned(), |arg| format!("{}:{arg}", c.kind)))
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    names.iter().zip(craft::CRAFTS).map(|(name, c)| format!("{name:width$}  {}\n", c.what)).collect()
}

pub fn execute(args: Args) -> anyhow::Result<i32> {
    if args.list_crafts {
        out!("{}", crafts_text());
        return Ok(crate::exit::OK);
    }
    // A bad name is reported before the key is read.
    if let Some(name) = &args.craft {
        craft::parse_name(name)?;
    }
    let config = VendorConfig::load(&args.config)?;
    let auth = if args.second_account {
        config.second_account.as_ref().ok_or_else(|| anyhow::anyhow!("the config has no `[second_account]`"))?
    } else {
        &config.auth
    };
    let now = contract::unix_now();
    let token = match &args.craft {
        None if config.profile.auth.kind() == suites::AuthKind::Jwt => auth.minter()?.mint(now),
        // An API key, a static token, or an access token from the OAuth2 token endpoint.
        None => {
            let mut config = config.clone();
            config.auth = auth.clone();
            let client = crate::client::VendorClient::from_config(&config, args.config.display().to_string())?;
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(client.fresh_credential())?
        }
        // A bad API key or bearer token: the crafts that need no signing key.
        Some(name) if config.profile.auth.kind() != suites::AuthKind::Jwt => {
            craft::craft_keyless_for(config.profile.auth.kind(), name)?
        }
        Some(name) => {
            let kit = auth.token_kit()?;
            craft::craft(&kit, name, now).with_context(|| format!("failed to craft the token `{name}`"))?
        }
    };
    outln!("{}", token.expose());
    Ok(crate::exit::OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_kind_with_its_argument() {
        let text = crafts_text();
        assert_eq!(text.lines().count(), craft::CRAFTS.len());
        assert!(text.lines().any(|l| l.starts_with("expired:<secs> ")), "{text}");
        assert!(text.lines().any(|l| l.starts_with("alg-none-signed ")), "{text}");
    }
}
