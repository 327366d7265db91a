//! Sealing every open head at once on several threads: heads are
//! independent (each its own series' events, encoded on their own), so a
//! stream that is done appending — the end of an ingest, of a file read
//! into a stream — need not seal them one after another on one core.

use super::chunk::SealedChunk;
use super::{Stream, StreamError};
use std::sync::atomic::{AtomicUsize, Ordering};

impl Stream {
    /// Seals every open head chunk now, as [`Stream::seal`] does, on up to
    /// `threads` threads (each takes the next open head until none is
    /// left); the chunks are the same, whatever the number of threads. On
    /// a codec error that head is kept as it was and the others are
    /// sealed; the error of the first such series is returned.
    pub fn seal_on(&mut self, threads: usize) -> Result<(), StreamError> {
        let open: Vec<usize> = (0..self.series.len())
            .filter(|&i| !self.series[i].head.is_empty())
            .collect();
        let threads = threads.clamp(1, open.len().max(1));
        if threads == 1 {
            return self.seal();
        }
        let (schema, codecs) = (&self.schema, self.config.codecs);
        let heads: Vec<_> = open.iter().map(|&i| &self.series[i].head).collect();
        let next = AtomicUsize::new(0);
        let mut sealed: Vec<(usize, Result<SealedChunk, StreamError>)> = Vec::new();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed);
                            let Some(head) = heads.get(k) else {
                                return done;
                            };
                            let chunk =
                                SealedChunk::seal(&head.timestamps, &head.columns, schema, codecs);
                            done.push((k, chunk));
                        }
                    })
                })
                .collect();
            for worker in workers {
                let done = worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                sealed.extend(done);
            }
        });
        // In series order, as one thread would have met them.
        sealed.sort_unstable_by_key(|&(k, _)| k);
        let mut first_error = None;
        for (k, chunk) in sealed {
            match chunk {
                Ok(chunk) => self.series[open[k]].take_head(chunk),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use crate::source::{Sensors, SyntheticSource, Ticks};
    use crate::{CodecPolicy, Stream, StreamConfig};

    #[test]
    fn heads_sealed_on_several_threads_are_what_one_thread_seals() {
        for (events, policy) in [
            (Ticks::default().generate(30_000), CodecPolicy::Sampled),
            (
                Sensors::default().generate(30_000),
                CodecPolicy::HandWritten,
            ),
        ] {
            // Chunks of 1000: every series has sealed chunks and an open head.
            let config = StreamConfig {
                chunk_len: 1000,
                codecs: policy,
            };
            let one = events.to_stream(config).unwrap();
            for threads in [0, 1, 2, 3, 64] {
                let mut stream = Stream::new(events.schema.clone(), config);
                let ids: Vec<_> = events.keys.iter().map(|k| stream.series(k)).collect();
                let series: Vec<_> = events.series.iter().map(|&s| ids[s as usize]).collect();
                stream
                    .append_grouped(&series, &events.batch, 0..events.len())
                    .unwrap();
                assert!(stream.bytes().head > 0);
                stream.seal_on(threads).unwrap();
                assert_eq!(stream.bytes().head, 0, "{threads} threads");
                assert_eq!(stream.sealed_chunks(), one.sealed_chunks());
                assert_eq!(stream.bytes(), one.bytes(), "{threads} threads");
                assert!(events.matches(&stream).unwrap(), "{threads} threads");
            }
        }
    }
}
