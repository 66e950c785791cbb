//! lockwatch: see `lockwatch::commands` for the command line, and the README.

fn main() -> std::process::ExitCode {
    lockwatch::commands::main()
}
