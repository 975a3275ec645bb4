// The form's files are embedded with include_dir!, which cargo does not track:
// rebuild whenever anything under web/ changes.
fn main() {
    println!("cargo:rerun-if-changed=../../web");
}
