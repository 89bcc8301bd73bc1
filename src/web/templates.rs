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

fn build() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    // Templates are checked at start-up (see `check`), so a failure here is a build bug.
    if let Err(e) = hb.register_embed_templates_with_extension::<TemplateFiles>(".hbs") {
        tracing::error!(error = %e, "a template does not compile");
    }
    hb
}

/// The registry; templates are compiled on first use.
pub fn registry() -> &'static Handlebars<'static> {
    REGISTRY.get_or_init(build)
}

/// Compiles every template, reporting the first that fails (called at start-up).
pub fn check() -> anyhow::Result<()> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_embed_templates_with_extension::<TemplateFiles>(".hbs")
        .map_err(|e| anyhow::anyhow!("a template does not compile: {e}"))?;
    let _ = registry();
    Ok(())
}

pub fn render<T: Serialize>(name: &str, context: &T) -> Result<String, handlebars::RenderError> {
    registry().render(name, context)
}
