package graph_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/llm"
)

func countField() graph.Option[Log] {
	return graph.Field(func(s *Log) *int { return &s.Count }, func(cur, upd int) int { return cur + upd })
}

func TestConditionalLoopRunsUntilRouterEnds(t *testing.T) {
	g := graph.New("loop", logField(), countField()).
		AddNodeFunc("draft", func(_ context.Context, s Log, _ *graph.Task) (Log, error) {
			return Log{Steps: []string{fmt.Sprintf("draft%d", s.Count)}, Count: 1}, nil
		}).
		AddNodeFunc("review", say("review")).
		AddEdge(graph.START, "draft").
		AddEdge("draft", "review").
		AddConditionalEdges("review", func(_ context.Context, s Log) ([]string, error) {
			if s.Count < 3 {
				return []string{"draft"}, nil
			}
			return []string{graph.END}, nil
		}, "draft", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	got, err := r.Invoke(context.Background(), Log{})
	require.NoError(t, err)
	assert.Equal(t, []string{"draft0", "review", "draft1", "review", "draft2", "review"}, got.Steps)
	assert.Equal(t, 3, got.Count)
}

// FanState collects fan-out results.
type FanState struct {
	Results []int `json:"results"`
}

func fanField() graph.Option[FanState] {
	return graph.Field(func(s *FanState) *[]int { return &s.Results }, graph.Append[int])
}

func TestFanOutMergesInSendOrderUnderConcurrencyLimit(t *testing.T) {
	tests := []struct{ n, limit int }{
		{n: 100, limit: 4}, // completes in reverse within each group of 4
		{n: 10, limit: 10}, // completes in exactly reverse send order
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_by_%d", tt.n, tt.limit), func(t *testing.T) {
			done := make([]chan struct{}, tt.n)
			for i := range done {
				done[i] = make(chan struct{})
			}
			// allIn[g] closes once every task of group g (tasks g*limit to
			// g*limit+limit-1, which the pool runs together) has started.
			groups := tt.n / tt.limit
			allIn := make([]chan struct{}, groups)
			arrived := make([]atomic.Int32, groups)
			for g := range allIn {
				allIn[g] = make(chan struct{})
			}
			var running, peak atomic.Int32
			var mu sync.Mutex
			var order []int
			work := func(ctx context.Context, _ FanState, i int, _ *graph.Task) (FanState, error) {
				now := running.Add(1)
				for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
				}
				grp := i / tt.limit
				if arrived[grp].Add(1) == int32(tt.limit) {
					close(allIn[grp])
				}
				// Task i waits for task i+1; the last of each group waits
				// until its whole group runs, then completes first.
				wait := allIn[grp]
				if i%tt.limit != tt.limit-1 {
					wait = done[i+1]
				}
				select {
				case <-wait:
				case <-ctx.Done():
					return FanState{}, ctx.Err()
				}
				running.Add(-1)
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				close(done[i])
				return FanState{Results: []int{i}}, nil
			}
			g := graph.New("fan", fanField()).
				AddNodeFunc("plan", func(_ context.Context, _ FanState, task *graph.Task) (FanState, error) {
					for i := range tt.n {
						task.Send("work", i)
					}
					return FanState{}, nil
				}, graph.WithSends("work")).
				AddNode("work", graph.InputNode(work)).
				AddEdge(graph.START, "plan").
				AddEdge("work", graph.END)
			r, err := g.Compile()
			require.NoError(t, err)
			got, err := r.Invoke(context.Background(), FanState{}, graph.WithConcurrency(tt.limit))
			require.NoError(t, err)

			want := make([]int, tt.n)
			for i := range want {
				want[i] = i
			}
			assert.Equal(t, want, got.Results, "merged in send order")
			assert.Equal(t, int32(tt.limit), peak.Load(), "ran limit tasks at once, never more")
			assert.Equal(t, tt.limit-1, order[0], "the first to complete was the last of its group")
			assert.NotEqual(t, want, order, "completion order differs from send order")
		})
	}
}

func TestMergeOrderIsEdgeNodesByDeclarationThenSends(t *testing.T) {
	g := graph.New("order", logField()).
		AddNodeFunc("start", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			task.Send("w", "w0")
			task.Send("w", "w1")
			return Log{}, nil
		}, graph.WithSends("w")).
		AddNodeFunc("a", say("a")).
		AddNodeFunc("b", say("b")).
		AddNode("w", graph.InputNode(func(_ context.Context, _ Log, in string, task *graph.Task) (Log, error) {
			return Log{Steps: []string{in + "@" + task.ID()}}, nil
		})).
		AddEdge(graph.START, "start").
		AddEdge("start", "b"). // b's edge is added first, but a was declared first
		AddEdge("start", "a").
		AddEdge("a", graph.END).AddEdge("b", graph.END).AddEdge("w", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	got, err := r.Invoke(context.Background(), Log{})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "w0@2:w:0", "w1@2:w:1"}, got.Steps)
}

func TestFanInJoinsOnce(t *testing.T) {
	calls := newCounter()
	g := graph.New("join", logField()).
		AddNodeFunc("plan", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			for i := range 5 {
				task.Send("work", i)
			}
			return Log{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(context.Context, Log, int, *graph.Task) (Log, error) { return Log{}, nil })).
		AddNodeFunc("join", func(_ context.Context, _ Log, _ *graph.Task) (Log, error) {
			calls.inc("join")
			return Log{}, nil
		}).
		AddEdge(graph.START, "plan").AddEdge("work", "join").AddEdge("join", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	_, err = r.Invoke(context.Background(), Log{})
	require.NoError(t, err)
	assert.Equal(t, 1, calls.get("join"))
}

func TestStepLimitNamesTheLoop(t *testing.T) {
	g := graph.New("spin", logField()).
		AddNodeFunc("setup", say("setup")).
		AddNodeFunc("think", say("think")).
		AddNodeFunc("act", say("act")).
		AddEdge(graph.START, "setup").AddEdge("setup", "think").AddEdge("think", "act").
		AddConditionalEdges("act", func(context.Context, Log) ([]string, error) { return []string{"think"}, nil }, "think", graph.END)
	r, err := g.Compile(graph.WithMaxSteps(8))
	require.NoError(t, err)
	got, err := r.Invoke(context.Background(), Log{})
	var sl *graph.StepLimitError
	require.ErrorAs(t, err, &sl)
	assert.Equal(t, 8, sl.Limit)
	assert.Equal(t, []string{"act", "think"}, sl.Nodes)
	assert.Contains(t, err.Error(), "act -> think")
	assert.Len(t, got.Steps, 8, "the state of the last completed step is returned")
}

func TestNodeTimeout(t *testing.T) {
	g := graph.New("slow", logField()).
		AddNodeFunc("slow", func(ctx context.Context, _ Log, _ *graph.Task) (Log, error) {
			<-ctx.Done()
			return Log{}, ctx.Err()
		}, graph.WithTimeout(5*time.Millisecond)).
		AddEdge(graph.START, "slow").AddEdge("slow", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	_, err = r.Invoke(context.Background(), Log{})
	var ne *graph.NodeError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "slow", ne.Node)
	assert.Equal(t, 1, ne.Step)
	assert.ErrorIs(t, err, graph.ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestRetry(t *testing.T) {
	transient := &llm.ProviderError{Kind: llm.ErrTransient, Provider: "test", Status: 503}
	permanent := &llm.ProviderError{Kind: llm.ErrBadRequest, Provider: "test", Status: 400}
	custom := errors.New("flaky disk")
	tests := []struct {
		name      string
		err       error
		failures  int
		retryable func(error) bool
		wantCalls int
		wantErr   error
	}{
		{"transient then success", transient, 2, nil, 3, nil},
		{"permanent is not retried", permanent, 5, nil, 1, llm.ErrBadRequest},
		{"attempts run out", transient, 5, nil, 4, llm.ErrTransient},
		{"custom classifier", custom, 1, func(err error) bool { return errors.Is(err, custom) }, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			var waits []time.Duration
			policy := llm.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, Sleep: func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}}
			g := graph.New("retry", logField()).
				AddNodeFunc("call", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
					calls++
					task.Send("next", calls) // only the successful attempt's sends count
					if calls <= tt.failures {
						return Log{}, tt.err
					}
					return Log{Steps: []string{"ok"}}, nil
				}, graph.WithRetry(policy, tt.retryable), graph.WithSends("next")).
				AddNode("next", graph.InputNode(func(_ context.Context, _ Log, attempt int, _ *graph.Task) (Log, error) {
					return Log{Steps: []string{fmt.Sprintf("sent by attempt %d", attempt)}}, nil
				})).
				AddEdge(graph.START, "call").AddEdge("call", graph.END).AddEdge("next", graph.END)
			r, err := g.Compile()
			require.NoError(t, err)
			got, err := r.Invoke(context.Background(), Log{})
			assert.Equal(t, tt.wantCalls, calls)
			assert.Len(t, waits, tt.wantCalls-1)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				var ne *graph.NodeError
				require.ErrorAs(t, err, &ne)
				assert.Equal(t, "call", ne.Node)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"ok", fmt.Sprintf("sent by attempt %d", calls)}, got.Steps)
		})
	}
}

func TestPanicBecomesNodeError(t *testing.T) {
	g := graph.New("boom", logField()).
		AddNodeFunc("a", say("a")).
		AddNodeFunc("b", func(context.Context, Log, *graph.Task) (Log, error) {
			var m map[string]int
			m["x"] = 1 // panics: assignment to entry in nil map
			return Log{}, nil
		}).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	got, err := r.Invoke(context.Background(), Log{})
	var ne *graph.NodeError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "b", ne.Node)
	assert.Equal(t, 2, ne.Step)
	assert.Equal(t, "2:b", ne.TaskID)
	var pe *graph.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, fmt.Sprint(pe.Value), "nil map")
	assert.Contains(t, pe.Stack, "TestPanicBecomesNodeError")
	assert.Contains(t, err.Error(), `node "b", step 2`)
	assert.Contains(t, err.Error(), "run_test.go:")
	assert.Equal(t, []string{"a"}, got.Steps)
}

func TestPanicInParallelTaskAndRouter(t *testing.T) {
	g := graph.New("boom", logField()).
		AddNodeFunc("plan", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			task.Send("work", 1)
			task.Send("work", 2)
			return Log{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(_ context.Context, _ Log, i int, _ *graph.Task) (Log, error) {
			if i == 2 {
				panic("task two")
			}
			return Log{}, nil
		})).
		AddEdge(graph.START, "plan").AddEdge("work", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	_, err = r.Invoke(context.Background(), Log{})
	var ne *graph.NodeError
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "2:work:1", ne.TaskID)
	var pe *graph.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "task two", pe.Value)

	g2 := graph.New("route", logField()).AddNodeFunc("a", say("a")).AddEdge(graph.START, "a").
		AddConditionalEdges("a", func(context.Context, Log) ([]string, error) { panic("router") }, graph.END)
	r2, err := g2.Compile()
	require.NoError(t, err)
	_, err = r2.Invoke(context.Background(), Log{})
	require.ErrorAs(t, err, &pe)
	require.ErrorAs(t, err, &ne)
	assert.Equal(t, "a", ne.Node)
}

func TestMisroutingFailsTheRun(t *testing.T) {
	tests := []struct {
		name  string
		build func(g *graph.Graph[Log])
		want  string
	}{
		{"undeclared send", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
				task.Send("b", nil)
				return Log{}, nil
			}).AddNodeFunc("b", say("b")).AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
		}, `sent to "b", which is not declared with WithSends`},
		{"undeclared route", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddNodeFunc("b", say("b")).AddEdge(graph.START, "a").AddEdge("b", graph.END).
				AddConditionalEdges("a", func(context.Context, Log) ([]string, error) { return []string{"b", "c"}, nil }, "b")
		}, `router returned "c", which is not among its declared targets`},
		{"empty route", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge(graph.START, "a").
				AddConditionalEdges("a", func(context.Context, Log) ([]string, error) { return nil, nil }, graph.END)
		}, "chose no node"},
		{"router error", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", say("a")).AddEdge(graph.START, "a").
				AddConditionalEdges("a", func(context.Context, Log) ([]string, error) { return nil, assert.AnError }, graph.END)
		}, assert.AnError.Error()},
		{"wrong input type", func(g *graph.Graph[Log]) {
			g.AddNodeFunc("a", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
				task.Send("b", 42)
				return Log{}, nil
			}, graph.WithSends("b")).
				AddNode("b", graph.InputNode(func(context.Context, Log, string, *graph.Task) (Log, error) { return Log{}, nil })).
				AddEdge(graph.START, "a").AddEdge("b", graph.END)
		}, `node "b" was sent a int, want string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := graph.New("misroute", logField())
			tt.build(g)
			r, err := g.Compile()
			require.NoError(t, err)
			_, err = r.Invoke(context.Background(), Log{})
			var ne *graph.NodeError
			require.ErrorAs(t, err, &ne)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestCancellationStopsEveryTaskPromptly(t *testing.T) {
	defer goleak.VerifyNone(t)
	started := make(chan int, 10)
	var ran atomic.Int32
	g := graph.New("cancel", fanField()).
		AddNodeFunc("plan", func(_ context.Context, _ FanState, task *graph.Task) (FanState, error) {
			for i := range 10 {
				task.Send("work", i)
			}
			return FanState{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(ctx context.Context, _ FanState, i int, _ *graph.Task) (FanState, error) {
			ran.Add(1)
			started <- i
			<-ctx.Done()
			return FanState{}, ctx.Err()
		})).
		AddEdge(graph.START, "plan").AddEdge("work", graph.END)
	r, err := g.Compile(graph.WithConcurrency(3))
	require.NoError(t, err)

	for _, mode := range []string{"invoke", "stream"} {
		t.Run(mode, func(t *testing.T) {
			ran.Store(0)
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() {
				if mode == "invoke" {
					_, err := r.Invoke(ctx, FanState{})
					errc <- err
					return
				}
				_, err := collect(r.Stream(ctx, FanState{}))
				errc <- err
			}()
			for range 3 {
				<-started
			}
			cancel()
			err := <-errc
			require.ErrorIs(t, err, context.Canceled)
			assert.Contains(t, err.Error(), "cancelled in step 2")
			assert.Equal(t, int32(3), ran.Load(), "tasks waiting for a slot never started")
		})
	}
}

func TestStreamStopCancelsTheRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := graph.New("stop", logField()).
		AddNodeFunc("a", say("a")).
		AddNodeFunc("b", func(ctx context.Context, _ Log, _ *graph.Task) (Log, error) {
			<-ctx.Done()
			return Log{}, ctx.Err()
		}).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	var seen []graph.EventKind
	for ev, err := range r.Stream(context.Background(), Log{}) {
		require.NoError(t, err)
		seen = append(seen, ev.Kind)
		if ev.Kind == graph.EventNodeStart && ev.Node == "b" {
			break // b blocks until the run is cancelled
		}
	}
	assert.Equal(t, graph.EventNodeStart, seen[len(seen)-1])
}

func TestEventsOfASmallRun(t *testing.T) {
	store := newMemStore()
	g := graph.New("events", logField()).
		AddNodeFunc("a", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			task.Emit("token", "hel")
			task.EmitModelCall(graph.ModelCallInfo{Model: "m", OutputTokens: 3})
			task.EmitToolCall(graph.ToolCallInfo{Name: "search"})
			return Log{Steps: []string{"a"}}, nil
		}).
		AddNodeFunc("b", say("b")).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	var sunk []graph.Event
	sink := graph.EventSinkFunc(func(ev graph.Event) error { sunk = append(sunk, ev); return nil })
	evs, err := collect(r.Stream(context.Background(), Log{}, graph.WithRunID("ev-1"), graph.WithCheckpointer(store), graph.WithSinks(sink)))
	require.NoError(t, err)
	assert.Equal(t, []string{
		"run_start", "checkpoint",
		"node_start:a", "custom:a", "model_call:a", "tool_call:a", "node_end:a", "state_update", "checkpoint",
		"node_start:b", "node_end:b", "state_update", "checkpoint",
		"run_end",
	}, kinds(evs))
	assert.Equal(t, kinds(evs), kinds(sunk), "sinks see what the stream yields")
	for _, ev := range evs {
		assert.Equal(t, "ev-1", ev.RunID)
		assert.False(t, ev.Time.IsZero())
	}
	assert.Equal(t, "events", evs[0].Name, "run_start names the graph")
	custom := evs[3]
	assert.Equal(t, "token", custom.Name)
	assert.JSONEq(t, `"hel"`, string(custom.Data))
	assert.Equal(t, "hel", custom.Value)
	assert.Equal(t, "1:a", custom.TaskID)
	assert.Equal(t, 1, custom.Step)
	assert.Equal(t, "m", evs[4].Model.Model)
	assert.Equal(t, "search", evs[5].Tool.Name)
	update := evs[7]
	assert.JSONEq(t, `{"steps":["a"],"count":0}`, string(update.Data))
	assert.Equal(t, Log{Steps: []string{"a"}}, update.Value)
	assert.Equal(t, []int{1, 2, 3}, []int{evs[1].Seq, evs[8].Seq, evs[12].Seq})
	end := evs[len(evs)-1]
	assert.Equal(t, Log{Steps: []string{"a", "b"}}, end.Value)
	assert.Empty(t, end.Err)
}

func TestStreamReportsFailureOnTheLastPair(t *testing.T) {
	g := graph.New("fail", logField()).
		AddNodeFunc("a", func(context.Context, Log, *graph.Task) (Log, error) { return Log{}, assert.AnError }).
		AddEdge(graph.START, "a").AddEdge("a", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	var errs []error
	evs, err := collect(func(yield func(graph.Event, error) bool) {
		for ev, err := range r.Stream(context.Background(), Log{}) {
			errs = append(errs, err)
			if !yield(ev, err) {
				return
			}
		}
	})
	require.ErrorIs(t, err, assert.AnError)
	assert.Equal(t, []string{"run_start", "node_start:a", "node_end:a", "error", "run_end"}, kinds(evs))
	assert.Equal(t, assert.AnError.Error(), evs[2].Err)
	assert.Equal(t, slices.Repeat([]error{nil}, 4), errs[:4], "only the last pair carries the error")
}

func TestSinkErrorStopsTheRun(t *testing.T) {
	g := graph.New("sink", logField()).
		AddNodeFunc("a", say("a")).AddNodeFunc("b", say("b")).
		AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	sink := graph.EventSinkFunc(func(ev graph.Event) error {
		if ev.Kind == graph.EventNodeEnd {
			return assert.AnError
		}
		return nil
	})
	got, err := r.Invoke(context.Background(), Log{}, graph.WithSinks(sink))
	require.ErrorIs(t, err, assert.AnError)
	assert.Contains(t, err.Error(), "event sink")
	assert.Empty(t, got.Steps, "no step completed after the sink failed")
}

func TestConcurrentRunsShareNothing(t *testing.T) {
	g := graph.New("shared", fanField()).
		AddNodeFunc("plan", func(_ context.Context, _ FanState, task *graph.Task) (FanState, error) {
			for i := range 20 {
				task.Send("work", i)
			}
			return FanState{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(_ context.Context, _ FanState, i int, _ *graph.Task) (FanState, error) {
			return FanState{Results: []int{i}}, nil
		})).
		AddEdge(graph.START, "plan").AddEdge("work", graph.END)
	r, err := g.Compile(graph.WithConcurrency(3))
	require.NoError(t, err)
	// Every run appends to the same initial slice, which has spare capacity.
	initial := FanState{Results: make([]int, 1, 64)}
	initial.Results[0] = -1
	var wg sync.WaitGroup
	results := make([][]int, 8)
	for i := range results {
		wg.Go(func() {
			for range 20 {
				got, err := r.Invoke(context.Background(), initial)
				if !assert.NoError(t, err) {
					return
				}
				results[i] = got.Results
			}
		})
	}
	wg.Wait()
	want := []int{-1}
	for i := range 20 {
		want = append(want, i)
	}
	for _, got := range results {
		assert.Equal(t, want, got)
	}
	assert.Equal(t, []int{-1}, initial.Results)
	assert.Zero(t, initial.Results[:2][1], "the caller's spare capacity is untouched")
}

func TestTaskAccessors(t *testing.T) {
	type seen struct {
		runID, node, id string
		step            int
		input           any
	}
	var got []seen
	g := graph.New("acc", logField()).
		AddNodeFunc("a", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			got = append(got, seen{task.RunID(), task.Node(), task.ID(), task.Step(), task.Input()})
			task.Send("b", "hi")
			return Log{}, nil
		}, graph.WithSends("b")).
		AddNodeFunc("b", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			got = append(got, seen{task.RunID(), task.Node(), task.ID(), task.Step(), task.Input()})
			return Log{}, nil
		}).
		AddEdge(graph.START, "a").AddEdge("b", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	_, err = r.Invoke(context.Background(), Log{}, graph.WithRunID("acc-1"))
	require.NoError(t, err)
	assert.Equal(t, []seen{{"acc-1", "a", "1:a", 1, nil}, {"acc-1", "b", "2:b:0", 2, "hi"}}, got)

	// Without WithRunID, runs get distinct generated IDs.
	_, err = r.Invoke(context.Background(), Log{})
	require.NoError(t, err)
	_, err = r.Invoke(context.Background(), Log{})
	require.NoError(t, err)
	require.Len(t, got, 6)
	assert.Regexp(t, `^\d{8}T\d{6}-[0-9a-f]{8}$`, got[2].runID)
	assert.NotEqual(t, got[2].runID, got[4].runID)
}

func TestTimeoutIsRetriedByDefault(t *testing.T) {
	calls := 0
	policy := llm.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }}
	g := graph.New("slow-once", logField()).
		AddNodeFunc("slow", func(ctx context.Context, _ Log, _ *graph.Task) (Log, error) {
			calls++
			if calls == 1 {
				<-ctx.Done()
				return Log{}, ctx.Err()
			}
			return Log{Steps: []string{"ok"}}, nil
		}, graph.WithTimeout(time.Millisecond), graph.WithRetry(policy, nil)).
		AddEdge(graph.START, "slow").AddEdge("slow", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	got, err := r.Invoke(context.Background(), Log{})
	require.NoError(t, err)
	assert.Equal(t, 2, calls)
	assert.Equal(t, []string{"ok"}, got.Steps)
}

func TestStreamingANonJSONStateDoesNotFail(t *testing.T) {
	type Odd struct{ Fn func() }
	g := graph.New[Odd]("odd").
		AddNodeFunc("a", func(context.Context, Odd, *graph.Task) (Odd, error) { return Odd{Fn: func() {}}, nil }).
		AddEdge(graph.START, "a").AddEdge("a", graph.END)
	r, err := g.Compile()
	require.NoError(t, err)
	evs, err := collect(r.Stream(context.Background(), Odd{}))
	require.NoError(t, err)
	update := evs[len(evs)-2]
	require.Equal(t, graph.EventStateUpdate, update.Kind)
	assert.Contains(t, update.Err, "not JSON")
	assert.NotNil(t, update.Value.(Odd).Fn)
}

func TestPanickingConsumerOrSinkLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := graph.New("emit", logField()).
		AddNodeFunc("plan", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
			task.Emit("inline", 1)
			for i := range 4 {
				task.Send("work", i)
			}
			return Log{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(ctx context.Context, _ Log, i int, task *graph.Task) (Log, error) {
			task.Emit("parallel", i)
			return Log{}, nil
		})).
		AddEdge(graph.START, "plan").AddEdge("work", graph.END)
	r, err := g.Compile(graph.WithConcurrency(2))
	require.NoError(t, err)

	for _, name := range []string{"inline", "parallel"} {
		t.Run("consumer/"+name, func(t *testing.T) {
			assert.PanicsWithValue(t, "consumer "+name, func() {
				for ev := range r.Stream(context.Background(), Log{}) {
					if ev.Name == name {
						panic("consumer " + name)
					}
				}
			})
		})
	}
	sink := graph.EventSinkFunc(func(ev graph.Event) error {
		if ev.Name == "parallel" {
			panic("sink")
		}
		return nil
	})
	_, err = r.Invoke(context.Background(), Log{}, graph.WithSinks(sink))
	var pe *graph.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, err.Error(), "event sink")
}

func TestCancellationErrorMatchesContextErrorAndCause(t *testing.T) {
	cause := errors.New("user pressed ctrl-c")
	cancelled, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	expired, cancel2 := context.WithDeadlineCause(context.Background(), time.Now().Add(-time.Second), cause)
	defer cancel2()
	tests := []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"cancel with cause", cancelled, context.Canceled},
		{"deadline with cause", expired, context.DeadlineExceeded},
	}
	r := chain(t, newCounter())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					_, err = collect(r.Stream(tt.ctx, Log{}))
				} else {
					_, err = r.Invoke(tt.ctx, Log{})
				}
				require.ErrorIs(t, err, tt.want, "callers test the context's error")
				require.ErrorIs(t, err, cause, "and see the cause")
				assert.Contains(t, err.Error(), "cancelled in step 1")
			}
		})
	}
}

func TestRetryPolicyPanicBecomesNodeError(t *testing.T) {
	tests := []struct {
		name      string
		parallel  bool // the failing node runs on a worker goroutine
		policy    llm.RetryPolicy
		retryable func(error) bool
		want      string
	}{
		{"classifier, parallel", true, llm.RetryPolicy{}, func(error) bool { panic("classifier") }, "classifier"},
		{"OnRetry, inline", false, llm.RetryPolicy{OnRetry: func(int, time.Duration, error) { panic("on retry") }}, func(error) bool { return true }, "on retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fails := func(context.Context, Log, *graph.Task) (Log, error) { return Log{}, assert.AnError }
			g := graph.New("retry-panic", logField()).
				AddNodeFunc("plan", func(_ context.Context, _ Log, task *graph.Task) (Log, error) {
					task.Send("work", 1)
					if tt.parallel {
						task.Send("work", 2)
					}
					return Log{}, nil
				}, graph.WithSends("work")).
				AddNodeFunc("work", fails, graph.WithRetry(tt.policy, tt.retryable)).
				AddEdge(graph.START, "plan").AddEdge("work", graph.END)
			r, err := g.Compile()
			require.NoError(t, err)
			require.NotPanics(t, func() { _, err = r.Invoke(context.Background(), Log{}) })
			var ne *graph.NodeError
			require.ErrorAs(t, err, &ne)
			assert.Equal(t, "work", ne.Node)
			var pe *graph.PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.want, pe.Value)
		})
	}
}
