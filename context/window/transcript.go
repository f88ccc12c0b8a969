package window

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
)

// EditKind says how an edit changes the view of the messages it targets.
type EditKind string

// The kinds of edit the context engine records.
const (
	// EditReplace renders each target as its replacement: a cleared tool
	// result, an offloaded one (handle and preview), a tool call with its
	// inputs cleared. Replacement holds one message per target, in order.
	EditReplace EditKind = "replace"
	// EditSummarize removes its targets from the view and renders its one
	// Replacement message (the summary) where the first target stood.
	EditSummarize EditKind = "summarize"
)

// Edit is a recorded change to what the model sees. Edits never change the
// log: the view is rendered from the log and every edit so far, in order,
// so a run can be replayed at full fidelity and every token saved is
// accounted for.
type Edit struct {
	// Seq numbers the transcript's edits from 1, in record order.
	Seq int `json:"seq"`
	// Kind says how the targets render.
	Kind EditKind `json:"kind"`
	// Policy names the policy that made the edit ("prune", "offload", …).
	Policy string `json:"policy"`
	// Targets are IDs of messages in the log (never of replacements).
	Targets []string `json:"targets"`
	// Replacement is what the targets render as (see EditKind). A
	// replacement's ID must differ from every log message's ID, so token
	// counts memoized by ID stay right; DerivedID gives the convention.
	Replacement []llm.Message `json:"replacement"`
	// TokensFreed is what the edit saved when it was made, as the policy
	// counted it.
	TokensFreed int `json:"tokens_freed"`
	// Artifacts are the handles of offloaded or archived content the
	// edit's replacements point to, in target order, if any.
	Artifacts []string `json:"artifacts,omitempty"`
	// Time is when the edit was recorded.
	Time time.Time `json:"time"`
}

// DerivedID returns the ID of the replacement of message id made by an
// edit: stable, distinct from the original, and the same every time the
// same edit is rendered.
func DerivedID(id string, seq int) string { return fmt.Sprintf("%s~e%d", id, seq) }

// Errors reported by Transcript.
var (
	// ErrDuplicateID reports an appended message whose ID is already in the log.
	ErrDuplicateID = errors.New("window: duplicate message ID")
	// ErrBadEdit reports an edit that does not apply to the log.
	ErrBadEdit = errors.New("window: invalid edit")
)

// Transcript is an append-only log of messages plus the edits recorded
// against it. Messages are never mutated or deleted. It is safe for
// concurrent use.
type Transcript struct {
	mu    sync.RWMutex
	msgs  []llm.Message
	index map[string]int // message ID -> position in msgs
	edits []Edit
	// covered maps a message ID to the Seq of the latest edit targeting it.
	covered map[string]int
	// lastView holds the message IDs of the last view a Manager prepared,
	// for measuring the prefix the next view shares with it.
	lastView []string
}

// NewTranscript returns a transcript holding msgs (see Append).
func NewTranscript(msgs ...llm.Message) (*Transcript, error) {
	t := &Transcript{index: map[string]int{}, covered: map[string]int{}}
	return t, t.Append(msgs...)
}

// Append adds messages to the end of the log. A message without an ID gets
// a fresh one; a message whose ID is already in the log is rejected with
// ErrDuplicateID, and nothing is appended.
func (t *Transcript) Append(msgs ...llm.Message) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	seen := map[string]bool{}
	for i := range msgs {
		if msgs[i].ID == "" {
			msgs[i].ID = llm.NewID()
		}
		id := msgs[i].ID
		if _, dup := t.index[id]; dup || seen[id] {
			return fmt.Errorf("%w: %q", ErrDuplicateID, id)
		}
		if !msgs[i].Role.Valid() {
			return fmt.Errorf("window: message %q has invalid role %q", id, msgs[i].Role)
		}
		seen[id] = true
	}
	for _, m := range msgs {
		t.index[m.ID] = len(t.msgs)
		t.msgs = append(t.msgs, m)
	}
	return nil
}

// Len returns the number of messages in the log.
func (t *Transcript) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.msgs)
}

// Messages returns a copy of the log, oldest first, without edits applied.
func (t *Transcript) Messages() []llm.Message {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.msgs)
}

// Message returns the log message with the given ID.
func (t *Transcript) Message(id string) (llm.Message, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i, ok := t.index[id]
	if !ok {
		return llm.Message{}, false
	}
	return t.msgs[i], true
}

// Edits returns a copy of the recorded edits, in order.
func (t *Transcript) Edits() []Edit {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.Clone(t.edits)
}

// Edited reports whether an edit already targets the message.
func (t *Transcript) Edited(id string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	_, ok := t.covered[id]
	return ok
}

// Record validates e against the log, assigns its Seq and Time, and appends
// it. The edit must target log messages; a replace edit needs one
// replacement per target with IDs unused in the log, a summarize edit
// exactly one. Record returns the stored edit.
func (t *Transcript) Record(e Edit) (Edit, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.check(e); err != nil {
		return Edit{}, err
	}
	e.Seq = len(t.edits) + 1
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Targets = slices.Clone(e.Targets)
	e.Replacement = slices.Clone(e.Replacement)
	e.Artifacts = slices.Clone(e.Artifacts)
	t.edits = append(t.edits, e)
	for _, id := range e.Targets {
		t.covered[id] = e.Seq
	}
	return e, nil
}

func (t *Transcript) check(e Edit) error {
	if len(e.Targets) == 0 {
		return fmt.Errorf("%w: no targets", ErrBadEdit)
	}
	switch e.Kind {
	case EditReplace:
		if len(e.Replacement) != len(e.Targets) {
			return fmt.Errorf("%w: %d replacements for %d targets", ErrBadEdit, len(e.Replacement), len(e.Targets))
		}
	case EditSummarize:
		if len(e.Replacement) != 1 {
			return fmt.Errorf("%w: a summary needs exactly one replacement message", ErrBadEdit)
		}
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrBadEdit, e.Kind)
	}
	for _, id := range e.Targets {
		if _, ok := t.index[id]; !ok {
			return fmt.Errorf("%w: target %q is not in the log", ErrBadEdit, id)
		}
	}
	for _, r := range e.Replacement {
		if _, clash := t.index[r.ID]; clash || r.ID == "" {
			return fmt.Errorf("%w: replacement ID %q must be new and non-empty", ErrBadEdit, r.ID)
		}
	}
	return nil
}

// snapshot returns the log and edits under one lock, for rendering.
func (t *Transcript) snapshot() ([]llm.Message, []Edit) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.msgs[:len(t.msgs):len(t.msgs)], t.edits[:len(t.edits):len(t.edits)]
}

// swapLastView stores the IDs of a newly prepared view and returns the
// previous one's.
func (t *Transcript) swapLastView(ids []string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	prev := t.lastView
	t.lastView = ids
	return prev
}
