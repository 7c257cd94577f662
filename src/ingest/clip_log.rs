//! The per-clip report of one dock session, written out as each clip's outcome is known.
//!
//! Held in memory with the listing, the report of a card of 100,000 small clips took a one-shot
//! ingest to a peak of 461 MiB (docs/BENCHMARKS.md). Each outcome now goes, in the card's order,
//! to a spooled temporary file (memory for the first MiB, an unnamed file in the temporary folder
//! after it) and is read back from there by housekeeping and for the report: a session's memory
//! does not grow with its clips.

use serde::ser::{Error as _, SerializeSeq};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use tempfile::SpooledTempFile;

/// What became of one clip of the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Stored,
    AlreadyStored,
    Failed,
}

impl Outcome {
    /// The clip is in the store and on the ledger (stored now or before).
    pub fn committed(self) -> bool {
        matches!(self, Outcome::Stored | Outcome::AlreadyStored)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::AlreadyStored => "already-stored",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClipOutcome {
    pub source: String,
    pub sha256: Option<String>,
    pub blake3: Option<String>,
    pub bytes: u64,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub store_path: Option<String>,
    pub integrity: Option<crate::media::Integrity>,
    pub duration_s: Option<f64>,
}

impl ClipOutcome {
    pub fn failed(
        entry: &super::walk::Entry,
        digests: Option<&crate::hash::Digests>,
        error: String,
    ) -> Self {
        ClipOutcome {
            source: entry.source.clone(),
            sha256: digests.map(|d| d.sha256.clone()),
            blake3: digests.map(|d| d.blake3.clone()),
            bytes: entry.bytes,
            outcome: Outcome::Failed,
            error: Some(error),
            store_path: None,
            integrity: None,
            duration_s: None,
        }
    }
}

/// One line of the log: the clip's place in the listing, and its outcome.
#[derive(Serialize, Deserialize)]
struct Line {
    index: usize,
    #[serde(flatten)]
    clip: ClipOutcome,
}

/// Kept in memory up to this much, then in an unnamed temporary file.
const IN_MEMORY: usize = 1 << 20;

pub struct ClipLog {
    file: RefCell<SpooledTempFile>,
    len: usize,
    counts: [usize; 3],
    /// Outcomes that arrived before an earlier clip's (a copy that failed while the finisher still
    /// held the clip before it): written once every earlier one is. A clip or two at most.
    waiting: BTreeMap<usize, ClipOutcome>,
    next: usize,
}

impl std::fmt::Debug for ClipLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipLog")
            .field("clips", &self.len)
            .field("stored", &self.count(Outcome::Stored))
            .field("already_stored", &self.count(Outcome::AlreadyStored))
            .field("failed", &self.count(Outcome::Failed))
            .finish()
    }
}

impl Default for ClipLog {
    fn default() -> Self {
        ClipLog {
            file: RefCell::new(SpooledTempFile::new(IN_MEMORY)),
            len: 0,
            counts: [0; 3],
            waiting: BTreeMap::new(),
            next: 0,
        }
    }
}

impl ClipLog {
    /// Clip `index`'s outcome; written in listing order (clips handled out of turn wait).
    pub fn put(&mut self, index: usize, clip: ClipOutcome) -> io::Result<()> {
        self.waiting.insert(index, clip);
        while let Some(clip) = self.waiting.remove(&self.next) {
            self.write(self.next, clip)?;
            self.next += 1;
        }
        Ok(())
    }

    /// Writes whatever still waits (the clips after a gap: none in a session that ran its course).
    pub fn flush(&mut self) -> io::Result<()> {
        for (index, clip) in std::mem::take(&mut self.waiting) {
            self.write(index, clip)?;
        }
        Ok(())
    }

    fn write(&mut self, index: usize, clip: ClipOutcome) -> io::Result<()> {
        self.counts[clip.outcome as usize] += 1;
        self.len += 1;
        let file = self.file.get_mut();
        file.seek(SeekFrom::End(0))?;
        serde_json::to_writer(&mut *file, &Line { index, clip })?;
        file.write_all(b"\n")
    }

    /// Clips with an outcome.
    pub fn len(&self) -> usize {
        self.len + self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.counts[outcome as usize]
            + self
                .waiting
                .values()
                .filter(|c| c.outcome == outcome)
                .count()
    }

    /// Each written clip in listing order, with its index in the listing.
    pub fn for_each(&self, mut f: impl FnMut(usize, ClipOutcome)) -> io::Result<()> {
        let mut file = self.file.borrow_mut();
        file.seek(SeekFrom::Start(0))?;
        for line in BufReader::new(&mut *file).lines() {
            let Line { index, clip } = serde_json::from_str(&line?)?;
            f(index, clip);
        }
        Ok(())
    }

    /// Every clip's outcome, in listing order (for a caller that wants them all at once).
    pub fn all(&self) -> Vec<ClipOutcome> {
        let mut all = Vec::with_capacity(self.len);
        // The log is the session's own file: a failure to read it back is a failing temp disk,
        // reported by the report's serialisation; here it leaves the list short.
        let _ = self.for_each(|_, c| all.push(c));
        all
    }
}

impl Serialize for ClipLog {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len))?;
        let mut failed = None;
        let read = self.for_each(|_, clip| {
            if failed.is_none()
                && let Err(e) = seq.serialize_element(&clip)
            {
                failed = Some(e);
            }
        });
        if let Some(e) = failed {
            return Err(e);
        }
        read.map_err(|e| {
            S::Error::custom(format!("the session's clip log cannot be read back: {e}"))
        })?;
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(n: usize, outcome: Outcome) -> ClipOutcome {
        ClipOutcome {
            source: format!("DCIM/{n}.MP4"),
            sha256: None,
            blake3: None,
            bytes: n as u64,
            outcome,
            error: None,
            store_path: None,
            integrity: None,
            duration_s: Some(n as f64),
        }
    }

    #[test]
    fn outcomes_come_back_in_listing_order_past_the_memory_spool() {
        let mut log = ClipLog::default();
        let n = 20_000; // about 3 MiB of lines: past IN_MEMORY, on disk
        log.put(1, clip(1, Outcome::Failed)).unwrap();
        assert_eq!(log.len(), 1, "waiting for clip 0");
        log.put(0, clip(0, Outcome::Stored)).unwrap();
        for i in 2..n {
            log.put(i, clip(i, Outcome::AlreadyStored)).unwrap();
        }
        assert!(log.file.borrow().is_rolled(), "spilled to a file");
        let mut seen = Vec::new();
        log.for_each(|i, c| {
            assert_eq!(c.bytes, i as u64);
            seen.push(i)
        })
        .unwrap();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
        assert_eq!(log.count(Outcome::Failed), 1);
        assert_eq!(log.count(Outcome::AlreadyStored), n - 2);
        let json = serde_json::to_value(&log).unwrap();
        assert_eq!(json[1]["outcome"], "failed");
        assert_eq!(json.as_array().unwrap().len(), n);
    }
}
