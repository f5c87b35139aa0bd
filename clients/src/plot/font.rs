//! The font every chart's text is drawn with: DejaVu Sans, committed at
//! `clients/assets/fonts/DejaVuSans.ttf` (written by
//! `scripts/fetch-font.sh` from Debian's `fonts-dejavu-core`, licence in
//! `clients/assets/fonts/LICENSE`) and built into the binary, so a chart
//! looks the same on every machine and needs no system font.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use super::PlotError;

/// The font file's bytes.
pub const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The family names it is registered under: plotters' default, so axis
/// labels use it too, and its own.
pub const FAMILIES: [&str; 2] = ["sans-serif", "DejaVu Sans"];

/// Registers [`FONT`] with plotters, once per process.
pub fn register() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = REGISTERED.get_or_init(|| {
        FAMILIES
            .iter()
            .all(|family| register_font(family, FontStyle::Normal, FONT).is_ok())
    });
    match registered {
        true => Ok(()),
        false => Err(PlotError::Font),
    }
}
