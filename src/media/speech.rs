//! "Speech at the start": whether someone speaks in the first seconds of a recording. At the start
//! the officer states time, place and the act by voice (001 Art. 18), and on resuming after an
//! interruption, its reason (001 Art. 19); a reviewer is shown this hint, never a verdict.
//!
//! The clip's first sound track is decoded (libav), resampled to 16 kHz mono (libswresample) and
//! fed, 16 ms at a time, to earshot's voice-activity detector (a small neural network in pure
//! Rust: no model files, no threads, nothing but arithmetic, so it runs behind the probe's wall).
//! Speech is what the detector calls voice for at least `MIN_VOICED_S` of the first `LISTEN_S`,
//! in sound whose loudness rises and falls at syllable rate (`MIN_SYLLABLE_DB`).

use ffmpeg::ChannelLayout;
use ffmpeg::format::Sample;
use ffmpeg::format::sample::Type as SampleType;
use ffmpeg::software::resampling;
use ffmpeg_next as ffmpeg;

/// How much of the recording is listened to.
const LISTEN_S: f64 = 5.0;
/// How much voice within it counts as speech: a spoken phrase, not a cough or a shout in passing.
const MIN_VOICED_S: f64 = 0.5;
/// earshot's frame: 256 samples at 16 kHz.
const FRAME: usize = 256;
const RATE: u32 = 16_000;
/// earshot's own suggested threshold for a frame's voice score.
const VOICE: f32 = 0.5;

pub struct SpeechListener {
    stream: usize,
    time_base: f64,
    /// The stream's first timestamp: "the first seconds" count from the recording's start.
    start: i64,
    decoder: ffmpeg::decoder::Audio,
    resampler: Option<resampling::Context>,
    detector: earshot::Detector,
    pending: Vec<i16>,
    frames: u32,
    voiced: u32,
    /// Each frame's loudness (dB), for the syllable-rate check.
    loudness: Vec<f32>,
    done: bool,
    failed: bool,
}

impl SpeechListener {
    /// A listener on the input's first sound track, if it has one that libav can decode and the
    /// recording is long enough to hold `MIN_VOICED_S` of voice: a shorter one (an audio note, an
    /// event clip's fragment) is not listened to, and costs nothing (decoding and resampling a
    /// 0.1 s note took about 1 ms, near half of what a card of 100,000 of them spends a clip).
    pub fn for_input(input: &ffmpeg::format::context::Input) -> Option<SpeechListener> {
        let duration = input.duration();
        if duration > 0 && (duration as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE)) < MIN_VOICED_S {
            return None;
        }
        let stream = input.streams().best(ffmpeg::media::Type::Audio)?;
        let mut context =
            ffmpeg::codec::context::Context::from_parameters(stream.parameters()).ok()?;
        // One thread: the probe's wall allows no thread to be started.
        context.set_threading(ffmpeg::threading::Config {
            kind: ffmpeg::threading::Type::None,
            count: 1,
            ..Default::default()
        });
        let decoder = context.decoder().audio().ok()?;
        Some(SpeechListener {
            stream: stream.index(),
            time_base: f64::from(stream.time_base()),
            start: Some(stream.start_time())
                .filter(|&t| t != ffmpeg::ffi::AV_NOPTS_VALUE)
                .unwrap_or(0),
            decoder,
            resampler: None,
            detector: earshot::Detector::default(),
            pending: Vec::with_capacity(4 * FRAME),
            frames: 0,
            voiced: 0,
            loudness: Vec::with_capacity((LISTEN_S * f64::from(RATE)) as usize / FRAME + 1),
            done: false,
            failed: false,
        })
    }

    /// Listens to one packet of the clip (packets of other streams, or past the first seconds,
    /// are passed over).
    pub fn hear(&mut self, packet: &ffmpeg::Packet) {
        if self.done || packet.stream() != self.stream {
            return;
        }
        if packet
            .pts()
            .is_some_and(|pts| (pts - self.start) as f64 * self.time_base >= LISTEN_S)
        {
            self.done = true;
            return;
        }
        if self.decoder.send_packet(packet).is_err() {
            // A packet the decoder refuses: the integrity check speaks of damage; this listens on.
            return;
        }
        self.drain();
    }

    fn drain(&mut self) {
        let mut frame = ffmpeg::frame::Audio::empty();
        while self.decoder.receive_frame(&mut frame).is_ok() {
            if self.resampler.is_none() {
                let layout = if frame.channel_layout().is_empty() {
                    ChannelLayout::default(i32::from(frame.channels()))
                } else {
                    frame.channel_layout()
                };
                frame.set_channel_layout(layout);
                match resampling::Context::get(
                    frame.format(),
                    layout,
                    frame.rate(),
                    Sample::I16(SampleType::Packed),
                    ChannelLayout::MONO,
                    RATE,
                ) {
                    Ok(r) => self.resampler = Some(r),
                    Err(_) => {
                        self.failed = true;
                        self.done = true;
                        return;
                    }
                }
            }
            if frame.channel_layout().is_empty() {
                frame.set_channel_layout(ChannelLayout::default(i32::from(frame.channels())));
            }
            let mut out = ffmpeg::frame::Audio::empty();
            let resampler = self.resampler.as_mut().expect("made above");
            if resampler.run(&frame, &mut out).is_err() {
                self.failed = true;
                self.done = true;
                return;
            }
            let bytes = &out.data(0)[..out.samples() * 2];
            self.pending.extend(
                bytes
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]])),
            );
            let whole = self.pending.len() / FRAME * FRAME;
            for f in self.pending[..whole].chunks_exact(FRAME) {
                self.frames += 1;
                let power = f.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / FRAME as f64;
                self.loudness.push((10.0 * (power + 1.0).log10()) as f32);
                if self.detector.predict_i16(f) >= VOICE {
                    self.voiced += 1;
                }
            }
            self.pending.drain(..whole);
        }
    }

    /// Speech at the start, once the clip has been read: None if no sound was decoded.
    pub fn verdict(self) -> Option<bool> {
        self.heard()
            .map(|h| h.voiced_s >= MIN_VOICED_S && h.syllable_db >= MIN_SYLLABLE_DB)
    }

    /// What was heard in the first `LISTEN_S`: None if no sound was decoded.
    pub fn heard(mut self) -> Option<Heard> {
        if !self.done && self.decoder.send_eof().is_ok() {
            self.drain();
        }
        if self.failed || self.frames == 0 {
            return None;
        }
        Some(Heard {
            voiced_s: f64::from(self.voiced) * FRAME as f64 / f64::from(RATE),
            syllable_db: syllable_modulation_db(&self.loudness),
        })
    }
}

/// The two measures behind the verdict.
#[derive(Clone, Copy, Debug)]
pub struct Heard {
    /// Seconds the detector called voice.
    pub voiced_s: f64,
    /// How much the loudness rises and falls at syllable rate (`syllable_modulation_db`).
    pub syllable_db: f64,
}

/// Speech rises and falls with its syllables, 2 to 8 times a second, by 10 dB and more; a held
/// tone, a hum, a steady noise or music's slow swell does not. earshot alone called a loud pink or
/// brown noise and a held 220–330 Hz tone voice for nearly all of 5 s (docs/BENCHMARKS.md), so a
/// verdict of speech also needs this much rise and fall.
const MIN_SYLLABLE_DB: f64 = 2.0;

/// The loudness envelope's swing at syllable rate: the RMS (dB) of the frame loudness series'
/// components from 2 to 8 Hz (a plain DFT over at most 313 frames of 16 ms).
fn syllable_modulation_db(loudness: &[f32]) -> f64 {
    let n = loudness.len();
    if n < 32 {
        return 0.0;
    }
    let mean = loudness.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let frame_rate = f64::from(RATE) / FRAME as f64;
    let mut band = 0.0;
    for k in 1..n / 2 {
        let hz = k as f64 * frame_rate / n as f64;
        if !(2.0..=8.0).contains(&hz) {
            continue;
        }
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &x) in loudness.iter().enumerate() {
            let angle = 2.0 * std::f64::consts::PI * (k * i) as f64 / n as f64;
            re += (f64::from(x) - mean) * angle.cos();
            im -= (f64::from(x) - mean) * angle.sin();
        }
        // Parseval: a one-sided component's share of the series' variance.
        band += 2.0 * (re * re + im * im) / (n as f64 * n as f64);
    }
    band.sqrt()
}

/// What is heard in the first seconds of the clip at `path`, in this process (the station listens
/// inside the probe, behind its wall): for the detector's measurements.
pub fn heard_at_start(path: &std::path::Path) -> Option<Heard> {
    super::init();
    let mut input = ffmpeg::format::input(path).ok()?;
    let mut listener = SpeechListener::for_input(&input)?;
    loop {
        let mut packet = ffmpeg::Packet::empty();
        match packet.read(&mut input) {
            Ok(()) => listener.hear(&packet),
            Err(ffmpeg::Error::Eof) => break,
            Err(_) => break,
        }
        if listener.done {
            break;
        }
    }
    listener.heard()
}
