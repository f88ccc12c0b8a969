package tokens

import (
	"encoding/binary"
	"hash/maphash"
	"math"

	"github.com/deepctx/deepctx/agent/llm"
)

// Counter counts the tokens of a text. Implementations must be safe for
// concurrent use. *Encoder and *Tokenizer implement it.
type Counter interface {
	Count(text string) int
}

// CounterFunc adapts a function to Counter.
type CounterFunc func(text string) int

// Count calls f.
func (f CounterFunc) Count(text string) int { return f(text) }

// Chat formatting overheads, per OpenAI's "How to count tokens with tiktoken"
// (openai-cookbook) for gpt-3.5-turbo, gpt-4, gpt-4o and later chat models.
// The cookbook checks its formula against the API's reported prompt tokens.
const (
	// TokensPerMessage frames every message (<|start|>, <|message|>,
	// <|end|>), on top of its role and content.
	TokensPerMessage = 3
	// TokensPerName is added when a message carries a participant name.
	TokensPerName = 1
	// ReplyPrimingTokens primes the reply (<|start|>assistant<|message|>);
	// added once per request.
	ReplyPrimingTokens = 3
)

// Tool-call and tool-result framing. OpenAI does not document how the Chat
// Completions API renders them; these follow its published harmony format
// (gpt-oss), counted in o200k_base tokens beyond what TokensPerMessage and
// the role already count:
//
//	call:   <|channel|>commentary to=functions.NAME <|constrain|>json<|message|>ARGS<|call|>
//	        1 + 6 ("commentary to=functions.") + 1 (" ") + 1 + 1 ("json") = 10
//	result: <|start|>functions.NAME to=assistant<|channel|>commentary<|message|>CONTENT<|end|>
//	        2 ("functions.") + 3 (" to=assistant") + 1 + 2 ("commentary") = 8
//
// The name, arguments and content are counted on top. Call IDs are not
// rendered and not counted.
const (
	// ToolCallTokens frames one tool call in an assistant message.
	ToolCallTokens = 10
	// ToolResultTokens frames one tool result in a tool message.
	ToolResultTokens = 8
)

// Tool-definition counting for exact (OpenAI) models: the cookbook's
// num_tokens_for_tools, which OpenAI checks against the API for gpt-4o,
// gpt-4o-mini, gpt-4 and gpt-3.5-turbo. Each function costs funcInit plus
// the tokens of "name:description" (trailing period dropped); a non-empty
// property list costs propInit, each property propKey plus the tokens of
// "name:type:description", an enum enumInit plus, per item, enumItem and the
// item's tokens; funcEnd closes the list. deepctx extends it, as an
// approximation, to nested schemas (nested object properties and array items
// are counted with the same rules, recursively) and to other JSON-Schema
// keywords (counted as the tokens of "keyword:JSON value").
const (
	funcInitO200k  = 7
	funcInitCL100k = 10
	propInit       = 3
	propKey        = 3
	enumInit       = -3
	enumItem       = 3
	funcEnd        = 12
)

// Options configures a Tokenizer. The zero value is ready to use.
type Options struct {
	// Memo caches per-message counts. Optional. Defaults to a process-wide
	// memo of DefaultMemoEntries entries shared by all Tokenizers.
	Memo *Memo
	// Calibrator corrects Estimate with provider-reported usage.
	// Optional. Defaults to nil: Estimate equals CountMessages and Observe
	// does nothing.
	Calibrator *Calibrator
}

// Tokenizer counts tokens as one model sees them: text, messages with their
// chat framing, tool definitions and whole requests. It is safe for
// concurrent use and cheap to create; the encoders behind it are shared by
// the process.
//
// For exact models (ModelInfo.Exact) counts follow OpenAI's documented
// formulas. For the others every count is the base encoding's count for the
// same input, multiplied by ModelInfo.Factor (rounded up) plus the digit
// correction when ModelInfo.SplitDigits is set; tool definitions count as
// their JSON text plus ModelInfo.ToolPromptTokens.
type Tokenizer struct {
	info ModelInfo
	memo *Memo
	cal  *Calibrator
}

// New returns a Tokenizer for the model info describes, usually a result of
// Lookup or Resolve. An info with an unknown Encoding counts with O200kBase;
// a Factor of 0 or less means 1.
func New(info ModelInfo, opts Options) *Tokenizer {
	if _, ok := encoders[info.Encoding]; !ok {
		info.Encoding = O200kBase
	}
	if info.Factor <= 0 {
		info.Factor = 1
	}
	memo := opts.Memo
	if memo == nil {
		memo = sharedMemo
	}
	return &Tokenizer{info: info, memo: memo, cal: opts.Calibrator}
}

// ForModel returns a Tokenizer for model with default Options. An unknown
// model gets conservative defaults and a logged warning (see Resolve).
func ForModel(model string) *Tokenizer { return New(Resolve(model, nil), Options{}) }

// Count returns the tokens of text in model's tokenizer: exact for OpenAI
// models, approximate for the others.
func Count(model, text string) int { return ForModel(model).Count(text) }

// Info returns the model the Tokenizer counts for.
func (t *Tokenizer) Info() ModelInfo { return t.info }

// Count returns the tokens of text.
func (t *Tokenizer) Count(text string) int { return t.scale(t.text(text)) }

// CountMessage returns the tokens one message adds to a request: its framing,
// role, name, text, tool calls and tool results.
func (t *Tokenizer) CountMessage(m llm.Message) int { return t.scale(t.message(m)) }

// CountTools returns the tokens a request's tool definitions cost, 0 for
// none.
func (t *Tokenizer) CountTools(tools []llm.ToolDef) int {
	if len(tools) == 0 {
		return 0
	}
	return t.scale(t.tools(tools)) + t.info.ToolPromptTokens
}

// CountMessages returns the prompt tokens of a request made of msgs and
// tools: every message, the reply priming and the tool definitions. It is 0
// when both are empty. It is deterministic; see Estimate for the calibrated
// figure.
func (t *Tokenizer) CountMessages(msgs []llm.Message, tools []llm.ToolDef) int {
	if len(msgs) == 0 && len(tools) == 0 {
		return 0
	}
	c := counts{tokens: ReplyPrimingTokens}
	for _, m := range msgs {
		c = c.add(t.message(m))
	}
	n := 0
	if len(tools) > 0 {
		c = c.add(t.tools(tools))
		n = t.info.ToolPromptTokens
	}
	return t.scale(c) + n
}

// CountRequest returns CountMessages for req's messages and tools plus the
// tokens of its response schema, counted as its name and JSON text.
func (t *Tokenizer) CountRequest(req llm.Request) int {
	n := t.CountMessages(req.Messages, req.Tools)
	if req.Schema != nil {
		n += t.Count(req.Schema.Name) + t.Count(string(req.Schema.Schema))
	}
	return n
}

// Estimate returns CountMessages corrected by the Tokenizer's Calibrator:
// the figure to budget against. Without a Calibrator, or before its first
// observation for this model, it equals CountMessages.
func (t *Tokenizer) Estimate(msgs []llm.Message, tools []llm.ToolDef) int {
	n := t.CountMessages(msgs, tools)
	if t.cal == nil {
		return n
	}
	return t.cal.Adjust(t.info.Name, n)
}

// Observe reports the input tokens the provider counted for a request made of
// msgs and tools (llm.Usage.Input, cached input included) to the
// Tokenizer's Calibrator. It does nothing without one.
func (t *Tokenizer) Observe(msgs []llm.Message, tools []llm.ToolDef, reportedInput int) {
	if t.cal == nil {
		return
	}
	t.cal.Observe(t.info.Name, t.CountMessages(msgs, tools), reportedInput)
}

// scale turns base-encoding counts into the model's count.
func (t *Tokenizer) scale(c counts) int {
	n := c.tokens
	if t.info.Factor != 1 {
		// The epsilon keeps 1.1*10 = 11.000000000000002 from rounding to 12.
		n = int(math.Ceil(float64(n)*t.info.Factor - 1e-9))
	}
	if t.info.SplitDigits {
		n += c.digits
	}
	return n
}

// text counts s in the base encoding.
func (t *Tokenizer) text(s string) counts {
	if s == "" {
		return counts{}
	}
	enc, err := EncoderFor(t.info.Encoding)
	if err != nil {
		warnFallback(t.info.Encoding, err)
		return counts{tokens: fallbackCount(s), digits: digitExtra(s)}
	}
	return counts{tokens: enc.Count(s), digits: digitExtra(s)}
}

func (t *Tokenizer) message(m llm.Message) counts {
	if m.ID == "" {
		return t.computeMessage(m)
	}
	key := memoKey{enc: t.info.Encoding, kind: kindMessage, id: m.ID}
	return t.memo.get(key, fingerprint(m), func() counts { return t.computeMessage(m) })
}

func (t *Tokenizer) computeMessage(m llm.Message) counts {
	c := counts{tokens: TokensPerMessage}.add(t.text(string(m.Role)))
	if m.Name != "" {
		c = c.add(t.text(m.Name))
		c.tokens += TokensPerName
	}
	c = c.add(t.text(m.Text()))
	for _, p := range m.Parts {
		switch {
		case p.Kind == llm.PartToolCall && p.ToolCall != nil:
			c = c.add(t.text(p.ToolCall.Name)).add(t.text(string(p.ToolCall.Args)))
			c.tokens += ToolCallTokens
		case p.Kind == llm.PartToolResult && p.ToolResult != nil:
			c = c.add(t.text(p.ToolResult.Name)).add(t.text(p.ToolResult.Content))
			c.tokens += ToolResultTokens
		}
	}
	return c
}

var fpSeed = maphash.MakeSeed()

// fingerprint summarizes a message in O(parts): role, name, and each part's
// kind, field lengths and first and last 16 bytes.
func fingerprint(m llm.Message) uint64 {
	var h maphash.Hash
	h.SetSeed(fpSeed)
	writeEnds(&h, string(m.Role))
	writeEnds(&h, m.Name)
	for _, p := range m.Parts {
		writeEnds(&h, string(p.Kind))
		writeEnds(&h, p.Text)
		if c := p.ToolCall; c != nil {
			writeEnds(&h, c.Name)
			writeEnds(&h, c.Args)
		}
		if r := p.ToolResult; r != nil {
			writeEnds(&h, r.Name)
			writeEnds(&h, r.Content)
			if r.IsError {
				_ = h.WriteByte(1)
			}
		}
	}
	return h.Sum64()
}

// writeEnds hashes s's length and its first and last 16 bytes.
func writeEnds[S ~string | ~[]byte](h *maphash.Hash, s S) {
	var b [40]byte
	buf := binary.LittleEndian.AppendUint64(b[:0], uint64(len(s)))
	if len(s) <= 32 {
		buf = append(buf, s...)
	} else {
		buf = append(append(buf, s[:16]...), s[len(s)-16:]...)
	}
	_, _ = h.Write(buf)
}

// digitExtra is the number of tokens a tokenizer that encodes every digit
// separately needs beyond one that groups up to three (o200k_base and
// cl100k_base both do): n - ceil(n/3) per run of n ASCII digits.
func digitExtra(s string) int {
	extra, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		extra += run - (run+2)/3
		run = 0
	}
	return extra + run - (run+2)/3
}

// compile-time checks
var (
	_ Counter = (*Encoder)(nil)
	_ Counter = (*Tokenizer)(nil)
	_ Counter = CounterFunc(nil)
)
