package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/deepctx/deepctx/agent/graph"
)

// Errors returned by every store in this package. They are wrapped with
// context (run ID, sequence number, file name); test for them with errors.Is.
var (
	// ErrStaleSeq is returned by Put when the checkpoint's Seq is not
	// greater than the highest Seq already stored for its run.
	ErrStaleSeq = errors.New("store: stale checkpoint seq")
	// ErrInvalidRunID is returned for a run ID that ValidateRunID rejects.
	ErrInvalidRunID = errors.New("store: invalid run id")
	// ErrInvalidCheckpoint is returned by Put for a checkpoint that cannot be
	// stored: a Seq below 1, or a field that does not encode as JSON (for
	// example a State that is not valid JSON).
	ErrInvalidCheckpoint = errors.New("store: invalid checkpoint")
	// ErrCorrupt is returned when stored data cannot be decoded or does not
	// match where it is stored (a checkpoint file whose run ID or Seq differs
	// from its path). The error names the file or row.
	ErrCorrupt = errors.New("store: corrupt checkpoint")
	// ErrUnsupportedVersion is returned when stored data was written in a
	// format version newer than this package understands.
	ErrUnsupportedVersion = errors.New("store: unsupported format version")
)

// MaxRunIDLen is the longest run ID, in bytes, that ValidateRunID accepts.
const MaxRunIDLen = 128

// ValidateRunID reports whether id can name a run in every store of this
// package, so that runs move between stores unchanged. It returns an error
// wrapping ErrInvalidRunID unless id
//
//   - is 1 to MaxRunIDLen bytes long,
//   - consists of ASCII letters, digits, '.', '_' and '-' only (no path
//     separators, no control characters, no spaces),
//   - starts with a letter or digit (so never ".", ".." or a hidden name)
//     and does not end with '.',
//   - is not a reserved Windows device name (CON, NUL, COM1, … with or
//     without an extension, in any case).
//
// A valid run ID is always a single, harmless path element. Run IDs are
// case-sensitive, but two IDs that differ only in case share a folder on a
// case-insensitive file system (macOS, Windows); avoid relying on case.
func ValidateRunID(id string) error {
	if err := validRunID(id); err != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidRunID, id, err)
	}
	return nil
}

func validRunID(id string) string {
	if id == "" {
		return "empty"
	}
	if len(id) > MaxRunIDLen {
		return fmt.Sprintf("longer than %d bytes", MaxRunIDLen)
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == '-':
		default:
			r, _ := utf8.DecodeRuneInString(id[i:])
			return fmt.Sprintf("character %q not allowed (use letters, digits, '.', '_', '-')", r)
		}
	}
	if c := id[0]; c == '.' || c == '_' || c == '-' {
		return "must start with a letter or digit"
	}
	if id[len(id)-1] == '.' {
		return "must not end with '.'"
	}
	base, _, _ := strings.Cut(id, ".")
	switch strings.ToUpper(base) {
	case "CON", "PRN", "AUX", "NUL",
		"COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return "reserved device name"
	}
	return ""
}

// checkPut validates a checkpoint before it is stored.
func checkPut(ctx context.Context, cp *graph.Checkpoint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidateRunID(cp.RunID); err != nil {
		return err
	}
	if cp.Seq < 1 {
		return fmt.Errorf("%w: put run %q seq %d: seq must be at least 1", ErrInvalidCheckpoint, cp.RunID, cp.Seq)
	}
	return nil
}

// checkRun validates the arguments of Latest and History.
func checkRun(ctx context.Context, runID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ValidateRunID(runID)
}

// marshal encodes v (a checkpoint or an envelope around one), reporting an
// encoding failure as ErrInvalidCheckpoint.
func marshal(cp *graph.Checkpoint, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: put run %q seq %d: %w", ErrInvalidCheckpoint, cp.RunID, cp.Seq, err)
	}
	return b, nil
}

// staleErr reports a Put whose Seq is not above latest.
func staleErr(cp *graph.Checkpoint, latest int) error {
	return fmt.Errorf("%w: put run %q seq %d: latest stored seq is %d", ErrStaleSeq, cp.RunID, cp.Seq, latest)
}

// noCheckpoint reports a run without checkpoints.
func noCheckpoint(runID string) error {
	return fmt.Errorf("store: run %q: %w", runID, graph.ErrNoCheckpoint)
}

// summary describes a run by its latest checkpoint.
func summary(cp *graph.Checkpoint) graph.RunSummary {
	return graph.RunSummary{
		RunID:   cp.RunID,
		Graph:   cp.Graph,
		Status:  cp.Status,
		Step:    cp.Step,
		Seq:     cp.Seq,
		Updated: cp.Time.Round(0), // drop the monotonic reading, as a JSON round trip does
	}
}

// sortRuns orders runs most recently updated first, then by run ID.
func sortRuns(runs []graph.RunSummary) {
	slices.SortFunc(runs, func(a, b graph.RunSummary) int {
		if c := b.Updated.Compare(a.Updated); c != 0 {
			return c
		}
		return cmp.Compare(a.RunID, b.RunID)
	})
}

// timeKey formats t so that byte order is time order (for years 0–9999).
func timeKey(t time.Time) string {
	return t.UTC().Format(timeKeyLayout)
}

const timeKeyLayout = "2006-01-02T15:04:05.000000000Z07:00"
