//! The daemon: dock events in, dock sessions out.
