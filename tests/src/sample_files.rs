//! Small, valid files for the documents tests and screenshots: what an
//! applicant uploads (a PDF, a PNG), and what must be refused (an executable
//! renamed to `.pdf`).

use base64::Engine as _;

/// A one-page PDF that any reader opens: a catalog, a page with one line of
/// text, and a cross-reference table with the objects' true offsets.
pub fn pdf() -> Vec<u8> {
    let text = "BT /F1 24 Tf 72 760 Td (Partner registration: certificate) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (n, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", n + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    pdf
}

/// A valid 1×1 PNG (signature, IHDR, IDAT and IEND with their CRCs).
pub fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
        .expect("a PNG")
}

/// An executable's first bytes (ELF, 64-bit, little-endian), padded to 4 KiB:
/// what a program renamed to `.pdf` begins with.
pub fn elf() -> Vec<u8> {
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.resize(4096, 0);
    elf
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_begins_with_its_signature() {
        assert!(super::pdf().starts_with(b"%PDF-"));
        assert!(super::pdf().ends_with(b"%%EOF\n"));
        assert!(super::png().starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(super::elf().starts_with(b"\x7fELF"));
    }

    /// The cross-reference table points at each object.
    #[test]
    fn the_pdf_offsets_are_true() {
        let pdf = super::pdf();
        let text = String::from_utf8_lossy(&pdf);
        let xref = text.find("xref\n").unwrap();
        for (n, line) in text[xref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{} 0 obj", n + 1).as_bytes()), "object {}", n + 1);
        }
    }
}
