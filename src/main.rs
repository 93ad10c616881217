fn main() {
    println!("ikescope");
}
