//! The encoding of readings in the table: one byte per character, ASCII as
//! itself, U+30A0..=U+30FF (katakana, ・, ー) as 0x80..=0xDF, anything else as
//! [`ESCAPE`] then its UTF-8 bytes.
//!
//! Only decoding lives here, since only the reader runs in the functions; the
//! importer's writer (`xtask/src/postal/writer.rs`) encodes, from the constants
//! below.

/// The first code point of the one-byte range; it is stored as 0x80.
pub const KATAKANA_BASE: u32 = 0x30A0;
/// The last code point of the one-byte range (0xDF).
pub const KATAKANA_LAST: u32 = 0x30FF;
/// The byte before a character outside the one-byte range, stored as UTF-8.
pub const ESCAPE: u8 = 0xFF;

/// Hands the UTF-8 text to `write` in chunks, without allocating.
pub fn decode<E>(bytes: &[u8], mut write: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
    let mut buf = [0u8; 96];
    let mut len = 0;
    let mut i = 0;
    while i < bytes.len() {
        if len + 4 > buf.len() {
            write(std::str::from_utf8(&buf[..len]).expect("decoded kana is UTF-8"))?;
            len = 0;
        }
        let b = bytes[i];
        i += 1;
        match b {
            0..=0x7F => {
                buf[len] = b;
                len += 1;
            }
            ESCAPE => {
                let width = utf8_width(bytes.get(i).copied().unwrap_or(0));
                let end = (i + width).min(bytes.len());
                buf[len..len + (end - i)].copy_from_slice(&bytes[i..end]);
                len += end - i;
                i = end;
            }
            _ => {
                let c = char::from_u32(KATAKANA_BASE + u32::from(b - 0x80)).unwrap_or('\u{FFFD}');
                len += c.encode_utf8(&mut buf[len..]).len();
            }
        }
    }
    write(std::str::from_utf8(&buf[..len]).unwrap_or("\u{FFFD}"))
}

fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8]) -> String {
        let mut text = String::new();
        decode(bytes, |s| {
            text.push_str(s);
            Ok::<_, ()>(())
        })
        .unwrap();
        text
    }

    /// Bytes written by hand from the encoding above, independent of the writer's
    /// encoder (whose round trip is tested in xtask).
    #[test]
    fn decoding_follows_the_documented_bytes() {
        assert_eq!(decoded(b""), "");
        // ウ (U+30A6) ー (U+30FC) ・ (U+30FB), ASCII in between.
        assert_eq!(decoded(&[0x86, 0xDC, b'(', 0xDB, b')']), "ウー(・)");
        // あ (3 bytes) and 𠮷 (4 bytes) behind the escape.
        assert_eq!(decoded(&[ESCAPE, 0xE3, 0x81, 0x82, 0x8A, ESCAPE, 0xF0, 0xA0, 0xAE, 0xB7]), "あオ𠮷");
        // Longer than one chunk of the decoder's buffer.
        assert_eq!(decoded(&[0x82; 200]), "ア".repeat(200));
    }
}
