use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct ReportArgs {
    /// The ledger's JSONL file (`usage.jsonl_path`) or a CSV export (`export_csv`).
    file: PathBuf,
    /// Where to write the HTML report.
    #[arg(short, long, default_value = "kestrel-report.html")]
    output: PathBuf,
}

/// Renders the self-contained HTML usage report from a JSONL ledger or a CSV export.
pub fn run(args: ReportArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let records =
        kestrel_router::usage::read_records(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    kestrel_router::usage::write_report(&records, &args.output)
        .map_err(|e| format!("{}: {e}", args.output.display()))?;
    let size = std::fs::metadata(&args.output)?.len();
    eprintln!("{} records -> {} ({} KB)", records.len(), args.output.display(), size.div_ceil(1024));
    Ok(ExitCode::SUCCESS)
}
