//! DEVICE.TXT as a camera (or anything pretending to be one) writes it: any text is parsed or its
//! lines reported as problems; identity fields that come out are ones the station can file under.
#![no_main]

use camdock_card::status_file::{parse, valid_id};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let s = parse(text);
    for id in [&s.serial, &s.officer].into_iter().flatten() {
        assert!(valid_id(id), "{id:?} from {text:?}");
    }
    if let Some(b) = s.battery_percent {
        assert!(b <= 100, "battery {b} from {text:?}");
    }
});
