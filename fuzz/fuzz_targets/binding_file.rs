//! CAMDOCK.INI, the station-signed binding on the card: any text is parsed without panicking, and
//! nothing but the station's own key can make it pass (the fuzzer must never forge the MAC).
#![no_main]

use camdock::camera::binding::parse;
use camdock::keys::StationKey;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn key() -> &'static StationKey {
    static KEY: OnceLock<(tempfile::TempDir, StationKey)> = OnceLock::new();
    &KEY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp dir for the station key");
        let key = StationKey::load_or_create(dir.path()).expect("station key");
        (dir, key)
    })
    .1
}

fuzz_target!(|text: &str| {
    let check = parse(text, key());
    assert!(!check.mac_ok, "a binding the station never signed passed: {text:?}");
    assert!(check.binding.is_some() || !check.problems.is_empty());
});
