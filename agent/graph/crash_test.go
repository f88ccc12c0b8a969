package graph_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/store"
)

const (
	crashEnv   = "DEEPCTX_GRAPH_CRASH_CHILD"
	crashRunID = "crash-run"
	crashTasks = 6
	crashQuick = 3 // tasks 0..2 finish in the child; 3..5 hang until killed
)

// crashGraph fans out crashTasks tasks that each append a line to
// dir/task-<i> when they start. In the child process (hang), tasks from
// crashQuick on block forever.
func crashGraph(t *testing.T, dir string, hang bool) *graph.Runnable[FanState] {
	t.Helper()
	mark := func(name string) {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err == nil {
			_, err = fmt.Fprintln(f, os.Getpid())
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			panic(err)
		}
	}
	g := graph.New("crash", fanField()).
		AddNodeFunc("plan", func(_ context.Context, _ FanState, task *graph.Task) (FanState, error) {
			mark("plan")
			for i := range crashTasks {
				task.Send("work", i)
			}
			return FanState{}, nil
		}, graph.WithSends("work")).
		AddNode("work", graph.InputNode(func(ctx context.Context, _ FanState, i int, _ *graph.Task) (FanState, error) {
			mark(fmt.Sprintf("task-%d", i))
			if hang && i >= crashQuick {
				fmt.Printf("started %d\n", i) // tells the parent the task ran once
				<-ctx.Done()                  // never, in the child: it is killed first
				return FanState{}, ctx.Err()
			}
			return FanState{Results: []int{i}}, nil
		})).
		AddEdge(graph.START, "plan").AddEdge("work", graph.END)
	r, err := g.Compile(graph.WithConcurrency(crashTasks))
	require.NoError(t, err)
	return r
}

func lines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Count(string(b), "\n")
}

// TestCrashMidFanOutResumes kills a child process (this test binary,
// re-executed) in the middle of a fan-out, once some tasks' results are
// checkpointed, then resumes the run in this process: finished tasks do
// not run again and the result is complete and in send order.
func TestCrashMidFanOutResumes(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashMidFanOutResumes$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	fs, err := store.NewFS(filepath.Join(dir, "checkpoints"))
	require.NoError(t, err)
	// The child prints a line per checkpoint it wrote and per hanging task
	// it started; wait until a checkpoint holds crashQuick finished tasks
	// and every other task has started, then kill the child.
	sc := bufio.NewScanner(out)
	started, checkpointed := 0, false
	for !checkpointed || started < crashTasks-crashQuick {
		require.True(t, sc.Scan(), "child exited early: %s", stderr.String())
		switch line := sc.Text(); {
		case strings.HasPrefix(line, "started "):
			started++
		case strings.HasPrefix(line, "checkpoint ") && !checkpointed:
			cp, err := fs.Latest(ctx, crashRunID)
			require.NoError(t, err)
			checkpointed = doneTasks(cp) == crashQuick
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait() // killed: the error is expected

	cp, err := fs.Latest(ctx, crashRunID)
	require.NoError(t, err)
	assert.Equal(t, graph.StatusRunning, cp.Status, "the child died mid-step")
	assert.Equal(t, crashQuick, doneTasks(cp))

	r := crashGraph(t, dir, false)
	got, err := r.Resume(ctx, crashRunID, graph.WithCheckpointer(fs))
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, got.Results)
	assert.Equal(t, 1, lines(t, filepath.Join(dir, "plan")), "plan ran once")
	for i := range crashTasks {
		want := 1 // finished in the child, not re-run
		if i >= crashQuick {
			want = 2 // started in the child, killed, run again
		}
		assert.Equal(t, want, lines(t, filepath.Join(dir, fmt.Sprintf("task-%d", i))), "task %d", i)
	}
	last, err := fs.Latest(ctx, crashRunID)
	require.NoError(t, err)
	assert.Equal(t, graph.StatusDone, last.Status)
}

func doneTasks(cp graph.Checkpoint) int {
	n := 0
	for _, task := range cp.Tasks {
		if task.Done && task.Node == "work" {
			n++
		}
	}
	return n
}

// crashChild runs the fan-out until it is killed.
func crashChild(t *testing.T, dir string) {
	fs, err := store.NewFS(filepath.Join(dir, "checkpoints"))
	require.NoError(t, err)
	sink := graph.EventSinkFunc(func(ev graph.Event) error {
		if ev.Kind == graph.EventCheckpoint {
			fmt.Printf("checkpoint %d\n", ev.Seq) // the checkpoint is durable now
		}
		return nil
	})
	r := crashGraph(t, dir, true)
	_, err = r.Invoke(context.Background(), FanState{}, graph.WithRunID(crashRunID), graph.WithCheckpointer(fs), graph.WithSinks(sink))
	t.Fatalf("the child run should hang until killed, got %v", err)
}
