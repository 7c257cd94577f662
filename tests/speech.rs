//! "Speech at the start" on real sound: clips whose sound is speech made by Debian's espeak-ng
//! (mixed with ffmpeg over noise or a hum, in English and Mandarin, at several speeds and pitches)
//! are found to start with speech; clips of silence, noise (ffmpeg's `anoisesrc`) and music
//! (`sine` tones, beeps and chords) are not. The detector's hits and misses, 20 clips of each kind,
//! are printed (docs/BENCHMARKS.md carries them) and held to a floor.

mod common;

use camdock::media::probe::probe;
use camdock::media::speech::heard_at_start;
use std::path::{Path, PathBuf};
use std::process::Command;

const SENTENCES: [&str; 10] = [
    "It is nine fifteen on the fifth. Renmin Road. I am stopping this vehicle for a document check.",
    "Twenty one forty, outside the night market. We are answering a noise complaint.",
    "Officer one zero zero five hundred. The time is eight o'clock. Traffic enforcement on Jiefang Avenue.",
    "Recording resumed. The battery was changed. We are still at the scene of the accident.",
    "This is a routine inspection of the construction site on Third Street.",
    "The time is seven thirty in the morning. I am speaking with the shop owner about the permit.",
    "Camera on. Fourteen hundred hours, Xinhua Road bus stop, a report of a lost child.",
    "Recording restarted after the rain stopped. Still on the river embankment.",
    "We have arrived at the market entrance. I am informing you that this is being recorded.",
    "Eleven oh five. Parking violation on Zhongshan Road. The driver is not present.",
];
const MANDARIN: [&str; 4] = [
    "现在是上午九点十五分，人民路，我们正在进行检查。",
    "录音恢复，刚才更换了电池，我们仍在事故现场。",
    "执法记录仪已开启，现在是下午两点，新华路公交站。",
    "你好，我是执法人员，现在开始录音录像。",
];

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg is installed (./dev installs it)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 6 s clip of small H.264 video with `audio` (ffmpeg input arguments and a filter that ends in
/// `[a]`) as its AAC sound track.
fn clip(out: &Path, audio_inputs: &[&str], filter: &str) {
    let mut args: Vec<&str> = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=10:duration=6",
    ];
    args.extend_from_slice(audio_inputs);
    args.extend_from_slice(&[
        "-filter_complex",
        filter,
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-t",
        "6",
        out.to_str().unwrap(),
    ]);
    ffmpeg(&args);
}

fn speech_clips(dir: &Path) -> Vec<PathBuf> {
    let backgrounds = [
        "anoisesrc=color=pink:amplitude=0.02:duration=6",
        "anoisesrc=color=brown:amplitude=0.05:duration=6",
        "sine=f=50:duration=6,volume=0.05",
        "anoisesrc=color=white:amplitude=0.01:duration=6",
    ];
    let mut out = Vec::new();
    for i in 0..20 {
        let wav = dir.join(format!("speech-{i}.wav"));
        let (voice, text) = if i < 16 {
            (
                ["en", "en-us", "en-gb-x-rp", "en+f3"][i % 4],
                SENTENCES[i % 10],
            )
        } else {
            ("cmn", MANDARIN[i % 4])
        };
        let speed = (140 + 10 * (i % 6)).to_string();
        let pitch = (30 + 7 * (i % 5)).to_string();
        let st = Command::new("espeak-ng")
            .args(["-v", voice, "-s", &speed, "-p", &pitch, "-w"])
            .arg(&wav)
            .arg(text)
            .status()
            .expect("espeak-ng is installed (./dev installs it)");
        assert!(st.success());
        // Speech from the first half second, over a background, as a body camera hears it.
        let delay = (100 * (i % 5)).to_string();
        let filter = format!(
            "[1:a]adelay={delay}:all=1,apad[s];[2:a]aresample=22050[b];[s][b]amix=inputs=2:duration=longest:normalize=0[a]"
        );
        let path = dir.join(format!("speech-{i}.mp4"));
        clip(
            &path,
            &[
                "-i",
                wav.to_str().unwrap(),
                "-f",
                "lavfi",
                "-i",
                backgrounds[i % 4],
            ],
            &filter,
        );
        out.push(path);
    }
    out
}

fn lavfi_clips(dir: &Path, kind: &str, sources: &[String]) -> Vec<PathBuf> {
    sources
        .iter()
        .enumerate()
        .map(|(i, src)| {
            let path = dir.join(format!("{kind}-{i}.mp4"));
            clip(&path, &["-f", "lavfi", "-i", src], "[1:a]anull[a]");
            path
        })
        .collect()
}

#[test]
fn speech_is_heard_at_the_start_and_silence_noise_and_music_are_not() {
    let s = common::Scratch::new();
    let dir = s.path();
    let silence: Vec<String> = (0..20)
        .map(|i| {
            let rate = [8000, 16000, 22050, 44100, 48000][i % 5];
            let layout = ["mono", "stereo"][i % 2];
            format!("anullsrc=r={rate}:cl={layout}:d=6")
        })
        .collect();
    let noise: Vec<String> = (0..20)
        .map(|i| {
            let color = ["white", "pink", "brown", "blue", "violet"][i % 5];
            let amplitude = [0.05, 0.2, 0.5, 0.9][i / 5];
            format!("anoisesrc=color={color}:amplitude={amplitude}:duration=6:seed={i}")
        })
        .collect();
    let music: Vec<String> = (0..20)
        .map(|i| {
            let f = [110, 220, 262, 330, 440, 523, 660, 880, 1000, 1500][i % 10];
            match i / 10 {
                // Held tones.
                0 => format!("sine=f={f}:duration=6"),
                // A three-note chord with a slow swell, as a car radio or a shop's music.
                _ => format!(
                    "aevalsrc='(0.3+0.2*sin(2*PI*0.5*t))*(sin(2*PI*{f}*t)+sin(2*PI*{}*t)+sin(2*PI*{}*t))/3':s=44100:d=6",
                    f * 5 / 4,
                    f * 3 / 2
                ),
            }
        })
        .collect();
    let kinds: [(&str, Vec<PathBuf>, bool); 4] = [
        ("speech", speech_clips(dir), true),
        ("silence", lavfi_clips(dir, "silence", &silence), false),
        ("noise", lavfi_clips(dir, "noise", &noise), false),
        ("music", lavfi_clips(dir, "music", &music), false),
    ];
    println!("speech at start, 20 clips of each kind:");
    let mut wrong = Vec::new();
    for (kind, clips, speech) in &kinds {
        let mut heard = 0;
        let mut voiced = Vec::new();
        let mut syllable = Vec::new();
        for c in clips {
            let facts = probe(c);
            assert_eq!(
                facts.integrity,
                camdock::media::probe::Integrity::Ok,
                "{c:?}"
            );
            let said = facts
                .speech_at_start
                .unwrap_or_else(|| panic!("{c:?} has sound: a verdict is due"));
            heard += usize::from(said);
            let h = heard_at_start(c).unwrap();
            voiced.push(h.voiced_s);
            syllable.push(h.syllable_db);
            if said != *speech {
                wrong.push(format!(
                    "{} ({:.2} s voiced, {:.1} dB at syllable rate)",
                    c.file_name().unwrap().to_string_lossy(),
                    h.voiced_s,
                    h.syllable_db
                ));
            }
        }
        voiced.sort_by(f64::total_cmp);
        syllable.sort_by(f64::total_cmp);
        let spread = |v: &[f64]| {
            format!(
                "{:.2} / {:.2} / {:.2}",
                v[0],
                v[v.len() / 2],
                v[v.len() - 1]
            )
        };
        println!(
            "  {kind:<8} found to start with speech: {heard:>2} of {}   voiced s in the first 5 s (min / median / max) {}; dB at syllable rate {}",
            clips.len(),
            spread(&voiced),
            spread(&syllable)
        );
    }
    println!("  wrong: {wrong:?}");
    // A hint, not a verdict, but one worth showing: at most one clip in twenty wrong, per kind.
    for (kind, clips, speech) in &kinds {
        let wrong_here = clips
            .iter()
            .filter(|c| probe(c).speech_at_start != Some(*speech))
            .count();
        assert!(
            wrong_here <= 1,
            "{kind}: {wrong_here} of 20 wrong: {wrong:?}"
        );
    }

    // A clip with no sound track gets no verdict.
    let mute = dir.join("mute.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=160x120:rate=10:duration=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        mute.to_str().unwrap(),
    ]);
    assert_eq!(probe(&mute).speech_at_start, None);
    // Nor one too short to hold a spoken statement (an audio note of 0.3 s: not listened to).
    let note = dir.join("note.m4a");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:duration=0.3",
        "-c:a",
        "aac",
        note.to_str().unwrap(),
    ]);
    let facts = probe(&note);
    assert!(facts.duration_s.is_some_and(|d| d < 0.5), "{facts:?}");
    assert_eq!(facts.speech_at_start, None);
}
