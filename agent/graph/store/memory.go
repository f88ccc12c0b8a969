package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/deepctx/deepctx/agent/graph"
)

// Memory is a graph.CheckpointStore that keeps checkpoints in memory, for
// tests and short-lived runs that need no resume after the process exits.
//
// Memory stores each checkpoint as its JSON encoding and decodes a fresh
// copy on every read, so it behaves like the persistent stores: a caller
// that mutates a Checkpoint after Put, or one returned by Latest or History,
// never changes what is stored, and a checkpoint that does not round-trip
// through encoding/json is rejected by Put rather than surprising a later
// resume.
//
// The zero value is not usable; call NewMemory. A Memory is safe for
// concurrent use.
type Memory struct {
	mu   sync.RWMutex
	runs map[string]*memRun
}

type memRun struct {
	seqs    []int    // ascending
	bodies  [][]byte // JSON of each checkpoint, parallel to seqs
	summary graph.RunSummary
}

var _ graph.CheckpointStore = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{runs: make(map[string]*memRun)}
}

// Put stores a copy of cp. It fails with ErrInvalidRunID, ErrInvalidCheckpoint
// or ErrStaleSeq (cp.Seq not above the run's latest Seq), or with ctx.Err()
// if ctx is done; nothing is stored then.
func (m *Memory) Put(ctx context.Context, cp graph.Checkpoint) error {
	if err := checkPut(ctx, &cp); err != nil {
		return err
	}
	body, err := marshal(&cp, &cp)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.runs[cp.RunID]
	if r == nil {
		r = &memRun{}
		m.runs[cp.RunID] = r
	} else if last := r.seqs[len(r.seqs)-1]; cp.Seq <= last {
		return staleErr(&cp, last)
	}
	r.seqs = append(r.seqs, cp.Seq)
	r.bodies = append(r.bodies, body)
	r.summary = summary(&cp)
	return nil
}

// Latest returns a copy of the run's checkpoint with the highest Seq, or an
// error wrapping graph.ErrNoCheckpoint if the run has none.
func (m *Memory) Latest(ctx context.Context, runID string) (graph.Checkpoint, error) {
	if err := checkRun(ctx, runID); err != nil {
		return graph.Checkpoint{}, err
	}
	m.mu.RLock()
	r := m.runs[runID]
	var body []byte
	if r != nil {
		body = r.bodies[len(r.bodies)-1]
	}
	m.mu.RUnlock()
	if body == nil {
		return graph.Checkpoint{}, noCheckpoint(runID)
	}
	return decodeMem(runID, body)
}

// History returns copies of the run's checkpoints in Seq order; it returns
// no checkpoints and no error for an unknown run.
func (m *Memory) History(ctx context.Context, runID string) ([]graph.Checkpoint, error) {
	if err := checkRun(ctx, runID); err != nil {
		return nil, err
	}
	m.mu.RLock()
	var bodies [][]byte
	if r := m.runs[runID]; r != nil {
		bodies = append(bodies, r.bodies...) // bodies are immutable once stored
	}
	m.mu.RUnlock()
	out := make([]graph.Checkpoint, 0, len(bodies))
	for _, b := range bodies {
		cp, err := decodeMem(runID, b)
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

// Runs lists the stored runs, most recently updated first (by the Time of
// each run's latest checkpoint, then by run ID).
func (m *Memory) Runs(ctx context.Context) ([]graph.RunSummary, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	out := make([]graph.RunSummary, 0, len(m.runs))
	for _, r := range m.runs {
		out = append(out, r.summary)
	}
	m.mu.RUnlock()
	sortRuns(out)
	return out, nil
}

func decodeMem(runID string, body []byte) (graph.Checkpoint, error) {
	var cp graph.Checkpoint
	if err := json.Unmarshal(body, &cp); err != nil {
		// Put encoded body with encoding/json, so this cannot happen unless
		// graph.Checkpoint changed incompatibly.
		return graph.Checkpoint{}, fmt.Errorf("%w: memory: run %q: %w", ErrCorrupt, runID, err)
	}
	return cp, nil
}
