//! The parts of `batch` that are not about talking to servers: the plan (counts, sweeps,
//! params files, seeds, folder names), the manifest, and the contact sheet.

pub mod grid;
pub mod manifest;
pub mod page;
pub mod plan;
