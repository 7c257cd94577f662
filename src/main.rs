fn main() {
    keep_large_buffers_out_of_the_heap();
    let mut args = std::env::args();
    if args.nth(1).as_deref() == Some(camdock::media::sandbox::CHILD_COMMAND) {
        // The walled-off media probe (media/sandbox.rs): no config, no logging, nothing opened.
        std::process::exit(camdock::media::sandbox::run_child());
    }
    std::process::exit(camdock::cli::main());
}

/// Every buffer of 128 KiB or more (copy buffers, libav's packets) is mapped from the kernel
/// and returned to it when freed. glibc otherwise raises that threshold each time such a buffer
/// is freed, after which big buffers are carved from per-thread heaps that keep their pages:
/// the daemon then grew by a few MiB per dock (measured: +24.6 MiB over 10 docks of real video,
/// +1.6 MiB with the threshold fixed; `cargo bench --bench soak`).
fn keep_large_buffers_out_of_the_heap() {
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
