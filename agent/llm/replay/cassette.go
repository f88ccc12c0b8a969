package replay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
)

// Mode says whether a Cassette replays, records, or both.
type Mode int

const (
	// ModeReplay answers only from the cassette; a request it does not hold
	// fails with a *NotRecordedError. No model is called. The default.
	ModeReplay Mode = iota
	// ModeRecord calls the model for every request and writes a new
	// cassette, replacing any file at the path.
	ModeRecord
	// ModeReplayOrRecord answers requests whose key the cassette held when
	// opened, and calls the model for the rest, appending them.
	ModeReplayOrRecord
)

// String returns the mode's name, as used in error messages.
func (m Mode) String() string {
	switch m {
	case ModeReplay:
		return "replay"
	case ModeRecord:
		return "record"
	case ModeReplayOrRecord:
		return "replay-or-record"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Config describes a Cassette.
type Config struct {
	// Path is the cassette file. Required. Its directory is created when
	// recording.
	Path string
	// Mode is what the cassette does. Optional. Defaults to ModeReplay.
	Mode Mode
	// Redact scrubs every string written to the cassette after the
	// built-in RedactSecrets. It must be deterministic: keys are computed
	// from the scrubbed request. Optional. Defaults to none.
	Redact func(string) string
	// Now stamps recorded interactions. Optional. Defaults to time.Now.
	Now func() time.Time
}

// Cassette is an llm.Model that records another model's calls to a JSONL
// file and replays them. It is safe for concurrent use.
type Cassette struct {
	inner llm.Model
	cfg   Config
	scrub scrubber

	mu       sync.Mutex
	recorded map[string]*answers // keys held when opened
	file     *os.File            // nil when not recording, or closed
	closed   bool
	// unterminated is set when the loaded file's last line lacks '\n'.
	unterminated bool
}

var _ llm.Model = (*Cassette)(nil)

// answers are the recorded answers to one key, replayed in order.
type answers struct {
	list []interaction
	next int
}

// Recorder returns a Cassette that calls inner for every request and
// records each call to a new cassette at path (ModeRecord).
func Recorder(inner llm.Model, path string) (*Cassette, error) {
	return Open(inner, Config{Path: path, Mode: ModeRecord})
}

// Player returns a Cassette that answers from the cassette at path only
// (ModeReplay).
func Player(path string) (*Cassette, error) {
	return Open(nil, Config{Path: path, Mode: ModeReplay})
}

// ReplayOrRecord returns a Cassette that replays what the cassette at path
// holds and records what it lacks by calling inner (ModeReplayOrRecord).
// The file need not exist.
func ReplayOrRecord(inner llm.Model, path string) (*Cassette, error) {
	return Open(inner, Config{Path: path, Mode: ModeReplayOrRecord})
}

// Open returns a Cassette described by cfg. inner is the model to record
// and may be nil in ModeReplay. A cassette to replay is read completely
// here; a corrupt line is an error naming the file and line.
func Open(inner llm.Model, cfg Config) (*Cassette, error) {
	if cfg.Path == "" {
		return nil, errors.New("replay: Config.Path is required")
	}
	if inner == nil && cfg.Mode != ModeReplay {
		return nil, fmt.Errorf("replay: mode %s needs a model to record", cfg.Mode)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Cassette{inner: inner, cfg: cfg, scrub: scrubber{custom: cfg.Redact}, recorded: map[string]*answers{}}
	var err error
	switch cfg.Mode {
	case ModeReplay:
		err = c.load(false)
	case ModeRecord:
		err = c.openForWriting(os.O_TRUNC)
	case ModeReplayOrRecord:
		if err = c.load(true); err == nil {
			err = c.openForWriting(os.O_APPEND)
		}
	default:
		err = fmt.Errorf("replay: unknown mode %d", int(cfg.Mode))
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cassette) openForWriting(flag int) error {
	if err := os.MkdirAll(filepath.Dir(c.cfg.Path), 0o755); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	f, err := os.OpenFile(c.cfg.Path, os.O_WRONLY|os.O_CREATE|flag, 0o600)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	c.file = f
	if c.unterminated { // a hand-edited last line without its newline
		if _, err := f.Write([]byte("\n")); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	return nil
}

// Close flushes the cassette to disk and closes it. Calls made after Close
// that would record fail.
func (c *Cassette) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.file == nil {
		c.closed = true
		return nil
	}
	c.closed = true
	err := errors.Join(c.file.Sync(), c.file.Close())
	if err != nil {
		return fmt.Errorf("replay: close %s: %w", c.cfg.Path, err)
	}
	return nil
}

// Key returns the key req is recorded under: the hex SHA-256 of the
// scrubbed canonical JSON of the request (see the package documentation
// for what it holds).
func (c *Cassette) Key(req llm.Request) (string, error) {
	key, _, err := c.keyOf(req)
	return key, err
}

// keyOf returns req's key and the scrubbed canonical request it hashes.
func (c *Cassette) keyOf(req llm.Request) (string, []byte, error) {
	canon, err := c.scrub.json(canonical(req))
	if err != nil {
		return "", nil, fmt.Errorf("replay: encode request: %w", err)
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), canon, nil
}

// Generate answers req from the cassette or from the model, as the mode
// says, recording what the model answered.
func (c *Cassette) Generate(ctx context.Context, req llm.Request) (llm.Response, error) {
	if err := ctx.Err(); err != nil {
		return llm.Response{}, fmt.Errorf("replay: %w", err)
	}
	key, canon, err := c.keyOf(req)
	if err != nil {
		return llm.Response{}, err
	}
	found, ok, err := c.lookup(key, req)
	if err != nil {
		return llm.Response{}, err
	}
	if ok {
		return found.result()
	}
	resp, callErr := c.inner.Generate(ctx, req)
	if err := c.record(key, canon, resp, callErr); err != nil {
		return llm.Response{}, errors.Join(callErr, err)
	}
	return resp, callErr
}

// Stream answers req like Generate. A replayed answer yields its text, its
// tool calls and llm.EventDone. A recorded stream passes the model's events
// through and records the final response; a stream the caller stops early
// is not recorded.
func (c *Cassette) Stream(ctx context.Context, req llm.Request) iter.Seq2[llm.Event, error] {
	return func(yield func(llm.Event, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(llm.Event{}, fmt.Errorf("replay: %w", err))
			return
		}
		key, canon, err := c.keyOf(req)
		if err != nil {
			yield(llm.Event{}, err)
			return
		}
		found, ok, err := c.lookup(key, req)
		if err != nil {
			yield(llm.Event{}, err)
			return
		}
		if ok {
			replay := func(context.Context, llm.Request) (llm.Response, error) { return found.result() }
			for ev, err := range llm.StreamOf(ctx, replay, req) {
				if !yield(ev, err) {
					return
				}
			}
			return
		}
		c.recordStream(ctx, key, canon, req, yield)
	}
}

func (c *Cassette) recordStream(ctx context.Context, key string, canon []byte, req llm.Request, yield func(llm.Event, error) bool) {
	for ev, err := range c.inner.Stream(ctx, req) {
		if err != nil {
			if rerr := c.record(key, canon, llm.Response{}, err); rerr != nil {
				err = errors.Join(err, rerr)
			}
			yield(llm.Event{}, err)
			return
		}
		if ev.Kind == llm.EventDone && ev.Response != nil {
			if rerr := c.record(key, canon, *ev.Response, nil); rerr != nil {
				yield(llm.Event{}, rerr)
				return
			}
		}
		if !yield(ev, nil) {
			return
		}
	}
}

// lookup returns the next recorded answer for key. ok is false when the
// model should be called instead; err is a *NotRecordedError in
// ModeReplay, and reports a closed cassette, which could not record the
// call, before the model is paid for it.
func (c *Cassette) lookup(key string, req llm.Request) (interaction, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.recorded[key]
	if !ok {
		switch {
		case c.cfg.Mode == ModeReplay:
			return interaction{}, false, &NotRecordedError{Key: key, Path: c.cfg.Path, Hint: c.hint(req)}
		case c.closed:
			return interaction{}, false, fmt.Errorf("replay: record %s: %w", c.cfg.Path, errClosed)
		}
		return interaction{}, false, nil
	}
	found := a.list[a.next]
	a.next = min(a.next+1, len(a.list)-1)
	return found, true, nil
}

// result returns the recorded answer as a fresh response or error.
func (in interaction) result() (llm.Response, error) {
	if in.Error != nil {
		return llm.Response{}, in.Error.replayed()
	}
	return in.Response.response(), nil
}

// hint returns the start of req's last user message, scrubbed.
func (c *Cassette) hint(req llm.Request) string {
	const limit = 80
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role != llm.RoleUser {
			continue
		}
		text := []rune(c.scrub.str(req.Messages[i].Text()))
		if len(text) > limit {
			return string(text[:limit]) + "…"
		}
		return string(text)
	}
	return ""
}
