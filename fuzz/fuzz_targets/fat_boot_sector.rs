//! The FAT boot sector read from a docked card's block device for its "dirty" flag: any bytes
//! give an answer or none, never a panic; a sector too short to hold the flag gives none.
#![no_main]

use camdock_card::fat::dirty_flag;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|sector: &[u8]| {
    let flag = dirty_flag(sector);
    if sector.len() < 512 {
        assert_eq!(flag, None);
    }
});
