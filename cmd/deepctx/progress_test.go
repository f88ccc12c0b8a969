package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/deepctx/deepctx/agent/graph"
)

// fakeClock is a clock tests move by hand; safe for the live view's
// redraw goroutine to read.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Event builders.

func custom(t testing.TB, task, name string, payload any) graph.Event {
	t.Helper()
	b, err := json.Marshal(payload)
	require.NoError(t, err)
	node := strings.Split(task, ":")[1]
	return graph.Event{Kind: graph.EventCustom, Node: node, TaskID: task, Name: name, Data: b}
}

type spent struct {
	Input       int `json:"input"`
	CachedInput int `json:"cached_input"`
	Output      int `json:"output"`
	Reasoning   int `json:"reasoning"`
}

type resProgress struct {
	Seq          int    `json:"seq"`
	Topic        string `json:"topic"`
	Step         string `json:"step"`
	Tool         string `json:"tool,omitempty"`
	Turn         int    `json:"turn"`
	ToolCalls    int    `json:"tool_calls"`
	MaxToolCalls int    `json:"max_tool_calls"`
	ViewTokens   int    `json:"view_tokens,omitempty"`
	Limit        int    `json:"limit,omitempty"`
	Spent        spent  `json:"spent"`
}

func researcherEv(t testing.TB, task string, p resProgress) graph.Event {
	return custom(t, task, "researcher", p)
}

func nodeStart(task string) graph.Event {
	return graph.Event{Kind: graph.EventNodeStart, Node: strings.Split(task, ":")[1], TaskID: task}
}

func nodeEnd(task string, d time.Duration, err string) graph.Event {
	return graph.Event{Kind: graph.EventNodeEnd, Node: strings.Split(task, ":")[1], TaskID: task, Duration: d, Err: err}
}

func modelCall(task, role string, in, cached, out int) graph.Event {
	return graph.Event{Kind: graph.EventModelCall, Node: strings.Split(task, ":")[1], TaskID: task,
		Model: &graph.ModelCallInfo{Role: role, InputTokens: in, CachedInput: cached, OutputTokens: out}}
}

func toolCall(task, name, err string) graph.Event {
	return graph.Event{Kind: graph.EventToolCall, Node: strings.Split(task, ":")[1], TaskID: task,
		Tool: &graph.ToolCallInfo{Name: name, Err: err}}
}

const longTopic = "The history of\ncontext window management in large language model agents, from summarisation to offloading"

// runEvents is a realistic run: a brief, a supervisor turn, two
// researchers (one failing), the report, a critique and a failure. Each
// event comes with how far the clock moves before it.
func runEvents(t testing.TB) []struct {
	dt time.Duration
	ev graph.Event
} {
	r1, r2 := "3:researcher:0", "3:researcher:1"
	return []struct {
		dt time.Duration
		ev graph.Event
	}{
		{0, graph.Event{Kind: graph.EventRunStart, Name: "research"}},
		{0, nodeStart("1:brief:0")},
		{400 * time.Millisecond, modelCall("1:brief:0", "planner", 1200, 0, 300)},
		{0, nodeEnd("1:brief:0", 400*time.Millisecond, "")},
		{0, graph.Event{Kind: graph.EventCheckpoint, Seq: 1}},
		{100 * time.Millisecond, nodeStart("2:supervisor:0")},
		{0, custom(t, "2:supervisor:0", "context", map[string]any{"agent": "supervisor", "view_tokens": 5300, "limit": 96000})},
		{2 * time.Second, modelCall("2:supervisor:0", "planner", 3000, 1000, 200)},
		{100 * time.Millisecond, nodeEnd("2:supervisor:0", 2100*time.Millisecond, "")},
		{0, nodeStart(r1)},
		{0, nodeStart(r2)},
		{time.Second, modelCall(r1, "researcher", 1000, 0, 100)},
		{0, custom(t, r1, "context", map[string]any{"agent": "researcher 1", "view_tokens": 900, "limit": 96000})},
		{0, researcherEv(t, r1, resProgress{Seq: 1, Topic: "Prompt caching", Step: "model_call", Turn: 1, MaxToolCalls: 12, ViewTokens: 900, Limit: 96000, Spent: spent{Input: 1000, Output: 100}})},
		{0, custom(t, r1, "token", map[string]string{"text": "noise"})},
		{500 * time.Millisecond, toolCall(r1, "search", "")},
		{0, researcherEv(t, r1, resProgress{Seq: 1, Topic: "Prompt caching", Step: "tool_call", Tool: "search", Turn: 1, ToolCalls: 1, MaxToolCalls: 12, ViewTokens: 5300, Limit: 96000, Spent: spent{Input: 1000, Output: 100}})},
		{200 * time.Millisecond, modelCall(r2, "researcher", 2000, 0, 150)},
		{0, researcherEv(t, r2, resProgress{Seq: 2, Topic: longTopic, Step: "model_call", Turn: 1, MaxToolCalls: 12, ViewTokens: 2000, Limit: 96000, Spent: spent{Input: 2000, Output: 150}})},
		{300 * time.Millisecond, toolCall(r2, "read", "the tool answered with an error")},
		{0, researcherEv(t, r2, resProgress{Seq: 2, Topic: longTopic, Step: "tool_call", Tool: "read", Turn: 1, ToolCalls: 1, MaxToolCalls: 12, ViewTokens: 2000, Limit: 96000, Spent: spent{Input: 2000, Output: 150}})},
		{time.Second, researcherEv(t, r1, resProgress{Seq: 1, Topic: "Prompt caching", Step: "model_call", Turn: 2, ToolCalls: 1, MaxToolCalls: 12, ViewTokens: 5300, Limit: 96000, Spent: spent{Input: 1400, Output: 100}})},
		{0, nodeEnd(r1, 3*time.Second, "")},
		{0, nodeEnd(r2, 3*time.Second, "context canceled")},
		{0, nodeStart("4:write:0")},
		{12500 * time.Millisecond, nodeEnd("4:write:0", 12500*time.Millisecond, "")},
		{0, nodeStart("5:critique:0")},
		{time.Second, custom(t, "5:critique:0", "critique", map[string]any{"round": 1, "score": 0.82, "issues": 3})},
		{0, nodeEnd("5:critique:0", time.Second, "")},
		{0, nodeStart("6:revise:0")},
		{time.Second, nodeEnd("6:revise:0", time.Second, "writer: model refused")},
		{0, graph.Event{Kind: graph.EventError, Err: "writer: model refused"}},
		{0, graph.Event{Kind: graph.EventRunEnd, Err: "writer: model refused", Duration: 70 * time.Second}},
	}
}

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	clock := newFakeClock()
	p := newProgress(&buf, false)
	p.now = clock.Now
	p.Notef("run %s: %s", "r1", "/tmp/runs/r1")
	for _, e := range runEvents(t) {
		clock.Advance(e.dt)
		require.NoError(t, p.Emit(e.ev))
	}
	p.Close()
	p.Close() // idempotent

	want := `[   0.0s] run r1: /tmp/runs/r1
[   0.0s] brief: started
[   0.4s] brief: done in 0.4s, 1.2k in / 300 out
[   0.5s] supervisor turn 1: started
[   0.5s] supervisor turn 1: context 5.3k/96k tokens
[   2.6s] supervisor turn 1: done in 2.1s, 3k in (1k cached) / 200 out
[   3.6s] researcher 1 started: Prompt caching
[   4.1s] researcher 1: search (1/12 tool calls, context 5.3k/96k tokens)
[   4.3s] researcher 2 started: The history of context window management in large language…
[   4.6s] researcher 2: read failed (1/12 tool calls, context 2k/96k tokens): the tool answered with an error
[   5.6s] researcher 1 done in 3.0s: 1 tool call, 1.5k tokens
[   5.6s] researcher 2 failed after 3.0s: context canceled
[   5.6s] write: started
[  18.1s] write: done in 12.5s
[  18.1s] critique: started
[  19.1s] critique round 1: score 0.82, 3 issues
[  19.1s] critique: done in 1.0s
[  19.1s] revise: started
[  20.1s] revise: failed after 1.0s: writer: model refused
[  20.1s] error: writer: model refused
[  20.1s] run failed after 1m10s
`
	assert.Equal(t, want, buf.String())
	assert.NotContains(t, buf.String(), "\x1b", "no escapes off a terminal")
}

func TestProgressPlainRunEnds(t *testing.T) {
	tests := []struct {
		name   string
		events []graph.Event
		want   string
	}{
		{
			name: "finished",
			events: []graph.Event{
				modelCall("1:write:0", "writer", 45200, 12000, 3100),
				{Kind: graph.EventRunEnd, Duration: 62 * time.Second},
			},
			want: "[   0.0s] run finished in 1m02s: 45.2k in (12k cached) / 3.1k out\n",
		},
		{
			name: "paused",
			events: []graph.Event{
				{Kind: graph.EventInterrupt, Node: "clarify", Interrupt: &graph.Interrupt{Node: "clarify", When: "inside"}},
				{Kind: graph.EventRunEnd, Err: "graph: interrupted", Duration: 1500 * time.Millisecond},
			},
			want: "[   0.0s] paused at clarify: waiting for an answer\n[   0.0s] run paused after 1.5s\n",
		},
		{
			name: "child run ends are not the run's end",
			events: []graph.Event{
				{Kind: graph.EventRunEnd, Path: []string{"2:research:1"}, Duration: time.Second},
			},
			want: "",
		},
		{
			name: "model and tool failures outside researchers",
			events: []graph.Event{
				{Kind: graph.EventModelCall, Node: "write", TaskID: "4:write:0", Model: &graph.ModelCallInfo{Role: "writer", Err: "rate limited"}},
				toolCall("2:supervisor:0", "think", "bad arguments"),
			},
			want: "[   0.0s] write: model call failed: rate limited\n[   0.0s] supervisor: tool think failed: bad arguments\n",
		},
		{
			name: "unreadable payloads are ignored",
			events: []graph.Event{
				{Kind: graph.EventCustom, Name: "researcher", TaskID: "3:researcher:0", Data: json.RawMessage(`{"seq":`)},
				{Kind: graph.EventCustom, Name: "critique", Data: json.RawMessage(`[]`)},
			},
			want: "",
		},
		{
			name: "researcher that never reported",
			events: []graph.Event{
				nodeStart("3:researcher:4"),
				nodeEnd("3:researcher:4", 200*time.Millisecond, ""),
			},
			want: "[   0.0s] researcher (task 3:researcher:4) done in 0.2s\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := newProgress(&buf, false)
			p.now = newFakeClock().Now
			for _, ev := range tt.events {
				require.NoError(t, p.Handle(ev))
			}
			p.Close()
			assert.Equal(t, tt.want, buf.String())
		})
	}
}

func TestProgressIsEventSink(t *testing.T) {
	var _ graph.EventSink = newProgress(&bytes.Buffer{}, false)
}

// emitResearcher has one researcher make calls tool calls, as the agent's
// events tell it.
func emitResearcher(t testing.TB, p *progress, seq, calls int) {
	task := fmt.Sprintf("3:researcher:%d", seq)
	_ = p.Emit(nodeStart(task))
	for i := 1; i <= calls; i++ {
		_ = p.Emit(modelCall(task, "researcher", 100, 0, 10))
		_ = p.Emit(researcherEv(t, task, resProgress{Seq: seq, Topic: fmt.Sprintf("topic %d", seq), Step: "model_call", Turn: i, ToolCalls: i - 1, MaxToolCalls: calls, Spent: spent{Input: 100 * i, Output: 10 * i}}))
		_ = p.Emit(toolCall(task, "search", ""))
		_ = p.Emit(researcherEv(t, task, resProgress{Seq: seq, Topic: fmt.Sprintf("topic %d", seq), Step: "tool_call", Tool: "search", Turn: i, ToolCalls: i, MaxToolCalls: calls, Spent: spent{Input: 100 * i, Output: 10 * i}}))
	}
	_ = p.Emit(nodeEnd(task, time.Second, ""))
}

func TestProgressConcurrentEmit(t *testing.T) {
	const workers, calls = 8, 40
	for _, live := range []bool{false, true} {
		t.Run(fmt.Sprintf("live=%v", live), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			var buf bytes.Buffer
			p := newProgress(&buf, live)
			var wg sync.WaitGroup
			for w := 1; w <= workers; w++ {
				wg.Add(2)
				go func() {
					defer wg.Done()
					emitResearcher(t, p, w, calls)
				}()
				go func() {
					defer wg.Done()
					p.Notef("note %d", w)
				}()
			}
			wg.Wait()
			p.Close()

			out := buf.String()
			for w := 1; w <= workers; w++ {
				assert.Contains(t, out, fmt.Sprintf("note %d\n", w))
			}
			if !live {
				lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				assert.Len(t, lines, workers*(calls+3), "started, tool calls and done per researcher, and a note")
				for _, l := range lines {
					assert.Regexp(t, `^\[\s*\d+\.\ds\] (note \d|researcher \d (started: topic \d|done in 1\.0s: 40 tool calls, 4\.4k tokens)|researcher \d: search \(\d+/40 tool calls\))$`, l)
				}
				return
			}
			// The last frame shows every researcher done.
			final := out[strings.LastIndex(out, "deepctx research"):]
			for w := 1; w <= workers; w++ {
				assert.Regexp(t, fmt.Sprintf(`#%d\s+done\s+40/40 calls  ctx -\s+spent 4\.4k\s+topic %d`, w, w), final)
			}
			assert.Contains(t, final, "tokens 32k in / 3.2k out")
		})
	}
}

// ansi matches the escape sequences the live view writes.
var ansi = regexp.MustCompile(`\x1b\[\d*[AJK]|\r`)

func TestProgressLive(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var buf bytes.Buffer
	clock := newFakeClock()
	p := newProgress(&buf, true)
	p.now = clock.Now
	p.Notef("run %s: %s", "r1", "/tmp/runs/r1")
	for _, e := range runEvents(t) {
		clock.Advance(e.dt + redrawEvery) // every event may redraw
		require.NoError(t, p.Emit(e.ev))
	}
	p.Close()
	out := buf.String()

	assert.Contains(t, out, "\x1b[2K[   0.0s] run r1: /tmp/runs/r1\n", "the note")
	assert.Regexp(t, `\x1b\[\d+A`, out, "redraws move the cursor up")
	assert.Contains(t, out, "\x1b[2K", "lines are cleared before they are redrawn")
	assert.Contains(t, out, "\x1b[2K[   8.0s] researcher 2 failed after 3.0s: context canceled\n", "failures are noted above the view")
	assert.Contains(t, out, "error: writer: model refused\n")
	assert.NotContains(t, out, "brief: started", "stage changes show in the view, not the log")

	// Redrawn researcher lines while they worked.
	plain := ansi.ReplaceAllString(out, "")
	assert.Regexp(t, `#1\s+searching\s+1/12 calls  ctx 5\.3k/96k\s+spent 1\.1k\s+Prompt caching`, plain)
	assert.Regexp(t, `#2\s+reading\s+1/12 calls  ctx 2k/96k\s+spent 2\.1k\s+The history of context window`, plain)
	assert.Regexp(t, `deepctx research  researching \(2 running\)  0:\d\d  tokens`, plain)

	// The final frame.
	final := plain[strings.LastIndex(plain, "deepctx research"):]
	wantFinal := []string{
		`deepctx research  failed  0:[23]\d  tokens 7.2k in \(1k cached\) / 750 out  checkpoint 1`,
		`supervisor  turn 1  ctx 5\.3k/96k tokens  researchers: 0 running, 1 done, 1 failed`,
		`#1\s+done\s+1/12 calls  ctx 5\.3k/96k\s+spent 1\.5k\s+Prompt caching`,
		`#2\s+failed\s+1/12 calls  ctx 2k/96k\s+spent 2\.1k\s+The history`,
		`critique    round 1  score 0\.82  3 issues`,
	}
	lines := strings.Split(strings.TrimSuffix(final, "\n"), "\n")
	require.Len(t, lines, len(wantFinal), final)
	for i, re := range wantFinal {
		assert.Regexp(t, "^"+re, lines[i])
	}
	for _, l := range lines {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), 99, "lines fit 100 columns")
	}
	assert.True(t, strings.HasSuffix(out, "\x1b[J"), "the view ends cleared below")
}

func TestProgressLiveThrottles(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var buf bytes.Buffer
	clock := newFakeClock()
	p := newProgress(&buf, true)
	p.now = clock.Now
	p.tick = time.Hour // no redraws but the throttled ones
	emitResearcher(t, p, 1, 30)
	assert.Equal(t, 1, strings.Count(buf.String(), "deepctx research"), "within 100ms only the first event draws")
	assert.NotContains(t, buf.String(), "#1")

	clock.Advance(redrawEvery)
	require.NoError(t, p.Emit(graph.Event{Kind: graph.EventCheckpoint, Seq: 3}))
	assert.Equal(t, 2, strings.Count(buf.String(), "deepctx research"))
	assert.Contains(t, buf.String(), "#1  done")

	require.NoError(t, p.Emit(graph.Event{Kind: graph.EventCheckpoint, Seq: 4}))
	p.Close()
	out := buf.String()
	assert.Equal(t, 3, strings.Count(out, "deepctx research"), "Close draws the pending change")
	assert.Contains(t, out[strings.LastIndex(out, "deepctx research"):], "checkpoint 4")

	// After Close, nothing is redrawn and notes are plain lines.
	n := len(out)
	require.NoError(t, p.Emit(graph.Event{Kind: graph.EventCheckpoint, Seq: 5}))
	p.Notef("bye")
	assert.Equal(t, "[   0.1s] bye\n", buf.String()[n:])
}

func TestProgressLiveFitsTheTerminal(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var buf bytes.Buffer
	p := newProgress(&buf, true)
	p.now = newFakeClock().Now
	p.size = func() (int, int) { return 40, 8 }
	for seq := 1; seq <= 12; seq++ {
		task := fmt.Sprintf("3:researcher:%d", seq)
		require.NoError(t, p.Emit(nodeStart(task)))
		require.NoError(t, p.Emit(researcherEv(t, task, resProgress{Seq: seq, Topic: longTopic, Step: "tool_call", Tool: "search", ToolCalls: 3, MaxToolCalls: 12, ViewTokens: 5300, Limit: 96000})))
		if seq <= 6 {
			require.NoError(t, p.Emit(nodeEnd(task, time.Second, "")))
		}
	}
	p.Close()

	block := p.blockLocked(8)
	assert.Len(t, block, 7, "the view fits the terminal's height")
	assert.Equal(t, "   … 7 more researchers not shown", block[len(block)-1])
	for i := 8; i <= 12; i++ {
		assert.Contains(t, block[i-7], fmt.Sprintf("#%-2d searching", i), "the latest running researchers are shown, in order")
	}

	out := ansi.ReplaceAllString(buf.String(), "")
	for _, l := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(l), 39, "no line wraps: %q", l)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	require.NoError(t, err)
	defer f.Close()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()

	assert.False(t, isTerminal(&bytes.Buffer{}))
	assert.False(t, isTerminal(f), "a file")
	assert.False(t, isTerminal(w), "a pipe")
}

func TestCompactTokens(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "0"},
		{950, "950"},
		{999, "999"},
		{1000, "1k"},
		{1049, "1k"},
		{5300, "5.3k"},
		{12_100, "12.1k"},
		{96_000, "96k"},
		{99_949, "99.9k"},
		{99_950, "100k"},
		{123_456, "123k"},
		{999_499, "999k"},
		{999_500, "1M"},
		{1_200_000, "1.2M"},
		{45_000_000, "45M"},
		{3_400_000_000, "3.4G"},
		{-5300, "-5.3k"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, compactTokens(tt.n), "compactTokens(%d)", tt.n)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d          time.Duration
		log, clock string
	}{
		{0, "0.0s", "0:00"},
		{420 * time.Millisecond, "0.4s", "0:00"},
		{12300 * time.Millisecond, "12.3s", "0:12"},
		{62 * time.Second, "1m02s", "1:02"},
		{3723 * time.Second, "1h02m", "1:02:03"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.log, formatDuration(tt.d), "formatDuration(%v)", tt.d)
		assert.Equal(t, tt.clock, formatClock(tt.d), "formatClock(%v)", tt.d)
	}
}

func TestShortenAndTruncate(t *testing.T) {
	assert.Equal(t, "short topic", shorten("short\n  topic", 60))
	assert.Equal(t, "The history of context…", shorten(longTopic, 25))
	assert.Equal(t, "abcdefghi…", shorten("abcdefghijklmnopqrstuvwxyz", 10))
	assert.Equal(t, "héllo", truncate("héllo", 5))
	assert.Equal(t, "hé…", truncate("héllo", 3))
	assert.Equal(t, "a b", truncate("a\tb", 10), "no control characters")
	assert.Empty(t, truncate("abc", 0))
}
