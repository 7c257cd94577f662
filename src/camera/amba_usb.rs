//! "amba-usb": the body camera's vendor protocol over a pair of USB bulk endpoints. The frames
//! (`@Cmd;len;payload;#`) are `camdock_card::amba_frame`; here: the byte pipe (a `Transport`: the
//! real one over rusb, a recorded one for tests), the camera's requests and replies, and the
//! preparation of a camera docked in vendor mode.

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::io;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use rusb::{Context, Device, DeviceHandle, Direction, TransferType, UsbContext};

pub use camdock_card::amba_frame::*;

/// A byte pipe to the camera.
///
/// `read` waits at most `timeout` and returns what has arrived, which may be any part of
/// a frame; when nothing arrives in time it fails with `io::ErrorKind::TimedOut`.
pub trait Transport {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()>;
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize>;
}

// Lets a test keep its `Recorded` and inspect it after the camera is done with it.
impl<T: Transport + ?Sized> Transport for &mut T {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        (**self).write(bytes)
    }
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        (**self).read(buf, timeout)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Usb(#[from] rusb::Error),
    #[error("no USB device {vid:04x}:{pid:04x}{}", serial_note(serial.as_deref()))]
    NotFound {
        vid: u16,
        pid: u16,
        serial: Option<String>,
    },
    #[error("{count} devices {vid:04x}:{pid:04x} are attached; pass a serial number to pick one")]
    Ambiguous { vid: u16, pid: u16, count: usize },
    #[error(
        "the device has no vendor interface with both a bulk IN and a bulk OUT endpoint (in storage mode?)"
    )]
    NoBulkEndpoints,
}

fn serial_note(serial: Option<&str>) -> String {
    serial
        .map(|s| format!(" with serial {s:?}"))
        .unwrap_or_default()
}

struct BulkPair {
    interface: u8,
    setting: u8,
    ep_in: u8,
    ep_out: u8,
    max_packet_in: usize,
}

pub struct RusbTransport {
    handle: DeviceHandle<Context>,
    interface: u8,
    ep_in: u8,
    ep_out: u8,
    write_timeout: Duration,
    scratch: Vec<u8>,
    leftover: VecDeque<u8>,
}

impl RusbTransport {
    pub fn open(vid: u16, pid: u16, serial: Option<&str>) -> Result<Self, OpenError> {
        let context = Context::new()?;
        let candidates: Vec<Device<Context>> = context
            .devices()?
            .iter()
            .filter(|d| {
                d.device_descriptor()
                    .is_ok_and(|desc| desc.vendor_id() == vid && desc.product_id() == pid)
            })
            .collect();

        let not_found = || OpenError::NotFound {
            vid,
            pid,
            serial: serial.map(str::to_owned),
        };
        let (device, handle) = match serial {
            None => {
                // With several cameras attached, picking one silently could configure
                // the wrong camera.
                if candidates.len() > 1 {
                    return Err(OpenError::Ambiguous {
                        vid,
                        pid,
                        count: candidates.len(),
                    });
                }
                let device = candidates.into_iter().next().ok_or_else(not_found)?;
                let handle = device.open()?;
                (device, handle)
            }
            Some(wanted) => {
                let mut last_error = None;
                let mut found = None;
                for device in candidates {
                    let opened = device.open().and_then(|handle| {
                        let desc = device.device_descriptor()?;
                        let serial = handle.read_serial_number_string_ascii(&desc)?;
                        Ok((handle, serial))
                    });
                    match opened {
                        Ok((handle, serial)) if serial == wanted => {
                            found = Some((device, handle));
                            break;
                        }
                        Ok(_) => {}
                        Err(e) => last_error = Some(e),
                    }
                }
                // A camera we could not open may be the one asked for (typically a udev
                // permission problem), so its error says more than "not found" would.
                match (found, last_error) {
                    (Some(pair), _) => pair,
                    (None, Some(e)) => return Err(e.into()),
                    (None, None) => return Err(not_found()),
                }
            }
        };

        let pair = find_bulk_pair(&device)?;
        // Not every platform can detach kernel drivers; claiming below reports the real failure.
        let _ = handle.set_auto_detach_kernel_driver(true);
        handle.claim_interface(pair.interface)?;
        if pair.setting != 0 {
            handle.set_alternate_setting(pair.interface, pair.setting)?;
        }

        // Bulk IN reads must ask for whole packets, or a full packet from the device
        // overflows the transfer; the surplus is kept for the next read.
        let packet = pair.max_packet_in.max(1);
        Ok(Self {
            handle,
            interface: pair.interface,
            ep_in: pair.ep_in,
            ep_out: pair.ep_out,
            write_timeout: Duration::from_secs(1),
            scratch: vec![0; MAX_FRAME.div_ceil(packet) * packet],
            leftover: VecDeque::new(),
        })
    }

    pub fn set_write_timeout(&mut self, timeout: Duration) {
        self.write_timeout = timeout;
    }
}

/// USB interface class "vendor specific": the protocol's interface. Mass storage (class 8) has
/// bulk endpoints too, and claiming it would detach the kernel's storage driver from a card.
const VENDOR_CLASS: u8 = 0xff;

/// Whether the device shows the vendor interface (it is not yet in storage mode).
pub fn in_vendor_mode<T: UsbContext>(device: &Device<T>) -> bool {
    find_bulk_pair(device).is_ok()
}

/// The first vendor-class interface setting that has both bulk directions; the camera exposes one.
fn find_bulk_pair<T: UsbContext>(device: &Device<T>) -> Result<BulkPair, OpenError> {
    let config = device
        .active_config_descriptor()
        .or_else(|_| device.config_descriptor(0))?;
    for interface in config.interfaces() {
        for setting in interface.descriptors() {
            if setting.class_code() != VENDOR_CLASS {
                continue;
            }
            let mut ep_in = None;
            let mut ep_out = None;
            for ep in setting.endpoint_descriptors() {
                if ep.transfer_type() != TransferType::Bulk {
                    continue;
                }
                match ep.direction() {
                    Direction::In if ep_in.is_none() => {
                        // Bits 11-12 only matter for high-bandwidth periodic endpoints.
                        ep_in = Some((ep.address(), usize::from(ep.max_packet_size() & 0x7ff)));
                    }
                    Direction::Out if ep_out.is_none() => ep_out = Some(ep.address()),
                    _ => {}
                }
            }
            if let (Some((ep_in, max_packet_in)), Some(ep_out)) = (ep_in, ep_out) {
                return Ok(BulkPair {
                    interface: setting.interface_number(),
                    setting: setting.setting_number(),
                    ep_in,
                    ep_out,
                    max_packet_in,
                });
            }
        }
    }
    Err(OpenError::NoBulkEndpoints)
}

fn usb_to_io(e: rusb::Error) -> io::Error {
    let kind = match e {
        rusb::Error::Timeout => io::ErrorKind::TimedOut,
        rusb::Error::NoDevice => io::ErrorKind::NotConnected,
        rusb::Error::Access => io::ErrorKind::PermissionDenied,
        rusb::Error::Interrupted => io::ErrorKind::Interrupted,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

// libusb reads a zero timeout as "wait forever", which would turn an exhausted deadline
// into a hang.
fn libusb_timeout(timeout: Duration) -> Duration {
    timeout.max(Duration::from_millis(1))
}

impl Transport for RusbTransport {
    fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let timeout = libusb_timeout(self.write_timeout);
        while !bytes.is_empty() {
            let n = self
                .handle
                .write_bulk(self.ep_out, bytes, timeout)
                .map_err(usb_to_io)?;
            bytes = bytes.get(n..).unwrap_or_default();
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if self.leftover.is_empty() {
            let n = self
                .handle
                .read_bulk(self.ep_in, &mut self.scratch, libusb_timeout(timeout))
                .map_err(usb_to_io)?;
            self.leftover.extend(self.scratch.iter().take(n));
        }
        let n = buf.len().min(self.leftover.len());
        for (slot, b) in buf.iter_mut().zip(self.leftover.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

impl Drop for RusbTransport {
    fn drop(&mut self) {
        // Fails when the camera already left, e.g. after re-enumerating as mass storage.
        let _ = self.handle.release_interface(self.interface);
    }
}

/// One entry of a recorded conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Bytes the host must write, in one `write` call.
    Host(Vec<u8>),
    /// Bytes the device sends; consecutive entries arrive as one stream.
    Device(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fixture line {line}: {message}")]
pub struct FixtureError {
    pub line: usize,
    pub message: &'static str,
}

/// A transport that replays a recorded conversation.
///
/// Writes are checked against the recording and panic on a mismatch, pointing at the
/// recording line, because a wrong request is a bug in the code under test rather than
/// a transport failure it should handle. Device bytes become readable once the host has
/// written the request before them, and are handed out in the configured chunk sizes.
/// With nothing left to read, `read` times out at once instead of sleeping.
#[derive(Debug, Clone)]
pub struct Recorded {
    script: Vec<(usize, Step)>,
    next: usize,
    pending: VecDeque<u8>,
    chunk_sizes: Vec<usize>,
    chunk_turn: usize,
}

impl Recorded {
    /// Steps are numbered from 1 in panic messages.
    pub fn new(steps: impl IntoIterator<Item = Step>) -> Self {
        Self::from_numbered(
            steps
                .into_iter()
                .enumerate()
                .map(|(i, s)| (i + 1, s))
                .collect(),
        )
    }

    /// Parses the fixture format: `> bytes` for what the host writes, `< bytes` for what
    /// the device sends, the rest of the line taken verbatim. Blank lines and lines
    /// starting with `#` are skipped.
    pub fn from_fixture(text: &str) -> Result<Self, FixtureError> {
        let mut script = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let step = if let Some(rest) = line.strip_prefix("> ") {
                Step::Host(rest.as_bytes().to_vec())
            } else if let Some(rest) = line.strip_prefix("< ") {
                Step::Device(rest.as_bytes().to_vec())
            } else {
                return Err(FixtureError {
                    line: number,
                    message: "expected '> ' (host) or '< ' (device)",
                });
            };
            if matches!(&step, Step::Host(b) | Step::Device(b) if b.is_empty()) {
                return Err(FixtureError {
                    line: number,
                    message: "empty entry",
                });
            }
            script.push((number, step));
        }
        Ok(Self::from_numbered(script))
    }

    fn from_numbered(script: Vec<(usize, Step)>) -> Self {
        let mut recorded = Self {
            script,
            next: 0,
            pending: VecDeque::new(),
            chunk_sizes: Vec::new(),
            chunk_turn: 0,
        };
        recorded.release_device_bytes();
        recorded
    }

    /// Hands device bytes out in these sizes, cycling (0 counts as 1). Without it each
    /// read gets everything available that fits.
    pub fn with_chunk_sizes(mut self, sizes: &[usize]) -> Self {
        self.chunk_sizes = sizes.iter().map(|&s| s.max(1)).collect();
        self
    }

    pub fn is_finished(&self) -> bool {
        self.next == self.script.len() && self.pending.is_empty()
    }

    /// Panics unless every recorded request was written and every device byte was read.
    #[track_caller]
    pub fn assert_finished(&self) {
        if let Some((line, Step::Host(bytes) | Step::Device(bytes))) = self.script.get(self.next) {
            panic!(
                "recording line {line} never happened: {}",
                bytes.escape_ascii()
            );
        }
        assert!(
            self.pending.is_empty(),
            "device bytes never read: {}",
            self.pending
                .iter()
                .copied()
                .collect::<Vec<u8>>()
                .escape_ascii()
        );
    }

    fn release_device_bytes(&mut self) {
        while let Some((_, Step::Device(bytes))) = self.script.get(self.next) {
            self.pending.extend(bytes);
            self.next += 1;
        }
    }
}

impl Transport for Recorded {
    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        // Device steps never sit at `next`: they are released as soon as they become due.
        let Some((line, Step::Host(expected))) = self.script.get(self.next) else {
            panic!(
                "host wrote {} after the recording ended",
                bytes.escape_ascii()
            );
        };
        assert!(
            bytes == expected.as_slice(),
            "host wrote {} but recording line {line} expects {}",
            bytes.escape_ascii(),
            expected.escape_ascii()
        );
        self.next += 1;
        self.release_device_bytes();
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> io::Result<usize> {
        if self.pending.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "recording has no device bytes pending",
            ));
        }
        let chunk = self
            .chunk_sizes
            .get(self.chunk_turn % self.chunk_sizes.len().max(1))
            .copied()
            .unwrap_or(usize::MAX);
        self.chunk_turn = self.chunk_turn.wrapping_add(1);
        let n = chunk.min(buf.len()).min(self.pending.len());
        for (slot, b) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AmbaError {
    #[error("USB transfer failed during @{cmd}")]
    Io {
        cmd: &'static str,
        #[source]
        source: io::Error,
    },
    #[error(
        "no complete reply to @{cmd} within {timeout:?} ({partial} byte(s) of a partial frame received)"
    )]
    Timeout {
        cmd: &'static str,
        timeout: Duration,
        partial: usize,
    },
    #[error("malformed reply to @{cmd}")]
    Frame {
        cmd: &'static str,
        #[source]
        source: FrameError,
    },
    #[error("sent @{sent} but the camera answered @{got}")]
    UnexpectedReply { sent: &'static str, got: String },
    #[error("camera rejected @{cmd}: it answered {payload:?}")]
    Rejected { cmd: &'static str, payload: String },
    #[error("cannot set the camera clock to {0}: the camera takes a four-digit year")]
    ClockOutOfRange(NaiveDateTime),
}

// The design only promises "OK"; case and padding are forgiven so that a firmware variant
// is not mistaken for a refusal. Anything else (`ER`, ...) is one.
fn is_ok(payload: &str) -> bool {
    payload.trim().eq_ignore_ascii_case("OK")
}

pub struct AmbaCamera<T: Transport> {
    transport: T,
    rx: Vec<u8>,
    reply_timeout: Duration,
    discarded: usize,
}

impl<T: Transport> AmbaCamera<T> {
    pub fn new(transport: T) -> Self {
        Self {
            transport,
            rx: Vec::new(),
            reply_timeout: Duration::from_secs(2),
            discarded: 0,
        }
    }

    /// Time allowed for a whole reply to arrive, however many reads it takes.
    pub fn with_reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// Received bytes thrown away so far: line noise before a frame, the partial frame
    /// of a timed-out reply, or the rest of a malformed one.
    pub fn discarded_bytes(&self) -> usize {
        self.discarded
    }

    pub fn into_transport(self) -> T {
        self.transport
    }

    pub fn handshake(&mut self) -> Result<(), AmbaError> {
        self.expect_ok(cmd::VERSION, VERSION_PAYLOAD.to_owned())
    }

    pub fn device_id(&mut self) -> Result<String, AmbaError> {
        let reply = self.transact(cmd::DEVICE_ID, DEVICE_ID_PAYLOAD.to_owned())?;
        if reply.payload.is_empty() || reply.payload.eq_ignore_ascii_case("ER") {
            return Err(AmbaError::Rejected {
                cmd: cmd::DEVICE_ID,
                payload: reply.payload,
            });
        }
        Ok(reply.payload)
    }

    /// Sets the camera clock. The camera keeps local wall time with no zone, so the
    /// caller decides which zone's wall time to hand over.
    pub fn set_clock(&mut self, local_wall_time: NaiveDateTime) -> Result<(), AmbaError> {
        let date = date_payload(local_wall_time.date())
            .ok_or(AmbaError::ClockOutOfRange(local_wall_time))?;
        self.expect_ok(cmd::SET_DATE, date)?;
        // The design table shows `@Stm;6;HHmmss00;#`, but the payload is 8 characters and
        // both ends check len against it, so len is always the real payload length (8).
        self.expect_ok(cmd::SET_TIME, time_payload(local_wall_time.time()))
    }

    /// Switches the camera to mass-storage mode. It then re-enumerates as a different
    /// USB device, so this transport is of no further use once this returns Ok.
    pub fn storage_mode(&mut self) -> Result<(), AmbaError> {
        self.expect_ok(cmd::STORAGE_MODE, STORAGE_MODE_PAYLOAD.to_owned())
    }

    fn expect_ok(&mut self, cmd: &'static str, payload: String) -> Result<(), AmbaError> {
        let reply = self.transact(cmd, payload)?;
        if is_ok(&reply.payload) {
            Ok(())
        } else {
            Err(AmbaError::Rejected {
                cmd,
                payload: reply.payload,
            })
        }
    }

    fn transact(&mut self, cmd: &'static str, payload: String) -> Result<Frame, AmbaError> {
        // Whatever is still buffered answers nothing we are about to ask.
        self.discard(self.rx.len());
        let request = Frame {
            cmd: cmd.to_owned(),
            payload,
        };
        self.transport
            .write(&request.encode())
            .map_err(|source| AmbaError::Io { cmd, source })?;
        let reply = self.read_reply(cmd)?;
        if reply.cmd != cmd {
            return Err(AmbaError::UnexpectedReply {
                sent: cmd,
                got: reply.cmd,
            });
        }
        Ok(reply)
    }

    fn read_reply(&mut self, cmd: &'static str) -> Result<Frame, AmbaError> {
        let deadline = Instant::now() + self.reply_timeout;
        let mut chunk = [0u8; 64];
        loop {
            match decode(&self.rx) {
                Ok((frame, used)) => {
                    self.rx.drain(..used.min(self.rx.len()));
                    return Ok(frame);
                }
                Err(FrameError::Garbage { skipped }) => {
                    self.discard(skipped);
                    continue;
                }
                Err(FrameError::Incomplete) => {}
                Err(source) => {
                    self.discard(self.rx.len());
                    return Err(AmbaError::Frame { cmd, source });
                }
            }

            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.timed_out(cmd));
            }
            match self.transport.read(&mut chunk, remaining) {
                // `get` guards against a transport claiming more than the buffer holds.
                Ok(n) => self.rx.extend_from_slice(chunk.get(..n).unwrap_or(&chunk)),
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return Err(self.timed_out(cmd)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    self.discard(self.rx.len());
                    return Err(AmbaError::Io { cmd, source });
                }
            }
        }
    }

    fn timed_out(&mut self, cmd: &'static str) -> AmbaError {
        let partial = self.rx.len();
        self.discard(partial);
        AmbaError::Timeout {
            cmd,
            timeout: self.reply_timeout,
            partial,
        }
    }

    fn discard(&mut self, n: usize) {
        let n = n.min(self.rx.len());
        self.rx.drain(..n);
        self.discarded += n;
    }
}

/// What the station did to a camera found in vendor mode, before its storage appeared.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Prepared {
    pub port: String,
    pub usb_serial: Option<String>,
    pub device_id: String,
    /// The wall time set on the camera (`YYYY-MM-DD HH:MM:SS`).
    pub clock_set: String,
}

/// How long udev may take to hand a new camera's device node to the station's group.
const UDEV_GRACE: Duration = Duration::from_secs(10);

/// Opens the vendor camera, waiting out udev: the kernel announces a new device (and libusb's
/// hotplug fires) before udev has applied the rule that gives its node to the station's group, so
/// the first open can be denied (seen on the station test bed under load).
fn open_once_permitted(serial: Option<&str>) -> Result<RusbTransport, OpenError> {
    let deadline = Instant::now() + UDEV_GRACE;
    loop {
        match RusbTransport::open(VENDOR_ID, PRODUCT_ID, serial) {
            Err(OpenError::Usb(rusb::Error::Access)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

/// A camera that shows only its vendor interface until told: handshake, read its id, set its
/// clock to `wall()` (read just before it is sent), switch it to storage mode. Its storage then
/// appears as a USB disk on the same port, and is ingested like any other.
pub fn prepare(
    port: &str,
    usb_serial: Option<&str>,
    wall: impl Fn() -> NaiveDateTime,
) -> Result<Prepared, String> {
    let transport = open_once_permitted(usb_serial)
        .map_err(|e| format!("opening the camera over USB failed: {e}"))?;
    let mut camera = AmbaCamera::new(transport);
    camera.handshake().map_err(|e| e.to_string())?;
    let device_id = camera.device_id().map_err(|e| e.to_string())?;
    let now = wall();
    camera.set_clock(now).map_err(|e| e.to_string())?;
    camera.storage_mode().map_err(|e| e.to_string())?;
    Ok(Prepared {
        port: port.to_string(),
        usb_serial: usb_serial.map(str::to_string),
        device_id,
        clock_set: now.format("%Y-%m-%d %H:%M:%S").to_string(),
    })
}

/// The `amba-usb` driver's clock correction: open the camera by its USB serial, handshake, and
/// set date and time to the station's wall time.
pub fn set_clock_over_usb(serial: &str, wall: NaiveDateTime) -> Result<(), String> {
    let transport = open_once_permitted(Some(serial))
        .map_err(|e| format!("opening the camera over USB failed: {e}"))?;
    let mut camera = AmbaCamera::new(transport);
    camera.handshake().map_err(|e| e.to_string())?;
    camera.set_clock(wall).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const SESSION: &str = include_str!("../../fixtures/amba/session.txt");

    fn wall_time() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(8, 0, 7))
            .expect("valid date")
    }

    #[test]
    fn fixture_parser_rejects_bad_lines() {
        assert_eq!(
            Recorded::from_fixture("# ok\n\n@Ver;8;00000000;#\n").unwrap_err(),
            FixtureError {
                line: 3,
                message: "expected '> ' (host) or '< ' (device)"
            }
        );
        assert_eq!(Recorded::from_fixture("> \n").unwrap_err().line, 1);
        assert!(Recorded::from_fixture("\r\n> @Ver;8;00000000;#\r\n< @Ver;2;OK;#\r\n").is_ok());
    }

    #[test]
    fn recorded_session_replays_with_replies_in_small_chunks() {
        for chunks in [&[1][..], &[2], &[3], &[1, 3, 2, 2, 1, 3], &[]] {
            let mut recorded = Recorded::from_fixture(SESSION)
                .unwrap()
                .with_chunk_sizes(chunks);
            let mut camera = AmbaCamera::new(&mut recorded);
            camera.handshake().unwrap();
            assert_eq!(camera.device_id().unwrap(), "1234567");
            camera.set_clock(wall_time()).unwrap();
            camera.storage_mode().unwrap();
            assert_eq!(camera.discarded_bytes(), 0);
            recorded.assert_finished();
        }
    }

    #[test]
    fn er_reply_names_the_command_and_stops_the_sequence() {
        let fixture = "> @Sdt;8;20261124;#\n< @Sdt;2;ER;#\n";
        let mut recorded = Recorded::from_fixture(fixture)
            .unwrap()
            .with_chunk_sizes(&[2]);
        let err = AmbaCamera::new(&mut recorded)
            .set_clock(wall_time())
            .unwrap_err();
        assert!(
            matches!(&err, AmbaError::Rejected { cmd: "Sdt", payload } if payload == "ER"),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "camera rejected @Sdt: it answered \"ER\"");
        // Stm must not follow a refused Sdt.
        recorded.assert_finished();

        let mut recorded = Recorded::from_fixture("> @Gdv;8;12345678;#\n< @Gdv;2;ER;#\n").unwrap();
        let err = AmbaCamera::new(&mut recorded).device_id().unwrap_err();
        assert!(
            matches!(err, AmbaError::Rejected { cmd: "Gdv", .. }),
            "{err:?}"
        );
    }

    #[test]
    fn handshake_accepts_ok_loosely() {
        let mut recorded = Recorded::from_fixture("> @Ver;8;00000000;#\n< @Ver;3;ok ;#\n").unwrap();
        AmbaCamera::new(&mut recorded).handshake().unwrap();
    }

    #[test]
    fn partial_reply_times_out_with_a_clear_error() {
        let mut recorded = Recorded::from_fixture("> @Gdv;8;12345678;#\n< @Gdv;7;123\n")
            .unwrap()
            .with_chunk_sizes(&[1, 2]);
        let mut camera =
            AmbaCamera::new(&mut recorded).with_reply_timeout(Duration::from_millis(500));
        let err = camera.device_id().unwrap_err();
        assert!(
            matches!(
                err,
                AmbaError::Timeout {
                    cmd: "Gdv",
                    partial: 10,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "no complete reply to @Gdv within 500ms (10 byte(s) of a partial frame received)"
        );
        assert_eq!(camera.discarded_bytes(), 10);
    }

    /// Never says anything, returning empty reads rather than a transport timeout, so
    /// the driver's own deadline must end the wait.
    struct Silent;
    impl Transport for Silent {
        fn write(&mut self, _: &[u8]) -> io::Result<()> {
            Ok(())
        }
        fn read(&mut self, _: &mut [u8], timeout: Duration) -> io::Result<usize> {
            std::thread::sleep(timeout.min(Duration::from_millis(5)));
            Ok(0)
        }
    }

    #[test]
    fn silent_device_hits_the_driver_deadline() {
        let timeout = Duration::from_millis(60);
        let mut camera = AmbaCamera::new(Silent).with_reply_timeout(timeout);
        let start = Instant::now();
        let err = camera.handshake().unwrap_err();
        let waited = start.elapsed();
        assert!(
            matches!(
                err,
                AmbaError::Timeout {
                    cmd: "Ver",
                    partial: 0,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(waited >= timeout && waited < timeout * 10, "{waited:?}");
    }

    #[test]
    fn noise_before_a_reply_is_skipped_and_counted() {
        let mut recorded = Recorded::new([
            Step::Host(b"@Ver;8;00000000;#".to_vec()),
            Step::Device(b"\r\n\x00\xff".to_vec()),
            Step::Device(b"@Ver;2;OK;#".to_vec()),
        ])
        .with_chunk_sizes(&[3, 1]);
        let mut camera = AmbaCamera::new(&mut recorded);
        camera.handshake().unwrap();
        assert_eq!(camera.discarded_bytes(), 4);
    }

    #[test]
    fn malformed_or_foreign_replies_are_errors_naming_the_command() {
        let mut recorded = Recorded::from_fixture("> @ATH;8;12345678;#\n< @ATH;3;OK;#\n").unwrap();
        let err = AmbaCamera::new(&mut recorded).storage_mode().unwrap_err();
        assert!(
            matches!(
                err,
                AmbaError::Frame {
                    cmd: "ATH",
                    source: FrameError::LengthMismatch {
                        declared: 3,
                        actual: 2
                    }
                }
            ),
            "{err:?}"
        );

        let mut recorded =
            Recorded::from_fixture("> @Ver;8;00000000;#\n< @Gdv;7;1234567;#\n").unwrap();
        let err = AmbaCamera::new(&mut recorded).handshake().unwrap_err();
        assert!(
            matches!(&err, AmbaError::UnexpectedReply { sent: "Ver", got } if got == "Gdv"),
            "{err:?}"
        );
    }

    #[test]
    fn clock_outside_four_digit_years_is_refused_before_sending() {
        let t = NaiveDate::from_ymd_opt(12026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let mut recorded = Recorded::new([]);
        let err = AmbaCamera::new(&mut recorded).set_clock(t).unwrap_err();
        assert!(matches!(err, AmbaError::ClockOutOfRange(_)), "{err:?}");
    }

    #[test]
    #[should_panic(
        expected = "host wrote @Ver;8;00000001;# but recording line 4 expects @Ver;8;00000000;#"
    )]
    fn recorded_panics_on_an_unexpected_write() {
        let mut recorded = Recorded::from_fixture(SESSION).unwrap();
        let _ = recorded.write(b"@Ver;8;00000001;#");
    }
}
