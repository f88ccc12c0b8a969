// Package storetest is a conformance suite for graph.CheckpointStore
// implementations. Call Run from a test of your store:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) graph.CheckpointStore {
//			s := mystore.Open(t.TempDir())
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite checks the contract the graph runtime relies on: every
// Checkpoint field round-trips (JSON documents compared semantically, times
// with time.Time.Equal), Latest and History order by Seq, Runs lists the
// most recently updated run first (ties by run ID), an unknown run yields
// graph.ErrNoCheckpoint from Latest and an empty History, a Put whose Seq is not above the run's latest is
// rejected, runs are isolated, stored checkpoints are unaffected by callers
// mutating what they passed in or got back, concurrent use is safe (run the
// suite with -race), and a done context is honoured. Run IDs used are
// letters, digits and '-'; Times have microsecond precision.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
)

// Run runs the conformance suite as subtests of t. open is called once per
// subtest and must return a new, empty store; register any cleanup with
// t.Cleanup. Subtests do not run in parallel with each other.
func Run(t *testing.T, open func(t *testing.T) graph.CheckpointStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s graph.CheckpointStore)
	}{
		{"RoundTripAllFields", testRoundTripAllFields},
		{"RoundTripMinimal", testRoundTripMinimal},
		{"RoundTripLargeState", testRoundTripLargeState},
		{"UnknownRun", testUnknownRun},
		{"HistoryInSeqOrder", testHistoryInSeqOrder},
		{"StaleSeqRejected", testStaleSeqRejected},
		{"InvalidPutRejected", testInvalidPutRejected},
		{"RunsIsolated", testRunsIsolated},
		{"RunsOrder", testRunsOrder},
		{"DeepCopy", testDeepCopy},
		{"ConcurrentRuns", testConcurrentRuns},
		{"ConcurrentSameRun", testConcurrentSameRun},
		{"CanceledContext", testCanceledContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			require.NotNil(t, s, "open returned a nil store")
			tt.fn(t, s)
		})
	}
}

// base is the suite's reference time (microsecond precision, non-UTC zone).
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.FixedZone("UTC+1", 3600))

// full returns a checkpoint with every field set, nested tasks, and JSON
// documents with escapes, unicode and numbers whose spelling varies.
func full(runID string, seq int) graph.Checkpoint {
	return graph.Checkpoint{
		RunID:  runID,
		Seq:    seq,
		Graph:  "research",
		Step:   seq + 2,
		Status: graph.StatusInterrupted,
		State: json.RawMessage(fmt.Sprintf(`{
			"question": "Why <b>is</b> the sky blue? \"Rayleigh\" & friends — ünïcödé ✓",
			"seq": %d, "ratio": 1.5e3, "big": 12345678901234567890,
			"notes": ["a", "b\nc", "\u00e9"], "empty": {}, "none": null, "ok": true}`, seq)),
		Tasks: []graph.TaskRecord{
			{
				ID:     fmt.Sprintf("%d:supervisor:0", seq+3),
				Node:   "supervisor",
				Done:   true,
				Update: json.RawMessage(`{"topics": ["optics", "atmosphere"]}`),
				Next:   []string{"researcher", "writer"},
				Sends: []graph.TaskRecord{
					{ID: "s:0", Node: "researcher", Input: json.RawMessage(`{"topic": "optics"}`)},
					{ID: "s:1", Node: "researcher", Input: json.RawMessage(`{"topic": "atmosphere"}`), Done: true,
						Update: json.RawMessage(`{"findings": ["scattering ∝ 1/λ⁴"]}`)},
				},
			},
			{
				ID:      fmt.Sprintf("%d:researcher:1", seq+3),
				Node:    "researcher",
				Input:   json.RawMessage(`{"topic":"optics","max_calls":8}`),
				Answers: []json.RawMessage{json.RawMessage(`"Earth"`), json.RawMessage(`{"depth": 2}`)},
			},
			{ID: fmt.Sprintf("%d:writer:2", seq+3), Node: "writer", Input: json.RawMessage(`null`)},
		},
		Interrupt: &graph.Interrupt{
			Node:    "clarify",
			TaskID:  fmt.Sprintf("%d:clarify:0", seq+3),
			When:    "inside",
			Payload: json.RawMessage(`{"question": "Which sky: Earth or Mars?", "choices": ["Earth", "Mars"]}`),
		},
		Error: "researcher: tool \"search\" failed: 503",
		Time:  base.Add(time.Duration(seq) * time.Second),
	}
}

// minimal returns a checkpoint with only the required fields set.
func minimal(runID string, seq int, at time.Time) graph.Checkpoint {
	return graph.Checkpoint{
		RunID:  runID,
		Seq:    seq,
		Graph:  "g",
		Step:   seq,
		Status: graph.StatusRunning,
		State:  json.RawMessage(fmt.Sprintf(`{"n":%d}`, seq)),
		Time:   at,
	}
}

// requireSame fails unless got is want after a storage round trip: equal
// times, and otherwise identical JSON documents up to formatting.
func requireSame(t *testing.T, want, got graph.Checkpoint) {
	t.Helper()
	require.Truef(t, want.Time.Equal(got.Time), "Time: want %v, got %v", want.Time, got.Time)
	want.Time, got.Time = time.Time{}, time.Time{}
	wj, err := json.Marshal(want)
	require.NoError(t, err)
	gj, err := json.Marshal(got)
	require.NoError(t, err, "stored checkpoint does not encode")
	require.JSONEq(t, string(wj), string(gj))
}

func seqs(cps []graph.Checkpoint) []int {
	out := make([]int, len(cps))
	for i, cp := range cps {
		out[i] = cp.Seq
	}
	return out
}

func runIDs(runs []graph.RunSummary) []string {
	out := make([]string, len(runs))
	for i, r := range runs {
		out[i] = r.RunID
	}
	return out
}

func testRoundTripAllFields(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	want := full("run-a", 1)
	require.NoError(t, s.Put(ctx, want))

	got, err := s.Latest(ctx, "run-a")
	require.NoError(t, err)
	requireSame(t, want, got)
	// Spot-check fields the runtime branches on, for a readable failure.
	require.Len(t, got.Tasks, 3)
	assert.True(t, got.Tasks[0].Done)
	assert.Equal(t, []string{"researcher", "writer"}, got.Tasks[0].Next)
	require.Len(t, got.Tasks[0].Sends, 2)
	assert.JSONEq(t, `{"topic": "optics"}`, string(got.Tasks[0].Sends[0].Input))
	assert.False(t, got.Tasks[1].Done)
	require.Len(t, got.Tasks[1].Answers, 2)
	assert.JSONEq(t, `"Earth"`, string(got.Tasks[1].Answers[0]))
	require.NotNil(t, got.Interrupt)
	assert.Equal(t, "inside", got.Interrupt.When)
	assert.Equal(t, want.Error, got.Error)
	assert.Equal(t, graph.StatusInterrupted, got.Status)

	hist, err := s.History(ctx, "run-a")
	require.NoError(t, err)
	require.Len(t, hist, 1)
	requireSame(t, want, hist[0])

	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, "run-a", runs[0].RunID)
	assert.Equal(t, "research", runs[0].Graph)
	assert.Equal(t, graph.StatusInterrupted, runs[0].Status)
	assert.Equal(t, want.Step, runs[0].Step)
	assert.Equal(t, 1, runs[0].Seq)
	assert.Truef(t, want.Time.Equal(runs[0].Updated), "Updated: want %v, got %v", want.Time, runs[0].Updated)
}

func testRoundTripMinimal(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	want := minimal("run-min", 1, base.UTC())
	want.Status = graph.StatusDone
	require.NoError(t, s.Put(ctx, want))
	got, err := s.Latest(ctx, "run-min")
	require.NoError(t, err)
	requireSame(t, want, got)
	assert.Empty(t, got.Tasks)
	assert.Nil(t, got.Interrupt)
	assert.Empty(t, got.Error)
}

func testRoundTripLargeState(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	items := make([]string, 4000)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":%d,"text":%q}`, i, strings.Repeat("lorem ipsum ", 10))
	}
	want := minimal("run-big", 1, base)
	want.State = json.RawMessage(`{"items":[` + strings.Join(items, ",") + `]}`)
	require.Greater(t, len(want.State), 500_000)
	require.NoError(t, s.Put(ctx, want))
	got, err := s.Latest(ctx, "run-big")
	require.NoError(t, err)
	requireSame(t, want, got)
}

func testUnknownRun(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	_, err := s.Latest(ctx, "no-such-run")
	require.ErrorIs(t, err, graph.ErrNoCheckpoint)

	hist, err := s.History(ctx, "no-such-run")
	require.NoError(t, err)
	assert.Empty(t, hist)

	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	assert.Empty(t, runs)

	// A stored run does not make another one known.
	require.NoError(t, s.Put(ctx, minimal("known", 1, base)))
	_, err = s.Latest(ctx, "no-such-run")
	require.ErrorIs(t, err, graph.ErrNoCheckpoint)
}

func testHistoryInSeqOrder(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	// Gaps are allowed, and order is by Seq, not by Time.
	for i, seq := range []int{1, 2, 5, 9, 10, 11, 100} {
		cp := full("run-h", seq)
		cp.Time = base.Add(-time.Duration(i) * time.Minute)
		require.NoError(t, s.Put(ctx, cp))
	}
	hist, err := s.History(ctx, "run-h")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 5, 9, 10, 11, 100}, seqs(hist))
	for _, cp := range hist {
		want := full("run-h", cp.Seq)
		want.Time = cp.Time
		requireSame(t, want, cp)
	}

	latest, err := s.Latest(ctx, "run-h")
	require.NoError(t, err)
	assert.Equal(t, 100, latest.Seq)
	assert.Equal(t, 102, latest.Step)
}

func testStaleSeqRejected(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	want := full("run-s", 3)
	require.NoError(t, s.Put(ctx, want))

	for _, seq := range []int{3, 2, 1} {
		cp := minimal("run-s", seq, base.Add(time.Hour))
		require.Errorf(t, s.Put(ctx, cp), "Put seq %d after seq 3", seq)
	}
	got, err := s.Latest(ctx, "run-s")
	require.NoError(t, err)
	requireSame(t, want, got) // the rejected Puts changed nothing
	hist, err := s.History(ctx, "run-s")
	require.NoError(t, err)
	assert.Equal(t, []int{3}, seqs(hist))

	require.NoError(t, s.Put(ctx, full("run-s", 4)))
	got, err = s.Latest(ctx, "run-s")
	require.NoError(t, err)
	assert.Equal(t, 4, got.Seq)
}

func testInvalidPutRejected(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		runID string
		seq   int
	}{
		{"empty run id", "", 1},
		{"zero seq", "run-i", 0},
		{"negative seq", "run-i", -1},
	} {
		require.Errorf(t, s.Put(ctx, minimal(tc.runID, tc.seq, base)), tc.name)
	}
	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	assert.Empty(t, runs, "rejected Puts stored something")
	_, err = s.Latest(ctx, "run-i")
	require.ErrorIs(t, err, graph.ErrNoCheckpoint)
}

func testRunsIsolated(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	// "r" is a prefix of "r1": stores must not match run IDs by prefix.
	for seq := 1; seq <= 3; seq++ {
		require.NoError(t, s.Put(ctx, full("r", seq)))
	}
	b := minimal("r1", 1, base) // Seq 1 is fine although run "r" is at 3
	b.Graph = "other"
	require.NoError(t, s.Put(ctx, b))

	histA, err := s.History(ctx, "r")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, seqs(histA))
	for _, cp := range histA {
		assert.Equal(t, "r", cp.RunID)
	}
	histB, err := s.History(ctx, "r1")
	require.NoError(t, err)
	require.Len(t, histB, 1)
	requireSame(t, b, histB[0])

	latestA, err := s.Latest(ctx, "r")
	require.NoError(t, err)
	requireSame(t, full("r", 3), latestA)

	// A stale Put to one run does not affect the other.
	require.Error(t, s.Put(ctx, minimal("r", 2, base)))
	require.NoError(t, s.Put(ctx, minimal("r1", 2, base)))
}

func testRunsOrder(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	t0 := base
	put := func(runID string, seq int, at time.Time, status graph.RunStatus) {
		t.Helper()
		cp := minimal(runID, seq, at)
		cp.Status = status
		cp.Graph = "graph-" + runID
		require.NoError(t, s.Put(ctx, cp))
	}
	put("b", 1, t0.Add(1*time.Minute), graph.StatusRunning)
	put("c", 1, t0.Add(2*time.Minute), graph.StatusFailed)
	put("a", 1, t0.Add(2*time.Minute).In(time.UTC), graph.StatusDone) // same instant as c, other zone
	put("d", 1, t0, graph.StatusRunning)
	put("d", 2, t0.Add(3*time.Minute), graph.StatusInterrupted)

	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"d", "a", "c", "b"}, runIDs(runs))
	d := runs[0]
	assert.Equal(t, "graph-d", d.Graph)
	assert.Equal(t, graph.StatusInterrupted, d.Status)
	assert.Equal(t, 2, d.Seq)
	assert.Equal(t, 2, d.Step)
	assert.Truef(t, d.Updated.Equal(t0.Add(3*time.Minute)), "Updated: %v", d.Updated)
	assert.Equal(t, graph.StatusFailed, runs[2].Status)

	// Updating the oldest run moves it to the front.
	put("b", 2, t0.Add(4*time.Minute), graph.StatusDone)
	runs, err = s.Runs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "d", "a", "c"}, runIDs(runs))
	assert.Equal(t, graph.StatusDone, runs[0].Status)
	assert.Equal(t, 2, runs[0].Seq)
}

// mutate overwrites, in place, every byte slice, string slice element and
// pointed-to value of cp that a store might share with its caller.
func mutate(cp *graph.Checkpoint) {
	scribble := func(b []byte) {
		for i := range b {
			b[i] = ' '
		}
	}
	scribble(cp.State)
	var tasks func([]graph.TaskRecord)
	tasks = func(ts []graph.TaskRecord) {
		for i := range ts {
			ts[i].ID += "-mutated"
			ts[i].Done = !ts[i].Done
			scribble(ts[i].Input)
			scribble(ts[i].Update)
			for j := range ts[i].Next {
				ts[i].Next[j] = "mutated"
			}
			for _, a := range ts[i].Answers {
				scribble(a)
			}
			tasks(ts[i].Sends)
		}
	}
	tasks(cp.Tasks)
	if cp.Interrupt != nil {
		cp.Interrupt.Node = "mutated"
		scribble(cp.Interrupt.Payload)
	}
}

func testDeepCopy(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	pristine := full("run-c", 1)

	in := full("run-c", 1)
	require.NoError(t, s.Put(ctx, in))
	mutate(&in) // the caller reuses its buffers after Put

	got, err := s.Latest(ctx, "run-c")
	require.NoError(t, err)
	requireSame(t, pristine, got)

	mutate(&got) // the caller edits what Latest returned
	again, err := s.Latest(ctx, "run-c")
	require.NoError(t, err)
	requireSame(t, pristine, again)

	hist, err := s.History(ctx, "run-c")
	require.NoError(t, err)
	require.Len(t, hist, 1)
	mutate(&hist[0]) // ... or what History returned
	hist, err = s.History(ctx, "run-c")
	require.NoError(t, err)
	require.Len(t, hist, 1)
	requireSame(t, pristine, hist[0])

	runs, err := s.Runs(ctx)
	require.NoError(t, err)
	runs[0].RunID = "mutated"
	runs, err = s.Runs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"run-c"}, runIDs(runs))
}

func testConcurrentRuns(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	const runs, perRun = 6, 12
	var wg sync.WaitGroup
	errs := make(chan error, runs*perRun*4)
	for r := 0; r < runs; r++ {
		runID := fmt.Sprintf("run-%d", r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 1; seq <= perRun; seq++ {
				cp := full(runID, seq)
				if err := s.Put(ctx, cp); err != nil {
					errs <- fmt.Errorf("put %s/%d: %w", runID, seq, err)
					return
				}
				// Reads interleave with other runs' writes.
				got, err := s.Latest(ctx, runID)
				if err != nil {
					errs <- fmt.Errorf("latest %s: %w", runID, err)
					return
				}
				if got.RunID != runID || got.Seq != seq {
					errs <- fmt.Errorf("latest %s after put %d: got %s/%d", runID, seq, got.RunID, got.Seq)
					return
				}
				if _, err := s.Runs(ctx); err != nil {
					errs <- fmt.Errorf("runs: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	all, err := s.Runs(ctx)
	require.NoError(t, err)
	require.Len(t, all, runs)
	for r := 0; r < runs; r++ {
		runID := fmt.Sprintf("run-%d", r)
		hist, err := s.History(ctx, runID)
		require.NoError(t, err)
		require.Len(t, hist, perRun)
		for i, cp := range hist {
			requireSame(t, full(runID, i+1), cp)
		}
	}
}

func testConcurrentSameRun(t *testing.T, s graph.CheckpointStore) {
	ctx := context.Background()
	// Puts race for one run with Seqs 1..n in no particular order. Whatever
	// the interleaving, accepted Seqs must form an increasing history (the
	// check and the write are atomic) and the highest Seq is always accepted.
	const n = 24
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[int]bool{}
	for seq := 1; seq <= n; seq++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.Put(ctx, minimal("run-race", seq, base.Add(time.Duration(seq)*time.Second))) == nil {
				mu.Lock()
				accepted[seq] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	hist, err := s.History(ctx, "run-race")
	require.NoError(t, err)
	require.NotEmpty(t, hist)
	got := seqs(hist)
	for i := 1; i < len(got); i++ {
		require.Less(t, got[i-1], got[i], "history not strictly increasing: %v", got)
	}
	require.Len(t, got, len(accepted), "history %v, accepted %v", got, accepted)
	for _, seq := range got {
		require.Truef(t, accepted[seq], "seq %d stored but its Put failed", seq)
	}
	latest, err := s.Latest(ctx, "run-race")
	require.NoError(t, err)
	require.Equal(t, n, latest.Seq)
}

func testCanceledContext(t *testing.T, s graph.CheckpointStore) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := s.Put(ctx, full("run-x", 1))
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Latest(ctx, "run-x")
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.History(ctx, "run-x")
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Runs(ctx)
	require.ErrorIs(t, err, context.Canceled)

	// The canceled Put stored nothing.
	_, err = s.Latest(context.Background(), "run-x")
	require.True(t, errors.Is(err, graph.ErrNoCheckpoint), "got %v", err)
}
