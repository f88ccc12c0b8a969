package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// save records the run's status and, with a store, writes a checkpoint of
// r.state after r.step and the tasks of r.cur. A failed write is fatal.
func (r *run[S]) save(status RunStatus, intr *Interrupt, errMsg string) error {
	r.status = status
	if !r.persist {
		return nil
	}
	r.seq++
	cp := Checkpoint{
		RunID:     r.runID(),
		Seq:       r.seq,
		Graph:     r.graph,
		Step:      r.step,
		Status:    status,
		State:     r.stateJSON,
		Tasks:     r.records(),
		Interrupt: intr,
		Error:     errMsg,
		Time:      time.Now().UTC(),
	}
	// Checkpoints must land even while the run is being cancelled, so that
	// it can be resumed.
	if err := r.cfg.store.Put(context.WithoutCancel(r.ctx), cp); err != nil {
		err = fmt.Errorf("graph %q: writing checkpoint %d of run %q: %w", r.graph, r.seq, cp.RunID, err)
		r.setFatal(err)
		return err
	}
	if r.events {
		ev := r.event(EventCheckpoint, r.step)
		ev.Seq = r.seq
		r.deliver(ev)
	}
	return nil
}

// records describes r.cur for a checkpoint. It reads only what running
// tasks do not write: results are read once the coordinator marked the
// task done.
func (r *run[S]) records() []TaskRecord {
	if len(r.cur) == 0 {
		return nil
	}
	recs := make([]TaskRecord, len(r.cur))
	for i, s := range r.cur {
		rec := TaskRecord{ID: s.t.id, Node: s.t.node, Input: s.t.inputJSON, Answers: s.t.answers}
		if s.done {
			rec.Done, rec.Update = true, s.updateJSON
			for _, snd := range s.t.sends {
				rec.Sends = append(rec.Sends, TaskRecord{Node: r.g.nodes[snd.node].name, Input: snd.inputJSON})
			}
		}
		recs[i] = rec
	}
	return recs
}

// resume continues runID from its latest checkpoint.
func (r *run[S]) resume(runID string) error {
	if !r.persist {
		return fmt.Errorf("graph %q: resuming run %q: %w", r.graph, runID, ErrNoStore)
	}
	if err := r.prepare(); err != nil {
		return err
	}
	cp, err := r.cfg.store.Latest(r.ctx, runID)
	if err != nil {
		return fmt.Errorf("graph %q: resuming run %q: %w", r.graph, runID, err)
	}
	if cp.Graph != r.graph {
		return fmt.Errorf("graph %q: run %q was written by graph %q", r.graph, runID, cp.Graph)
	}
	if err := json.Unmarshal(cp.State, &r.state); err != nil {
		return fmt.Errorf("graph %q: decoding the state of run %q: %w", r.graph, runID, err)
	}
	r.stateJSON, r.step, r.seq, r.status = cp.State, cp.Step, cp.Seq, cp.Status
	if cp.Status == StatusDone {
		return nil
	}
	cur, err := r.restore(cp)
	r.setCur(cur)
	if err != nil {
		return err
	}
	if err := r.answer(cp); err != nil {
		return err
	}
	return r.loop()
}

// restore rebuilds the tasks of step cp.Step+1; finished ones keep their
// update and sends and are not run again.
func (r *run[S]) restore(cp Checkpoint) ([]*slot[S], error) {
	var cur []*slot[S]
	for _, rec := range cp.Tasks {
		node, ok := r.g.byName[rec.Node]
		if !ok {
			return cur, fmt.Errorf("graph %q: run %q has a task of unknown node %q", r.graph, cp.RunID, rec.Node)
		}
		var input any
		if len(rec.Input) > 0 && string(rec.Input) != "null" {
			input = rec.Input
		}
		s := r.newSlot(cp.Step+1, node, -1, input, rec.Input)
		s.t.id, s.t.answers = rec.ID, rec.Answers
		cur = append(cur, s)
		if !rec.Done {
			continue
		}
		s.ran, s.done, s.updateJSON = true, true, rec.Update
		if err := json.Unmarshal(rec.Update, &s.update); err != nil {
			return cur, fmt.Errorf("graph %q: decoding the update of task %s: %w", r.graph, rec.ID, err)
		}
		for _, snd := range rec.Sends {
			to, ok := r.g.byName[snd.Node]
			if !ok {
				return cur, fmt.Errorf("graph %q: task %s sent to unknown node %q", r.graph, rec.ID, snd.Node)
			}
			s.t.sends = append(s.t.sends, sendRec{node: to, input: snd.Input, inputJSON: snd.Input})
		}
	}
	return cur, nil
}

// answer gives WithResumeValue to the task that paused the run.
func (r *run[S]) answer(cp Checkpoint) error {
	intr := cp.Interrupt
	if cp.Status != StatusInterrupted || intr == nil || intr.When != WhenInside || !r.cfg.hasResume {
		return nil
	}
	b, err := json.Marshal(r.cfg.resume)
	if err != nil {
		return fmt.Errorf("graph %q: encoding the resume value: %w", r.graph, err)
	}
	for _, s := range r.cur {
		if s.t.id == intr.TaskID {
			s.t.answers = append(s.t.answers[:len(s.t.answers):len(s.t.answers)], b)
			return nil
		}
	}
	return fmt.Errorf("graph %q: run %q paused in task %s, which is not pending", r.graph, cp.RunID, intr.TaskID)
}
