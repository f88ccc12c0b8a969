package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
)

func TestCheckpointsRecordEveryStep(t *testing.T) {
	store := newMemStore()
	r := chain(t, newCounter(), graph.WithCheckpointer(store))
	ctx := context.Background()
	_, err := r.Invoke(ctx, Log{}, graph.WithRunID("cp-1"))
	require.NoError(t, err)
	hist, err := store.History(ctx, "cp-1")
	require.NoError(t, err)
	require.Len(t, hist, 4)
	wantTasks := [][]string{{"1:a"}, {"2:b"}, {"3:c"}, nil}
	for i, cp := range hist {
		assert.Equal(t, i+1, cp.Seq)
		assert.Equal(t, i, cp.Step)
		assert.Equal(t, "chain", cp.Graph)
		var ids []string
		for _, task := range cp.Tasks {
			ids = append(ids, task.ID)
			assert.False(t, task.Done)
		}
		assert.Equal(t, wantTasks[i], ids)
	}
	assert.Equal(t, graph.StatusRunning, hist[2].Status)
	last := hist[3]
	assert.Equal(t, graph.StatusDone, last.Status)
	var st Log
	require.NoError(t, json.Unmarshal(last.State, &st))
	assert.Equal(t, []string{"a", "b", "c"}, st.Steps)

	_, err = r.Invoke(ctx, Log{}, graph.WithRunID("cp-1"))
	assert.ErrorContains(t, err, "already exists")
}

// fanGraph fans plan out to work tasks "0".."n-1"; work runs do(i).
func fanGraph(t *testing.T, n int, do func(ctx context.Context, i int) error, opts ...graph.RunOption) *graph.Runnable[FanState] {
	t.Helper()
	g := graph.New("fanout", fanField()).
		AddNodeFunc("plan", func(_ context.Context, _ FanState, task *graph.Task) (FanState, error) {
			for i := range n {
				task.Send("work", i)
			}
			return FanState{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(ctx context.Context, _ FanState, i int, _ *graph.Task) (FanState, error) {
			if err := do(ctx, i); err != nil {
				return FanState{}, err
			}
			return FanState{Results: []int{i * 10}}, nil
		})).
		AddEdge(graph.START, "plan").AddEdge("work", graph.END)
	r, err := g.Compile(opts...)
	require.NoError(t, err)
	return r
}

func TestResumeAfterFailureMidFanOutSkipsFinishedTasks(t *testing.T) {
	const n = 6
	store := newMemStore()
	calls := newCounter()
	var fail atomic.Bool // task 4 fails while set
	fail.Store(true)
	var others sync.WaitGroup
	others.Add(n - 1)
	do := func(ctx context.Context, i int) error {
		calls.inc(string(rune('0' + i)))
		if i != 4 {
			others.Done()
			return nil
		}
		if !fail.Load() {
			return nil
		}
		others.Wait() // fail only once every sibling finished
		return errors.New("disk full")
	}
	r := fanGraph(t, n, do, graph.WithCheckpointer(store), graph.WithConcurrency(n))
	ctx := context.Background()

	_, err := r.Invoke(ctx, FanState{}, graph.WithRunID("fail-mid"))
	var ne *graph.NodeError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "2:work:4", ne.TaskID)
	cp, err := store.Latest(ctx, "fail-mid")
	require.NoError(t, err)
	assert.Equal(t, graph.StatusFailed, cp.Status)
	assert.Contains(t, cp.Error, "disk full")
	require.Len(t, cp.Tasks, n)
	for i, task := range cp.Tasks {
		assert.Equal(t, i != 4, task.Done, task.ID)
	}

	fail.Store(false)
	got, err := r.Resume(ctx, "fail-mid")
	require.NoError(t, err)
	assert.Equal(t, []int{0, 10, 20, 30, 40, 50}, got.Results)
	for i := range n {
		want := 1
		if i == 4 {
			want = 2
		}
		assert.Equal(t, want, calls.get(string(rune('0'+i))), "task %d", i)
	}
	hist, err := store.History(ctx, "fail-mid")
	require.NoError(t, err)
	perTask := 0
	for _, cp := range hist {
		if cp.Step == 1 && cp.Status == graph.StatusRunning && len(cp.Tasks) == n {
			perTask++
		}
	}
	assert.Equal(t, 1+(n-1), perTask, "the step's checkpoint, then one per task finished in the first run")
}

func TestResumeErrors(t *testing.T) {
	store := newMemStore()
	ctx := context.Background()
	r := chain(t, newCounter(), graph.WithCheckpointer(store))
	_, err := r.Resume(ctx, "nope")
	assert.ErrorIs(t, err, graph.ErrNoCheckpoint)

	_, err = r.Invoke(ctx, Log{}, graph.WithRunID("other"))
	require.NoError(t, err)
	other := fanGraph(t, 1, func(context.Context, int) error { return nil }, graph.WithCheckpointer(store))
	_, err = other.Resume(ctx, "other")
	assert.ErrorContains(t, err, `written by graph "chain"`)

	noStore := chain(t, newCounter())
	_, err = noStore.Resume(ctx, "other")
	assert.ErrorIs(t, err, graph.ErrNoStore)
}

func TestCheckpointWriteFailureStopsTheRun(t *testing.T) {
	store := newMemStore()
	store.failPut = func(cp graph.Checkpoint) error {
		if cp.Seq == 3 {
			return assert.AnError
		}
		return nil
	}
	calls := newCounter()
	r := chain(t, calls, graph.WithCheckpointer(store))
	_, err := r.Invoke(context.Background(), Log{})
	require.ErrorIs(t, err, assert.AnError)
	assert.Contains(t, err.Error(), "writing checkpoint 3")
	assert.Equal(t, 0, calls.get("c"), "no step runs past a failed checkpoint")
}

func TestStoppingAStreamMidFanOutLeavesAResumableRun(t *testing.T) {
	store := newMemStore()
	calls := newCounter()
	var blocking atomic.Bool // tasks 1.. wait for cancellation while set
	blocking.Store(true)
	do := func(ctx context.Context, i int) error {
		calls.inc(string(rune('0' + i)))
		if i > 0 && blocking.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	r := fanGraph(t, 4, do, graph.WithCheckpointer(store), graph.WithConcurrency(4))
	ctx := context.Background()

	var last graph.Event
	for ev, err := range r.Stream(ctx, FanState{}, graph.WithRunID("stopped")) {
		require.NoError(t, err)
		last = ev
		if ev.Kind == graph.EventNodeEnd && ev.TaskID == "2:work:0" {
			break // the other tasks are still running
		}
	}
	assert.Equal(t, "2:work:0", last.TaskID)
	cp, err := store.Latest(ctx, "stopped")
	require.NoError(t, err)
	assert.Equal(t, graph.StatusFailed, cp.Status)
	assert.Contains(t, cp.Error, "stream consumer stopped")
	require.Len(t, cp.Tasks, 4)
	assert.True(t, cp.Tasks[0].Done, "the finished task is kept")

	blocking.Store(false)
	got, err := r.Resume(ctx, "stopped")
	require.NoError(t, err)
	assert.Equal(t, []int{0, 10, 20, 30}, got.Results)
	assert.Equal(t, 1, calls.get("0"), "not run again")
}
