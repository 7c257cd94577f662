//! The "volume dirty" flag of FAT and exFAT cards: set while mounted and cleared on a clean
//! unmount, so a card that arrives dirty was pulled out of a camera (or PC) mid-write.

use std::io::Read;
use std::path::Path;

/// Reads the flag from a boot sector; None if this is not FAT/exFAT.
pub fn dirty_flag(boot_sector: &[u8]) -> Option<bool> {
    if boot_sector.len() < 512 || boot_sector[510..512] != [0x55, 0xAA] {
        return None;
    }
    if &boot_sector[3..11] == b"EXFAT   " {
        // VolumeFlags at offset 106, bit 1 = VolumeDirty.
        return Some(boot_sector[106] & 0b10 != 0);
    }
    let root_entries = u16::from_le_bytes([boot_sector[17], boot_sector[18]]);
    let fat_size_16 = u16::from_le_bytes([boot_sector[22], boot_sector[23]]);
    let reserved_byte = if root_entries == 0 && fat_size_16 == 0 {
        boot_sector[0x41]
    } else {
        boot_sector[0x25]
    };
    let is_fat = &boot_sector[0x36..0x39] == b"FAT" || &boot_sector[0x52..0x55] == b"FAT";
    // BS_Reserved1 / NT flags: bit 0 is the dirty bit Windows and Linux set while mounted.
    is_fat.then_some(reserved_byte & 0x01 != 0)
}

/// Reads the flag from a block device (the camera's partition); None without permission or FAT.
pub fn read_dirty_flag(device: &Path) -> Option<bool> {
    let mut sector = [0u8; 512];
    std::fs::File::open(device)
        .ok()?
        .read_exact(&mut sector)
        .ok()?;
    dirty_flag(&sector)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fat32(dirty: bool) -> Vec<u8> {
        let mut s = vec![0u8; 512];
        s[510] = 0x55;
        s[511] = 0xAA;
        s[0x52..0x5A].copy_from_slice(b"FAT32   ");
        s[0x41] = dirty as u8;
        s
    }

    #[test]
    fn reads_the_dirty_bit_of_fat32_and_exfat() {
        assert_eq!(dirty_flag(&fat32(true)), Some(true));
        assert_eq!(dirty_flag(&fat32(false)), Some(false));
        let mut ex = vec![0u8; 512];
        ex[3..11].copy_from_slice(b"EXFAT   ");
        ex[510] = 0x55;
        ex[511] = 0xAA;
        ex[106] = 0b10;
        assert_eq!(dirty_flag(&ex), Some(true));
        assert_eq!(dirty_flag(&[0u8; 512]), None);
        assert_eq!(dirty_flag(&[0u8; 10]), None);
    }
}
