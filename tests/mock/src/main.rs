//! `kestrel-mock [--port N] [--script FILE.json]`: the mock provider as a process, for the
//! Python and Node tests and for `kestrel demo`. Prints one line with its URL, then serves
//! until killed.

use std::io::Write;
use std::process::ExitCode;

use kestrel_mock::Script;

const USAGE: &str = "usage: kestrel-mock [--port N] [--script FILE.json]";

struct Args {
    port: u16,
    script: Script,
}

fn parse_args() -> Result<Args, String> {
    let mut port = 0;
    let mut script = Script::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value =
            |name: &str| inline.clone().or_else(|| args.next()).ok_or_else(|| format!("{name} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--port" => {
                let v = value("--port")?;
                port = v.parse().map_err(|_| format!("bad port: {v}"))?;
            }
            "--script" => {
                let path = value("--script")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
                script = Script::from_json(&text).map_err(|e| format!("bad script {path}: {e}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument: {other}\n{USAGE}")),
        }
    }
    Ok(Args { port, script })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kestrel-mock: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
        let addr = listener.local_addr()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "kestrel-mock listening on http://{addr}")?;
        stdout.flush()?;
        drop(stdout);
        kestrel_mock::serve(listener, args.script).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kestrel-mock: {e}");
            ExitCode::FAILURE
        }
    }
}
