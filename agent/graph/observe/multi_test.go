package observe_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/observe"
)

// recordingSink records events and fails with err.
type recordingSink struct {
	got      []graph.EventKind
	err      error
	closed   int
	closeErr error
}

func (s *recordingSink) Handle(ev graph.Event) error {
	s.got = append(s.got, ev.Kind)
	return s.err
}

func (s *recordingSink) Close() error {
	s.closed++
	return s.closeErr
}

func TestMulti(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	a := &recordingSink{}
	b := &recordingSink{err: first}
	c := &recordingSink{err: second}
	var d []graph.EventKind
	m := observe.Multi(a, nil, b, c, graph.EventSinkFunc(func(ev graph.Event) error {
		d = append(d, ev.Kind)
		return nil
	}))

	err := m.Handle(graph.Event{Kind: graph.EventRunStart})
	require.ErrorIs(t, err, first, "the first error is returned")
	assert.NotErrorIs(t, err, second)
	for _, s := range []*recordingSink{a, b, c} {
		assert.Equal(t, []graph.EventKind{graph.EventRunStart}, s.got, "every sink is called despite errors")
	}
	assert.Equal(t, []graph.EventKind{graph.EventRunStart}, d)

	b.err, c.err = nil, nil
	require.NoError(t, m.Handle(graph.Event{Kind: graph.EventRunEnd}))
	assert.Equal(t, []graph.EventKind{graph.EventRunStart, graph.EventRunEnd}, c.got, "order is kept")

	closeErr := errors.New("close failed")
	b.closeErr = closeErr
	require.ErrorIs(t, m.Close(), closeErr)
	for _, s := range []*recordingSink{a, b, c} {
		assert.Equal(t, 1, s.closed, "every closer is closed")
	}

	require.NoError(t, observe.Multi().Handle(graph.Event{}), "an empty Multi accepts events")
	require.NoError(t, observe.Multi().Close())
}

func TestFilter(t *testing.T) {
	boom := errors.New("boom")
	s := &recordingSink{err: boom}
	f := observe.Filter(s, observe.Kinds(graph.EventModelCall, graph.EventToolCall))
	for _, k := range []graph.EventKind{graph.EventRunStart, graph.EventModelCall, graph.EventCustom, graph.EventToolCall} {
		err := f.Handle(graph.Event{Kind: k})
		if k == graph.EventModelCall || k == graph.EventToolCall {
			require.ErrorIs(t, err, boom, "kept events reach the sink")
		} else {
			require.NoError(t, err, "dropped events are not errors")
		}
	}
	assert.Equal(t, []graph.EventKind{graph.EventModelCall, graph.EventToolCall}, s.got)

	none := observe.Filter(s, observe.Kinds())
	require.NoError(t, none.Handle(graph.Event{Kind: graph.EventRunEnd}))
	assert.Len(t, s.got, 2)
}
