//! The command layer, on top of the stages: the command line ([`cli`]), the `decode` and
//! `analyze` commands, the options they share ([`RunOptions`]), key-file loading, the driver
//! that feeds one input through ingest and decoding ([`pipeline`]), the progress bar and every
//! exit status ([`exit`]). Nothing below imports it.

pub mod analyze;
pub mod cli;
pub mod decode;
pub mod exit;
pub mod keyfiles;
mod options;
mod parts;
pub mod pipeline;
mod same_capture;
pub mod separate;
mod timings;

pub use exit::Outcome;
pub use options::{Format, RunOptions};

/// Run `ikescope` with the process arguments and return its exit status.
pub fn main() -> std::process::ExitCode {
    exit::exit_code(cli::run_from_args())
}
