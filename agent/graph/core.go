package graph

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// errStopped cancels a run whose stream consumer stopped iterating.
var errStopped = errors.New("graph: stream consumer stopped")

type msgKind uint8

const (
	msgEvent msgKind = iota // ev is a task's event
	msgDone                 // task idx of the step finished
	msgExit                 // a worker exited
)

// message is what workers tell the coordinator of a parallel step.
type message struct {
	kind msgKind
	idx  int
	ev   Event
}

// core is the part of a run that tasks use: identity, event delivery and
// persistence flags. It does not depend on the state type.
type core struct {
	graph   string
	id      string
	idOnce  sync.Once
	path    []string
	events  bool // someone consumes events
	persist bool // a checkpoint store is set
	parent  *Task
	msgs    chan message // set while a coordinated parallel step runs
	cancel  context.CancelCauseFunc

	mu       sync.Mutex // serializes delivery; guards the fields below
	sinks    []EventSink
	yield    func(Event, error) bool
	stopped  bool
	panicked *consumerPanic // the stream consumer's loop body panicked
	fatal    error
}

// consumerPanic holds a panic of a stream consumer's loop body, raised
// again once the run has stopped.
type consumerPanic struct{ value any }

// runID returns the run's ID, choosing one the first time if none was set.
func (c *core) runID() string {
	c.idOnce.Do(func() {
		if c.id == "" {
			c.id = newRunID()
		}
	})
	return c.id
}

func newRunID() string {
	return fmt.Sprintf("%s-%08x", time.Now().UTC().Format("20060102T150405"), rand.Uint32())
}

func (c *core) event(kind EventKind, step int) Event {
	return Event{Kind: kind, RunID: c.runID(), Step: step, Path: c.path, Time: time.Now()}
}

// deliver hands ev to the sinks and the stream consumer. Only one
// goroutine at a time delivers. Events of a subgraph go to the enclosing
// task instead.
func (c *core) deliver(ev Event) { c.deliverWith(ev, nil) }

// deliverWith is deliver with the error to yield alongside ev (the run's
// outcome, for the last event).
func (c *core) deliverWith(ev Event, err error) {
	if c.parent != nil {
		c.parent.post(ev)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.sinks {
		if serr := handle(s, ev); serr != nil && c.fatal == nil {
			c.fatal = fmt.Errorf("graph: event sink: %w", serr)
			c.cancel(c.fatal)
		}
	}
	if c.yield != nil && !c.stopped && !c.callYield(ev, err) {
		c.stopped = true
		c.cancel(errStopped)
	}
}

// handle calls s, turning a panic into an error.
func handle(s EventSink, ev Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(v)
		}
	}()
	return s.Handle(ev)
}

// callYield calls the stream consumer. If its loop body panics, the run
// stops and the panic is raised again from the iterator once the run's
// goroutines have ended.
func (c *core) callYield(ev Event, err error) (more bool) {
	defer func() {
		if v := recover(); v != nil {
			c.panicked = &consumerPanic{value: v}
			more = false
		}
	}()
	return c.yield(ev, err)
}

// setFatal records an error that must stop the run (a failed checkpoint
// write) and cancels it.
func (c *core) setFatal(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fatal == nil {
		c.fatal = err
		if c.cancel != nil {
			c.cancel(err)
		}
	}
}

func (c *core) fatalErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fatal
}
