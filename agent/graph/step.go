package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// slot is one task of a step and its result. Slots are reused across steps.
type slot[S any] struct {
	t          Task
	update     S
	updateJSON json.RawMessage
	err        error
	ran        bool // exec ran (or the task finished before a resume)
	done       bool // finished: update merges, the task is not run again
	start      time.Time
}

// ok reports whether the task ran and succeeded.
func (s *slot[S]) ok() bool { return s.ran && s.err == nil && s.t.raised == nil }

// failure reports whether the task ran and failed (an interrupt is not a
// failure).
func (s *slot[S]) failure() bool { return s.err != nil && s.t.raised == nil }

func (r *run[S]) newSlot(step, node, sendIdx int, input any, inputJSON json.RawMessage) *slot[S] {
	if len(r.free) == 0 {
		r.reserve(1)
	}
	s := r.free[len(r.free)-1]
	r.free = r.free[:len(r.free)-1]
	cn := &r.g.nodes[node]
	t := &s.t
	t.core, t.node, t.nodeIdx, t.step, t.sendIdx = &r.core, cn.name, node, step, sendIdx
	t.input, t.inputJSON = input, inputJSON
	t.sendTo, t.sendNode = cn.sendTo, cn.sendNode
	if r.persist || r.events {
		t.id = taskID(step, cn.name, sendIdx) // read by checkpoints while tasks run
	}
	return s
}

// reserve makes n slots available to newSlot, allocating the missing ones
// in one block.
func (r *run[S]) reserve(n int) {
	if n <= len(r.free) {
		return
	}
	block := make([]slot[S], n-len(r.free))
	for i := range block {
		r.free = append(r.free, &block[i])
	}
}

func (r *run[S]) recycle(slots []*slot[S]) {
	var zero S
	for _, s := range slots {
		t := &s.t
		clear(t.sends)
		t.sends = t.sends[:0]
		t.id, t.input, t.inputJSON, t.answers, t.asked, t.raised, t.err, t.async = "", nil, nil, nil, 0, nil, nil, false
		s.update, s.updateJSON, s.err, s.ran, s.done = zero, nil, nil, false, false
		r.free = append(r.free, s)
	}
}

// setCur makes next the current tasks and recycles the old ones.
func (r *run[S]) setCur(next []*slot[S]) {
	r.recycle(r.cur)
	clear(r.cur)
	r.next = r.cur[:0]
	r.cur = next
}

// runStep runs the unfinished tasks of step k: inline when there is one,
// on up to WithConcurrency workers otherwise. It returns the interrupt the
// step raised, or the error that failed it.
func (r *run[S]) runStep(k int) (*Interrupt, error) {
	todo := r.todo[:0]
	for _, s := range r.cur {
		nr := &r.nodes[s.t.nodeIdx]
		nr.runs++
		nr.lastStep = k
		if !s.done {
			todo = append(todo, s)
		}
	}
	r.todo = todo
	// The step's nodes share a copy of the state whose slices have no spare
	// capacity: a node appending to them allocates, instead of writing into
	// arrays that the other tasks and the run's reducers share.
	r.snap = r.state
	clipSlices(&r.snap, r.g.clips)
	failed := -1
	switch len(todo) {
	case 0:
	case 1:
		failed = r.runInline(todo[0])
	default:
		failed = r.runParallel(todo)
	}
	var bad *slot[S]
	if failed >= 0 {
		bad = todo[failed]
	}
	clear(todo)
	if r.events || r.persist {
		if f := r.fatalErr(); f != nil {
			return nil, f
		}
	}
	if r.ctx.Err() != nil {
		return nil, r.cancelErr(k)
	}
	if bad != nil {
		return nil, &NodeError{Node: bad.t.node, Step: k, TaskID: bad.t.ID(), Err: bad.err}
	}
	for _, s := range r.cur {
		if s.t.raised != nil {
			return s.t.raised, nil
		}
	}
	return nil, nil
}

func (r *run[S]) runInline(s *slot[S]) (failed int) {
	r.exec(r.ctx, s)
	r.finish(s, false)
	if s.failure() {
		return 0
	}
	return -1
}

// runParallel runs todo on a pool of workers that take tasks in order, so
// at most WithConcurrency run at once and tasks not started when the step
// is cancelled never start. The first failure cancels the others. It
// returns the index in todo of that failure, or -1.
func (r *run[S]) runParallel(todo []*slot[S]) (failed int) {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	p := &pool[S]{r: r, todo: todo, ctx: ctx, cancel: cancel, coordinated: r.events || r.persist}
	p.first.Store(-1)
	workers := min(r.cfg.concurrency, len(todo))
	if p.coordinated {
		r.coordinate(p, workers)
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(p.work)
		}
		wg.Wait()
		for _, s := range todo {
			r.finish(s, false)
		}
	}
	return int(p.first.Load())
}

// pool is the shared state of a parallel step's workers.
type pool[S any] struct {
	r           *run[S]
	todo        []*slot[S]
	ctx         context.Context
	cancel      context.CancelFunc
	coordinated bool // report to the coordinator through r.msgs
	next        atomic.Int64
	first       atomic.Int64 // index of the first failed task, or -1
}

// work runs tasks in order until none is left or the step is cancelled.
func (p *pool[S]) work() {
	for {
		i := int(p.next.Add(1) - 1)
		if i >= len(p.todo) || p.ctx.Err() != nil {
			return
		}
		s := p.todo[i]
		s.t.async = p.coordinated
		p.r.exec(p.ctx, s)
		if s.failure() && p.first.CompareAndSwap(-1, int64(i)) {
			p.cancel()
		}
		if p.coordinated {
			p.r.msgs <- message{kind: msgDone, idx: i}
		}
	}
}

// coordinate runs p's workers and, on this goroutine, delivers their
// events and records (and checkpoints) each task as it finishes.
func (r *run[S]) coordinate(p *pool[S], workers int) {
	r.msgs = make(chan message, workers)
	for range workers {
		go func() {
			p.work()
			r.msgs <- message{kind: msgExit}
		}()
	}
	exited := 0
	defer func() {
		// Something on this goroutine panicked (sinks and the stream
		// consumer are recovered; a CheckpointStore's Put is not): stop
		// the workers and wait for them before the panic goes on.
		if exited < workers {
			p.cancel()
			for exited < workers {
				if (<-r.msgs).kind == msgExit {
					exited++
				}
			}
		}
	}()
	for exited < workers {
		m := <-r.msgs
		switch m.kind {
		case msgEvent:
			r.deliver(m.ev)
		case msgDone:
			r.finish(p.todo[m.idx], true)
		case msgExit:
			exited++
		}
	}
	r.msgs = nil
}

// finish records a task that ran: its node_end event, and, when it
// succeeded, its result (checkpointed at once if persist).
func (r *run[S]) finish(s *slot[S], persist bool) {
	if !s.ran {
		return
	}
	if r.events {
		ev := s.t.event(EventNodeEnd)
		ev.Duration = time.Since(s.start)
		if s.failure() {
			ev.Err = s.err.Error()
		}
		r.deliver(ev)
	}
	if !s.ok() {
		return
	}
	s.done = true
	if persist && r.persist && r.fatalErr() == nil {
		_ = r.save(StatusRunning, nil, "") // a failure is fatal and stops the step
	}
}

// exec runs one task: its attempts, with timeout, panic recovery and
// retries.
func (r *run[S]) exec(ctx context.Context, s *slot[S]) {
	n := &r.g.nodes[s.t.nodeIdx]
	s.ran = true
	defer func() {
		// The node's own panics are recovered by call; this catches those of
		// the retry policy's callbacks and of the update's MarshalJSON, which
		// would otherwise crash the process from a worker goroutine.
		if v := recover(); v != nil {
			s.err = newPanicError(v)
		}
	}()
	if r.events {
		s.start = time.Now()
		s.t.post(s.t.event(EventNodeStart))
	}
	for attempt := 1; ; attempt++ {
		upd, err := r.call(ctx, n, s)
		if err == nil {
			err = s.t.misuse()
		}
		s.err = err
		if err == nil {
			s.update = upd
			break
		}
		if s.t.raised != nil || n.retry == nil || ctx.Err() != nil {
			break
		}
		d, ok := n.retry.delay(attempt, err)
		if !ok {
			if attempt > 1 {
				s.err = fmt.Errorf("giving up after %d attempts: %w", attempt, err)
			}
			break
		}
		if on := n.retry.policy.OnRetry; on != nil {
			on(attempt, d, err)
		}
		if n.retry.sleep(ctx, d) != nil {
			break
		}
		s.t.retried()
	}
	if r.persist && s.ok() {
		b, err := json.Marshal(s.update)
		if err != nil {
			s.err = fmt.Errorf("graph: encoding the update: %w", err)
			return
		}
		s.updateJSON = b
	}
}

// call runs one attempt of n, turning a panic into a *PanicError and an
// expired node timeout into an error matching ErrTimeout.
func (r *run[S]) call(ctx context.Context, n *cnode[S], s *slot[S]) (upd S, err error) {
	outer := ctx
	if n.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.timeout)
		defer cancel()
	}
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(v)
		}
	}()
	upd, err = n.node.Run(ctx, r.snap, &s.t)
	if err != nil && n.timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) && outer.Err() == nil {
		err = fmt.Errorf("%w after %s: %w", ErrTimeout, n.timeout, err)
	}
	return upd, err
}

// misuse returns the error a Send recorded, if any.
func (t *Task) misuse() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// advance merges the updates of step k in task order, routes to the next
// step's tasks and makes them current. It returns the index of the first
// node that ran in step k with an interrupt-after, or -1.
func (r *run[S]) advance(k int) (after int, err error) {
	after = -1
	if err := r.mergeStep(k); err != nil {
		r.state = r.snap // the step did not complete: keep the state its checkpoint has
		return -1, err
	}
	for _, s := range r.cur {
		i := s.t.nodeIdx
		nr := &r.nodes[i]
		if nr.routed {
			continue
		}
		nr.routed = true
		if nr.after && after < 0 {
			after = i
		}
		if err == nil {
			err = r.routeFrom(s.t.node, &r.g.nodes[i].route, k)
		}
	}
	for _, s := range r.cur {
		r.nodes[s.t.nodeIdx].routed = false
	}
	if err != nil {
		for _, i := range r.acts {
			r.nodes[i].active = false
		}
		r.acts = r.acts[:0]
		r.state = r.snap
		return -1, err
	}
	r.setCur(r.collect(k+1, r.cur))
	return after, nil
}

// mergeStep merges the updates of step k into r.state in task order. A
// reducer's panic fails the step with a *NodeError naming the task whose
// update was being merged.
func (r *run[S]) mergeStep(k int) (err error) {
	var s *slot[S]
	defer func() {
		if v := recover(); v != nil {
			err = &NodeError{Node: s.t.node, Step: k, TaskID: s.t.ID(), Err: fmt.Errorf("merging the update: %w", newPanicError(v))}
		}
	}()
	for _, s = range r.cur {
		r.g.merge.apply(&r.state, &s.update)
	}
	return nil
}

// routeFrom activates the nodes that the routes out of from lead to.
func (r *run[S]) routeFrom(from string, rt *routes[S], step int) error {
	for _, i := range rt.next {
		r.activate(i)
	}
	for ci := range rt.conds {
		c := &rt.conds[ci]
		names, err := r.callRouter(c.router)
		if err == nil && len(names) == 0 {
			err = errors.New("chose no node (return END to end the branch)")
		}
		if err != nil {
			return &NodeError{Node: from, Step: step, Err: fmt.Errorf("router: %w", err)}
		}
		for _, name := range names {
			j := slices.Index(c.names, name)
			if j < 0 {
				return &NodeError{Node: from, Step: step, Err: fmt.Errorf("router returned %q, which is not among its declared targets %q", name, c.names)}
			}
			if n := c.nodes[j]; n != endNode {
				r.activate(n)
			}
		}
	}
	return nil
}

func (r *run[S]) callRouter(router Router[S]) (names []string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(v)
		}
	}()
	return router(r.ctx, r.state)
}

func (r *run[S]) activate(i int) {
	if !r.nodes[i].active {
		r.nodes[i].active = true
		r.acts = append(r.acts, i)
	}
}

// collect builds the tasks of step: the nodes activated by edges in
// declaration order, then the tasks that from sent, in send order.
func (r *run[S]) collect(step int, from []*slot[S]) []*slot[S] {
	next := r.next[:0]
	need := len(r.acts)
	for _, s := range from {
		need += len(s.t.sends)
	}
	r.reserve(need)
	slices.Sort(r.acts)
	for _, i := range r.acts {
		r.nodes[i].active = false
		next = append(next, r.newSlot(step, i, -1, nil, nil))
	}
	r.acts = r.acts[:0]
	for _, s := range from {
		for _, snd := range s.t.sends {
			nr := &r.nodes[snd.node]
			next = append(next, r.newSlot(step, snd.node, nr.sends, snd.input, snd.inputJSON))
			nr.sends++
		}
	}
	for _, s := range next {
		r.nodes[s.t.nodeIdx].sends = 0
	}
	return next
}
