//! lockwatch: see `lockwatch::commands` for the command line, and the README.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    lockwatch::commands::main()
}
