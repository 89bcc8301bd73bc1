//! The handlebars templates, embedded in the binary and registered once, in strict mode
//! (a missing variable is an error, not an empty string). Handlebars escapes HTML by
//! default; templates never use triple braces for user data.

use std::sync::OnceLock;

use handlebars::Handlebars;
use rust_embed::RustEmbed;
use serde::Serialize;

pub const SERVICE_NAME: &str = "Outcomes";

#[derive(RustEmbed)]
#[folder = "templates/"]
#[include = "*.hbs"]
struct TemplateFiles;

static REGISTRY: OnceLock<Handlebars<'static>> = OnceLock::new();

fn build() -> Result<Handlebars<'static>, handlebars::TemplateError> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_embed_templates_with_extension::<TemplateFiles>(".hbs")?;
    Ok(hb)
}

/// The registry, compiled once. `check` runs at start-up, so a template that does not
/// compile stops the service there; should it not have run, the first use logs the error
/// and every render then fails as a missing template (a 500), never silently.
pub fn registry() -> &'static Handlebars<'static> {
    REGISTRY.get_or_init(|| {
        build().unwrap_or_else(|e| {
            tracing::error!(error = %e, "a template does not compile");
            let mut hb = Handlebars::new();
            hb.set_strict_mode(true);
            hb
        })
    })
}

/// Compiles every template once, reporting the first that fails (called at start-up).
pub fn check() -> anyhow::Result<()> {
    if REGISTRY.get().is_none() {
        let hb = build().map_err(|e| anyhow::anyhow!("a template does not compile: {e}"))?;
        // Another thread may have filled it meanwhile; either registry is the same.
        let _ = REGISTRY.set(hb);
    }
    Ok(())
}

pub fn render<T: Serialize>(name: &str, context: &T) -> Result<String, handlebars::RenderError> {
    registry().render(name, context)
}
