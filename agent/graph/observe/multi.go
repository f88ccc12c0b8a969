package observe

import (
	"errors"
	"io"
	"slices"

	"github.com/deepctx/deepctx/agent/graph"
)

// MultiSink is an EventSink that hands every event to several sinks, in
// order. Build it with Multi.
type MultiSink struct {
	sinks []graph.EventSink
}

// Multi returns a sink that fans events out to sinks, skipping nil ones.
// Handle calls every sink, even after one fails, and returns the first
// error, so one broken sink (a full disk) does not starve the others (the
// trace). Close closes, in order, every sink that is an io.Closer.
func Multi(sinks ...graph.EventSink) *MultiSink {
	m := &MultiSink{}
	for _, s := range sinks {
		if s != nil {
			m.sinks = append(m.sinks, s)
		}
	}
	return m
}

// Handle passes ev to every sink and returns the first error.
func (m *MultiSink) Handle(ev graph.Event) error {
	var first error
	for _, s := range m.sinks {
		if err := s.Handle(ev); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Close closes every sink that is an io.Closer and returns
// their errors joined.
func (m *MultiSink) Close() error {
	var errs []error
	for _, s := range m.sinks {
		if c, ok := s.(io.Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// Filter returns a sink that passes to sink only the events keep returns
// true for, and drops the rest with a nil error.
func Filter(sink graph.EventSink, keep func(graph.Event) bool) graph.EventSink {
	return graph.EventSinkFunc(func(ev graph.Event) error {
		if !keep(ev) {
			return nil
		}
		return sink.Handle(ev)
	})
}

// Kinds returns a Filter predicate that keeps events of the given kinds.
func Kinds(kinds ...graph.EventKind) func(graph.Event) bool {
	return func(ev graph.Event) bool { return slices.Contains(kinds, ev.Kind) }
}
