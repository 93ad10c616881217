//! Every exit status of `ikescope` is decided here (clap's own usage errors aside, which also
//! exit 2).

use std::process::ExitCode;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every input was read and (analyze) no error or warning finding was made: exit 0.
    Clean,
    /// analyze: at least one error or warning finding among the reported tunnels: exit 1.
    Findings,
    /// An input or a `--keys` file could not be read: exit 2.
    Unreadable,
}

impl Outcome {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Clean => 0,
            Outcome::Findings => 1,
            Outcome::Unreadable => 2,
        }
    }
}

/// The exit status of a command's result; a command that failed (e.g. writing its report) is
/// reported on stderr and exits 2, like an unreadable input.
pub fn exit_code(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(e) => {
            eprintln!("ikescope: {e:#}");
            ExitCode::from(Outcome::Unreadable.code())
        }
    }
}
