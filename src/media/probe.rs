//! Probe a stored clip: duration, codecs, resolution, creation time, and whether it is intact.
//!
//! A truncated MP4 whose index is at the front demuxes to a clean EOF, so libav's "no error" is
//! not trusted: damage is also inferred from a corrupt-flagged packet, fewer packets than the index
//! promises, or the last packet ending well before the stated duration.

use ffmpeg::format::context::Input;
use ffmpeg::media::Type;
use ffmpeg_next as ffmpeg;
use std::path::Path;

pub use camdock_record::facts::{Integrity, MediaFacts};

/// How far short of the stated duration the last packet may end before the clip counts as cut.
const END_SLACK_S: f64 = 0.5;

struct StreamTally {
    index: usize,
    expected_frames: i64,
    packets: i64,
    corrupt: i64,
    end_s: f64,
    time_base: f64,
}

/// Probes a file in this process. The station probes stored clips behind a wall instead
/// (`sandbox::probe_isolated`); this is what runs inside it, and in unit tests.
pub fn probe(path: &Path) -> MediaFacts {
    super::init();
    match ffmpeg::format::input(path) {
        Ok(input) => probe_input(input),
        Err(e) => MediaFacts::not_media(format!("libav cannot open it as media: {e}")),
    }
}

/// Probes an opened input to its last packet.
pub fn probe_input(mut input: Input) -> MediaFacts {
    let av_streams: Vec<_> = input
        .streams()
        .filter(|s| matches!(s.parameters().medium(), Type::Video | Type::Audio))
        .map(|s| s.index())
        .collect();
    if av_streams.is_empty() {
        return MediaFacts::not_media("no audio or video streams".into());
    }
    let mut facts = describe(&input);
    let duration_s = facts.duration_s;
    let mut tallies: Vec<StreamTally> = input
        .streams()
        .filter(|s| av_streams.contains(&s.index()))
        .map(|s| StreamTally {
            index: s.index(),
            expected_frames: s.frames(),
            packets: 0,
            corrupt: 0,
            end_s: 0.0,
            time_base: f64::from(s.time_base()),
        })
        .collect();
    let mut listener = super::speech::SpeechListener::for_input(&input);

    // One packet at a time, released before the next is read: `Packet::read` into a reused
    // packet does not unreference the previous payload, so reusing one kept every byte of the
    // clip alive. Memory is one packet, whatever the clip's size.
    loop {
        let mut packet = ffmpeg::Packet::empty();
        match packet.read(&mut input) {
            Ok(()) => {
                if let Some(l) = listener.as_mut() {
                    l.hear(&packet);
                }
                if let Some(t) = tallies.iter_mut().find(|t| t.index == packet.stream()) {
                    t.packets += 1;
                    t.corrupt += i64::from(packet.is_corrupt());
                    if let Some(pts) = packet.pts().or(packet.dts()) {
                        let end = (pts + packet.duration()) as f64 * t.time_base;
                        t.end_s = t.end_s.max(end);
                    }
                }
            }
            Err(ffmpeg::Error::Eof) => break,
            Err(e) => {
                facts
                    .problems
                    .push(format!("reading stopped with an error: {e}"));
                break;
            }
        }
    }

    for t in &tallies {
        if t.corrupt > 0 {
            facts.problems.push(format!(
                "stream {}: {} corrupt packet(s)",
                t.index, t.corrupt
            ));
        }
        if t.expected_frames > 0 && t.packets < t.expected_frames {
            facts.problems.push(format!(
                "stream {}: {} of {} frames present",
                t.index, t.packets, t.expected_frames
            ));
        }
        if let Some(d) = duration_s
            && t.packets > 0
            && t.end_s + END_SLACK_S < d
        {
            facts.problems.push(format!(
                "stream {}: ends at {:.2} s of {:.2} s",
                t.index, t.end_s, d
            ));
        }
        if t.packets == 0 {
            facts.problems.push(format!("stream {}: no data", t.index));
        }
    }
    facts.speech_at_start = listener.and_then(|l| l.verdict());
    facts.integrity = if facts.problems.is_empty() {
        Integrity::Ok
    } else {
        Integrity::Damaged
    };
    facts
}

fn describe(input: &Input) -> MediaFacts {
    let duration = input.duration();
    let duration_s = (duration > 0).then(|| duration as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE));
    let mut facts = MediaFacts {
        integrity: Integrity::Ok,
        problems: Vec::new(),
        container: Some(input.format().name().to_string()),
        duration_s,
        video_codec: None,
        audio_codec: None,
        width: None,
        height: None,
        creation_time: input.metadata().get("creation_time").map(str::to_string),
        speech_at_start: None,
    };
    for s in input.streams() {
        let params = s.parameters();
        let codec = ffmpeg::codec::context::Context::from_parameters(params.clone()).ok();
        let name = format!("{:?}", params.id()).to_lowercase();
        match params.medium() {
            Type::Video if facts.video_codec.is_none() => {
                facts.video_codec = Some(name);
                if let Some(v) = codec.and_then(|c| c.decoder().video().ok()) {
                    facts.width = Some(v.width());
                    facts.height = Some(v.height());
                }
            }
            Type::Audio if facts.audio_codec.is_none() => facts.audio_codec = Some(name),
            _ => {}
        }
    }
    facts
}
