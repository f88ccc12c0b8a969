package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/deepctx/deepctx/agent/graph"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memStore is a CheckpointStore for tests: checkpoints round-trip through
// JSON as in a real store, and failPut can make writes fail.
type memStore struct {
	mu      sync.Mutex
	runs    map[string][][]byte
	failPut func(cp graph.Checkpoint) error
}

func newMemStore() *memStore { return &memStore{runs: map[string][][]byte{}} }

func (m *memStore) Put(_ context.Context, cp graph.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPut != nil {
		if err := m.failPut(cp); err != nil {
			return err
		}
	}
	if h := m.runs[cp.RunID]; len(h) > 0 {
		var last graph.Checkpoint
		if err := json.Unmarshal(h[len(h)-1], &last); err != nil {
			return err
		}
		if cp.Seq <= last.Seq {
			return fmt.Errorf("memstore: stale seq %d <= %d", cp.Seq, last.Seq)
		}
	}
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	m.runs[cp.RunID] = append(m.runs[cp.RunID], b)
	return nil
}

func (m *memStore) Latest(_ context.Context, runID string) (graph.Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.runs[runID]
	if len(h) == 0 {
		return graph.Checkpoint{}, fmt.Errorf("memstore: run %q: %w", runID, graph.ErrNoCheckpoint)
	}
	var cp graph.Checkpoint
	err := json.Unmarshal(h[len(h)-1], &cp)
	return cp, err
}

func (m *memStore) History(_ context.Context, runID string) ([]graph.Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []graph.Checkpoint
	for _, b := range m.runs[runID] {
		var cp graph.Checkpoint
		if err := json.Unmarshal(b, &cp); err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

func (m *memStore) Runs(context.Context) ([]graph.RunSummary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []graph.RunSummary
	for id := range m.runs {
		out = append(out, graph.RunSummary{RunID: id})
	}
	slices.SortFunc(out, func(a, b graph.RunSummary) int { return strings.Compare(a.RunID, b.RunID) })
	return out, nil
}

// counter counts invocations per key, safely from many goroutines.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func newCounter() *counter { return &counter{n: map[string]int{}} }

func (c *counter) inc(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[key]++
}

func (c *counter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

// Log is a state used by several tests: nodes append what they did.
type Log struct {
	Steps []string `json:"steps"`
	Count int      `json:"count"`
}

func logField() graph.Option[Log] {
	return graph.Field(func(s *Log) *[]string { return &s.Steps }, graph.Append[string])
}

// say is a node that appends its name to Log.Steps.
func say(name string) func(context.Context, Log, *graph.Task) (Log, error) {
	return func(context.Context, Log, *graph.Task) (Log, error) {
		return Log{Steps: []string{name}}, nil
	}
}

// collect runs a stream to its end, returning its events and the error of
// the last pair.
func collect(seq func(func(graph.Event, error) bool)) ([]graph.Event, error) {
	var evs []graph.Event
	var last error
	for ev, err := range seq {
		evs = append(evs, ev)
		last = err
	}
	return evs, last
}

func kinds(evs []graph.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = string(ev.Kind)
		if ev.Node != "" {
			out[i] += ":" + ev.Node
		}
	}
	return out
}
