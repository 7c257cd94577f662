//! The media probe's memory on real video: bounded per clip and released when the clip is done.
//!
//! Its own test binary (one test, one process), so nothing else allocates while RSS is read. A
//! probe that kept its packets (as `Packet::read` into a reused packet once did) retains the
//! whole clip: ~100 MiB here, against a bound of 16 MiB.

use camdock::media::probe::{Integrity, probe};
use std::path::Path;
use std::process::Command;

/// One field of /proc/self/status, in MiB.
fn status_mib(field: &str) -> f64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = text
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kb / 1024.0
}

/// A real 1080p H.264 + AAC MP4 of about 100 MiB, made by ffmpeg.
fn real_clip(path: &Path) {
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=1920x1080:rate=30,noise=alls=24:allf=t+u:all_seed=7")
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args(["-t", "6", "-c:v", "libx264", "-preset", "ultrafast"])
        .args(["-b:v", "130M", "-maxrate", "130M", "-bufsize", "260M"])
        .args(["-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
        .arg(path)
        .status()
        .expect("ffmpeg is installed (./dev installs it)");
    assert!(st.success(), "ffmpeg made no clip");
}

#[test]
fn probing_a_real_mp4_keeps_no_packets_and_peaks_at_a_few_packets() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("real.mp4");
    real_clip(&clip);
    let size_mib = std::fs::metadata(&clip).unwrap().len() as f64 / (1 << 20) as f64;
    assert!(size_mib > 64.0, "the clip is only {size_mib:.0} MiB");

    // Warm up libav once (its tables, the demuxer's statics), then measure a second probe.
    let _ = probe(&clip);
    let anon_before = status_mib("RssAnon:");
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS (VmHWM)");
    let rss_before = status_mib("VmRSS:");

    let facts = probe(&clip);

    let peak = status_mib("VmHWM:") - rss_before;
    let retained = status_mib("RssAnon:") - anon_before;
    assert_eq!(facts.integrity, Integrity::Ok, "{:?}", facts.problems);
    assert_eq!(facts.video_codec.as_deref(), Some("h264"));
    assert!(facts.duration_s.is_some_and(|d| d > 5.5), "{facts:?}");
    println!("probe of {size_mib:.0} MiB: peak +{peak:.1} MiB, retained +{retained:.1} MiB");
    assert!(
        retained < 16.0,
        "the probe kept {retained:.1} MiB after reading a {size_mib:.0} MiB clip"
    );
    assert!(
        peak < 16.0,
        "the probe's memory peaked {peak:.1} MiB above its start on a {size_mib:.0} MiB clip"
    );
}
