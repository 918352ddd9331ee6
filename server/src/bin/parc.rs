//! `parc`, the command line for IT ops and planners: see `parc --help`.

use clap::Parser;
use parc_server::cli::{run, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    parc_server::init_logging("warn");
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            error.exit_code()
        }
    }
}
