//! The `faqbot` binary: everything lives in the library; see `faqbot::cli`.

fn main() -> std::process::ExitCode {
    faqbot::cli::main()
}
