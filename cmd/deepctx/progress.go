package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/deepctx/deepctx/agent/graph"
	"github.com/deepctx/deepctx/agent/research"
)

// progress shows how a research run is going, from the run's events. On a
// terminal (live) it keeps a block of status lines up to date in place,
// redrawn at most every redrawEvery; elsewhere (CI, pipes, tests) it writes
// one log line per meaningful event, prefixed with the elapsed time.
//
// It is a graph.EventSink and safe for concurrent use. The clock, ticker
// period and terminal size are fields so tests can replace them; set them
// before the first Emit or Notef.
type progress struct {
	w    io.Writer
	live bool

	// now is the clock; elapsed times count from the first event or note.
	now func() time.Time
	// tick is the period of the live view's redraw goroutine, which keeps
	// the clock moving and draws changes a throttled Emit left pending.
	tick time.Duration
	// size reports the terminal's columns and rows (rows 0 if unknown).
	size func() (width, height int)

	mu       sync.Mutex
	begun    bool
	closed   bool
	start    time.Time
	lines    int       // lines of the live block on screen
	lastDraw time.Time // when the block was last drawn (by now)
	drawnSec int64     // the elapsed second the header showed
	dirty    bool
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once

	run progressState
}

// redrawEvery throttles the live view to about ten redraws a second.
const redrawEvery = 100 * time.Millisecond

// progressState is what the events told so far.
type progressState struct {
	phase      string            // "", "done", "failed" or "paused"
	endAt      time.Time         // when the run ended, to freeze the clock
	running    map[string]string // task ID → node, of the tasks running
	lastNode   string
	checkpoint int
	total      tokenUse
	perTask    map[string]tokenUse

	supTurns int
	supCtx   contextPayload
	supSeen  bool

	researchers map[int]*researcherView
	taskSeq     map[string]int    // researcher task ID → seq
	toolErr     map[string]string // researcher task ID → its last tool's error

	critiques []critiquePayload
}

type tokenUse struct{ in, cached, out int }

func (u tokenUse) add(v tokenUse) tokenUse {
	return tokenUse{u.in + v.in, u.cached + v.cached, u.out + v.out}
}

// researcherView is one researcher's line.
type researcherView struct {
	seq          int
	topic        string
	status       string // what it does now, "done" or "failed"
	finished     bool
	toolCalls    int
	maxToolCalls int
	view, limit  int
	spent        int
}

// The payloads of the research agent's custom events, as JSON.
type (
	researcherPayload struct {
		Seq          int    `json:"seq"`
		Topic        string `json:"topic"`
		Step         string `json:"step"`
		Tool         string `json:"tool"`
		Turn         int    `json:"turn"`
		ToolCalls    int    `json:"tool_calls"`
		MaxToolCalls int    `json:"max_tool_calls"`
		ViewTokens   int    `json:"view_tokens"`
		Limit        int    `json:"limit"`
		Spent        struct {
			Input       int `json:"input"`
			CachedInput int `json:"cached_input"`
			Output      int `json:"output"`
			Reasoning   int `json:"reasoning"`
		} `json:"spent"`
	}
	contextPayload struct {
		Agent        string `json:"agent"`
		ViewTokens   int    `json:"view_tokens"`
		Limit        int    `json:"limit"`
		TokensBefore int    `json:"tokens_before"`
		Edits        int    `json:"edits"`
	}
	critiquePayload struct {
		Round  int     `json:"round"`
		Score  float64 `json:"score"`
		Issues int     `json:"issues"`
	}
)

// newProgress returns a progress display writing to w: a live, redrawn
// view if live, else log lines. Close it when the run is over.
func newProgress(w io.Writer, live bool) *progress {
	p := &progress{w: w, live: live, now: time.Now, tick: redrawEvery}
	p.size = func() (int, int) { return 100, 0 }
	if f, ok := w.(*os.File); ok && live {
		p.size = func() (int, int) {
			if cols, rows, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
				return cols, rows
			}
			return 100, 0
		}
	}
	p.run = progressState{
		running:     map[string]string{},
		perTask:     map[string]tokenUse{},
		researchers: map[int]*researcherView{},
		taskSeq:     map[string]int{},
		toolErr:     map[string]string{},
	}
	return p
}

// isTerminal tells whether w is a terminal, where a live view works.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Handle implements graph.EventSink. It never fails: a display problem must
// not stop the run.
func (p *progress) Handle(ev graph.Event) error { return p.Emit(ev) }

// Emit takes in one event of the run.
func (p *progress) Emit(ev graph.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.beginLocked()
	p.apply(ev)
	if p.live && !p.closed {
		p.dirty = true
		if p.now().Sub(p.lastDraw) >= redrawEvery {
			p.renderLocked(nil)
		}
	}
	return nil
}

// Notef prints a one-line note: above the live view, or as a log line.
func (p *progress) Notef(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.beginLocked()
	p.noteLocked(fmt.Sprintf(format, args...))
}

// Close draws the live view one last time, leaving it on screen, and stops
// its redraw goroutine. Later notes are printed as plain lines. Close may be
// called more than once.
func (p *progress) Close() {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true // no ticker starts from now on
		stop, done := p.stop, p.done
		p.mu.Unlock()
		if stop != nil {
			close(stop)
			<-done
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.live && p.begun {
			p.renderLocked(nil)
		}
	})
}

// beginLocked starts the clock and, for a live view, the redraw goroutine.
func (p *progress) beginLocked() {
	if p.begun {
		return
	}
	p.begun = true
	p.start = p.now()
	if p.live && !p.closed {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.ticker(p.stop, p.done, p.tick)
	}
}

func (p *progress) ticker(stop <-chan struct{}, done chan<- struct{}, every time.Duration) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			if !p.closed && (p.dirty || int64(p.elapsedLocked().Seconds()) != p.drawnSec) {
				p.renderLocked(nil)
			}
			p.mu.Unlock()
		}
	}
}

func (p *progress) elapsedLocked() time.Duration {
	if !p.run.endAt.IsZero() {
		return p.run.endAt.Sub(p.start)
	}
	return p.now().Sub(p.start)
}

// logf reports a meaningful event: a log line, or, for a live view, a note
// when important (failures, pauses), else nothing as the block shows it.
func (p *progress) logf(important bool, format string, args ...any) {
	if p.live && !p.closed && !important {
		return
	}
	p.noteLocked(fmt.Sprintf(format, args...))
}

func (p *progress) noteLocked(msg string) {
	line := fmt.Sprintf("[%6.1fs] %s", p.now().Sub(p.start).Seconds(), msg)
	if p.live && !p.closed {
		p.renderLocked([]string{line})
		return
	}
	_, _ = io.WriteString(p.w, line+"\n")
}

// renderLocked redraws the live block in place, with notes printed above
// it: up to the block's first line, each line cleared before it is
// written, and whatever the old block had below the new one cleared.
func (p *progress) renderLocked(notes []string) {
	width, height := p.size()
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.lines)
	}
	for _, n := range notes {
		b.WriteString("\r\x1b[2K")
		b.WriteString(n)
		b.WriteByte('\n')
	}
	block := p.blockLocked(height)
	for _, l := range block {
		b.WriteString("\r\x1b[2K")
		b.WriteString(truncate(l, width-1))
		b.WriteByte('\n')
	}
	b.WriteString("\x1b[J")
	_, _ = io.WriteString(p.w, b.String())
	p.lines = len(block)
	p.dirty = false
	p.lastDraw = p.now()
	p.drawnSec = int64(p.elapsedLocked().Seconds())
}

// apply updates the state with ev and logs what is worth a line.
func (p *progress) apply(ev graph.Event) {
	s := &p.run
	switch ev.Kind {
	case graph.EventRunStart:
		if len(ev.Path) == 0 {
			s.phase, s.endAt = "", time.Time{}
		}
	case graph.EventNodeStart:
		s.running[ev.TaskID] = ev.Node
		s.lastNode = ev.Node
		switch ev.Node {
		case research.NodeResearcher: // logged when its first progress tells its topic
		case research.NodeSupervisor:
			s.supTurns++
			p.logf(false, "supervisor turn %d: started", s.supTurns)
		default:
			p.logf(false, "%s: started", ev.Node)
		}
	case graph.EventNodeEnd:
		delete(s.running, ev.TaskID)
		p.nodeEnd(ev)
	case graph.EventModelCall:
		if ev.Model == nil {
			return
		}
		u := tokenUse{ev.Model.InputTokens, ev.Model.CachedInput, ev.Model.OutputTokens}
		s.total = s.total.add(u)
		s.perTask[ev.TaskID] = s.perTask[ev.TaskID].add(u)
		if ev.Model.Err != "" {
			p.logf(true, "%s: model call failed: %s", p.who(ev), ev.Model.Err)
		}
	case graph.EventToolCall:
		if ev.Tool == nil || ev.Tool.Err == "" {
			return
		}
		if ev.Node == research.NodeResearcher {
			s.toolErr[ev.TaskID] = ev.Tool.Err // told with its progress
			return
		}
		p.logf(true, "%s: tool %s failed: %s", p.who(ev), ev.Tool.Name, ev.Tool.Err)
	case graph.EventCustom:
		p.custom(ev)
	case graph.EventCheckpoint:
		s.checkpoint = ev.Seq
	case graph.EventInterrupt:
		s.phase = "paused"
		node := ev.Node
		if ev.Interrupt != nil && ev.Interrupt.Node != "" {
			node = ev.Interrupt.Node
		}
		p.logf(true, "paused at %s: waiting for an answer", node)
	case graph.EventError:
		s.phase = "failed"
		p.logf(true, "error: %s", ev.Err)
	case graph.EventRunEnd:
		if len(ev.Path) > 0 {
			return
		}
		s.endAt = p.now()
		switch {
		case s.phase == "paused":
			p.logf(false, "run paused after %s", formatDuration(ev.Duration))
		case s.phase == "failed" || ev.Err != "":
			s.phase = "failed"
			p.logf(false, "run failed after %s", formatDuration(ev.Duration))
		default:
			s.phase = "done"
			p.logf(false, "run finished in %s: %s", formatDuration(ev.Duration), formatUse(s.total))
		}
	}
}

// who names the agent behind an event, for failures.
func (p *progress) who(ev graph.Event) string {
	if seq, ok := p.run.taskSeq[ev.TaskID]; ok {
		return fmt.Sprintf("researcher %d", seq)
	}
	if ev.Node != "" {
		return ev.Node
	}
	if ev.Model != nil && ev.Model.Role != "" {
		return ev.Model.Role
	}
	return "run"
}

func (p *progress) nodeEnd(ev graph.Event) {
	s := &p.run
	took := formatDuration(ev.Duration)
	switch ev.Node {
	case research.NodeResearcher:
		seq, ok := s.taskSeq[ev.TaskID]
		r := s.researchers[seq]
		if !ok || r == nil {
			if ev.Err != "" {
				p.logf(true, "researcher (task %s) failed after %s: %s", ev.TaskID, took, ev.Err)
			} else {
				p.logf(false, "researcher (task %s) done in %s", ev.TaskID, took)
			}
			return
		}
		r.finished = true
		if ev.Err != "" {
			r.status = "failed"
			p.logf(true, "researcher %d failed after %s: %s", seq, took, ev.Err)
			return
		}
		r.status = "done"
		p.logf(false, "researcher %d done in %s: %s, %s tokens", seq, took, plural(r.toolCalls, "tool call"), compactTokens(r.spent))
		return
	case research.NodeSupervisor:
		if ev.Err != "" {
			p.logf(true, "supervisor turn %d: failed after %s: %s", s.supTurns, took, ev.Err)
			return
		}
		p.logf(false, "supervisor turn %d: done in %s%s", s.supTurns, took, p.taskTokens(ev.TaskID))
	default:
		if ev.Err != "" {
			p.logf(true, "%s: failed after %s: %s", ev.Node, took, ev.Err)
			return
		}
		p.logf(false, "%s: done in %s%s", ev.Node, took, p.taskTokens(ev.TaskID))
	}
}

// taskTokens is ", <usage>" for a task that called a model, else "".
func (p *progress) taskTokens(taskID string) string {
	u, ok := p.run.perTask[taskID]
	delete(p.run.perTask, taskID)
	if !ok || u.in+u.out == 0 {
		return ""
	}
	return ", " + formatUse(u)
}

func (p *progress) custom(ev graph.Event) {
	s := &p.run
	switch ev.Name {
	case "researcher":
		var d researcherPayload
		if json.Unmarshal(ev.Data, &d) != nil {
			return
		}
		r := s.researchers[d.Seq]
		if r == nil {
			r = &researcherView{seq: d.Seq}
			s.researchers[d.Seq] = r
		}
		if _, known := s.taskSeq[ev.TaskID]; !known {
			r.finished = false // a resumed run runs it again
			p.logf(false, "researcher %d started: %s", d.Seq, shorten(d.Topic, 60))
		}
		s.taskSeq[ev.TaskID] = d.Seq
		r.topic, r.toolCalls, r.maxToolCalls = d.Topic, d.ToolCalls, d.MaxToolCalls
		if d.Limit > 0 {
			r.view, r.limit = d.ViewTokens, d.Limit
		}
		r.spent = d.Spent.Input + d.Spent.Output
		if d.Step != "tool_call" {
			r.status = "thinking"
			return
		}
		r.status = toolStatus(d.Tool)
		calls := plural(d.ToolCalls, "tool call")
		if d.MaxToolCalls > 0 {
			calls = fmt.Sprintf("%d/%d tool calls", d.ToolCalls, d.MaxToolCalls)
		}
		if r.limit > 0 {
			calls += fmt.Sprintf(", context %s/%s tokens", compactTokens(r.view), compactTokens(r.limit))
		}
		if e, ok := s.toolErr[ev.TaskID]; ok {
			delete(s.toolErr, ev.TaskID)
			p.logf(false, "researcher %d: %s failed (%s): %s", d.Seq, d.Tool, calls, e)
			return
		}
		p.logf(false, "researcher %d: %s (%s)", d.Seq, d.Tool, calls)
	case "context":
		var d contextPayload
		if json.Unmarshal(ev.Data, &d) != nil {
			return
		}
		if d.Agent == "supervisor" {
			s.supCtx, s.supSeen = d, true
			p.logf(false, "supervisor turn %d: context %s", max(s.supTurns, 1), formatContext(d))
			return
		}
		var seq int
		if _, err := fmt.Sscanf(d.Agent, "researcher %d", &seq); err == nil {
			if r := s.researchers[seq]; r != nil && d.Limit > 0 {
				r.view, r.limit = d.ViewTokens, d.Limit
			}
		}
	case "critique":
		var d critiquePayload
		if json.Unmarshal(ev.Data, &d) != nil {
			return
		}
		s.critiques = append(s.critiques, d)
		p.logf(false, "critique round %d: score %.2f, %s", d.Round, d.Score, plural(d.Issues, "issue"))
	}
}

// blockLocked is the live view's lines, at most height-1 of them when the
// height is known.
func (p *progress) blockLocked(height int) []string {
	s := &p.run
	stage := "starting"
	switch {
	case s.phase != "":
		stage = s.phase
	default:
		n := 0
		for _, node := range s.running {
			if node == research.NodeResearcher {
				n++
			}
		}
		switch {
		case n > 0:
			stage = fmt.Sprintf("researching (%d running)", n)
		case s.lastNode != "":
			stage = stageName(s.lastNode)
		}
	}
	head := fmt.Sprintf("deepctx research  %s  %s  tokens %s", stage, formatClock(p.elapsedLocked()), formatUse(s.total))
	if s.checkpoint > 0 {
		head += fmt.Sprintf("  checkpoint %d", s.checkpoint)
	}
	lines := []string{head}

	var running, done, failed int
	for _, r := range s.researchers {
		switch {
		case !r.finished:
			running++
		case r.status == "failed":
			failed++
		default:
			done++
		}
	}
	if s.supTurns > 0 || s.supSeen {
		l := fmt.Sprintf("supervisor  turn %d", s.supTurns)
		if s.supSeen {
			l += "  ctx " + formatContext(s.supCtx)
		}
		if len(s.researchers) > 0 {
			l += fmt.Sprintf("  researchers: %d running, %d done", running, done)
			if failed > 0 {
				l += fmt.Sprintf(", %d failed", failed)
			}
		}
		lines = append(lines, l)
	}

	var crit string
	if n := len(s.critiques); n > 0 {
		c := s.critiques[n-1]
		crit = fmt.Sprintf("critique    round %d  score %.2f  %s", c.Round, c.Score, plural(c.Issues, "issue"))
		if n > 1 {
			scores := make([]string, n)
			for i, c := range s.critiques {
				scores[i] = fmt.Sprintf("%.2f", c.Score)
			}
			crit += "  (scores " + strings.Join(scores, " → ") + ")"
		}
	}

	rs := make([]*researcherView, 0, len(s.researchers))
	for _, r := range s.researchers {
		rs = append(rs, r)
	}
	room := 20
	if height > 0 {
		room = height - 1 - len(lines)
		if crit != "" {
			room--
		}
	}
	var hidden []*researcherView
	if len(rs) > room {
		// Running researchers first, then the latest finished ones.
		slices.SortFunc(rs, func(a, b *researcherView) int {
			if a.finished != b.finished {
				if a.finished {
					return 1
				}
				return -1
			}
			return b.seq - a.seq
		})
		keep := max(room-1, 0)
		rs, hidden = rs[:keep], rs[keep:]
	}
	slices.SortFunc(rs, func(a, b *researcherView) int { return a.seq - b.seq })
	for _, r := range rs {
		lines = append(lines, researcherLine(r))
	}
	if len(hidden) > 0 && room > 0 {
		lines = append(lines, fmt.Sprintf("   … %s not shown", plural(len(hidden), "more researcher")))
	}
	if crit != "" {
		lines = append(lines, crit)
	}
	return lines
}

func researcherLine(r *researcherView) string {
	calls := fmt.Sprint(r.toolCalls)
	if r.maxToolCalls > 0 {
		calls = fmt.Sprintf("%d/%d", r.toolCalls, r.maxToolCalls)
	}
	ctx := "-"
	if r.limit > 0 {
		ctx = compactTokens(r.view) + "/" + compactTokens(r.limit)
	}
	status := r.status
	if status == "" {
		status = "starting"
	}
	return fmt.Sprintf("#%-2d %-10s %5s calls  ctx %-11s spent %-6s %s", r.seq, status, calls, ctx, compactTokens(r.spent), r.topic)
}

// toolStatus says what a researcher does with a tool.
func toolStatus(tool string) string {
	switch t := strings.ToLower(tool); {
	case t == "think":
		return "thinking"
	case strings.Contains(t, "search"):
		return "searching"
	case strings.Contains(t, "read"), strings.Contains(t, "fetch"), strings.Contains(t, "open"):
		return "reading"
	case tool == "":
		return "working"
	default:
		return tool
	}
}

func stageName(node string) string {
	switch node {
	case research.NodeClarify:
		return "clarifying"
	case research.NodeAsk:
		return "waiting for your answer"
	case research.NodeBrief:
		return "writing the brief"
	case research.NodeSupervisor:
		return "supervising"
	case research.NodeResearcher:
		return "researching"
	case research.NodeWrite:
		return "writing the report"
	case research.NodeCritique:
		return "critiquing"
	case research.NodeRevise:
		return "revising"
	case research.NodeFinish:
		return "finishing"
	}
	return node
}

func formatContext(c contextPayload) string {
	s := compactTokens(c.ViewTokens) + "/" + compactTokens(c.Limit) + " tokens"
	if c.Edits > 0 {
		s += fmt.Sprintf(" (from %s, %s)", compactTokens(c.TokensBefore), plural(c.Edits, "edit"))
	}
	return s
}

func formatUse(u tokenUse) string {
	in := compactTokens(u.in) + " in"
	if u.cached > 0 {
		in += " (" + compactTokens(u.cached) + " cached)"
	}
	return in + " / " + compactTokens(u.out) + " out"
}

// compactTokens formats a token count compactly: 950, 5.3k, 96k, 1.2M.
func compactTokens(n int) string {
	if n < 0 {
		return "-" + compactTokens(-n)
	}
	if n < 1000 {
		return fmt.Sprint(n)
	}
	v := float64(n)
	for _, unit := range []string{"k", "M", "G"} {
		v /= 1000
		switch {
		case v >= 999.5 && unit != "G":
			continue // 999.5k and up is 1M
		case v < 99.95:
			return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + unit
		default:
			return fmt.Sprintf("%.0f", v) + unit
		}
	}
	panic("unreachable")
}

// formatDuration is a span for log lines: 0.4s, 12.3s, 2m05s, 1h02m.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
}

// formatClock is the live header's clock: 0:07, 12:34, 1:02:03.
func formatClock(d time.Duration) string {
	s := int(d / time.Second)
	if s < 3600 {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// shorten cuts s to at most n runes, on a word boundary when one is near,
// with an ellipsis; it also folds newlines and runs of spaces.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := strings.LastIndexByte(string(r), ' '); i > len(string(r))*2/3 {
		return string(r)[:i] + "…"
	}
	return string(r) + "…"
}

// truncate cuts a line to width runes, so that it never wraps (which would
// break the count of lines to move up); it keeps no control characters.
func truncate(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if width < 1 {
		return ""
	}
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	return string([]rune(s)[:width-1]) + "…"
}
