package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
)

// Job is the state of the end-to-end graph: results of a fan-out and the
// answer a human gave.
type Job struct {
	Results []string `json:"results"`
	Answer  string   `json:"answer"`
}

// Item is a fan-out task's input; a struct, so that resuming decodes it
// from the checkpoint's JSON.
type Item struct {
	N   int    `json:"n"`
	Tag string `json:"tag"`
}

// TestGraphRunsResumeOnEveryStore runs the graph runtime against each
// store: a fan-out whose task fails once after its siblings finished, a
// resume that re-runs only that task, an interrupt inside a node and a
// resume with the answer.
func TestGraphRunsResumeOnEveryStore(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			const n = 4
			var calls sync.Map // task tag -> *atomic.Int32
			count := func(tag string) int {
				v, _ := calls.LoadOrStore(tag, new(atomic.Int32))
				return int(v.(*atomic.Int32).Load())
			}
			var failing atomic.Bool
			failing.Store(true)
			var siblings sync.WaitGroup
			siblings.Add(n - 1)
			g := graph.New("e2e", graph.Field(func(s *Job) *[]string { return &s.Results }, graph.Append[string])).
				AddNodeFunc("plan", func(_ context.Context, _ Job, task *graph.Task) (Job, error) {
					for i := range n {
						task.Send("work", Item{N: i, Tag: fmt.Sprint("t", i)})
					}
					return Job{}, nil
				}, graph.WithSends("work")).
				AddNode("work", graph.InputNode(func(_ context.Context, _ Job, in Item, _ *graph.Task) (Job, error) {
					v, _ := calls.LoadOrStore(in.Tag, new(atomic.Int32))
					v.(*atomic.Int32).Add(1)
					if in.N != n-1 {
						siblings.Done()
					} else if failing.Load() {
						siblings.Wait()
						return Job{}, errors.New("flaky")
					}
					return Job{Results: []string{fmt.Sprint(in.Tag, "=", in.N)}}, nil
				})).
				AddNodeFunc("ask", func(_ context.Context, _ Job, task *graph.Task) (Job, error) {
					answer, err := graph.Ask[string](task, "ok?")
					return Job{Answer: answer}, err
				}).
				AddEdge(graph.START, "plan").AddEdge("work", "ask").AddEdge("ask", graph.END)
			s := open(t)
			r, err := g.Compile(graph.WithCheckpointer(s), graph.WithConcurrency(n))
			require.NoError(t, err)
			ctx := context.Background()

			_, err = r.Invoke(ctx, Job{}, graph.WithRunID("job-1"))
			var ne *graph.NodeError
			require.ErrorAs(t, err, &ne)
			assert.Equal(t, "2:work:3", ne.TaskID)

			failing.Store(false)
			_, err = r.Resume(ctx, "job-1")
			var ie *graph.InterruptError
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, "ask", ie.Interrupt.Node)
			for i := range n {
				want := 1
				if i == n-1 {
					want = 2
				}
				assert.Equal(t, want, count(fmt.Sprint("t", i)), "task %d", i)
			}

			got, err := r.Resume(ctx, "job-1", graph.WithResumeValue("yes"))
			require.NoError(t, err)
			assert.Equal(t, Job{Results: []string{"t0=0", "t1=1", "t2=2", "t3=3"}, Answer: "yes"}, got)

			hist, err := s.History(ctx, "job-1")
			require.NoError(t, err)
			for i, cp := range hist {
				assert.Equal(t, i+1, cp.Seq, "Seq counts up across resumes")
			}
			assert.Equal(t, graph.StatusDone, hist[len(hist)-1].Status)
			runs, err := s.Runs(ctx)
			require.NoError(t, err)
			require.Len(t, runs, 1)
			assert.Equal(t, graph.StatusDone, runs[0].Status)
		})
	}
}
