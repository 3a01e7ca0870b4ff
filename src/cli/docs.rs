//! `till completions SHELL` and `till man`: generated from the clap
//! definitions in [`super::Cli`].

use crate::outln;
use std::path::Path;
use std::process::ExitCode;

use crate::cli::output::write_stdout;

/// `till completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut super::command(), "till", &mut script);
    write_stdout(format_args!("{}", String::from_utf8_lossy(&script)));
    Ok(ExitCode::SUCCESS)
}

/// `till man [--dir DIR]`.
pub fn man(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(super::command(), dir)?;
            outln!("{}", dir.display());
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(super::command()).render(&mut page)?;
            write_stdout(format_args!("{}", String::from_utf8_lossy(&page)));
        }
    }
    Ok(ExitCode::SUCCESS)
}
