package observe

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/deepctx/deepctx/agent/graph"
)

// ScopeName is the instrumentation scope of the tracer OTel uses.
const ScopeName = "github.com/deepctx/deepctx/agent/graph/observe"

// Attribute keys OTel sets besides the GenAI keys of semconv v1.37.0
// (gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model,
// gen_ai.usage.input_tokens, gen_ai.usage.output_tokens,
// gen_ai.response.finish_reasons, gen_ai.tool.name, gen_ai.tool.call.id).
const (
	// AttrCacheReadInputTokens counts a model call's input tokens served
	// from the provider's prompt cache (ModelCallInfo.CachedInput). It is
	// the GenAI semantic-convention name introduced after semconv v1.37.0,
	// which lacks it.
	AttrCacheReadInputTokens = attribute.Key("gen_ai.usage.cache_read.input_tokens")

	// AttrRunID is the run id, on run and node spans.
	AttrRunID = attribute.Key("deepctx.run.id")
	// AttrGraphName is the graph's name, on run spans whose run_start
	// event carries it in Event.Name.
	AttrGraphName = attribute.Key("deepctx.graph.name")
	// AttrRunStatus is how a run span ended: "completed", "failed" or
	// "interrupted".
	AttrRunStatus = attribute.Key("deepctx.run.status")
	// AttrNode is the node's name, on node spans and interrupt events.
	AttrNode = attribute.Key("deepctx.node.name")
	// AttrTaskID is the task id, on node spans and interrupt events.
	AttrTaskID = attribute.Key("deepctx.task.id")
	// AttrStep is the super-step, on node spans and run-level span events.
	AttrStep = attribute.Key("deepctx.step")
	// AttrPath is Event.Path, the enclosing subgraph nodes, outermost
	// first, on spans inside subgraphs.
	AttrPath = attribute.Key("deepctx.path")
	// AttrRole is ModelCallInfo.Role, on model spans.
	AttrRole = attribute.Key("deepctx.llm.role")
	// AttrEventData is a custom event's or interrupt's payload as JSON, on
	// span events, cut to the WithMaxDataBytes limit.
	AttrEventData = attribute.Key("deepctx.event.data")
	// AttrSeq is the checkpoint number, on checkpoint span events.
	AttrSeq = attribute.Key("deepctx.checkpoint.seq")
	// AttrInterruptWhen is Interrupt.When, on interrupt span events.
	AttrInterruptWhen = attribute.Key("deepctx.interrupt.when")
	// AttrUnfinished is true on spans ended without their own end event:
	// by an enclosing span's end, a run's failure, a reused id, or Close.
	AttrUnfinished = attribute.Key("deepctx.unfinished")
)

// DefaultMaxDataBytes bounds the payload OTel copies into span events when
// WithMaxDataBytes is not given.
const DefaultMaxDataBytes = 1024

// OTel is an EventSink that turns a run's events into OpenTelemetry spans:
//
//   - a run span ("graph.run <name>") from run_start to run_end, named by
//     the run_start event's Name (the graph's name) or else its RunID; a
//     run_start with a Path (a subgraph run) nests under the enclosing
//     subgraph node's span;
//   - a node span ("graph.node <node>") per task from node_start to
//     node_end, child of the run span, or of the enclosing subgraph node's
//     span when Event.Path is set; status Error with the message on failure;
//   - a model span ("chat <model>", kind Client) per model_call event,
//     child of its task's span, timed by ModelCallInfo.Start and End and
//     carrying GenAI attributes: gen_ai.operation.name "chat",
//     gen_ai.provider.name, gen_ai.request.model, gen_ai.usage.input_tokens,
//     gen_ai.usage.output_tokens, gen_ai.usage.cache_read.input_tokens
//     (usage left out when zero, that is unreported) and
//     gen_ai.response.finish_reasons; status Error when the call failed;
//   - a tool span ("execute_tool <tool>") per tool_call event, child of its
//     task's span, timed by ToolCallInfo.Start and End, with
//     gen_ai.operation.name "execute_tool", gen_ai.tool.name and
//     gen_ai.tool.call.id.
//
// Custom events become span events on their task's span; interrupts,
// checkpoints and state updates become span events on the task or run span.
// An error event sets the run span's status to Error. run_end and error end
// the run span and everything still open beneath it (for a run without a
// run span, every open span of that run id); node_end ends the node span
// and any span still open beneath it; Close ends whatever is left.
// Spans ended that way, without their own end event, carry
// deepctx.unfinished=true.
//
// Parents are found by run id, Path and task id. The runtime's Paths hold
// the enclosing tasks' IDs, so the child runs of parallel tasks of one
// subgraph node nest under their own task. A Path that names a node
// instead (hand-written events) nests under that node's task that started
// last. Events for unknown
// runs or tasks never panic: a task without a run span becomes a root span,
// and an end for a span never started is ignored.
//
// Timestamps come from the events (Event.Time, Start, End), falling back to
// the current time when zero. Handle never fails except after Close
// (ErrClosed). OTel is safe for concurrent use.
type OTel struct {
	tracer     trace.Tracer
	base       context.Context
	maxData    int
	keepCustom func(graph.Event) bool

	mu     sync.Mutex
	closed bool
	seq    uint64
	runs   map[scopeKey]*openSpan
	tasks  map[taskKey]*openSpan
}

// OTelOption configures an OTel.
type OTelOption func(*OTel)

// WithParent makes run spans children of the span in ctx (an incoming
// request, a CLI command), instead of roots of their own traces. Only ctx's
// span is used: its cancellation does not matter.
func WithParent(ctx context.Context) OTelOption {
	return func(o *OTel) { o.base = context.WithoutCancel(ctx) }
}

// WithMaxDataBytes bounds the bytes of an event payload copied into a span
// event's deepctx.event.data attribute; longer payloads are cut at a UTF-8
// boundary and end in "…". n <= 0 leaves payloads out. Defaults to
// DefaultMaxDataBytes.
func WithMaxDataBytes(n int) OTelOption {
	return func(o *OTel) { o.maxData = n }
}

// WithCustomEvents sets which custom events become span events; keep
// returns true for those to record. Streaming nodes emit many custom
// events and the SDK caps events per span (128 by default), so a filter
// such as func(ev graph.Event) bool { return ev.Name != "token" } keeps
// traces useful. Defaults to recording every custom event.
func WithCustomEvents(keep func(graph.Event) bool) OTelOption {
	return func(o *OTel) { o.keepCustom = keep }
}

// NewOTel returns an OTel that creates spans with a tracer of tp named
// ScopeName. A nil tp means the global provider, otel.GetTracerProvider().
func NewOTel(tp trace.TracerProvider, opts ...OTelOption) *OTel {
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	o := &OTel{
		tracer:  tp.Tracer(ScopeName),
		base:    context.Background(),
		maxData: DefaultMaxDataBytes,
		runs:    map[scopeKey]*openSpan{},
		tasks:   map[taskKey]*openSpan{},
	}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// scopeKey names a run, or a nested run at a subgraph path.
type scopeKey struct{ run, path string }

// taskKey names a task in a scope.
type taskKey struct {
	scopeKey
	task string
}

// openSpan is a run or node span not ended yet.
type openSpan struct {
	span        trace.Span
	parent      *openSpan // nil when the parent is not ours
	node        string    // node spans: the node's name
	scope       scopeKey
	key         taskKey // node spans
	isRun       bool
	seq         uint64 // start order
	interrupted bool   // run spans
}

func pathKey(p []string) string { return strings.Join(p, "\x00") }

func scopeOf(ev graph.Event) scopeKey { return scopeKey{ev.RunID, pathKey(ev.Path)} }

// taskOf returns the task key of a node event; the node name stands in for
// a missing task id.
func taskOf(ev graph.Event) taskKey {
	id := ev.TaskID
	if id == "" {
		id = ev.Node
	}
	return taskKey{scopeOf(ev), id}
}

// Handle records ev. It returns ErrClosed after Close and nil otherwise:
// tracing never fails a run.
func (o *OTel) Handle(ev graph.Event) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	switch ev.Kind {
	case graph.EventRunStart:
		o.runStart(ev)
	case graph.EventNodeStart:
		o.nodeStart(ev)
	case graph.EventNodeEnd:
		o.nodeEnd(ev)
	case graph.EventModelCall:
		o.modelCall(ev)
	case graph.EventToolCall:
		o.toolCall(ev)
	case graph.EventCustom:
		if o.keepCustom == nil || o.keepCustom(ev) {
			name := ev.Name
			if name == "" {
				name = string(graph.EventCustom)
			}
			o.addEvent(o.targetOf(ev), name, ev.Time, o.dataAttrs(ev.Data)...)
		}
	case graph.EventStateUpdate:
		o.addEvent(o.runOf(ev), string(ev.Kind), ev.Time, AttrStep.Int(ev.Step))
	case graph.EventCheckpoint:
		o.addEvent(o.runOf(ev), string(ev.Kind), ev.Time, AttrStep.Int(ev.Step), AttrSeq.Int(ev.Seq))
	case graph.EventInterrupt:
		o.interrupt(ev)
	case graph.EventError:
		o.fail(ev)
	case graph.EventRunEnd:
		o.runEnd(ev)
	}
	return nil
}

// Close ends every span still open, as unfinished. Later calls to Handle
// return ErrClosed. Close does not flush or shut down the tracer provider.
func (o *OTel) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil
	}
	o.closed = true
	var all []*openSpan
	for _, s := range o.tasks {
		all = append(all, s)
	}
	for _, s := range o.runs {
		all = append(all, s)
	}
	o.endAll(all, time.Time{})
	return nil
}

func (o *OTel) start(parent *openSpan, name string, t time.Time, opts ...trace.SpanStartOption) trace.Span {
	ctx := o.base
	if parent != nil {
		ctx = trace.ContextWithSpan(ctx, parent.span)
	}
	if !t.IsZero() {
		opts = append(opts, trace.WithTimestamp(t))
	}
	_, span := o.tracer.Start(ctx, name, opts...)
	return span
}

func endOpts(t time.Time) []trace.SpanEndOption {
	if t.IsZero() {
		return nil
	}
	return []trace.SpanEndOption{trace.WithTimestamp(t)}
}

func (o *OTel) runStart(ev graph.Event) {
	sk := scopeOf(ev)
	if old := o.runs[sk]; old != nil { // a resumed run reusing its id
		old.span.SetAttributes(AttrUnfinished.Bool(true))
		o.endTree(old, ev.Time)
	}
	var parent *openSpan
	if len(ev.Path) > 0 {
		parent = o.enclosing(ev.RunID, ev.Path)
	}
	name := ev.Name
	attrs := []attribute.KeyValue{AttrRunID.String(ev.RunID)}
	if name != "" {
		attrs = append(attrs, AttrGraphName.String(name))
	} else {
		name = ev.RunID
	}
	if len(ev.Path) > 0 {
		attrs = append(attrs, AttrPath.StringSlice(ev.Path))
	}
	o.seq++
	o.runs[sk] = &openSpan{
		span:   o.start(parent, "graph.run "+name, ev.Time, trace.WithAttributes(attrs...)),
		parent: parent,
		scope:  sk,
		isRun:  true,
		seq:    o.seq,
	}
}

func (o *OTel) runEnd(ev graph.Event) {
	r := o.runs[scopeOf(ev)]
	if r == nil {
		if len(ev.Path) == 0 {
			o.endOrphans(ev.RunID, ev.Time)
		}
		return
	}
	status := "completed"
	switch {
	case ev.Err != "":
		status = "failed"
		r.span.SetStatus(codes.Error, ev.Err)
	case r.interrupted:
		status = "interrupted"
	}
	r.span.SetAttributes(AttrRunStatus.String(status))
	o.endTree(r, ev.Time)
}

// fail handles an error event: the run failed.
func (o *OTel) fail(ev graph.Event) {
	if r := o.runs[scopeOf(ev)]; r != nil {
		r.span.SetStatus(codes.Error, ev.Err)
		r.span.SetAttributes(AttrRunStatus.String("failed"))
		o.endTree(r, ev.Time)
		return
	}
	if len(ev.Path) > 0 {
		// A nested graph failed without a run span of its own: its subgraph
		// node's end will carry the failure; note it there.
		if p := o.enclosing(ev.RunID, ev.Path); p != nil {
			o.addEvent(p, string(ev.Kind), ev.Time, semconv.ExceptionMessageKey.String(ev.Err))
		}
		return
	}
	o.endOrphans(ev.RunID, ev.Time)
}

// endOrphans ends every span of a run that has no top-level run span (the
// sink joined mid-run, or the runtime emitted no run_start).
func (o *OTel) endOrphans(run string, t time.Time) {
	var orphans []*openSpan
	for k, s := range o.tasks {
		if k.run == run {
			orphans = append(orphans, s)
		}
	}
	for k, s := range o.runs {
		if k.run == run {
			orphans = append(orphans, s)
		}
	}
	o.endAll(orphans, t)
}

func (o *OTel) nodeStart(ev graph.Event) {
	tk := taskOf(ev)
	if old := o.tasks[tk]; old != nil { // a task id reused before its end
		old.span.SetAttributes(AttrUnfinished.Bool(true))
		o.endTree(old, ev.Time)
	}
	parent := o.parentOf(ev.RunID, ev.Path)
	attrs := []attribute.KeyValue{
		AttrRunID.String(ev.RunID),
		AttrNode.String(ev.Node),
		AttrTaskID.String(ev.TaskID),
		AttrStep.Int(ev.Step),
	}
	if len(ev.Path) > 0 {
		attrs = append(attrs, AttrPath.StringSlice(ev.Path))
	}
	o.seq++
	o.tasks[tk] = &openSpan{
		span:   o.start(parent, "graph.node "+ev.Node, ev.Time, trace.WithAttributes(attrs...)),
		parent: parent,
		node:   ev.Node,
		scope:  tk.scopeKey,
		key:    tk,
		seq:    o.seq,
	}
}

func (o *OTel) nodeEnd(ev graph.Event) {
	t := o.tasks[taskOf(ev)]
	if t == nil {
		t = o.taskAnyPath(ev.RunID, ev.TaskID)
	}
	if t == nil {
		return
	}
	if ev.Err != "" {
		t.span.SetStatus(codes.Error, ev.Err)
	}
	o.endTree(t, ev.Time)
}

func (o *OTel) modelCall(ev graph.Event) {
	m := ev.Model
	if m == nil {
		return
	}
	start, end := callTimes(m.Start, m.End, ev.Time)
	attrs := []attribute.KeyValue{
		semconv.GenAIOperationNameChat,
		semconv.GenAIRequestModel(m.Model),
	}
	if m.Provider != "" {
		attrs = append(attrs, semconv.GenAIProviderNameKey.String(m.Provider))
	}
	if m.Role != "" {
		attrs = append(attrs, AttrRole.String(m.Role))
	}
	if m.InputTokens != 0 {
		attrs = append(attrs, semconv.GenAIUsageInputTokens(m.InputTokens))
	}
	if m.CachedInput != 0 {
		attrs = append(attrs, AttrCacheReadInputTokens.Int(m.CachedInput))
	}
	if m.OutputTokens != 0 {
		attrs = append(attrs, semconv.GenAIUsageOutputTokens(m.OutputTokens))
	}
	if m.FinishReason != "" {
		attrs = append(attrs, semconv.GenAIResponseFinishReasons(m.FinishReason))
	}
	name := "chat"
	if m.Model != "" {
		name += " " + m.Model
	}
	span := o.start(o.targetOf(ev), name, start,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if m.Err != "" {
		span.SetStatus(codes.Error, m.Err)
	}
	span.End(endOpts(end)...)
}

func (o *OTel) toolCall(ev graph.Event) {
	tc := ev.Tool
	if tc == nil {
		return
	}
	start, end := callTimes(tc.Start, tc.End, ev.Time)
	attrs := []attribute.KeyValue{
		semconv.GenAIOperationNameExecuteTool,
		semconv.GenAIToolName(tc.Name),
	}
	if tc.CallID != "" {
		attrs = append(attrs, semconv.GenAIToolCallID(tc.CallID))
	}
	span := o.start(o.targetOf(ev), "execute_tool "+tc.Name, start,
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	if tc.Err != "" {
		span.SetStatus(codes.Error, tc.Err)
	}
	span.End(endOpts(end)...)
}

// callTimes fills a call's missing start or end from the other, then from
// the event's time.
func callTimes(start, end, at time.Time) (time.Time, time.Time) {
	if end.IsZero() {
		end = at
	}
	if start.IsZero() {
		start = end
	}
	return start, end
}

func (o *OTel) interrupt(ev graph.Event) {
	target := o.targetOf(ev)
	attrs := []attribute.KeyValue{AttrStep.Int(ev.Step)}
	if in := ev.Interrupt; in != nil {
		if in.TaskID != "" {
			if t := o.taskAnyPath(ev.RunID, in.TaskID); t != nil {
				target = t
			}
		}
		attrs = append(attrs, AttrNode.String(in.Node), AttrInterruptWhen.String(in.When))
		if in.TaskID != "" {
			attrs = append(attrs, AttrTaskID.String(in.TaskID))
		}
		attrs = append(attrs, o.dataAttrs(in.Payload)...)
	}
	if r := o.runOf(ev); r != nil {
		r.interrupted = true
	}
	o.addEvent(target, string(ev.Kind), ev.Time, attrs...)
}

func (o *OTel) addEvent(s *openSpan, name string, t time.Time, attrs ...attribute.KeyValue) {
	if s == nil {
		return
	}
	opts := []trace.EventOption{trace.WithAttributes(attrs...)}
	if !t.IsZero() {
		opts = append(opts, trace.WithTimestamp(t))
	}
	s.span.AddEvent(name, opts...)
}

func (o *OTel) dataAttrs(data []byte) []attribute.KeyValue {
	if len(data) == 0 || o.maxData <= 0 {
		return nil
	}
	return []attribute.KeyValue{AttrEventData.String(truncate(string(data), o.maxData))}
}

// truncate cuts s to at most n bytes at a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// targetOf returns the span an event inside a task belongs to: its task's
// span, else the run's.
func (o *OTel) targetOf(ev graph.Event) *openSpan {
	if ev.TaskID != "" {
		if t := o.tasks[taskOf(ev)]; t != nil {
			return t
		}
		if t := o.taskAnyPath(ev.RunID, ev.TaskID); t != nil {
			return t
		}
	}
	if ev.Node != "" {
		if t := o.latestTask(scopeOf(ev), ev.Node); t != nil {
			return t
		}
	}
	return o.parentOf(ev.RunID, ev.Path)
}

// runOf returns the run span of an event, nested or top-level.
func (o *OTel) runOf(ev graph.Event) *openSpan {
	if r := o.runs[scopeOf(ev)]; r != nil {
		return r
	}
	return o.runs[scopeKey{run: ev.RunID}]
}

// parentOf returns the span a task at path in run starts under: the nested
// run's span, else the enclosing subgraph node's, else the run's.
func (o *OTel) parentOf(run string, path []string) *openSpan {
	if r := o.runs[scopeKey{run, pathKey(path)}]; r != nil {
		return r
	}
	if len(path) > 0 {
		if n := o.enclosing(run, path); n != nil {
			return n
		}
	}
	return o.runs[scopeKey{run: run}]
}

// enclosing returns the span of the subgraph node that path ends with:
// the latest open task of that node in run, else in any run (a nested
// graph may run under its own id).
func (o *OTel) enclosing(run string, path []string) *openSpan {
	outer := scopeKey{run, pathKey(path[:len(path)-1])}
	last := path[len(path)-1]
	if n, ok := o.tasks[taskKey{outer, last}]; ok { // the runtime's paths hold task IDs
		return n
	}
	node := last // hand-written events may name the node instead
	if n := o.latestTask(outer, node); n != nil {
		return n
	}
	var best *openSpan
	for k, s := range o.tasks {
		if k.path == outer.path && s.node == node && (best == nil || s.seq > best.seq) {
			best = s
		}
	}
	return best
}

// latestTask returns the open task of node in scope that started last.
func (o *OTel) latestTask(scope scopeKey, node string) *openSpan {
	var best *openSpan
	for k, s := range o.tasks {
		if k.scopeKey == scope && s.node == node && (best == nil || s.seq > best.seq) {
			best = s
		}
	}
	return best
}

// taskAnyPath finds an open task of run by id alone.
func (o *OTel) taskAnyPath(run, task string) *openSpan {
	if task == "" {
		return nil
	}
	for k, s := range o.tasks {
		if k.run == run && k.task == task {
			return s
		}
	}
	return nil
}

// endTree ends every open span beneath s as unfinished, then s itself.
func (o *OTel) endTree(s *openSpan, t time.Time) {
	var below []*openSpan
	for _, x := range o.tasks {
		if x != s && descends(x, s) {
			below = append(below, x)
		}
	}
	for _, x := range o.runs {
		if x != s && descends(x, s) {
			below = append(below, x)
		}
	}
	o.endAll(below, t)
	o.end(s, t)
}

// endAll ends spans as unfinished, latest started first so children end
// before their parents.
func (o *OTel) endAll(spans []*openSpan, t time.Time) {
	slices.SortFunc(spans, func(a, b *openSpan) int { return cmp.Compare(b.seq, a.seq) })
	for _, s := range spans {
		s.span.SetAttributes(AttrUnfinished.Bool(true))
		o.end(s, t)
	}
}

func (o *OTel) end(s *openSpan, t time.Time) {
	if s.isRun {
		if o.runs[s.scope] == s {
			delete(o.runs, s.scope)
		}
	} else if o.tasks[s.key] == s {
		delete(o.tasks, s.key)
	}
	s.span.End(endOpts(t)...)
}

// descends reports whether s lies beneath ancestor.
func descends(s, ancestor *openSpan) bool {
	for p := s.parent; p != nil; p = p.parent {
		if p == ancestor {
			return true
		}
	}
	return false
}
