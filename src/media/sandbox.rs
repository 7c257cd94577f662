//! libav behind a wall. Probing a clip means parsing bytes that a camera, or whoever had the card,
//! wrote, with C demuxers; a demuxer bug must never reach the process that holds the ledger, the
//! store's immutable-flag capability and the station key. So the station probes each stored clip
//! in a child process, `camdock probe-clip` (hidden), which:
//!
//! - gets the clip as its stdin, opened read-only by the parent, and no path to open;
//! - lowers its limits first (address space, CPU time, no files written, few descriptors), then
//!   installs a seccomp allow-list before libav parses a byte: read and seek, memory (never
//!   executable), write to stdout and stderr only, exit. Every other call (open, socket, connect,
//!   exec, fork, ptrace, …) fails with EPERM;
//! - answers with one JSON line (`MediaFacts`) on stdout.
//!
//! A crash, a limit overrun, a hang (the parent's deadline) or an answer that does not parse makes
//! the clip's media facts `unknown: probe failed (…)`. The clip is stored all the same; the ingest
//! and the daemon go on.

use super::probe::{MediaFacts, probe_input};
use ffmpeg_next as ffmpeg;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The hidden subcommand the child runs.
pub const CHILD_COMMAND: &str = "probe-clip";
/// Test-only: makes the child misbehave after its wall is up (`abort`, `crash`, `hang`, `escape`:
/// try to open a file and a socket and report what happened).
pub const FAULT_ENV: &str = "CAMDOCK_PROBE_FAULT";
/// Where the camdock binary is, for library users whose own executable is not camdock (tests).
pub const HELPER_ENV: &str = "CAMDOCK_PROBE_HELPER";

/// The child's address-space limit: libav demuxing and opening decoders for stream facts needs a
/// few tens of MiB; a runaway allocation stops here.
const MEMORY_LIMIT: u64 = 1 << 30;

/// How long a probe may take: `base` (`media.probe_timeout`), plus a second for every 20 MiB (the
/// probe reads every packet; 4 GiB take a few seconds here, and a slow station gets plenty of room).
pub fn deadline_for(base: Duration, bytes: u64) -> Duration {
    base + Duration::from_secs(bytes / (20 << 20))
}

/// The camdock executable that serves as the probe child.
fn helper() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(HELPER_ENV) {
        return Some(PathBuf::from(p));
    }
    let me = std::env::current_exe().ok()?;
    let name = me.file_name()?.to_str()?;
    (name == "camdock" || name.starts_with("camdock.")).then_some(me)
}

/// Probes `path` in a walled-off child process; never panics, never hangs past the deadline.
pub fn probe_isolated(path: &Path, timeout: Duration) -> MediaFacts {
    let Some(helper) = helper() else {
        return MediaFacts::probe_failed(format!(
            "no camdock executable to probe in (set {HELPER_ENV})"
        ));
    };
    let clip = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return MediaFacts::probe_failed(format!("cannot open the stored clip: {e}")),
    };
    let deadline = deadline_for(timeout, clip.metadata().map(|m| m.len()).unwrap_or(0));
    let child = Command::new(&helper)
        .arg(CHILD_COMMAND)
        .arg(deadline.as_secs().max(1).to_string())
        .stdin(clip)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env_clear()
        .envs(std::env::var_os(FAULT_ENV).map(|v| (FAULT_ENV, v)))
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return MediaFacts::probe_failed(format!("cannot start {}: {e}", helper.display()));
        }
    };
    // The answer is a few hundred bytes: read it on a thread so the deadline below holds even
    // if the child stalls mid-write.
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut answer = Vec::new();
        let _ = (&mut stdout).take(1 << 20).read_to_end(&mut answer);
        answer
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!(
                    "no answer within {} s; stopped",
                    deadline.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => break Err(format!("cannot wait for the probe: {e}")),
        }
    };
    let answer = reader.join().unwrap_or_default();
    match status {
        Err(why) => MediaFacts::probe_failed(why),
        Ok(s) if s.success() => serde_json::from_slice(&answer).unwrap_or_else(|e| {
            MediaFacts::probe_failed(format!("its answer does not parse: {e}"))
        }),
        Ok(s) => MediaFacts::probe_failed(match s.signal() {
            Some(sig) => format!(
                "the probe was killed by signal {sig} ({})",
                signal_name(sig)
            ),
            None => format!("the probe exited with {}", s.code().unwrap_or(-1)),
        }),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGSEGV => "a crash",
        libc::SIGABRT => "an abort",
        libc::SIGXCPU => "its CPU time limit",
        libc::SIGKILL => "killed",
        libc::SIGSYS => "a forbidden system call",
        _ => "a signal",
    }
}

/// The child: `camdock probe-clip <cpu seconds>`, the clip on stdin. Returns the exit code.
pub fn run_child(cpu_seconds: u64) -> i32 {
    if let Err(e) = limit(cpu_seconds) {
        eprintln!("probe-clip: {e}");
        return 3;
    }
    super::init();
    let io = match CustomIo::on_stdin() {
        Ok(io) => io,
        Err(e) => {
            eprintln!("probe-clip: {e}");
            return 3;
        }
    };
    if let Err(e) = wall() {
        eprintln!("probe-clip: cannot install its seccomp filter: {e}");
        return 3;
    }
    match std::env::var(FAULT_ENV).as_deref() {
        Ok("abort") => std::process::abort(),
        // SAFETY: none; this is the crash a demuxer bug would cause (a write through null).
        Ok("crash") => unsafe { std::ptr::null_mut::<u8>().write_volatile(1) },
        Ok("hang") => loop {
            std::hint::spin_loop();
        },
        Ok("escape") => {
            println!("{}", escape_attempts());
            return 0;
        }
        _ => {}
    }
    let facts = match io.open() {
        Ok(input) => probe_input(input),
        Err(e) => MediaFacts::not_media(e),
    };
    println!(
        "{}",
        serde_json::to_string(&facts).expect("plain values serialise")
    );
    0
}

/// What a probe that a demuxer bug took over could still do: open a file, open a socket.
fn escape_attempts() -> String {
    let open = std::fs::File::open("/etc/hostname")
        .map(|_| ())
        .map_err(|e| e.raw_os_error());
    let socket = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
    let socket_errno = std::io::Error::last_os_error().raw_os_error();
    serde_json::json!({
        "open": match open { Ok(()) => "opened".to_string(), Err(e) => format!("errno {}", e.unwrap_or(0)) },
        "socket": if socket >= 0 { "opened".to_string() } else { format!("errno {}", socket_errno.unwrap_or(0)) },
    })
    .to_string()
}

/// rlimits: bounded memory and CPU, no file may grow, no new descriptors beyond the few open.
fn limit(cpu_seconds: u64) -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let set = |r, n: u64| {
        setrlimit(
            r,
            Rlimit {
                current: Some(n),
                maximum: Some(n),
            },
        )
        .map_err(std::io::Error::from)
    };
    set(Resource::As, MEMORY_LIMIT)?;
    // The soft limit a second below the hard one: the kernel sends SIGXCPU at the soft limit
    // (named "its CPU time limit") and SIGKILL at the hard one, but with the two equal it sends
    // SIGKILL first, and a probe that spun out its time was reported as merely "killed" (seen in
    // `./dev test`: tests/probe_wall.rs, the hanging probe, when the CPU limit beat the deadline).
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(cpu_seconds.max(1)),
            maximum: Some(cpu_seconds.max(1) + 1),
        },
    )
    .map_err(std::io::Error::from)?;
    set(Resource::Fsize, 0)?;
    set(Resource::Nofile, 8)?;
    set(Resource::Core, 0)?;
    Ok(())
}

/// The seccomp allow-list; everything else fails with EPERM.
fn wall() -> Result<(), Box<dyn std::error::Error>> {
    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen as Len, SeccompCmpOp as Op, SeccompCondition,
        SeccompFilter, SeccompRule,
    };
    use std::collections::BTreeMap;
    let arg = |index, op, value| SeccompCondition::new(index, Len::Qword, op, value);
    // Memory may be mapped and protected, never made executable.
    let no_exec = |index| -> Result<Vec<SeccompRule>, seccompiler::BackendError> {
        Ok(vec![SeccompRule::new(vec![arg(
            index,
            Op::MaskedEq(libc::PROT_EXEC as u64),
            0,
        )?])?])
    };
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for call in [
        libc::SYS_read,
        libc::SYS_pread64,
        libc::SYS_lseek,
        libc::SYS_fstat,
        libc::SYS_munmap,
        libc::SYS_mremap,
        libc::SYS_brk,
        libc::SYS_madvise,
        libc::SYS_futex,
        libc::SYS_clock_gettime,
        libc::SYS_rt_sigreturn,
        libc::SYS_rt_sigprocmask,
        libc::SYS_sigaltstack,
        libc::SYS_exit,
        libc::SYS_exit_group,
    ] {
        rules.insert(call, vec![]);
    }
    // abort() (libav's failed assertions) signals its own thread: allowed for this process only.
    for call in [libc::SYS_getpid, libc::SYS_gettid, libc::SYS_rt_sigaction] {
        rules.insert(call, vec![]);
    }
    rules.insert(
        libc::SYS_tgkill,
        vec![SeccompRule::new(vec![arg(
            0,
            Op::Eq,
            std::process::id() as u64,
        )?])?],
    );
    rules.insert(libc::SYS_mmap, no_exec(2)?);
    rules.insert(libc::SYS_mprotect, no_exec(2)?);
    // Writes only to stdout (the answer) and stderr.
    rules.insert(
        libc::SYS_write,
        vec![SeccompRule::new(vec![
            arg(0, Op::Ge, 1)?,
            arg(0, Op::Le, 2)?,
        ])?],
    );
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Errno(libc::EPERM as u32),
        SeccompAction::Allow,
        std::env::consts::ARCH.try_into()?,
    )?;
    let program: BpfProgram = filter.try_into()?;
    seccompiler::apply_filter(&program)?;
    Ok(())
}

/// libav reading the clip from stdin (an open, read-only, seekable file) through read and lseek,
/// so it never needs to open anything.
struct CustomIo {
    context: *mut ffmpeg::ffi::AVFormatContext,
}

const STDIN: libc::c_int = 0;

unsafe extern "C" fn read_stdin(
    _: *mut libc::c_void,
    buf: *mut u8,
    size: libc::c_int,
) -> libc::c_int {
    let n = unsafe { libc::read(STDIN, buf.cast(), size.max(0) as usize) };
    match n {
        0 => ffmpeg::ffi::AVERROR_EOF,
        n if n < 0 => -std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
        n => n as libc::c_int,
    }
}

unsafe extern "C" fn seek_stdin(_: *mut libc::c_void, offset: i64, whence: libc::c_int) -> i64 {
    if whence & ffmpeg::ffi::AVSEEK_SIZE as libc::c_int != 0 {
        let here = unsafe { libc::lseek(STDIN, 0, libc::SEEK_CUR) };
        let size = unsafe { libc::lseek(STDIN, 0, libc::SEEK_END) };
        unsafe { libc::lseek(STDIN, here, libc::SEEK_SET) };
        return size;
    }
    let whence = whence & !(ffmpeg::ffi::AVSEEK_FORCE as libc::c_int);
    unsafe { libc::lseek(STDIN, offset, whence) }
}

impl CustomIo {
    /// Allocates the context before the wall goes up (allocation only; nothing is parsed yet).
    fn on_stdin() -> Result<CustomIo, String> {
        const BUFFER: usize = 64 * 1024;
        unsafe {
            let buffer = ffmpeg::ffi::av_malloc(BUFFER) as *mut u8;
            let pb = ffmpeg::ffi::avio_alloc_context(
                buffer,
                BUFFER as libc::c_int,
                0,
                std::ptr::null_mut(),
                Some(read_stdin),
                None,
                Some(seek_stdin),
            );
            let context = ffmpeg::ffi::avformat_alloc_context();
            if buffer.is_null() || pb.is_null() || context.is_null() {
                return Err("libav could not allocate its context".into());
            }
            (*context).pb = pb;
            (*context).flags |= ffmpeg::ffi::AVFMT_FLAG_CUSTOM_IO as libc::c_int;
            Ok(CustomIo { context })
        }
    }

    /// Opens the clip as media: probes its format and reads its header (behind the wall).
    fn open(self) -> Result<ffmpeg::format::context::Input, String> {
        let mut context = self.context;
        let r = unsafe {
            ffmpeg::ffi::avformat_open_input(
                &mut context,
                std::ptr::null(),
                std::ptr::null(),
                std::ptr::null_mut(),
            )
        };
        if r < 0 {
            // avformat_open_input frees the context on failure.
            return Err(format!(
                "libav cannot open it as media: {}",
                ffmpeg::Error::from(r)
            ));
        }
        // As ffmpeg-next's own `format::input` does after opening.
        let r = unsafe { ffmpeg::ffi::avformat_find_stream_info(context, std::ptr::null_mut()) };
        let input = unsafe { ffmpeg::format::context::Input::wrap(context) };
        if r < 0 {
            return Err(format!(
                "libav cannot open it as media: {}",
                ffmpeg::Error::from(r)
            ));
        }
        Ok(input)
    }
}
