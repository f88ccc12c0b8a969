package tokens

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/deepctx/deepctx/agent/llm"
)

// tools counts tool definitions in the base encoding: OpenAI's formula for
// exact models, JSON text for the others. Each definition is memoized by
// content.
func (t *Tokenizer) tools(defs []llm.ToolDef) counts {
	kind := kindToolJSON
	if t.info.Exact {
		kind = kindToolOpenAI
	}
	var c counts
	for _, d := range defs {
		key := memoKey{enc: t.info.Encoding, kind: kind, id: d.Name + "\x00" + d.Description + "\x00" + string(d.Parameters)}
		c = c.add(t.memo.get(key, 0, func() counts {
			if kind == kindToolOpenAI {
				return t.openAITool(d)
			}
			return t.jsonTool(d)
		}))
	}
	if kind == kindToolOpenAI && len(defs) > 0 {
		c.tokens += funcEnd
	}
	return c
}

// jsonTool counts a definition as the JSON that chat templates of open models
// (and Anthropic's tool prompt) embed in the prompt.
func (t *Tokenizer) jsonTool(d llm.ToolDef) counts {
	type function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Type     string   `json:"type"`
		Function function `json:"function"`
	}{"function", function{d.Name, d.Description, d.Parameters}})
	if err != nil { // Parameters is not valid JSON: count it as it is
		return t.text(d.Name + "\n" + d.Description + "\n" + string(d.Parameters))
	}
	return t.text(strings.TrimSuffix(buf.String(), "\n"))
}

// openAITool applies the cookbook's num_tokens_for_tools to one definition.
func (t *Tokenizer) openAITool(d llm.ToolDef) counts {
	c := counts{tokens: funcInitO200k}
	if t.info.Encoding == CL100kBase {
		c.tokens = funcInitCL100k
	}
	c = c.add(t.text(d.Name + ":" + strings.TrimSuffix(d.Description, ".")))
	if len(bytes.TrimSpace(d.Parameters)) == 0 || string(bytes.TrimSpace(d.Parameters)) == "null" {
		return c
	}
	var schema map[string]json.RawMessage
	if err := json.Unmarshal(d.Parameters, &schema); err != nil {
		return c.add(t.text(string(d.Parameters)))
	}
	return c.add(t.schemaBody(schema))
}

// Keywords rendered by the formula itself, or not rendered at all.
var formulaKeywords = []string{"type", "description", "enum", "properties", "items", "required", "additionalProperties", "title", "$schema", "strict"}

// schemaBody counts an object schema's properties and an array schema's
// items, recursively, and any other keyword as "keyword:value".
func (t *Tokenizer) schemaBody(schema map[string]json.RawMessage) counts {
	var c counts
	if props := objectOf(schema["properties"]); len(props) > 0 {
		c.tokens += propInit
		for _, name := range sortedKeys(props) {
			c = c.add(t.property(name, props[name]))
		}
	}
	if items := objectOf(schema["items"]); items != nil {
		c = c.add(t.text(typeText(items["type"])))
		c = c.add(t.enum(items["enum"]))
		c = c.add(t.schemaBody(items))
	}
	for _, k := range sortedKeys(schema) {
		if !slices.Contains(formulaKeywords, k) {
			c = c.add(t.text(k + ":" + string(schema[k])))
		}
	}
	return c
}

func (t *Tokenizer) property(name string, raw json.RawMessage) counts {
	c := counts{tokens: propKey}
	schema := objectOf(raw)
	if schema == nil {
		return c.add(t.text(name + ":" + string(raw)))
	}
	desc := strings.TrimSuffix(stringOf(schema["description"]), ".")
	c = c.add(t.enum(schema["enum"]))
	c = c.add(t.text(name + ":" + typeText(schema["type"]) + ":" + desc))
	return c.add(t.schemaBody(schema))
}

func (t *Tokenizer) enum(raw json.RawMessage) counts {
	var items []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil {
		return counts{}
	}
	c := counts{tokens: enumInit}
	for _, it := range items {
		c.tokens += enumItem
		if s, ok := stringValue(it); ok {
			c = c.add(t.text(s))
		} else {
			c = c.add(t.text(string(it)))
		}
	}
	return c
}

func objectOf(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

func stringValue(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

func stringOf(raw json.RawMessage) string { s, _ := stringValue(raw); return s }

// typeText renders a JSON-Schema "type": "string", or "string | null" for a
// list of types.
func typeText(raw json.RawMessage) string {
	if s, ok := stringValue(raw); ok {
		return s
	}
	var list []string
	if len(raw) > 0 && json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, " | ")
	}
	return ""
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
