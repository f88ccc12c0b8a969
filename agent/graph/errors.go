package graph

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
)

// ErrInterrupted matches, with errors.Is, the error of a run that paused for
// a human. errors.As to *InterruptError gives the run ID and the question.
var ErrInterrupted = errors.New("graph: run interrupted")

// ErrTimeout matches, with errors.Is, the error of a node that ran longer
// than its WithTimeout. The error also matches context.DeadlineExceeded
// when the node returned its context's error.
var ErrTimeout = errors.New("graph: node timed out")

// ErrNoStore is returned by Resume, and by a run that needs persistence,
// when no CheckpointStore was given with WithCheckpointer.
var ErrNoStore = errors.New("graph: no checkpoint store (use WithCheckpointer)")

// errPaused is what Task.Interrupt returns when the run must pause.
var errPaused = fmt.Errorf("%w: waiting for an answer (return this error from Run)", ErrInterrupted)

// InterruptError is returned by a run that paused: before or after a node
// named in WithInterruptBefore/WithInterruptAfter, or because a node called
// Task.Interrupt. Resume the run with Resume (and WithResumeValue for an
// answer). It matches ErrInterrupted.
type InterruptError struct {
	// RunID is the run to resume.
	RunID string
	// Interrupt says where the run paused and what the node asked.
	Interrupt Interrupt
}

func (e *InterruptError) Error() string {
	return fmt.Sprintf("graph: run %q interrupted %s node %q", e.RunID, e.Interrupt.When, e.Interrupt.Node)
}

// Is reports whether target is ErrInterrupted.
func (e *InterruptError) Is(target error) bool { return target == ErrInterrupted }

// NodeError is the failure of one task: the node's error (after retries), a
// timeout, a panic (Err is then a *PanicError), or a router's error (TaskID
// is then empty).
type NodeError struct {
	// Node is the failing node, or START for the entry router.
	Node string
	// Step is the super-step the task ran in (1-based).
	Step int
	// TaskID identifies the task, as in TaskRecord.ID.
	TaskID string
	// Err is the cause.
	Err error
}

func (e *NodeError) Error() string {
	if e.TaskID == "" {
		return fmt.Sprintf("graph: node %q, step %d: %v", e.Node, e.Step, e.Err)
	}
	return fmt.Sprintf("graph: node %q, step %d, task %s: %v", e.Node, e.Step, e.TaskID, e.Err)
}

// Unwrap returns Err.
func (e *NodeError) Unwrap() error { return e.Err }

// PanicError is a panic recovered from a node; it arrives wrapped in a
// NodeError naming the node and step.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack lists the frames from the panic up to the node's Run, innermost
	// first, one "function (file:line)" per line.
	Stack string
}

func (e *PanicError) Error() string {
	at, _, _ := strings.Cut(e.Stack, "\n")
	if at == "" {
		return fmt.Sprintf("panic: %v", e.Value)
	}
	return fmt.Sprintf("panic: %v [at %s]", e.Value, at)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

const pkgPath = "github.com/deepctx/deepctx/agent/graph"

// newPanicError captures the stack of a recovered panic; call it from the
// deferred function that recovered.
func newPanicError(v any) *PanicError {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var b strings.Builder
	seenPanic, lines := false, 0
	for {
		f, more := frames.Next()
		switch {
		case !seenPanic:
			seenPanic = f.Function == "runtime.gopanic"
		case strings.HasPrefix(f.Function, "runtime."):
		case strings.HasPrefix(f.Function, pkgPath+".(*run["):
			more = false // reached the graph runtime
		case strings.HasPrefix(f.Function, pkgPath+"."):
			// adapters such as NodeFunc.Run
		default:
			fmt.Fprintf(&b, "%s (%s:%d)\n", f.Function, f.File, f.Line)
			lines++
		}
		if !more || lines == 16 {
			break
		}
	}
	return &PanicError{Value: v, Stack: strings.TrimSuffix(b.String(), "\n")}
}

// StepLimitError is returned when a run reaches its step limit
// (WithMaxSteps) with work left: usually a conditional loop that never
// routes to END.
type StepLimitError struct {
	// Graph names the graph.
	Graph string
	// Limit is the step limit that was reached.
	Limit int
	// Nodes are the nodes that kept running: those that ran repeatedly in
	// the last steps, in the order they last ran.
	Nodes []string
}

func (e *StepLimitError) Error() string {
	return fmt.Sprintf("graph %q: step limit %d reached, still looping through %s (raise WithMaxSteps if the loop is meant to run longer)",
		e.Graph, e.Limit, strings.Join(e.Nodes, " -> "))
}

// CompileError lists every problem Compile found in a graph.
type CompileError struct {
	// Graph names the graph.
	Graph string
	// Problems describes each problem, one per entry.
	Problems []string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("graph %q: %d problem(s): %s", e.Graph, len(e.Problems), strings.Join(e.Problems, "; "))
}
