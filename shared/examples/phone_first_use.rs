//! Measures what the first phone number costs a cold process, through the
//! generated table (what `Phone::parse` uses) and through the `phonenumber`
//! crate directly, in the same run:
//!
//!     cargo run --release -p shared --example phone_first_use
//!
//! Each figure is the median of 15 fresh processes (the crate's metadata is
//! loaded once per process, so the first number must be timed in a new one).

use phonenumber::{Mode, country::Id};
use shared::domain::Phone;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn table_once() -> (Duration, Duration) {
    let start = Instant::now();
    let phone = Phone::parse("06-6292-8811").expect("valid");
    let first = start.elapsed();
    assert_eq!(phone.as_str(), "06-6292-8811");
    let start = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(Phone::parse(std::hint::black_box("090-1234-5678")).is_ok());
    }
    (first, start.elapsed() / 1000)
}

fn crate_once() -> (Duration, Duration) {
    let format = |national: &str| {
        let number = phonenumber::parse(Some(Id::JP), national).expect("parses");
        assert!(number.is_valid());
        number.format().mode(Mode::National).to_string()
    };
    let start = Instant::now();
    let formatted = format("0662928811");
    let first = start.elapsed();
    assert_eq!(formatted, "06-6292-8811");
    let start = Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(format(std::hint::black_box("09012345678")));
    }
    (first, start.elapsed() / 1000)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    if let Some(which) = std::env::args().nth(1) {
        let (first, steady) = if which == "table" { table_once() } else { crate_once() };
        println!("{} {}", first.as_nanos(), steady.as_nanos());
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    for which in ["table", "crate"] {
        let (mut firsts, mut steadies) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let out = Command::new(&exe).arg(which).output().expect("child");
            let text = String::from_utf8(out.stdout).expect("utf-8");
            let mut parts = text.split_whitespace().map(|n| n.parse::<u64>().expect("number"));
            firsts.push(Duration::from_nanos(parts.next().expect("first")));
            steadies.push(Duration::from_nanos(parts.next().expect("steady")));
        }
        println!(
            "{which:>5}: first number in a fresh process {:>12?} (median of {RUNS}), then {:>10?} per number",
            median(firsts),
            median(steadies)
        );
    }
}
