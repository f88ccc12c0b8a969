package observe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sync"

	"github.com/deepctx/deepctx/agent/graph"
)

// ErrClosed is returned by a sink's Handle after its Close.
var ErrClosed = errors.New("observe: sink closed")

// ErrTruncated marks the last line of an event log that ends without a
// newline and does not decode: the writer was killed mid-line. ReadJSONL
// reports it inside a *LineError; test for it with errors.Is.
var ErrTruncated = errors.New("observe: truncated last line")

// DefaultFlushEvery is how many events JSONL buffers, at most, between
// flushes when WithFlushEvery is not given.
const DefaultFlushEvery = 32

// JSONL is an EventSink that writes an event log: one JSON object per line
// per event, fields in the order of graph.Event. Output is buffered and
// flushed on every run_end, error, interrupt and checkpoint event and after
// every FlushEvery events, so a killed process loses at most the events
// written since the last flush. JSONL is safe for concurrent use.
type JSONL struct {
	mu      sync.Mutex
	bw      *bufio.Writer
	enc     *json.Encoder
	file    *os.File // set by OpenJSONL: synced and closed by Close
	every   int
	pending int
	closed  bool
}

// JSONLOption configures a JSONL.
type JSONLOption func(*JSONL)

// WithFlushEvery makes JSONL flush after every n events even when none of
// them is a flushing kind. n <= 1 flushes after every event. Defaults to
// DefaultFlushEvery.
func WithFlushEvery(n int) JSONLOption {
	return func(j *JSONL) { j.every = max(n, 1) }
}

// NewJSONL returns a JSONL that writes to w. Close flushes but does not
// close w: the caller owns it.
func NewJSONL(w io.Writer, opts ...JSONLOption) *JSONL {
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // logs hold prompts and pages: keep <, > and & readable
	j := &JSONL{bw: bw, enc: enc, every: DefaultFlushEvery}
	for _, o := range opts {
		o(j)
	}
	return j
}

// OpenJSONL opens the event log at path for appending, creating it with
// mode 0600 (logs may hold prompts and fetched pages) if it does not exist.
// If the file ends with a line cut short by a killed writer, OpenJSONL
// terminates that line first, so new events start on a line of their own
// and ReadJSONL reports the cut line as a corrupt line, not as truncation.
// Close flushes, fsyncs and closes the file.
func OpenJSONL(path string, opts ...JSONLOption) (*JSONL, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("observe: open event log: %w", err)
	}
	if err := terminateLastLine(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("observe: open event log %s: %w", path, err)
	}
	j := NewJSONL(f, opts...)
	j.file = f
	return j, nil
}

// terminateLastLine appends a newline to f if it is non-empty and does not
// end with one.
func terminateLastLine(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() == 0 {
		return nil
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, fi.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = f.Write([]byte{'\n'})
	return err
}

// Handle appends ev to the log, flushing as described on JSONL. It returns
// ErrClosed after Close, and the encoding or write error otherwise; a write
// error sticks, failing every later Handle.
func (j *JSONL) Handle(ev graph.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	if err := j.enc.Encode(ev); err != nil {
		return fmt.Errorf("observe: write event: %w", err)
	}
	j.pending++
	if j.pending >= j.every || flushes(ev.Kind) {
		return j.flushLocked()
	}
	return nil
}

// flushes reports whether an event of kind k is flushed at once: the events
// a resumed or post-mortem reader needs most.
func flushes(k graph.EventKind) bool {
	switch k {
	case graph.EventRunEnd, graph.EventError, graph.EventInterrupt, graph.EventCheckpoint:
		return true
	}
	return false
}

// Flush writes buffered events to the underlying writer. It does not fsync.
func (j *JSONL) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	return j.flushLocked()
}

func (j *JSONL) flushLocked() error {
	j.pending = 0
	if err := j.bw.Flush(); err != nil {
		return fmt.Errorf("observe: flush event log: %w", err)
	}
	return nil
}

// Close flushes buffered events and, for a log opened by OpenJSONL, fsyncs
// and closes the file. Later calls to Handle return ErrClosed; a second
// Close returns nil.
func (j *JSONL) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	err := j.flushLocked()
	if j.file != nil {
		if serr := j.file.Sync(); serr != nil {
			err = errors.Join(err, fmt.Errorf("observe: sync event log: %w", serr))
		}
		if cerr := j.file.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("observe: close event log: %w", cerr))
		}
	}
	return err
}

// LineError reports a line of an event log that does not decode.
type LineError struct {
	// Line is the 1-based line number in the log.
	Line int
	// Err is the decoding error; it wraps ErrTruncated for a cut last line.
	Err error
}

// Error returns the line number and the cause.
func (e *LineError) Error() string {
	return fmt.Sprintf("observe: event log line %d: %v", e.Line, e.Err)
}

// Unwrap returns the cause.
func (e *LineError) Unwrap() error { return e.Err }

// ReadJSONL returns the events of an event log written by JSONL, in order.
// Blank lines are skipped. A line that does not decode yields a zero Event
// and a *LineError carrying its line number, and reading goes on with the
// next line, so callers choose to stop or skip. When that line is the last
// one and has no trailing newline (a writer killed mid-line), the
// *LineError also wraps ErrTruncated: callers that tolerate a killed writer
// skip errors matching errors.Is(err, ErrTruncated). A last line without a
// newline that does decode is a complete event and is yielded as such.
// An error reading r is yielded last. Unknown JSON fields are ignored, so
// logs from newer versions read back.
func ReadJSONL(r io.Reader) iter.Seq2[graph.Event, error] {
	return func(yield func(graph.Event, error) bool) {
		br := bufio.NewReaderSize(r, 64<<10)
		line := 0
		for {
			b, rerr := br.ReadBytes('\n')
			if len(b) > 0 {
				line++
				if data := bytes.TrimSpace(b); len(data) > 0 {
					var ev graph.Event
					if err := json.Unmarshal(data, &ev); err != nil {
						if rerr == io.EOF { // no newline: the writer stopped here
							err = fmt.Errorf("%w: %w", ErrTruncated, err)
						}
						if !yield(graph.Event{}, &LineError{Line: line, Err: err}) {
							return
						}
					} else if !yield(ev, nil) {
						return
					}
				}
			}
			if rerr != nil {
				if rerr != io.EOF {
					yield(graph.Event{}, fmt.Errorf("observe: read event log: %w", rerr))
				}
				return
			}
		}
	}
}
