fn main() {
    let mut args = std::env::args();
    if args.nth(1).as_deref() == Some(camdock::media::sandbox::CHILD_COMMAND) {
        // The walled-off media probe (media/sandbox.rs): no config, no logging, nothing opened.
        keep_large_buffers_in_the_heap();
        std::process::exit(camdock::media::sandbox::run_child());
    }
    keep_large_buffers_out_of_the_heap();
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

/// The probe child, the other way round: libav's big buffers of one clip (decoder contexts, frame
/// pools) are freed and allocated again for the next, and taken fresh from the kernel each time
/// they cost page faults and zeroing that made up most of the probe of a one-second clip (perf:
/// `clear_page`, `do_anonymous_page`). Kept in the heap, they are reused; the child's memory is
/// bounded by its rlimits (`media/sandbox.rs`) and it is replaced every thousand clips.
fn keep_large_buffers_in_the_heap() {
    // SAFETY: as above.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}
