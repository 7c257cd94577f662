//! The frames of "amba-usb", the body camera's vendor protocol over a pair of USB bulk endpoints.
//!
//! Every message is one ASCII frame `@Cmd;len;payload;#`, where `len` is the payload
//! length written in decimal. The host sends one request and the camera answers with a
//! frame of the same command: `OK`, an error such as `ER`, or (for `Gdv`) the data asked for.
//! The decoder faces bytes straight off the wire and is fuzzed (`fuzz/`).

use chrono::{Datelike, NaiveDate, NaiveTime, Timelike};

pub const VENDOR_ID: u16 = 0x4255;
pub const PRODUCT_ID: u16 = 0x0001;

/// Upper bound on one encoded frame. Real frames are under 30 bytes; the cap bounds
/// how much a misbehaving device can make the host buffer while it waits for `;#`.
pub const MAX_FRAME: usize = 256;
const MAX_CMD: usize = 8;
const MAX_LEN_DIGITS: usize = 3;

/// Command names as the camera spells them (case matters: `ATH` is upper case).
pub mod cmd {
    pub const VERSION: &str = "Ver";
    pub const SET_DATE: &str = "Sdt";
    pub const SET_TIME: &str = "Stm";
    pub const DEVICE_ID: &str = "Gdv";
    pub const STORAGE_MODE: &str = "ATH";
}

// The design gives these fixed payloads for commands that carry no argument; the camera
// is only known to work with exactly these, so they are sent verbatim.
pub const VERSION_PAYLOAD: &str = "00000000";
pub const DEVICE_ID_PAYLOAD: &str = "12345678";
pub const STORAGE_MODE_PAYLOAD: &str = "12345678";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub cmd: String,
    pub payload: String,
}

impl Frame {
    /// Encodes without validating, so a hand-built frame with odd characters goes out
    /// as written; `is_valid` tells whether the other side's decoder would accept it.
    pub fn encode(&self) -> Vec<u8> {
        format!("@{};{};{};#", self.cmd, self.payload.len(), self.payload).into_bytes()
    }

    /// True when `decode(encode())` gives back exactly this frame.
    pub fn is_valid(&self) -> bool {
        let bytes = self.encode();
        matches!(decode(&bytes), Ok((ref f, used)) if used == bytes.len() && f == self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The bytes so far are a valid start of a frame (or nothing at all): read more.
    #[error("incomplete frame: more bytes needed")]
    Incomplete,
    /// `skipped` bytes precede the first `@` (all of the input if there is none); drop
    /// them and decode again.
    #[error("{skipped} byte(s) of garbage before a frame start '@'")]
    Garbage { skipped: usize },
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    TooLong { len: usize, max: usize },
    #[error("non-ASCII byte 0x{byte:02x} at offset {offset}")]
    NonAscii { offset: usize, byte: u8 },
    #[error("unexpected '{}' at offset {offset}, expected {expected}", byte.escape_ascii())]
    UnexpectedByte {
        offset: usize,
        byte: u8,
        expected: &'static str,
    },
    /// `actual` counts payload characters up to the `;`; when the payload runs past the
    /// declared length it counts what has arrived so far.
    #[error("payload length mismatch: header says {declared}, payload has {actual}")]
    LengthMismatch { declared: usize, actual: usize },
    #[error("missing ';#' terminator at offset {offset}")]
    MissingTerminator { offset: usize },
}

fn is_cmd_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

// The delimiters are kept out of payloads so a frame can be split on them as well as
// measured by its length: a reply that disagrees between the two is rejected, not guessed.
fn is_payload_byte(b: u8) -> bool {
    (b' '..=b'~').contains(&b) && !matches!(b, b';' | b'@' | b'#')
}

/// Byte at `i`, or `Incomplete` past the end. Non-ASCII is rejected wherever it appears
/// inside a frame, before any field-specific check.
#[deny(clippy::indexing_slicing)]
fn byte_at(bytes: &[u8], i: usize) -> Result<u8, FrameError> {
    match bytes.get(i) {
        None => Err(FrameError::Incomplete),
        Some(&b) if !b.is_ascii() => Err(FrameError::NonAscii { offset: i, byte: b }),
        Some(&b) => Ok(b),
    }
}

fn ascii_string(bytes: &[u8], start: usize, end: usize) -> String {
    bytes
        .iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .map(|&b| char::from(b))
        .collect()
}

/// Decodes the frame at the start of `bytes`, returning it and the bytes it used.
///
/// Offsets in errors count from the start of `bytes`. Every field is bounded, so
/// `Incomplete` is only returned for a buffer shorter than `MAX_FRAME`.
#[deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
pub fn decode(bytes: &[u8]) -> Result<(Frame, usize), FrameError> {
    match bytes.iter().position(|&b| b == b'@') {
        Some(0) => {}
        Some(skipped) => return Err(FrameError::Garbage { skipped }),
        None if bytes.is_empty() => return Err(FrameError::Incomplete),
        None => {
            return Err(FrameError::Garbage {
                skipped: bytes.len(),
            });
        }
    }

    let mut i = 1;
    loop {
        let b = byte_at(bytes, i)?;
        if b == b';' {
            break;
        }
        if !is_cmd_byte(b) || i > MAX_CMD {
            let expected = if is_cmd_byte(b) {
                "';' (commands are at most 8 characters)"
            } else {
                "a command character or ';'"
            };
            return Err(FrameError::UnexpectedByte {
                offset: i,
                byte: b,
                expected,
            });
        }
        i += 1;
    }
    if i == 1 {
        return Err(FrameError::UnexpectedByte {
            offset: i,
            byte: b';',
            expected: "a command name",
        });
    }
    let cmd = ascii_string(bytes, 1, i);

    i += 1;
    let len_start = i;
    let mut declared = 0usize;
    loop {
        let b = byte_at(bytes, i)?;
        if b == b';' {
            break;
        }
        if !b.is_ascii_digit() || i - len_start >= MAX_LEN_DIGITS {
            let expected = if b.is_ascii_digit() {
                "';' (lengths are at most 3 digits)"
            } else {
                "a length digit or ';'"
            };
            return Err(FrameError::UnexpectedByte {
                offset: i,
                byte: b,
                expected,
            });
        }
        declared = declared * 10 + usize::from(b - b'0');
        i += 1;
    }
    if i == len_start {
        return Err(FrameError::UnexpectedByte {
            offset: i,
            byte: b';',
            expected: "a length digit",
        });
    }

    // Checked before reading the payload so a hostile length cannot make us wait for
    // (or buffer) more than MAX_FRAME bytes.
    let payload_start = i + 1;
    let total = payload_start + declared + 2;
    if total > MAX_FRAME {
        return Err(FrameError::TooLong {
            len: total,
            max: MAX_FRAME,
        });
    }

    i = payload_start;
    for actual in 0..declared {
        let b = byte_at(bytes, i)?;
        if b == b';' {
            return Err(FrameError::LengthMismatch { declared, actual });
        }
        if !is_payload_byte(b) {
            return Err(FrameError::UnexpectedByte {
                offset: i,
                byte: b,
                expected: "a payload character",
            });
        }
        i += 1;
    }

    let b = byte_at(bytes, i)?;
    if is_payload_byte(b) {
        let extra = bytes
            .iter()
            .skip(i)
            .take(MAX_FRAME)
            .take_while(|&&c| is_payload_byte(c))
            .count();
        return Err(FrameError::LengthMismatch {
            declared,
            actual: declared + extra,
        });
    }
    if b != b';' {
        return Err(FrameError::MissingTerminator { offset: i });
    }
    i += 1;
    if byte_at(bytes, i)? != b'#' {
        return Err(FrameError::MissingTerminator { offset: i });
    }

    let payload = ascii_string(bytes, payload_start, payload_start + declared);
    Ok((Frame { cmd, payload }, i + 1))
}

/// Payload of `Sdt`: `yyyyMMdd`. `None` for years that do not fit in four digits.
pub fn date_payload(date: NaiveDate) -> Option<String> {
    (0..=9999)
        .contains(&date.year())
        .then(|| format!("{:04}{:02}{:02}", date.year(), date.month(), date.day()))
}

/// Payload of `Stm`: `HHmmss` and a literal `00`, as in the design (the camera has no
/// use for sub-second precision, so none is sent).
pub fn time_payload(time: NaiveTime) -> String {
    format!(
        "{:02}{:02}{:02}00",
        time.hour(),
        time.minute(),
        time.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn wall_time() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 24)
            .and_then(|d| d.and_hms_opt(8, 0, 7))
            .expect("valid date")
    }

    fn frame(cmd: &str, payload: &str) -> Frame {
        Frame {
            cmd: cmd.into(),
            payload: payload.into(),
        }
    }

    #[test]
    fn encodes_each_request_exactly() {
        let t = wall_time();
        let cases = [
            (frame(cmd::VERSION, VERSION_PAYLOAD), "@Ver;8;00000000;#"),
            (
                frame(cmd::SET_DATE, &date_payload(t.date()).unwrap()),
                "@Sdt;8;20261124;#",
            ),
            (
                frame(cmd::SET_TIME, &time_payload(t.time())),
                "@Stm;8;08000700;#",
            ),
            (
                frame(cmd::DEVICE_ID, DEVICE_ID_PAYLOAD),
                "@Gdv;8;12345678;#",
            ),
            (
                frame(cmd::STORAGE_MODE, STORAGE_MODE_PAYLOAD),
                "@ATH;8;12345678;#",
            ),
            (frame("Ver", "OK"), "@Ver;2;OK;#"),
            (frame("Gdv", "1234567"), "@Gdv;7;1234567;#"),
            (frame("Gdv", ""), "@Gdv;0;;#"),
        ];
        for (f, wire) in cases {
            assert_eq!(f.encode(), wire.as_bytes(), "{f:?}");
            assert!(f.is_valid(), "{f:?}");
        }
    }

    #[test]
    fn date_and_time_payloads_pad_and_bound() {
        let early = NaiveDate::from_ymd_opt(9, 1, 2).unwrap();
        assert_eq!(date_payload(early).as_deref(), Some("00090102"));
        assert_eq!(
            date_payload(NaiveDate::from_ymd_opt(10000, 1, 1).unwrap()),
            None
        );
        assert_eq!(
            date_payload(NaiveDate::from_ymd_opt(-1, 1, 1).unwrap()),
            None
        );
        assert_eq!(
            time_payload(NaiveTime::from_hms_opt(0, 0, 0).unwrap()),
            "00000000"
        );
        assert_eq!(
            time_payload(NaiveTime::from_hms_opt(23, 59, 59).unwrap()),
            "23595900"
        );
    }

    #[test]
    fn decode_round_trips_and_reports_consumed() {
        for f in [
            frame("Ver", "OK"),
            frame("Gdv", "1234567"),
            frame("ATH", "ER"),
            frame("X", ""),
        ] {
            let wire = f.encode();
            assert_eq!(decode(&wire), Ok((f.clone(), wire.len())));
            // Trailing bytes belong to the next frame and are left alone.
            let mut two = wire.clone();
            two.extend_from_slice(b"@Sdt;2;OK;#");
            assert_eq!(decode(&two), Ok((f, wire.len())));
        }
        // Leading zeros in len are tolerated on input.
        assert_eq!(decode(b"@Ver;02;OK;#"), Ok((frame("Ver", "OK"), 12)));
    }

    #[test]
    fn random_valid_frames_round_trip_and_prefixes_are_incomplete() {
        let mut rng = StdRng::seed_from_u64(0x9e37_79b9_7f4a_7c15);
        let cmd_chars = b"abcXYZ019";
        let payload_chars: Vec<u8> = (b' '..=b'~').filter(|&b| is_payload_byte(b)).collect();
        for _ in 0..2000 {
            let cmd_len = 1 + rng.random_range(0..MAX_CMD);
            let cmd: String = (0..cmd_len)
                .map(|_| char::from(cmd_chars[rng.random_range(0..cmd_chars.len())]))
                .collect();
            let payload_len = rng.random_range(0..MAX_FRAME - cmd_len - 7);
            let payload: String = (0..payload_len)
                .map(|_| char::from(payload_chars[rng.random_range(0..payload_chars.len())]))
                .collect();
            let f = Frame { cmd, payload };
            let wire = f.encode();
            assert!(wire.len() <= MAX_FRAME);
            assert_eq!(decode(&wire), Ok((f.clone(), wire.len())));
            for cut in 0..wire.len() {
                assert_eq!(
                    decode(&wire[..cut]),
                    Err(FrameError::Incomplete),
                    "{f:?} cut at {cut}"
                );
            }
        }
    }

    #[test]
    fn hostile_inputs_give_the_right_error() {
        use FrameError::*;
        let mismatch = |declared, actual| LengthMismatch { declared, actual };
        let non_ascii = |offset, byte| NonAscii { offset, byte };
        let unexpected = |offset, byte, expected| UnexpectedByte {
            offset,
            byte,
            expected,
        };
        let too_long = |len| TooLong {
            len,
            max: MAX_FRAME,
        };
        let cases: &[(&[u8], FrameError)] = &[
            (b"", Incomplete),
            (b"@", Incomplete),
            (b"@Ver;2;O", Incomplete),
            (b"@Ver;2;OK;", Incomplete),
            (b"hello", Garbage { skipped: 5 }),
            (b"\r\n\x00\xff@Ver;2;OK;#", Garbage { skipped: 4 }),
            (b"@Ver;3;OK;#", mismatch(3, 2)),
            (b"@Ver;1;OK;#", mismatch(1, 2)),
            (b"@Ver;0;OK;#", mismatch(0, 2)),
            (b"@Ver;2;OKAY", mismatch(2, 4)),
            (b"@Ver;2;OK;X", MissingTerminator { offset: 10 }),
            (b"@Ver;2;OK#", MissingTerminator { offset: 9 }),
            (b"@Ver;2;OK;@Ver;2;OK;#", MissingTerminator { offset: 10 }),
            (b"@Ver;999;", too_long(1010)),
            (b"@V\xe9r;2;OK;#", non_ascii(2, 0xe9)),
            (b"@Ver;2;O\x80;#", non_ascii(8, 0x80)),
            (b"@Ver;2;OK;\xa3", non_ascii(10, 0xa3)),
            (b"@;2;OK;#", unexpected(1, b';', "a command name")),
            (b"@Ver;;OK;#", unexpected(5, b';', "a length digit")),
            (b"@Ver;x;OK;#", unexpected(5, b'x', "a length digit or ';'")),
            (
                b"@Ver;-2;OK;#",
                unexpected(5, b'-', "a length digit or ';'"),
            ),
            (
                b"@Ver;0002;",
                unexpected(8, b'2', "';' (lengths are at most 3 digits)"),
            ),
            (
                b"@V r;2;OK;#",
                unexpected(2, b' ', "a command character or ';'"),
            ),
            (
                b"@@Ver;2;OK;#",
                unexpected(1, b'@', "a command character or ';'"),
            ),
            (b"@Ver;2;O\n;#", unexpected(8, b'\n', "a payload character")),
            (b"@Ver;2;O#;#", unexpected(8, b'#', "a payload character")),
        ];
        for (input, want) in cases {
            assert_eq!(
                decode(input),
                Err(want.clone()),
                "input {}",
                input.escape_ascii()
            );
            assert!(!want.to_string().is_empty());
        }

        let mut long_cmd = b"@".to_vec();
        long_cmd.extend(std::iter::repeat_n(b'A', 10_000));
        assert!(matches!(
            decode(&long_cmd),
            Err(UnexpectedByte { offset: 9, .. })
        ));

        // A length that fits in 3 digits but not in the frame cap.
        let payload = "A".repeat(250);
        let huge = frame("Ver", &payload).encode();
        assert_eq!(
            decode(&huge),
            Err(TooLong {
                len: 261,
                max: MAX_FRAME
            })
        );
        assert!(!frame("Ver", &payload).is_valid());

        let junk = vec![0xffu8; 100_000];
        assert_eq!(
            decode(&junk),
            Err(Garbage {
                skipped: junk.len()
            })
        );
    }

    #[test]
    fn random_bytes_never_panic_and_results_are_consistent() {
        let mut rng = StdRng::seed_from_u64(0x2545_f491_4f6c_dd1d);
        let alphabet = b"@;#0123456789VerOKAB \r\n\x00\x7f\x80\xff";
        for _ in 0..50_000 {
            let len = rng.random_range(0..48);
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.random_range(0..8) == 0 {
                        rng.random::<u8>()
                    } else {
                        alphabet[rng.random_range(0..alphabet.len())]
                    }
                })
                .collect();
            match decode(&input) {
                Ok((f, used)) => {
                    assert!(used <= input.len() && f.is_valid());
                    assert_eq!(decode(&input[..used]), Ok((f, used)));
                }
                Err(FrameError::Garbage { skipped }) => {
                    assert!(skipped >= 1 && skipped <= input.len());
                    assert!(input[..skipped].iter().all(|&b| b != b'@'));
                    assert!(skipped == input.len() || input[skipped] == b'@');
                }
                Err(FrameError::Incomplete) => assert!(input.len() < MAX_FRAME),
                Err(_) => {}
            }
        }
    }
}
