package observe_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/graph/observe"
)

// sampleEvents returns one event of every kind with every field set that
// the kind uses; times carry a monotonic reading and a non-UTC zone.
func sampleEvents() []graph.Event {
	zone := time.FixedZone("CET", 3600)
	t0 := time.Now().In(zone)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	return []graph.Event{
		{Kind: graph.EventRunStart, RunID: "r1", Time: at(0)},
		{Kind: graph.EventNodeStart, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: at(1)},
		{Kind: graph.EventCustom, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Path: []string{"outer", "inner"},
			Time: at(2), Name: "context_edit", Data: json.RawMessage(`{"freed":120,"html":"<b>&</b>"}`)},
		{Kind: graph.EventModelCall, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: at(3),
			Model: &graph.ModelCallInfo{Provider: "openai", Model: "gpt-4.1", Role: "planner", InputTokens: 1200,
				CachedInput: 1000, OutputTokens: 300, FinishReason: "stop", Start: at(2), End: at(3), Err: "x"}},
		{Kind: graph.EventToolCall, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: at(4),
			Tool: &graph.ToolCallInfo{Name: "web_search", CallID: "c1", Start: at(3), End: at(4), Err: "boom"}},
		{Kind: graph.EventNodeEnd, RunID: "r1", Step: 1, Node: "plan", TaskID: "t1", Time: at(5),
			Duration: 4 * time.Second, Err: "node failed"},
		{Kind: graph.EventStateUpdate, RunID: "r1", Step: 1, Time: at(6), Data: json.RawMessage(`{"n":1}`)},
		{Kind: graph.EventCheckpoint, RunID: "r1", Step: 1, Time: at(7), Seq: 3},
		{Kind: graph.EventInterrupt, RunID: "r1", Step: 2, Time: at(8), Interrupt: &graph.Interrupt{
			Node: "clarify", TaskID: "t2", When: "inside", Payload: json.RawMessage(`{"q":"which?"}`)}},
		{Kind: graph.EventError, RunID: "r1", Step: 2, Time: at(9), Err: "context canceled"},
		{Kind: graph.EventRunEnd, RunID: "r1", Step: 2, Time: at(10), Duration: 10 * time.Second},
	}
}

// requireSameEvent compares events, times by instant.
func requireSameEvent(t *testing.T, want, got graph.Event) {
	t.Helper()
	require.True(t, want.Time.Equal(got.Time), "time: want %v, got %v", want.Time, got.Time)
	want.Time, got.Time = time.Time{}, time.Time{}
	if want.Model != nil {
		require.NotNil(t, got.Model)
		w, g := *want.Model, *got.Model
		require.True(t, w.Start.Equal(g.Start) && w.End.Equal(g.End), "model times")
		w.Start, w.End, g.Start, g.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		want.Model, got.Model = &w, &g
	}
	if want.Tool != nil {
		require.NotNil(t, got.Tool)
		w, g := *want.Tool, *got.Tool
		require.True(t, w.Start.Equal(g.Start) && w.End.Equal(g.End), "tool times")
		w.Start, w.End, g.Start, g.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		want.Tool, got.Tool = &w, &g
	}
	require.Equal(t, want, got)
}

func readAll(t *testing.T, data []byte) ([]graph.Event, []error) {
	t.Helper()
	var evs []graph.Event
	var errs []error
	for ev, err := range observe.ReadJSONL(bytes.NewReader(data)) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		evs = append(evs, ev)
	}
	return evs, errs
}

func TestJSONLRoundTrip(t *testing.T) {
	in := sampleEvents()
	var buf bytes.Buffer
	j := observe.NewJSONL(&buf)
	for _, ev := range in {
		require.NoError(t, j.Handle(ev))
	}
	require.NoError(t, j.Close())

	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, len(in), "one line per event")
	assert.True(t, strings.HasPrefix(lines[0], `{"kind":"run_start","run_id":"r1","step":0,"time":`), lines[0])
	assert.Contains(t, lines[2], `"html":"<b>&</b>"`, "HTML is not escaped")

	out, errs := readAll(t, buf.Bytes())
	require.Empty(t, errs)
	require.Len(t, out, len(in))
	for i := range in {
		requireSameEvent(t, in[i], out[i])
	}
}

func TestJSONLFlushesOnKinds(t *testing.T) {
	tests := []struct {
		kind    graph.EventKind
		flushed bool
	}{
		{graph.EventCheckpoint, true},
		{graph.EventRunEnd, true},
		{graph.EventError, true},
		{graph.EventInterrupt, true},
		{graph.EventRunStart, false},
		{graph.EventNodeStart, false},
		{graph.EventNodeEnd, false},
		{graph.EventCustom, false},
		{graph.EventModelCall, false},
		{graph.EventToolCall, false},
		{graph.EventStateUpdate, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			var buf bytes.Buffer
			j := observe.NewJSONL(&buf, observe.WithFlushEvery(1000))
			require.NoError(t, j.Handle(graph.Event{Kind: graph.EventNodeStart, RunID: "r"}))
			require.Zero(t, buf.Len(), "a node_start stays buffered")
			require.NoError(t, j.Handle(graph.Event{Kind: tt.kind, RunID: "r"}))
			if tt.flushed {
				assert.Equal(t, 2, strings.Count(buf.String(), "\n"), "both events reach the writer without Close")
			} else {
				assert.Zero(t, buf.Len())
			}
		})
	}
}

func TestJSONLFlushEvery(t *testing.T) {
	var buf bytes.Buffer
	j := observe.NewJSONL(&buf, observe.WithFlushEvery(3))
	ev := graph.Event{Kind: graph.EventCustom, RunID: "r", Name: "token"}
	require.NoError(t, j.Handle(ev))
	require.NoError(t, j.Handle(ev))
	assert.Zero(t, buf.Len())
	require.NoError(t, j.Handle(ev))
	assert.Equal(t, 3, strings.Count(buf.String(), "\n"))
	require.NoError(t, j.Handle(ev))
	assert.Equal(t, 3, strings.Count(buf.String(), "\n"), "the count restarts after a flush")
	require.NoError(t, j.Flush())
	assert.Equal(t, 4, strings.Count(buf.String(), "\n"))

	var every bytes.Buffer
	j1 := observe.NewJSONL(&every, observe.WithFlushEvery(0))
	require.NoError(t, j1.Handle(ev))
	assert.Equal(t, 1, strings.Count(every.String(), "\n"), "n <= 1 flushes every event")
}

func TestJSONLDefaultFlushEvery(t *testing.T) {
	var buf bytes.Buffer
	j := observe.NewJSONL(&buf)
	ev := graph.Event{Kind: graph.EventCustom, RunID: "r"}
	for range observe.DefaultFlushEvery - 1 {
		require.NoError(t, j.Handle(ev))
	}
	assert.Zero(t, buf.Len())
	require.NoError(t, j.Handle(ev))
	assert.Equal(t, observe.DefaultFlushEvery, strings.Count(buf.String(), "\n"))
}

func TestJSONLClose(t *testing.T) {
	var buf bytes.Buffer
	j := observe.NewJSONL(&buf)
	require.NoError(t, j.Handle(graph.Event{Kind: graph.EventNodeStart, RunID: "r"}))
	require.NoError(t, j.Close())
	assert.Equal(t, 1, strings.Count(buf.String(), "\n"), "Close flushes")
	require.ErrorIs(t, j.Handle(graph.Event{Kind: graph.EventRunEnd}), observe.ErrClosed)
	require.ErrorIs(t, j.Flush(), observe.ErrClosed)
	require.NoError(t, j.Close(), "a second Close is a no-op")
}

func TestJSONLErrors(t *testing.T) {
	t.Run("write error", func(t *testing.T) {
		boom := errors.New("disk full")
		j := observe.NewJSONL(failWriter{boom})
		err := j.Handle(graph.Event{Kind: graph.EventCheckpoint, RunID: "r"})
		require.ErrorIs(t, err, boom)
		assert.ErrorIs(t, j.Handle(graph.Event{Kind: graph.EventRunEnd}), boom, "write errors stick")
	})
	t.Run("unencodable data", func(t *testing.T) {
		var buf bytes.Buffer
		j := observe.NewJSONL(&buf)
		err := j.Handle(graph.Event{Kind: graph.EventCustom, Data: json.RawMessage(`{not json`)})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "observe:")
		require.NoError(t, j.Handle(graph.Event{Kind: graph.EventRunEnd, RunID: "r"}))
		evs, errs := readAll(t, buf.Bytes())
		require.Empty(t, errs)
		require.Len(t, evs, 1, "the bad event wrote nothing")
		assert.Equal(t, graph.EventRunEnd, evs[0].Kind)
	})
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestOpenJSONLAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	in := sampleEvents()

	j, err := observe.OpenJSONL(path)
	require.NoError(t, err)
	for _, ev := range in[:4] {
		require.NoError(t, j.Handle(ev))
	}
	require.NoError(t, j.Close())
	require.ErrorIs(t, j.Handle(in[4]), observe.ErrClosed)

	j, err = observe.OpenJSONL(path)
	require.NoError(t, err)
	for _, ev := range in[4:] {
		require.NoError(t, j.Handle(ev))
	}
	require.NoError(t, j.Close())

	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	out, errs := readAll(t, data)
	require.Empty(t, errs)
	require.Len(t, out, len(in))
	for i := range in {
		requireSameEvent(t, in[i], out[i])
	}
}

func TestOpenJSONLErrors(t *testing.T) {
	_, err := observe.OpenJSONL(filepath.Join(t.TempDir(), "missing", "events.jsonl"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestOpenJSONLAfterKilledWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"kind":"run_start","run_id":"r1","step":0,"time":"0001-01-01T00:00:00Z"}`+"\n"+`{"kind":"node_st`), 0o600))

	j, err := observe.OpenJSONL(path)
	require.NoError(t, err)
	require.NoError(t, j.Handle(graph.Event{Kind: graph.EventRunStart, RunID: "r1"}))
	require.NoError(t, j.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	evs, errs := readAll(t, data)
	require.Len(t, evs, 2, "the new event is not glued to the cut line")
	require.Len(t, errs, 1)
	var le *observe.LineError
	require.ErrorAs(t, errs[0], &le)
	assert.Equal(t, 2, le.Line)
	assert.NotErrorIs(t, errs[0], observe.ErrTruncated, "the cut line is no longer the last")
}

func TestReadJSONL(t *testing.T) {
	const good = `{"kind":"node_start","run_id":"r1","step":1,"time":"2025-01-02T03:04:05Z"}`
	type item struct {
		kind      graph.EventKind // set for an event
		line      int             // set for a *LineError
		truncated bool
	}
	tests := []struct {
		name string
		in   string
		want []item
	}{
		{"empty", "", nil},
		{"complete", good + "\n" + good + "\n", []item{{kind: graph.EventNodeStart}, {kind: graph.EventNodeStart}}},
		{"blank lines and CRLF", "\n" + good + "\r\n\n" + good + "\n", []item{{kind: graph.EventNodeStart}, {kind: graph.EventNodeStart}}},
		{"last line without newline decodes", good + "\n" + good, []item{{kind: graph.EventNodeStart}, {kind: graph.EventNodeStart}}},
		{"truncated last line", good + "\n" + good[:30], []item{{kind: graph.EventNodeStart}, {line: 2, truncated: true}}},
		{"corrupt line in the middle", good + "\nnot json\n\n" + good + "\n", []item{{kind: graph.EventNodeStart}, {line: 2}, {kind: graph.EventNodeStart}}},
		{"corrupt last line with newline", good + "\n{\"kind\":\n", []item{{kind: graph.EventNodeStart}, {line: 2}}},
		{"wrong type", `{"kind":"run_end","step":"x"}` + "\n", []item{{line: 1}}},
		{"unknown fields are ignored", `{"kind":"run_end","future":true}` + "\n", []item{{kind: graph.EventRunEnd}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []item
			for ev, err := range observe.ReadJSONL(strings.NewReader(tt.in)) {
				if err == nil {
					got = append(got, item{kind: ev.Kind})
					continue
				}
				var le *observe.LineError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, graph.Event{}, ev)
				assert.Contains(t, err.Error(), fmt.Sprintf("line %d", le.Line))
				got = append(got, item{line: le.Line, truncated: errors.Is(err, observe.ErrTruncated)})
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestReadJSONLLongLine(t *testing.T) {
	big := strings.Repeat("x", 300<<10) // beyond bufio.Scanner's default limit
	var buf bytes.Buffer
	j := observe.NewJSONL(&buf)
	data, err := json.Marshal(big)
	require.NoError(t, err)
	require.NoError(t, j.Handle(graph.Event{Kind: graph.EventCustom, Data: data}))
	require.NoError(t, j.Close())
	evs, errs := readAll(t, buf.Bytes())
	require.Empty(t, errs)
	require.Len(t, evs, 1)
	assert.JSONEq(t, string(data), string(evs[0].Data))
}

func TestReadJSONLReadError(t *testing.T) {
	boom := errors.New("io broke")
	r := iotest.DataErrReader(strings.NewReader(`{"kind":"run_start"}` + "\n"))
	r = readerThenErr{r, boom}
	var kinds []graph.EventKind
	var last error
	for ev, err := range observe.ReadJSONL(r) {
		if err != nil {
			last = err
			continue
		}
		kinds = append(kinds, ev.Kind)
	}
	assert.Equal(t, []graph.EventKind{graph.EventRunStart}, kinds)
	require.ErrorIs(t, last, boom)
}

// readerThenErr reads r, then fails with err instead of io.EOF.
type readerThenErr struct {
	r   interface{ Read([]byte) (int, error) }
	err error
}

func (r readerThenErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil {
		return n, r.err
	}
	return n, nil
}

func TestReadJSONLStopsOnBreak(t *testing.T) {
	const line = `{"kind":"custom"}` + "\n"
	n := 0
	for _, err := range observe.ReadJSONL(strings.NewReader(strings.Repeat(line, 5))) {
		require.NoError(t, err)
		n++
		if n == 2 {
			break
		}
	}
	assert.Equal(t, 2, n)

	n = 0
	for _, err := range observe.ReadJSONL(strings.NewReader("bad\nbad\n")) {
		require.Error(t, err)
		n++
		break
	}
	assert.Equal(t, 1, n, "breaking on an error stops reading")
}

func TestJSONLConcurrentHandle(t *testing.T) {
	const writers, each = 8, 200
	var buf bytes.Buffer
	j := observe.NewJSONL(&buf, observe.WithFlushEvery(7))
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ev := graph.Event{Kind: graph.EventCustom, RunID: fmt.Sprint("r", w), Step: i, Name: "token",
					Data: json.RawMessage(`{"text":"` + strings.Repeat("y", i%50) + `"}`)}
				if i%25 == 0 {
					ev.Kind = graph.EventCheckpoint
				}
				assert.NoError(t, j.Handle(ev))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, j.Close())

	evs, errs := readAll(t, buf.Bytes())
	require.Empty(t, errs, "no line is interleaved with another")
	require.Len(t, evs, writers*each)
	next := map[string]int{}
	for _, ev := range evs {
		assert.Equal(t, next[ev.RunID], ev.Step, "each writer's events keep their order")
		next[ev.RunID] = ev.Step + 1
	}
	assert.Len(t, next, writers)
}
