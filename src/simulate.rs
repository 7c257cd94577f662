//! `simulate-camera`: writes a camera volume as a mounted card looks, with real short H.264 MP4s
//! encoded through libav, so demos and tests need no camera.
//!
//! Layout: `DEVICE.TXT` (status-file format) and clips named
//! `<serial>_<officer>_<YYYYMMDDhhmmss>_<seq>.MP4` under `DCIM/100MEDIA`, recorded by the camera
//! clock (which may run `clock_offset_s` fast), with matching mtimes and creation_time tags.

use crate::media;
use anyhow::{Context as _, anyhow};
use chrono::{DateTime, Duration, Local, NaiveDateTime, TimeZone, Utc};
use ffmpeg::{Dictionary, Packet, Rational, codec, encoder, format, frame};
use ffmpeg_next as ffmpeg;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct CameraSpec {
    pub serial: String,
    pub officer: String,
    pub clips: u32,
    pub seconds: u32,
    /// How far the camera's clock runs ahead of the station's, in seconds.
    pub clock_offset_s: i64,
    pub battery_percent: u8,
    pub firmware: String,
    /// First clip's start by the true (station) clock; clips follow every 10 minutes.
    pub first_start: DateTime<Utc>,
    pub first_sequence: u32,
}

/// When the clips of a `CameraSpec::default()` were recorded: a fixed instant, so a fixture's
/// file names and recording times never depend on the day a test runs.
pub const FIXTURE_FIRST_START: &str = "2026-11-23T01:10:00Z";

impl Default for CameraSpec {
    fn default() -> Self {
        CameraSpec {
            serial: "1234567".into(),
            officer: "100234".into(),
            clips: 3,
            seconds: 2,
            clock_offset_s: 0,
            battery_percent: 87,
            firmware: "V2.3.1".into(),
            first_start: FIXTURE_FIRST_START.parse().expect("a valid instant"),
            first_sequence: 1,
        }
    }
}

/// Yesterday at 09:10 local time: when a realistic camera (the demo's, `simulate-camera`'s
/// default) recorded its first clip of the shift.
pub fn yesterday_morning(now: DateTime<Utc>) -> DateTime<Utc> {
    let nine = (now.with_timezone(&Local) - Duration::days(1))
        .date_naive()
        .and_hms_opt(9, 10, 0)
        .expect("valid time");
    Local
        .from_local_datetime(&nine)
        .earliest()
        .unwrap_or_else(|| Local.from_utc_datetime(&nine))
        .with_timezone(&Utc)
}

const WIDTH: u32 = 320;
const HEIGHT: u32 = 240;
const FPS: i32 = 25;

/// Writes the volume; returns the clip paths.
pub fn write_volume(dir: &Path, spec: &CameraSpec) -> anyhow::Result<Vec<PathBuf>> {
    let media_dir = dir.join("DCIM/100MEDIA");
    fs::create_dir_all(&media_dir)
        .with_context(|| format!("cannot create {}", media_dir.display()))?;
    let mut paths = Vec::new();
    for i in 0..spec.clips {
        let true_start = spec.first_start + Duration::minutes(10 * i as i64);
        let camera_time = true_start + Duration::seconds(spec.clock_offset_s);
        let wall: NaiveDateTime = camera_time.with_timezone(&Local).naive_local();
        let seq = spec.first_sequence + i;
        let name = format!(
            "{}_{}_{}_{:04}.MP4",
            spec.serial,
            spec.officer,
            wall.format("%Y%m%d%H%M%S"),
            seq
        );
        let path = media_dir.join(&name);
        encode_clip(
            &path,
            spec.seconds,
            &[
                (
                    "creation_time",
                    camera_time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
                ),
                ("comment", format!("{}/{seq}", spec.serial)),
            ],
            seq,
        )?;
        let end = camera_time + Duration::seconds(spec.seconds as i64);
        fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(end.into())?;
        paths.push(path);
    }
    let camera_now = (Utc::now() + Duration::seconds(spec.clock_offset_s))
        .with_timezone(&Local)
        .naive_local();
    fs::write(
        dir.join("DEVICE.TXT"),
        format!(
            "serial={}\nofficer={}\nbattery={}\nclock={}\nfirmware={}\n",
            spec.serial,
            spec.officer,
            spec.battery_percent,
            camera_now.format("%Y-%m-%d %H:%M:%S"),
            spec.firmware
        ),
    )?;
    Ok(paths)
}

/// Encodes a moving test pattern as H.264 (libx264, else MPEG-4 Part 2) in an MP4.
pub fn encode_clip(
    path: &Path,
    seconds: u32,
    metadata: &[(&str, String)],
    pattern_seed: u32,
) -> anyhow::Result<()> {
    media::init();
    let mut octx =
        format::output(&path).with_context(|| format!("cannot create {}", path.display()))?;
    let global_header = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
    let codec = encoder::find_by_name("libx264")
        .or_else(|| encoder::find(codec::Id::MPEG4))
        .ok_or_else(|| anyhow!("libav has neither libx264 nor an MPEG-4 encoder"))?;
    let mut enc = codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()?;
    enc.set_width(WIDTH);
    enc.set_height(HEIGHT);
    enc.set_format(format::Pixel::YUV420P);
    enc.set_time_base(Rational(1, FPS));
    enc.set_frame_rate(Some(Rational(FPS, 1)));
    if global_header {
        enc.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    let mut opts = Dictionary::new();
    opts.set("preset", "ultrafast");
    let mut enc = enc.open_as_with(codec, opts)?;
    let ost_index = {
        let mut ost = octx.add_stream(codec)?;
        ost.set_parameters(&enc);
        ost.set_time_base(Rational(1, FPS));
        ost.index()
    };
    let mut md = Dictionary::new();
    for (k, v) in metadata {
        md.set(k, v);
    }
    octx.set_metadata(md);
    octx.write_header()?;
    let ost_tb = octx
        .stream(ost_index)
        .expect("stream was added")
        .time_base();

    let drain =
        |enc: &mut encoder::Video, octx: &mut format::context::Output| -> anyhow::Result<()> {
            let mut pkt = Packet::empty();
            while enc.receive_packet(&mut pkt).is_ok() {
                pkt.set_stream(ost_index);
                pkt.rescale_ts(Rational(1, FPS), ost_tb);
                pkt.write_interleaved(octx)?;
            }
            Ok(())
        };
    let mut frame = frame::Video::new(format::Pixel::YUV420P, WIDTH, HEIGHT);
    for n in 0..(seconds as i64 * FPS as i64) {
        paint(&mut frame, n as u32, pattern_seed);
        frame.set_pts(Some(n));
        enc.send_frame(&frame)?;
        drain(&mut enc, &mut octx)?;
    }
    enc.send_eof()?;
    drain(&mut enc, &mut octx)?;
    octx.write_trailer()?;
    Ok(())
}

/// A moving diagonal gradient with a seed-dependent tint, so every clip has distinct content.
fn paint(frame: &mut frame::Video, n: u32, seed: u32) {
    let stride = frame.stride(0);
    let luma = frame.data_mut(0);
    for y in 0..HEIGHT as usize {
        for x in 0..WIDTH as usize {
            luma[y * stride + x] = ((x as u32 + y as u32 + n * 4) % 256) as u8;
        }
    }
    for plane in 1..3 {
        let stride = frame.stride(plane);
        let tint = ((seed * 53 + plane as u32 * 97 + n) % 256) as u8;
        let data = frame.data_mut(plane);
        for y in 0..(HEIGHT / 2) as usize {
            data[y * stride..y * stride + (WIDTH / 2) as usize].fill(tint);
        }
    }
}
