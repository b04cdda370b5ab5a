//! `batch`: the plan (counts, sweeps, params files, seeds, names), its file (`batch.json`), the
//! manifest (`batch.jsonl`), the scheduler (pure decisions), the runner (I/O), the contact
//! sheet and the report page.

pub mod grid;
pub mod live_page;
pub mod manifest;
pub mod page;
pub mod plan;
pub mod planfile;
pub mod run;
pub mod scheduler;
