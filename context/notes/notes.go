package notes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/deepctx/deepctx/agent/llm"
)

// DefaultMaxBytes is the size cap of notes whose Config sets none: 8 KiB,
// about 2,000 tokens of English prose. Recited on every call, notes cost
// their size on every call, so the cap keeps them a summary, not a dump.
const DefaultMaxBytes = 8 << 10

// DefaultHeader opens the recited message when Config.Header is empty.
const DefaultHeader = "[Your notes]"

// Provenance is the llm.Meta.Provenance of the recited message.
const Provenance = "notes"

// ErrTooLarge is matched (errors.Is) by *TooLargeError.
var ErrTooLarge = errors.New("notes: over the size cap")

// TooLargeError reports a Write or Append that would take the notes over
// their cap. The notes are left unchanged.
type TooLargeError struct {
	// Size is what the notes would have grown to, in bytes.
	Size int
	// Max is the cap, in bytes.
	Max int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("notes: %d bytes exceed the cap of %d bytes", e.Size, e.Max)
}

// Is matches ErrTooLarge.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Config configures Notes. The zero value is ready to use.
type Config struct {
	// MaxBytes caps the size of the notes in bytes; a Write or Append past
	// it fails with a *TooLargeError. Optional. Defaults to DefaultMaxBytes.
	MaxBytes int
	// Header is the first line of the recited message. Optional. Defaults
	// to DefaultHeader.
	Header string
}

func (c Config) maxBytes() int {
	if c.MaxBytes > 0 {
		return c.MaxBytes
	}
	return DefaultMaxBytes
}

func (c Config) header() string {
	if c.Header != "" {
		return c.Header
	}
	return DefaultHeader
}

// Notes is an agent's scratchpad: free text, typically a checklist of what
// is done and what is left, that the agent rewrites as it works and that a
// window.Manager recites at the end of every view (set Manager.Recite), so
// the plan stays in the model's most recent attention however long the run.
//
// The zero value is empty notes with the default Config. Notes are safe for
// concurrent use.
type Notes struct {
	mu      sync.RWMutex
	cfg     Config
	text    string
	version int
}

// New returns empty notes configured by cfg.
func New(cfg Config) *Notes { return &Notes{cfg: cfg} }

// Write replaces the notes with text. Text over the cap is refused with a
// *TooLargeError and the notes stay as they were. Writing "" clears them.
func (n *Notes) Write(text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.set(text)
}

// Append adds line at the end of the notes, on a line of its own. A line
// that would take the notes over the cap is refused with a *TooLargeError
// and the notes stay as they were.
func (n *Notes) Append(line string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	text := line
	if n.text != "" {
		text = strings.TrimRight(n.text, "\n") + "\n" + line
	}
	return n.set(text)
}

// set stores text if it fits the cap; n.mu must be held.
func (n *Notes) set(text string) error {
	if limit := n.cfg.maxBytes(); len(text) > limit {
		return &TooLargeError{Size: len(text), Max: limit}
	}
	n.text = text
	n.version++
	return nil
}

// Read returns the notes as last written.
func (n *Notes) Read() string {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.text
}

// Version counts the successful Writes and Appends since the notes were
// created, restored ones included (see UnmarshalJSON). It tells a caller
// whether the notes changed since it last looked.
func (n *Notes) Version() int {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.version
}

// MaxBytes returns the size cap in bytes.
func (n *Notes) MaxBytes() int { return n.cfg.maxBytes() }

// Recite implements window.Recitation: the notes as a user message, the
// header on its first line and the notes below it. ok is false when the
// notes are blank.
//
// The message is a user message because every provider accepts one at the
// end of a conversation, after tool results included, where a second
// system message is rejected by some. Its ID is derived from a hash of its
// content, so unchanged notes render byte-identically on every call and a
// token count memoized by ID stays right; its Meta.Provenance is
// Provenance.
func (n *Notes) Recite() (llm.Message, bool) {
	n.mu.RLock()
	text := n.text
	n.mu.RUnlock()
	if strings.TrimSpace(text) == "" {
		return llm.Message{}, false
	}
	body := n.cfg.header() + "\n" + text
	sum := sha256.Sum256([]byte(body))
	return llm.Message{
		ID:    "notes-" + hex.EncodeToString(sum[:16]),
		Role:  llm.RoleUser,
		Parts: []llm.Part{llm.TextPart(body)},
		Meta:  llm.Meta{Provenance: Provenance},
	}, true
}

// state is the persisted form of Notes.
type state struct {
	Version int    `json:"version"`
	Text    string `json:"text"`
}

// MarshalJSON encodes the notes' text and version (not their Config).
func (n *Notes) MarshalJSON() ([]byte, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return json.Marshal(state{Version: n.version, Text: n.text})
}

// UnmarshalJSON restores the text and version encoded by MarshalJSON,
// keeping the notes' Config. The cap applies to writes, not to restored
// state: notes saved under a larger cap load whole.
func (n *Notes) UnmarshalJSON(data []byte) error {
	var s state
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("notes: decode: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.text, n.version = s.Text, s.Version
	return nil
}

// Save writes the notes to path as JSON, atomically: to a temporary file in
// the same directory, synced, then renamed over path, so a crash leaves
// either the old file or the new one.
func (n *Notes) Save(path string) (err error) {
	data, err := n.MarshalJSON()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("notes: save: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("notes: save: %w", err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("notes: save: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("notes: save: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("notes: save: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("notes: save: %w", err)
	}
	return nil
}

// Load returns notes configured by cfg holding what Save wrote to path. A
// missing file yields an error matching fs.ErrNotExist, so a caller can
// start with empty notes instead.
func Load(path string, cfg Config) (*Notes, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notes: load: %w", err)
	}
	n := New(cfg)
	if err := n.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("notes: load %s: %w", path, err)
	}
	return n, nil
}
