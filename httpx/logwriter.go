package httpx

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// BufferedWriterConfig tunes a [BufferedWriter]. The zero value is ready to
// use.
type BufferedWriterConfig struct {
	// Size is the number of pending bytes that makes a write flush at
	// once. Default: 32 KiB.
	Size int
	// FlushInterval is the longest a write waits before it is flushed.
	// Default: 100 ms.
	FlushInterval time.Duration
}

// BufferedWriter gathers the writes of a log handler (one access line per
// request) and hands them to the underlying writer in batches: when Size
// bytes are pending, else FlushInterval after the first pending write. It
// turns one write system call per request into one per batch, which is
// much of an access log's cost under load (and of the process reading the
// pipe, a container runtime or a log shipper).
//
// Each Write is copied whole and batches keep the order of writes, so
// lines are never split or interleaved. Lines written within the last
// FlushInterval are lost if the process dies without [BufferedWriter.Close]
// (a crash, os.Exit): close it on the way out, after the server has
// stopped. It starts no goroutine of its own (a pending batch is flushed
// by a timer), and while the underlying writer is slow, writers wait for
// it once Size bytes are pending, so memory stays bounded.
type BufferedWriter struct {
	out      io.Writer
	size     int
	interval time.Duration

	// flushMu serialises flushes, so batches reach out in order.
	flushMu sync.Mutex

	mu     sync.Mutex
	buf    []byte // pending writes
	spare  []byte // the other buffer, written by the flush in progress
	armed  bool   // the timer will flush buf
	closed bool
	err    error // the first error of out
	timer  *time.Timer
}

// NewBufferedWriter returns a BufferedWriter on out.
func NewBufferedWriter(out io.Writer, cfg BufferedWriterConfig) (*BufferedWriter, error) {
	switch {
	case out == nil:
		return nil, errors.New("httpx: NewBufferedWriter: nil io.Writer")
	case cfg.Size < 0:
		return nil, fmt.Errorf("httpx: BufferedWriterConfig.Size must not be negative, got %d", cfg.Size)
	case cfg.FlushInterval < 0:
		return nil, fmt.Errorf("httpx: BufferedWriterConfig.FlushInterval must not be negative, got %s", cfg.FlushInterval)
	}
	w := &BufferedWriter{out: out, size: cmp.Or(cfg.Size, 32<<10), interval: cmp.Or(cfg.FlushInterval, 100*time.Millisecond)}
	w.buf = make([]byte, 0, w.size+w.size/4)
	w.timer = time.AfterFunc(time.Hour, func() { _ = w.Flush() })
	w.timer.Stop()
	return w, nil
}

// Write copies p into the pending batch and returns len(p). It flushes at
// once when the batch reaches Size bytes. After Close it writes p through.
// An error of the underlying writer is returned by the Write that meets
// it, and by Flush and Close.
func (w *BufferedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		w.flushMu.Lock()
		defer w.flushMu.Unlock()
		return w.out.Write(p)
	}
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= w.size
	if !full && !w.armed {
		w.armed = true
		w.timer.Reset(w.interval)
	}
	w.mu.Unlock()
	if full {
		if err := w.Flush(); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// Flush writes the pending batch now. It returns the first error the
// underlying writer has reported.
func (w *BufferedWriter) Flush() error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	batch := w.buf
	w.buf, w.spare = w.spare[:0], nil
	w.armed = false
	w.mu.Unlock()
	var err error
	if len(batch) > 0 {
		_, err = w.out.Write(batch)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil && w.err == nil {
		w.err = err
	}
	if cap(batch) <= 4*w.size { // a huge batch is not kept
		w.spare = batch[:0]
	}
	return w.err
}

// Close flushes what is pending and stops batching: later writes go
// straight through. It does not close the underlying writer.
func (w *BufferedWriter) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.timer.Stop()
	return w.Flush()
}
