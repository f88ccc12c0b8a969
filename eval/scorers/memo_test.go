package scorers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/research/verify"
)

func TestMemoComputesOncePerKey(t *testing.T) {
	m := newMemo(4)
	var calls atomic.Int32
	release := make(chan struct{})
	f := func() (verify.Result, error) {
		calls.Add(1)
		<-release
		return verify.Result{Supported: 3}, nil
	}
	var wg sync.WaitGroup
	results := make([]verify.Result, 8)
	for i := range results {
		wg.Go(func() {
			v, err := m.do(context.Background(), "k", f)
			assert.NoError(t, err)
			results[i] = v
		})
	}
	// Every caller either computes or waits for the one computation.
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
	for _, v := range results {
		assert.Equal(t, 3, v.Supported)
	}
}

func TestMemoIsBounded(t *testing.T) {
	m := newMemo(2)
	var calls int
	f := func() (verify.Result, error) { calls++; return verify.Result{}, nil }
	for _, k := range []string{"a", "b", "c", "a"} {
		_, err := m.do(context.Background(), k, f)
		require.NoError(t, err)
	}
	assert.Equal(t, 4, calls, "a was evicted by c")
	assert.Len(t, m.items, 2)
	assert.Len(t, m.order, 2)
}

func TestMemoForgetsFailures(t *testing.T) {
	m := newMemo(2)
	boom := errors.New("boom")
	_, err := m.do(context.Background(), "k", func() (verify.Result, error) { return verify.Result{}, boom })
	require.ErrorIs(t, err, boom)
	v, err := m.do(context.Background(), "k", func() (verify.Result, error) { return verify.Result{Invalid: 1}, nil })
	require.NoError(t, err)
	assert.Equal(t, 1, v.Invalid)
	assert.Empty(t, m.order[:len(m.order)-1])
}

func TestMemoWaiterHonoursItsContext(t *testing.T) {
	m := newMemo(2)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := m.do(context.Background(), "k", func() (verify.Result, error) {
			close(started)
			<-release
			return verify.Result{}, nil
		})
		done <- err
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.do(ctx, "k", func() (verify.Result, error) { return verify.Result{}, fmt.Errorf("not called") })
	require.ErrorIs(t, err, context.Canceled)
	close(release)
	require.NoError(t, <-done)
}
