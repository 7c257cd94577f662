//! Parsers of everything a docked card or a USB camera controls: clip file names, `DEVICE.TXT`,
//! `CAMDOCK.INI`, the FAT/exFAT boot sector's dirty flag and the amba-usb vendor frames.
//!
//! Each takes bytes or text a hostile card could have written and answers without panicking; the
//! fuzz targets (`fuzz/`) depend on this crate alone, so their instrumented build is small. No file
//! system, libav, S3 or web code lives here: reading the files off a volume is the station's job.

#![forbid(unsafe_code)]

pub mod amba_frame;
pub mod binding;
pub mod fat;
pub mod file_name;
pub mod status_file;
