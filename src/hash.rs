//! The two digests every clip carries, and the one single-pass fan-out that computes them.
//!
//! One read of the source feeds SHA-256, BLAKE3 and (optionally) a writer, each on its own thread,
//! so the slowest stage sets the pace. Buffers come from a fixed pool: memory is bounded by the pool,
//! whatever the clip size. The same function re-hashes for read-back, `verify` and `export`, so
//! "the bytes that were hashed are the bytes that were written" is checked by one piece of code.

use sha2::{Digest as _, Sha256};
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

/// Size of one buffer handed down the pipeline.
pub const CHUNK: usize = 512 << 10;
/// Buffers in flight per copy: the hard memory bound (POOL × CHUNK).
const POOL: usize = 8;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digests {
    pub sha256: String,
    pub blake3: String,
    pub bytes: u64,
}

/// A pooled buffer that returns itself to the pool when the last stage drops it.
struct Pooled {
    data: Vec<u8>,
    home: SyncSender<Vec<u8>>,
}

impl Drop for Pooled {
    fn drop(&mut self) {
        // The pool may already be gone when the copy was abandoned; then the buffer is simply freed.
        let _ = self.home.try_send(std::mem::take(&mut self.data));
    }
}

/// Where a fan-out failed: reading the source or writing the sink are different faults for the user
/// (a camera pulled out vs. a full disk).
#[derive(Debug, thiserror::Error)]
pub enum FanOutError {
    #[error("reading the source failed: {0}")]
    Read(io::Error),
    #[error("writing the copy failed: {0}")]
    Write(io::Error),
}

/// Reads `source` to its end once; hashes every byte with SHA-256 and BLAKE3 and, if given,
/// writes the same bytes to `sink`.
pub fn fan_out<R: Read, W: Write + Send>(
    mut source: R,
    sink: Option<&mut W>,
) -> Result<Digests, FanOutError> {
    // The first buffer is read before any thread starts: a source that ends within it (a photo,
    // an audio note, a one-second clip) is hashed and written on this thread. Three threads per
    // clip cost ~0.3 ms of starts and stacks, more than hashing 100 KiB; a card of 100,000 small
    // clips paid them 100,000 times.
    let mut first = vec![0u8; CHUNK];
    let n = read_full(&mut source, &mut first).map_err(FanOutError::Read)?;
    if n < CHUNK {
        let data = &first[..n];
        if let Some(sink) = sink {
            sink.write_all(data).map_err(FanOutError::Write)?;
        }
        return Ok(digest_of_slice(data));
    }
    let (pool_tx, pool_rx) = sync_channel::<Vec<u8>>(POOL);
    pool_tx.send(first).expect("pool has room");
    for _ in 1..POOL {
        pool_tx.send(vec![0u8; CHUNK]).expect("pool has room");
    }
    let mut first_read = Some(n);
    thread::scope(|scope| {
        let (sha_tx, sha_rx) = sync_channel::<Arc<Pooled>>(POOL);
        let (b3_tx, b3_rx) = sync_channel::<Arc<Pooled>>(POOL);
        let sha = scope.spawn(move || {
            let mut h = Sha256::new();
            for buf in sha_rx {
                h.update(&buf.data);
            }
            hex::encode(h.finalize())
        });
        let b3 = scope.spawn(move || {
            let mut h = blake3::Hasher::new();
            for buf in b3_rx {
                h.update(&buf.data);
            }
            h.finalize().to_hex().to_string()
        });
        let (write_tx, writer) = match sink {
            Some(sink) => {
                let (tx, rx) = sync_channel::<Arc<Pooled>>(POOL);
                (
                    Some(tx),
                    Some(scope.spawn(move || write_all_from(rx, sink))),
                )
            }
            None => (None, None),
        };

        let mut bytes = 0u64;
        let mut read_error = None;
        while let Ok(mut data) = pool_rx.recv() {
            data.resize(CHUNK, 0);
            let read = match first_read.take() {
                Some(n) => Ok(n), // the first buffer, read above
                None => read_full(&mut source, &mut data),
            };
            let n = match read {
                Ok(n) => n,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            };
            if n == 0 {
                break;
            }
            data.truncate(n);
            bytes += n as u64;
            let buf = Arc::new(Pooled {
                data,
                home: pool_tx.clone(),
            });
            let hashers_alive = sha_tx.send(buf.clone()).is_ok() && b3_tx.send(buf.clone()).is_ok();
            let writer_alive = write_tx.as_ref().is_none_or(|tx| tx.send(buf).is_ok());
            if !hashers_alive || !writer_alive {
                break; // a stage stopped: its own error is reported below
            }
        }
        drop((sha_tx, b3_tx, write_tx));
        let sha256 = sha.join().expect("sha256 stage panicked");
        let blake3 = b3.join().expect("blake3 stage panicked");
        if let Some(writer) = writer {
            writer
                .join()
                .expect("writer stage panicked")
                .map_err(FanOutError::Write)?;
        }
        if let Some(e) = read_error {
            return Err(FanOutError::Read(e));
        }
        Ok(Digests {
            sha256,
            blake3,
            bytes,
        })
    })
}

/// Both digests of bytes in memory.
fn digest_of_slice(data: &[u8]) -> Digests {
    Digests {
        sha256: hex::encode(Sha256::digest(data)),
        blake3: blake3::hash(data).to_hex().to_string(),
        bytes: data.len() as u64,
    }
}

fn write_all_from<W: Write>(rx: Receiver<Arc<Pooled>>, sink: &mut W) -> io::Result<()> {
    for buf in rx {
        sink.write_all(&buf.data)?;
    }
    sink.flush()
}

/// Fills `buf` as far as the source allows; 0 means end of file. Interrupted reads are retried.
fn read_full<R: Read>(source: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Both digests fed piece by piece, for a copy that is read back window by window as it reaches
/// the disk (one thread: the pieces arrive at disk speed, far slower than the hashes run).
#[derive(Default)]
pub struct RunningDigests {
    sha256: Sha256,
    blake3: blake3::Hasher,
    bytes: u64,
}

impl RunningDigests {
    pub fn update(&mut self, data: &[u8]) {
        self.sha256.update(data);
        self.blake3.update(data);
        self.bytes += data.len() as u64;
    }

    /// How many bytes have been fed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn finish(self) -> Digests {
        Digests {
            sha256: hex::encode(self.sha256.finalize()),
            blake3: self.blake3.finalize().to_hex().to_string(),
            bytes: self.bytes,
        }
    }
}

/// Hashes a reader with no copy (verify, read-back, export).
pub fn digest_of<R: Read>(source: R) -> Result<Digests, FanOutError> {
    fan_out::<R, io::Sink>(source, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors_and_copy_match() {
        let data: Vec<u8> = (0..(3 * CHUNK + 12345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut copy = Vec::new();
        let d = fan_out(&data[..], Some(&mut copy)).unwrap();
        assert_eq!(copy, data);
        assert_eq!(d.bytes, data.len() as u64);
        assert_eq!(d.sha256, hex::encode(Sha256::digest(&data)));
        assert_eq!(d.blake3, blake3::hash(&data).to_hex().to_string());
        let mut running = RunningDigests::default();
        for piece in data.chunks(1000) {
            running.update(piece);
        }
        assert_eq!(running.finish(), d);
        let empty = digest_of(&b""[..]).unwrap();
        assert_eq!(
            empty.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn small_sources_on_this_thread_and_large_ones_fanned_out_give_the_same_digests() {
        for len in [0, 1, 4096, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK] {
            let data: Vec<u8> = (0..len).map(|i| (i * 13 % 241) as u8).collect();
            let mut copy = Vec::new();
            let d = fan_out(&data[..], Some(&mut copy)).unwrap();
            assert_eq!(copy, data, "{len}");
            assert_eq!(d.sha256, hex::encode(Sha256::digest(&data)), "{len}");
            assert_eq!(d.blake3, blake3::hash(&data).to_hex().to_string(), "{len}");
            assert_eq!(d.bytes, len as u64);
        }
        let err = fan_out(FailingReader(100), Some(&mut Vec::new())).unwrap_err();
        assert!(matches!(err, FanOutError::Read(_)), "{err}");
        let err = fan_out(&[1u8; 10][..], Some(&mut FailingWriter)).unwrap_err();
        assert!(matches!(err, FanOutError::Write(_)), "{err}");
    }

    struct FailingWriter;
    impl Write for FailingWriter {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::StorageFull, "no space"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_is_a_write_error_not_a_hang() {
        let data = vec![1u8; 20 * CHUNK];
        let err = fan_out(&data[..], Some(&mut FailingWriter)).unwrap_err();
        assert!(matches!(err, FanOutError::Write(_)), "{err}");
    }

    struct FailingReader(usize);
    impl Read for FailingReader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::other("EIO"));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
    }

    #[test]
    fn a_pulled_camera_is_a_read_error() {
        let mut sink = Vec::new();
        let err = fan_out(FailingReader(3 * CHUNK + 5), Some(&mut sink)).unwrap_err();
        assert!(matches!(err, FanOutError::Read(_)), "{err}");
    }
}
