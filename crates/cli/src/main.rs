fn main() {
    println!("berth: under construction");
}
