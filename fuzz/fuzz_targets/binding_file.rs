//! CAMDOCK.INI, the station-sealed binding on the card: any text is parsed without panicking, and
//! nothing but the station's own key can make it pass (the fuzzer must never forge the MAC).
#![no_main]

use camdock_card::binding::{BindingKey, parse};
use libfuzzer_sys::fuzz_target;

/// A station's binding key; the fuzzer never sees it, as a hostile card never would.
const KEY: [u8; 32] = *b"camdock-fuzz-binding-key-32bytes";

fuzz_target!(|text: &str| {
    let check = parse(text, &BindingKey::new(KEY));
    assert!(!check.mac_ok, "a binding the station never signed passed: {text:?}");
    assert!(check.binding.is_some() || !check.problems.is_empty());
});
