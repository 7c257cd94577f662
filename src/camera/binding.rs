//! `CAMDOCK.INI`, the station-sealed binding on a card (`camdock_card::binding`): written by
//! `camdock bind`, read back at every dock.

pub use camdock_card::binding::*;

use std::io::Write;
use std::path::Path;

/// Writes the binding file to the card and flushes it.
pub fn write(binding: &Binding, volume: &Path, key: &BindingKey) -> std::io::Result<()> {
    let mut f = std::fs::File::create(volume.join(FILE_NAME))?;
    f.write_all(binding.render(key).as_bytes())?;
    f.sync_all()
}

/// Reads and checks the binding file on a volume, if there is one (never following a symlink).
pub fn read(volume: &Path, key: &BindingKey) -> Option<BindingCheck> {
    Some(parse(
        &super::read_control_file(volume, FILE_NAME, MAX_BYTES)?,
        key,
    ))
}
