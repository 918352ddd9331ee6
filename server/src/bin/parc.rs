//! `parc`, the command line for IT ops and planners: see `parc --help`.

use clap::Parser;
use parc_server::cli::{run, Cli, CliError};
use std::process::ExitCode;

fn main() -> ExitCode {
    parc_server::init_logging("warn");
    let cli = Cli::parse();
    parc_server::block_on_main(run(cli), CliError::exit_code)
}
