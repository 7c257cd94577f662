//! camdock: the body-camera dock station.
//!
//! Data flows one way: dock event → slot → volume → clip pipeline → store → ledger → views.
//! Each module only calls the ones below it; see `ARCHITECTURE.md` for the map.

pub mod audit;
pub mod camera;
pub mod cli;
pub mod commands;
pub mod config;
pub mod custody;
pub mod dock;
pub mod error;
pub mod hash;
pub mod hub;
pub mod ingest;
pub mod keys;
pub mod ledger;
pub mod media;
pub mod notification;
pub mod paths;
pub mod people;
pub mod printable;
pub mod replica;
pub mod simulate;
pub mod station;
pub mod store;
pub mod time;
pub mod web;
