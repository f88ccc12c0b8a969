package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/deepctx/deepctx/agent/llm"
)

// Node is one step of work in a graph.
//
// Run receives a snapshot of the state and returns an update, not the new
// state: set only the fields the node changes and leave the rest zero. The
// runtime merges the update with the state's reducers (see Field). The
// snapshot is shared with the other tasks of the step: read it, do not
// modify the elements of its slices or the entries of its maps (appending
// to its top-level slices is fine: they have no spare capacity, so append
// copies).
//
// Run must honour ctx: the runtime cancels it on timeouts, failures of
// sibling tasks and run cancellation, and waits for every Run it started
// before returning. t is valid only until Run returns.
//
// A returned error fails the task (see WithRetry); a panic is recovered and
// reported as a *NodeError wrapping a *PanicError.
type Node[S any] interface {
	Run(ctx context.Context, state S, t *Task) (S, error)
}

// NodeFunc adapts a function to Node.
type NodeFunc[S any] func(ctx context.Context, state S, t *Task) (S, error)

// Run calls f.
func (f NodeFunc[S]) Run(ctx context.Context, state S, t *Task) (S, error) { return f(ctx, state, t) }

// InputNode returns a node for Send targets: fn receives the input the
// sending node passed to Task.Send, typed as I. The input is the value that
// was sent, or, when the run resumed from a checkpoint, its JSON decoded
// into I. When the node is reached by an edge rather than a Send, input is
// the zero I.
func InputNode[S, I any](fn func(ctx context.Context, state S, input I, t *Task) (S, error)) Node[S] {
	return NodeFunc[S](func(ctx context.Context, state S, t *Task) (S, error) {
		in, err := inputAs[I](t)
		if err != nil {
			var zero S
			return zero, err
		}
		return fn(ctx, state, in, t)
	})
}

// inputAs returns t's Send input as an I.
func inputAs[I any](t *Task) (I, error) {
	switch v := t.input.(type) {
	case I:
		return v, nil
	case nil:
		var zero I
		return zero, nil
	case json.RawMessage:
		return decodeInput[I](t, v)
	}
	var zero I
	return zero, fmt.Errorf("graph: node %q was sent a %T, want %T", t.node, t.input, zero)
}

// decodeInput decodes a Send input restored from a checkpoint. It is apart
// from inputAs so that the in-memory path does not allocate.
func decodeInput[I any](t *Task, raw json.RawMessage) (I, error) {
	var in I
	if len(raw) == 0 {
		return in, nil
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, fmt.Errorf("graph: decoding the input of %s: %w", t.node, err)
	}
	return in, nil
}

// NodeOption configures one node; pass it to AddNode.
type NodeOption func(*nodeConfig)

type nodeConfig struct {
	timeout time.Duration
	retry   *retrySpec
	sends   []string
}

// WithTimeout bounds each attempt of the node's Run to d: its ctx is
// cancelled after d and the attempt fails with an error matching
// ErrTimeout. Optional. Defaults to no timeout.
func WithTimeout(d time.Duration) NodeOption {
	return func(c *nodeConfig) { c.timeout = d }
}

// WithRetry re-runs the node when it fails with an error retryable reports
// true for, waiting between attempts as policy says (exponential backoff
// with jitter, at most policy.MaxAttempts tries, Retry-After honoured).
// retryable is optional and defaults to llm.Retryable or ErrTimeout: rate
// limits, transient provider errors and node timeouts. Panics, interrupts
// and cancellation are never retried. A failed attempt's Sends are
// discarded (its custom events have already been delivered). policy.OnRetry
// is called before each wait. Optional. Defaults to no retries.
func WithRetry(policy llm.RetryPolicy, retryable func(err error) bool) NodeOption {
	if retryable == nil {
		retryable = defaultRetryable
	}
	return func(c *nodeConfig) { c.retry = &retrySpec{policy: policy, retryable: retryable} }
}

// WithSends declares the nodes this node may Send tasks to. Compile checks
// they exist and counts them as the node's outgoing edges; Task.Send to any
// other node fails the task.
func WithSends(targets ...string) NodeOption {
	return func(c *nodeConfig) { c.sends = append(c.sends, targets...) }
}

func defaultRetryable(err error) bool { return llm.Retryable(err) || errors.Is(err, ErrTimeout) }

type retrySpec struct {
	policy    llm.RetryPolicy
	retryable func(error) bool
}

// delay returns the wait before attempt+1, or false to give up.
func (r *retrySpec) delay(attempt int, err error) (time.Duration, bool) {
	var pe *PanicError
	if errors.As(err, &pe) || errors.Is(err, ErrInterrupted) || !r.retryable(err) {
		return 0, false
	}
	// RetryPolicy.Delay retries only what llm.Retryable accepts; the
	// classifier has already decided, so present err as transient.
	return r.policy.Delay(attempt, classified{err})
}

func (r *retrySpec) sleep(ctx context.Context, d time.Duration) error {
	if r.policy.Sleep != nil {
		return r.policy.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// classified marks an error the node's classifier called retryable.
type classified struct{ error }

func (c classified) Is(target error) bool { return target == llm.ErrTransient }
func (c classified) Unwrap() error        { return c.error }
