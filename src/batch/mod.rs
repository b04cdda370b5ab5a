//! `batch`: the plan (counts, sweeps, params files, seeds, names), its file (`batch.json`), the
//! manifest (`batch.jsonl`), the scheduler (pure decisions), the runner (I/O), and the contact
//! sheet.

pub mod grid;
pub mod manifest;
pub mod page;
pub mod plan;
pub mod planfile;
pub mod run;
pub mod scheduler;
