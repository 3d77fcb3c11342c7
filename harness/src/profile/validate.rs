//! Validation: what the profile's types cannot refuse (a pointer's form, required fields, page
//! sizes that contradict each other), refused with a message naming the key.

use anyhow::{Context as _, bail};

use super::{
    ACCOUNT_REQUIRED, DEVICE_REQUIRED, EVENT_REQUIRED, FieldMap, FieldSource, FieldSpec, ParamLocation, Profile,
    RequestValue, SITE_REQUIRED,
};

impl Profile {
    /// Refuses a profile that cannot work, naming what is missing or wrong. (What the types
    /// cannot express: a pointer's form, required fields, sizes that contradict each other.)
    pub fn validate(&self) -> anyhow::Result<()> {
        let pointer = |what: &str, p: &str| -> anyhow::Result<()> {
            if !p.is_empty() && !p.starts_with('/') {
                bail!(
                    "`{what}` = `{p}` is not a JSON Pointer (it starts with `/`, or is empty for the whole document)"
                );
            }
            Ok(())
        };
        let fields = |what: &str, map: &FieldMap, required: &[&str]| -> anyhow::Result<()> {
            for name in required {
                if !map.contains_key(*name) {
                    bail!("`{what}.fields` has no `{name}`: every record needs one");
                }
            }
            for (name, spec) in map {
                let at = format!("{what}.fields.{name}");
                let rule = match spec {
                    FieldSpec::Pointer(p) => {
                        pointer(&at, p)?;
                        continue;
                    }
                    FieldSpec::Rule(rule) => rule,
                };
                match &rule.source {
                    FieldSource::Pointer { pointer: p, within } => {
                        pointer(&at, p)?;
                        if let Some(e) = within {
                            pointer(&at, &e.array)?;
                            pointer(&at, &e.element_where)?;
                        }
                    }
                    FieldSource::Join { pointers, .. } => {
                        for p in pointers {
                            pointer(&at, p)?;
                        }
                    }
                    FieldSource::FromRequest(RequestValue::SiteId) if matches!(what, "sites" | "account") => {
                        bail!("`{at}`: `from_request = \"site_id\"` is for inventory endpoints (the site asked for)");
                    }
                    FieldSource::FromRequest(RequestValue::AccountId) if what == "events" => {
                        bail!(
                            "`{at}`: a delivery is not a request the harness made; write the account id as `{{ constant = \"...\" }}`"
                        );
                    }
                    FieldSource::FromRequest(_) | FieldSource::Constant(_) => {}
                }
            }
            Ok(())
        };
        pointer("account.record", &self.account.record)?;
        fields("account", &self.account.fields, ACCOUNT_REQUIRED)?;
        if let Some((name, FieldSpec::Rule(rule))) = self.account.fields.iter().find(|(n, _)| *n == "account_id")
            && rule.source == FieldSource::FromRequest(RequestValue::AccountId)
        {
            bail!("`account.fields.{name}` cannot come from the account itself (give a pointer or a constant)");
        }
        pointer("sites.list", &self.sites.list)?;
        fields("sites", &self.sites.fields, SITE_REQUIRED)?;
        if self.inventory.is_empty() {
            bail!("`inventory` lists no endpoint");
        }
        for (i, endpoint) in self.inventory.iter().enumerate() {
            pointer(&format!("inventory[{i}].list"), &endpoint.list)?;
            fields(&format!("inventory[{i}]"), &endpoint.fields, DEVICE_REQUIRED)?;
        }
        fields("events", &self.events.fields, EVENT_REQUIRED)?;
        let p = &self.pagination;
        let kind = p.kind().as_str();
        let (size, max, default) = p.sizes();
        for (name, n) in [("size", size), ("max_size", max), ("default_size", default), ("min_size", p.min_size())] {
            if n == Some(0) {
                bail!("`pagination.{name}` must be at least 1");
            }
        }
        let endpoints = std::iter::once(("sites".to_owned(), &self.sites))
            .chain(self.inventory.iter().enumerate().map(|(i, e)| (format!("inventory[{i}]"), e)));
        for (what, endpoint) in endpoints {
            let limits = p.limits_of(endpoint);
            if p.size_param().is_none()
                && (endpoint.max_size.is_some() || endpoint.default_size.is_some() || endpoint.min_size.is_some())
            {
                bail!("`{what}` declares page sizes, but `kind = \"{kind}\"` has no `size_param` to ask for one");
            }
            if let Some(from) = &endpoint.past_end_from {
                if p.past_end().is_none() {
                    bail!("`{what}.past_end_from` needs `[pagination.past_end]` (the parameter it goes in)");
                }
                pointer(&format!("{what}.past_end_from"), from)?;
            }
            if [endpoint.max_size, endpoint.default_size, endpoint.min_size].contains(&Some(0)) {
                bail!("`{what}.max_size`, `{what}.default_size` and `{what}.min_size` must be at least 1");
            }
            for (name, n) in [("maximum", limits.max), ("default", limits.default), ("size asked for", size)] {
                if let (Some(min), Some(n)) = (limits.min, n)
                    && n < min
                {
                    bail!("`{what}`: the {name} page size {n} is below the minimum {min}");
                }
            }
            if let (Some(max), Some(default)) = (limits.max, limits.default)
                && default > max
            {
                bail!("`{what}`: the default page size {default} is above the maximum {max}");
            }
            if let (Some(asked), Some(max)) = (size, limits.max)
                && asked > max
            {
                bail!("`pagination.size` = {asked} is above `{what}`'s maximum page size {max}");
            }
        }
        let mut pointers: Vec<(&str, &String)> = ["page", "per_page", "total_pages", "total_count"]
            .into_iter()
            .zip(p.block())
            .filter_map(|(n, p)| Some((n, p?)))
            .collect();
        if let Some((_, next)) = p.token() {
            pointers.push(("next_token", next));
        }
        if let Some(past_end) = p.past_end() {
            pointers.push(("past_end.from", &past_end.from));
        }
        for (name, ptr) in pointers {
            pointer(&format!("pagination.{name}"), ptr)?;
        }
        if p.location() == ParamLocation::Body {
            let all = std::iter::once(&self.sites).chain(&self.inventory);
            if let Some(get) = all.into_iter().find(|e| e.method.eq_ignore_ascii_case("GET")) {
                bail!("`pagination.location = \"body\"` needs `POST` list endpoints; `{}` is a GET", get.path);
            }
        }
        if let Some(errors) = &self.errors {
            pointer("errors.flag", &errors.flag)?;
        }
        self.webhooks.validate(&pointer)?;
        if let Some(format) = &self.signature {
            format.validate().context("`signature` cannot work")?;
        }
        Ok(())
    }
}
