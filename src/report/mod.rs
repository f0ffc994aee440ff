//! Stage 5: render a report.

pub mod human;
pub mod json;

use crate::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Options that change how a report looks, never what it says.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    /// Terminal width for wrapping human output.
    pub width: usize,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: 100,
        }
    }
}

pub fn render(report: &Report, format: Format, style: Style) -> String {
    match format {
        Format::Human => human::render(report, style),
        Format::Json => json::render(report),
    }
}
