fn main() {
    std::process::exit(camdock::cli::main());
}
