//! The amba-usb frame decoder, fed raw bytes as they would arrive from a USB bulk endpoint: it
//! never panics, never claims more bytes than it was given or than a frame may hold, returns the
//! payload exactly as it stood between the delimiters, and decodes its own encoding to the same
//! frame. (A length written with leading zeros, `04`, is accepted, so the consumed bytes need not
//! equal the canonical encoding.)
#![no_main]

use camdock_card::amba_frame::{MAX_FRAME, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok((frame, used)) = decode(bytes) {
        assert!(used <= bytes.len() && used <= MAX_FRAME, "used {used}");
        let consumed = &bytes[..used];
        assert!(consumed.starts_with(b"@") && consumed.ends_with(b";#"));
        let payload = &consumed[used - 2 - frame.payload.len()..used - 2];
        assert_eq!(payload, frame.payload.as_bytes());
        let again = frame.encode();
        assert!(
            matches!(decode(&again), Ok((ref f, n)) if *f == frame && n == again.len()),
            "{frame:?}"
        );
    }
});
