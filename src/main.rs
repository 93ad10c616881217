//! The `ikescope` binary: everything it does is in [`ikescope::app`].
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    ikescope::app::main()
}
