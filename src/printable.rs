//! Text from outside the station printed safely: file names from a card, and every field a
//! person typed (a reason, an officer, a note) or a card reported (a camera name). One routine,
//! so no two texts print alike and none can drive the terminal an approver or auditor reads.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// A path or name as text an auditor can read and map back to the card, byte for byte: valid
/// UTF-8 as is, but invalid bytes as `\xFF`, control characters (a newline, a terminal escape) as
/// `\x1B` or `\u{85}`, bidirectional overrides that make a name display as another as `\u{202E}`,
/// and a backslash itself as `\\`, so no two names print alike and none can rewrite the screen.
pub fn printable(name: &OsStr) -> String {
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                c if c.is_ascii_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
                c if c.is_control() || is_bidi_control(c) => {
                    out.push_str(&format!("\\u{{{:X}}}", c as u32))
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A field a person or a card typed, safe for a terminal: `printable` of its text.
pub fn text(s: &str) -> String {
    printable(OsStr::new(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_print_unambiguously_and_cannot_drive_a_terminal() {
        let p = |b: &[u8]| printable(OsStr::from_bytes(b));
        assert_eq!(p(b"a\xffb"), "a\\xFFb");
        assert_eq!(
            p(b"a\\xFFb"),
            "a\\\\xFFb",
            "a literal backslash is not an escape"
        );
        assert_eq!(p(b"\x1b[2Jx\ny\t"), "\\x1B[2Jx\\x0Ay\\x09");
        assert_eq!(p("\u{202e}4pm.exe".as_bytes()), "\\u{202E}4pm.exe");
        assert_eq!(p("证据 1.MP4".as_bytes()), "证据 1.MP4");
    }

    #[test]
    fn a_typed_field_cannot_redraw_the_screen() {
        assert_eq!(
            text("court\x1b[2J\x1b[1;1Happroved"),
            "court\\x1B[2J\\x1B[1;1Happroved"
        );
    }
}
