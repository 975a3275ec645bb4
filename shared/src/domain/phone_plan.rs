//! Japan's telephone numbering plan: which national numbers are valid and how
//! they are conventionally hyphenated.
//!
//! The table is generated from libphonenumber's JP metadata (the `phonenumber`
//! crate) by `examples/phone_plan.rs`, and a test checks this module against the
//! crate on random numbers. Calling the crate at run time instead costs its
//! metadata load and regex compilation on the first number, ~300 ms measured on
//! this machine (see BENCHMARKS.md), which every Lambda cold start would pay;
//! the table costs a binary search.

#[path = "phone_plan_table.rs"]
mod table;

const PREFIX_DIGITS: usize = 6;
const INVALID: u8 = u8::MAX;

/// Hyphenates a national number (trunk 0 included, digits only) if it is a
/// valid Japanese number of 10 or 11 digits: "0662928811" → "06-6292-8811".
pub fn hyphenate(national: &str) -> Option<String> {
    let nsn = national.strip_prefix('0')?;
    if !nsn.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ranges: &[(u32, u8)] = match nsn.len() {
        9 => &table::NSN9,
        10 => &table::NSN10,
        _ => return None,
    };
    let prefix: u32 = nsn[..PREFIX_DIGITS].parse().ok()?;
    let index = ranges.partition_point(|(start, _)| *start <= prefix).checked_sub(1)?;
    let grouping = ranges[index].1;
    if grouping == INVALID {
        return None;
    }
    let mut out = String::with_capacity(national.len() + 2);
    let mut rest = national;
    for (i, len) in table::GROUPINGS[usize::from(grouping)].iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        let (group, tail) = rest.split_at(usize::from(*len));
        out.push_str(group);
        rest = tail;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use phonenumber::{Mode, country::Id};
    use proptest::prelude::*;

    /// libphonenumber's answer, minus the numbers it cannot hyphenate (0120 with
    /// 11 digits), which the generator leaves out on purpose.
    fn crate_says(national: &str) -> Option<String> {
        match phonenumber::parse(Some(Id::JP), national) {
            Ok(n) if n.is_valid() && n.country().id() == Some(Id::JP) => {
                Some(n.format().mode(Mode::National).to_string()).filter(|f| f.contains('-'))
            }
            _ => None,
        }
    }

    #[test]
    fn known_numbers() {
        let cases = [
            ("0662928811", Some("06-6292-8811")),
            ("0312345678", Some("03-1234-5678")),
            ("09012345678", Some("090-1234-5678")),
            ("0120123456", Some("0120-123-456")),
            ("08001234567", Some("0800-123-4567")),
            ("0155234567", Some("0155-23-4567")),
            ("01201234567", None),
            ("0662928", None),
            ("1662928811", None),
        ];
        for (national, want) in cases {
            assert_eq!(hyphenate(national).as_deref(), want, "{national}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        /// The generated table agrees with libphonenumber on validity and format.
        #[test]
        fn agrees_with_libphonenumber(nsn in "[1-9][0-9]{8,9}") {
            let national = format!("0{nsn}");
            prop_assert_eq!(hyphenate(&national), crate_says(&national));
        }
    }
}
