// The default catalog is compiled in (catalog/): rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-changed=../../catalog");
}
