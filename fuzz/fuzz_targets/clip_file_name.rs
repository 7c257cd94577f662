//! The clip file-name grammar: any name parses or is refused, never panics; a name it accepts
//! reads back the same when written out again in the camera's own pattern.
#![no_main]

use camdock_card::file_name::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|name: &str| {
    let Some(clip) = parse(name) else { return };
    let rewritten = format!(
        "{}_{}_{}_{:04}{}.MP4",
        clip.serial,
        clip.officer,
        clip.started.format("%Y%m%d%H%M%S"),
        clip.sequence,
        if clip.important { "_IMP" } else { "" }
    );
    assert_eq!(parse(&rewritten), Some(clip), "{name:?} -> {rewritten:?}");
});
