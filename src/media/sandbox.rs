//! libav behind a wall. Probing a clip means parsing bytes that a camera, or whoever had the card,
//! wrote, with C demuxers; a demuxer bug must never reach the process that holds the ledger, the
//! store's immutable-flag capability and the station key. So the station probes stored clips in a
//! child process, `camdock probe-clip` (hidden), which:
//!
//! - gets each clip as a descriptor, opened read-only by the parent and passed over a socket (its
//!   stdin) with the CPU seconds the clip may take, and no path to open;
//! - lowers its limits first (address space, CPU time, no files written, few descriptors), then
//!   installs a seccomp allow-list before libav parses a byte: receive the next clip on its socket,
//!   read and seek, close, memory (never executable), its own CPU limit, write to stdout and
//!   stderr only, exit. Every other call (open, socket, connect, exec, fork, ptrace, …) fails with
//!   EPERM;
//! - answers each clip with one JSON line (`MediaFacts`) on stdout.
//!
//! The child stays up (one per ingest session, on the thread that probes): it probes clip after
//! clip, so a card of many short clips pays one process start, not one per clip (35–70 ms each:
//! 2,000 tiny clips took 100 s of probe starts alone). Each clip gets its own CPU allowance (the
//! soft limit raised by it before the clip); a crash, a limit overrun, a hang (the parent's
//! deadline) or an answer that does not parse makes that clip's media facts `unknown: probe failed
//! (…)`, and the next clip gets a fresh child. The clip is stored all the same; the ingest and the
//! daemon go on.

use super::probe::{MediaFacts, probe_input};
use ffmpeg_next as ffmpeg;
use std::cell::RefCell;
use std::io::{BufRead, BufReader, IoSlice};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// The hidden subcommand the child runs.
pub const CHILD_COMMAND: &str = "probe-clip";
/// Test-only: makes the child misbehave after its wall is up (`abort`, `crash`, `hang`, `escape`:
/// try to open a file and a socket and report what happened; `crash-on-second`: crash on the
/// second clip a child probes, as a demuxer bug met mid-card would).
pub const FAULT_ENV: &str = "CAMDOCK_PROBE_FAULT";
/// Where the camdock binary is, for library users whose own executable is not camdock (tests).
pub const HELPER_ENV: &str = "CAMDOCK_PROBE_HELPER";

/// The child's address-space limit: libav demuxing and opening decoders for stream facts needs a
/// few tens of MiB; a runaway allocation stops here.
const MEMORY_LIMIT: u64 = 1 << 30;
/// The child's CPU time over its whole life (the hard limit; each clip's allowance is a soft limit
/// below it). Probing a clip takes milliseconds: a child reaches this only by clips that each ran
/// out their allowance, and each of those was killed (and the child replaced) at the time.
const LIFETIME_CPU_SECONDS: u64 = 3600;
/// A child is replaced after this many clips all the same, so nothing a long card's probes leave
/// behind in it (libav's caches, a heap grown by one huge clip) accumulates for ever.
const CLIPS_PER_CHILD: u64 = 1000;

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

/// Hands the child one clip: its descriptor (SCM_RIGHTS) and, as the message, the CPU seconds it
/// may take. Public for the tests that talk to the child directly.
pub fn send_clip(
    socket: &UnixStream,
    clip: &std::fs::File,
    cpu_seconds: u64,
) -> std::io::Result<()> {
    use rustix::net::{SendAncillaryBuffer, SendAncillaryMessage, SendFlags, sendmsg};
    let fds = [clip.as_fd()];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    control.push(SendAncillaryMessage::ScmRights(&fds));
    let allowance = cpu_seconds.to_le_bytes();
    // NOSIGNAL: a child that died between clips (killed from outside) must cost an EPIPE here,
    // never a SIGPIPE to the daemon (seen: the station's process killed by it).
    sendmsg(
        socket,
        &[IoSlice::new(&allowance)],
        &mut control,
        SendFlags::NOSIGNAL,
    )?;
    Ok(())
}

/// A running child and the lines it answers with (read on a thread, so a deadline holds even if
/// the child stalls mid-line).
struct ProbeChild {
    process: Child,
    socket: UnixStream,
    answers: Receiver<std::io::Result<String>>,
    clips: u64,
}

impl ProbeChild {
    fn start() -> Result<ProbeChild, String> {
        let helper = helper()
            .ok_or_else(|| format!("no camdock executable to probe in (set {HELPER_ENV})"))?;
        let (ours, theirs) =
            UnixStream::pair().map_err(|e| format!("cannot make the probe's socket: {e}"))?;
        let mut process = Command::new(&helper)
            .arg(CHILD_COMMAND)
            .stdin(OwnedFd::from(theirs))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_clear()
            .envs(std::env::var_os(FAULT_ENV).map(|v| (FAULT_ENV, v)))
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", helper.display()))?;
        let stdout = process.stdout.take().expect("piped");
        let (tx, answers) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(ProbeChild {
            process,
            socket: ours,
            answers,
            clips: 0,
        })
    }

    /// Hands it one clip; Err: why the child failed on it (the child is then gone).
    fn send(&mut self, clip: &std::fs::File, deadline: Duration) -> Result<(), String> {
        self.clips += 1;
        send_clip(&self.socket, clip, deadline.as_secs().max(1))
            .map_err(|e| self.gone(format!("cannot hand it the clip: {e}")))
    }

    /// The facts of the clip it was handed, or why it failed on it (the child is then gone).
    fn answer(&mut self, deadline: Duration) -> Result<MediaFacts, String> {
        match self.answers.recv_timeout(deadline) {
            Ok(Ok(line)) => serde_json::from_str(&line)
                .map_err(|e| self.gone(format!("its answer does not parse: {e}"))),
            Ok(Err(e)) => Err(self.gone(format!("its answer could not be read: {e}"))),
            Err(RecvTimeoutError::Timeout) => {
                // (`gone` stops it.)
                Err(self.gone(format!(
                    "no answer within {} s; stopped",
                    deadline.as_secs()
                )))
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.gone(String::new())),
        }
    }

    /// The child ended (or was stopped): why, from its exit status when `why` is empty.
    fn gone(&mut self, why: String) -> String {
        let _ = self.process.kill();
        let status = self.process.wait();
        if !why.is_empty() {
            return why;
        }
        match status {
            Ok(s) => match s.signal() {
                Some(sig) => format!(
                    "the probe was killed by signal {sig} ({})",
                    signal_name(sig)
                ),
                None => format!("the probe exited with {}", s.code().unwrap_or(-1)),
            },
            Err(e) => format!("cannot wait for the probe: {e}"),
        }
    }
}

impl Drop for ProbeChild {
    fn drop(&mut self) {
        // Between clips the child waits on its socket: it sees the end of it and exits.
        let _ = rustix::net::shutdown(&self.socket, rustix::net::Shutdown::Both);
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

thread_local! {
    /// This thread's probe child: an ingest session probes on its finisher thread, so each
    /// session (and each dock at once) has its own, gone with the thread.
    static CHILD: RefCell<Option<ProbeChild>> = const { RefCell::new(None) };
}

/// Probes `path` in a walled-off child process; never panics, never hangs past the deadline.
pub fn probe_isolated(path: &Path, timeout: Duration) -> MediaFacts {
    start_probe(path, timeout).wait()
}

/// A clip handed to this thread's probe child whose answer is not read yet: meanwhile the caller
/// seals the next clip or commits the last (`ingest::session`), so the child's libav work and the
/// station's fsyncs overlap. One at a time per thread: `wait` for it before starting another.
#[must_use = "the probe's answer must be waited for"]
pub struct PendingProbe {
    clip: Option<std::fs::File>,
    deadline: Duration,
    /// Known already: the clip could not be opened or handed over.
    known: Option<MediaFacts>,
}

/// Ends this thread's probe child, if it has one: a thread that probes now and then (the daemon's
/// chores) does not keep an idle child between its turns.
pub fn stop_probe_child() {
    CHILD.with_borrow_mut(|slot| *slot = None);
}

/// Hands the clip at `path` to this thread's probe child (started, or replaced, as needed).
pub fn start_probe(path: &Path, timeout: Duration) -> PendingProbe {
    let clip = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return PendingProbe {
                clip: None,
                deadline: timeout,
                known: Some(MediaFacts::probe_failed(format!(
                    "cannot open the stored clip: {e}"
                ))),
            };
        }
    };
    let deadline = deadline_for(timeout, clip.metadata().map(|m| m.len()).unwrap_or(0));
    let known = CHILD.with_borrow_mut(|slot| {
        if slot.as_ref().is_some_and(|c| c.clips >= CLIPS_PER_CHILD) {
            *slot = None;
        }
        if slot.is_none() {
            match ProbeChild::start() {
                Ok(c) => *slot = Some(c),
                Err(why) => return Some(MediaFacts::probe_failed(why)),
            }
        }
        let child = slot.as_mut().expect("started above");
        child.send(&clip, deadline).err().map(|why| {
            *slot = None;
            MediaFacts::probe_failed(why)
        })
    });
    PendingProbe {
        clip: Some(clip),
        deadline,
        known,
    }
}

impl PendingProbe {
    /// The clip's facts: the child's answer, or why there is none.
    pub fn wait(self) -> MediaFacts {
        let facts = match self.known {
            Some(facts) => facts,
            None => CHILD.with_borrow_mut(|slot| match slot.as_mut() {
                None => MediaFacts::probe_failed("the probe child is gone".into()),
                Some(child) => match child.answer(self.deadline) {
                    Ok(facts) => facts,
                    Err(why) => {
                        *slot = None;
                        MediaFacts::probe_failed(why)
                    }
                },
            }),
        };
        if let Some(clip) = &self.clip {
            // The read-back left the clip's pages in the cache for this probe
            // (`store::writeback`): with the probe done they are not needed again.
            let _ = rustix::fs::fadvise(clip, 0, None, rustix::fs::Advice::DontNeed);
        }
        facts
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

/// The child: `camdock probe-clip`, its socket on stdin; probes clip after clip until the socket
/// ends. Returns the exit code.
pub fn run_child() -> i32 {
    if let Err(e) = limit() {
        eprintln!("probe-clip: {e}");
        return 3;
    }
    super::init();
    let fault = std::env::var(FAULT_ENV).unwrap_or_default();
    if let Err(e) = wall() {
        eprintln!("probe-clip: cannot install its seccomp filter: {e}");
        return 3;
    }
    let mut probed = 0u64;
    loop {
        let (clip, cpu_seconds) = match next_clip() {
            Ok(Some(next)) => next,
            Ok(None) => return 0,
            Err(e) => {
                eprintln!("probe-clip: {e}");
                return 3;
            }
        };
        if let Err(e) = allow_cpu(cpu_seconds) {
            eprintln!("probe-clip: {e}");
            return 3;
        }
        probed += 1;
        match fault.as_str() {
            "abort" => std::process::abort(),
            // SAFETY: none; this is the crash a demuxer bug would cause (a write through null).
            "crash" => unsafe { std::ptr::null_mut::<u8>().write_volatile(1) },
            "crash-on-second" if probed == 2 => unsafe {
                std::ptr::null_mut::<u8>().write_volatile(1)
            },
            "hang" => loop {
                std::hint::spin_loop();
            },
            "escape" => {
                println!("{}", escape_attempts());
                continue;
            }
            _ => {}
        }
        let facts = CustomIo::on(clip.as_raw_fd())
            .map(CustomIo::probe)
            .unwrap_or_else(MediaFacts::not_media);
        println!(
            "{}",
            serde_json::to_string(&facts).expect("plain values serialise")
        );
    }
}

/// The next clip from the socket on stdin: its descriptor and CPU allowance; None at its end.
fn next_clip() -> std::io::Result<Option<(OwnedFd, u64)>> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};
    let stdin = std::io::stdin();
    let mut allowance = [0u8; 8];
    let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let got = recvmsg(
        stdin.as_fd(),
        &mut [std::io::IoSliceMut::new(&mut allowance)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    if got.bytes == 0 {
        return Ok(None);
    }
    let mut fd = None;
    for message in control.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = message {
            fd = fds.next();
        }
    }
    match (fd, got.bytes) {
        (Some(fd), 8) => Ok(Some((fd, u64::from_le_bytes(allowance)))),
        _ => Err(std::io::Error::other("a request without a clip")),
    }
}

/// This clip's CPU allowance: the soft limit `seconds` above what the child has used so far (the
/// kernel sends SIGXCPU there), never above the lifetime's hard limit.
fn allow_cpu(seconds: u64) -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    // SAFETY: getrusage fills the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let used = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) as u64 + 1;
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some((used + seconds.max(1)).min(LIFETIME_CPU_SECONDS - 1)),
            maximum: Some(LIFETIME_CPU_SECONDS),
        },
    )
    .map_err(std::io::Error::from)
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
/// The CPU soft limit is each clip's (`allow_cpu`), a second below the hard one at most: the kernel
/// sends SIGXCPU at the soft limit (named "its CPU time limit") and SIGKILL at the hard one.
fn limit() -> std::io::Result<()> {
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
    setrlimit(
        Resource::Cpu,
        Rlimit {
            current: Some(10),
            maximum: Some(LIFETIME_CPU_SECONDS),
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
    // The next clip arrives on the socket at stdin (fd 0) only; its descriptor is closed after it;
    // the clip's CPU allowance is set on this process only (pid 0).
    rules.insert(
        libc::SYS_recvmsg,
        vec![SeccompRule::new(vec![arg(0, Op::Eq, 0)?])?],
    );
    rules.insert(libc::SYS_close, vec![]);
    rules.insert(libc::SYS_getrusage, vec![]);
    rules.insert(
        libc::SYS_prlimit64,
        vec![SeccompRule::new(vec![arg(0, Op::Eq, 0)?])?],
    );
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

/// libav reading the clip from its descriptor (open, read-only, seekable) through read and lseek,
/// so it never needs to open anything. The descriptor is the callbacks' opaque pointer.
struct CustomIo {
    context: *mut ffmpeg::ffi::AVFormatContext,
    /// Ours to free: with custom I/O, closing the input leaves it (and its buffer) alone.
    pb: *mut ffmpeg::ffi::AVIOContext,
}

fn fd_of(opaque: *mut libc::c_void) -> libc::c_int {
    opaque as isize as libc::c_int
}

unsafe extern "C" fn read_fd(
    opaque: *mut libc::c_void,
    buf: *mut u8,
    size: libc::c_int,
) -> libc::c_int {
    let n = unsafe { libc::read(fd_of(opaque), buf.cast(), size.max(0) as usize) };
    match n {
        0 => ffmpeg::ffi::AVERROR_EOF,
        n if n < 0 => -std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
        n => n as libc::c_int,
    }
}

unsafe extern "C" fn seek_fd(opaque: *mut libc::c_void, offset: i64, whence: libc::c_int) -> i64 {
    let fd = fd_of(opaque);
    if whence & ffmpeg::ffi::AVSEEK_SIZE as libc::c_int != 0 {
        let here = unsafe { libc::lseek(fd, 0, libc::SEEK_CUR) };
        let size = unsafe { libc::lseek(fd, 0, libc::SEEK_END) };
        unsafe { libc::lseek(fd, here, libc::SEEK_SET) };
        return size;
    }
    let whence = whence & !(ffmpeg::ffi::AVSEEK_FORCE as libc::c_int);
    unsafe { libc::lseek(fd, offset, whence) }
}

impl CustomIo {
    /// libav's contexts for reading `fd` (allocation only; nothing is parsed yet).
    fn on(fd: libc::c_int) -> Result<CustomIo, String> {
        const BUFFER: usize = 64 * 1024;
        unsafe {
            let buffer = ffmpeg::ffi::av_malloc(BUFFER) as *mut u8;
            let pb = ffmpeg::ffi::avio_alloc_context(
                buffer,
                BUFFER as libc::c_int,
                0,
                fd as isize as *mut libc::c_void,
                Some(read_fd),
                None,
                Some(seek_fd),
            );
            let context = ffmpeg::ffi::avformat_alloc_context();
            if buffer.is_null() || pb.is_null() || context.is_null() {
                return Err("libav could not allocate its context".into());
            }
            (*context).pb = pb;
            (*context).flags |= ffmpeg::ffi::AVFMT_FLAG_CUSTOM_IO as libc::c_int;
            Ok(CustomIo { context, pb })
        }
    }

    /// The clip's media facts; frees every context after.
    fn probe(self) -> MediaFacts {
        let mut pb = self.pb;
        let facts = match self.open() {
            Ok(input) => probe_input(input),
            Err(e) => MediaFacts::not_media(e),
        };
        // SAFETY: the input is closed (probe_input consumed it, or opening freed the context);
        // the I/O context and its buffer (which libav may have replaced) are no one else's.
        unsafe {
            ffmpeg::ffi::av_freep((&raw mut (*pb).buffer).cast());
            ffmpeg::ffi::avio_context_free(&mut pb);
        }
        facts
    }

    /// Opens the clip as media: probes its format and reads its header (behind the wall).
    fn open(&self) -> Result<ffmpeg::format::context::Input, String> {
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
        // As ffmpeg-next's own `format::input` does after opening, with one decoder thread per
        // stream: find_stream_info decodes a few frames, and libav's default (a thread per core,
        // started and stopped for every clip) cost more than the probe of a short clip itself.
        let streams = unsafe { (*context).nb_streams } as usize;
        let mut options = vec![std::ptr::null_mut::<ffmpeg::ffi::AVDictionary>(); streams];
        let r = unsafe {
            for o in options.iter_mut() {
                ffmpeg::ffi::av_dict_set(o, c"threads".as_ptr(), c"1".as_ptr(), 0);
            }
            let r = ffmpeg::ffi::avformat_find_stream_info(
                context,
                if streams == 0 {
                    std::ptr::null_mut()
                } else {
                    options.as_mut_ptr()
                },
            );
            for o in options.iter_mut() {
                ffmpeg::ffi::av_dict_free(o);
            }
            r
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::writeback::cached_pages;

    #[test]
    fn the_probe_drops_the_pages_the_read_back_left_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        std::fs::write(&path, vec![9u8; 4 << 20]).unwrap();
        let clip = std::fs::File::open(&path).unwrap();
        clip.sync_all().unwrap();
        let (cached, pages) = cached_pages(&clip);
        assert_eq!(cached, pages, "just written: cached");
        // Whatever the probe makes of it (here: not media, or no helper to probe in), the clip's
        // pages are not needed after it.
        let _ = probe_isolated(&path, Duration::from_secs(10));
        assert_eq!(cached_pages(&clip).0, 0);
    }
}
