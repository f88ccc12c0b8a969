// Package replay records a model's calls to a cassette file and replays
// them offline, so tests and evaluations that once ran against a real
// provider run again without network, keys or cost.
//
//	rec, err := replay.Recorder(model, "testdata/research.jsonl")
//	// … run the agent with rec, then rec.Close().
//
//	play, err := replay.Player("testdata/research.jsonl")
//	resp, err := play.Generate(ctx, req) // the recorded answer, offline
//
// ReplayOrRecord (VCR's "record missing") replays what the cassette holds
// and records the rest.
//
// # Cassette format
//
// A cassette is a JSONL file, one interaction per line:
//
//	{"key":"<sha256 hex>","request":{…},"response":{…},"recorded_at":"…"}
//	{"key":"…","request":{…},"error":{"class":"rate_limited","message":"…",…},"recorded_at":"…"}
//
// Each line is written with one write and synced to disk, so a process
// killed mid-run loses only the calls in flight. A corrupt line is reported
// with its file and line number.
//
// # Keys
//
// The key is the hex SHA-256 of the request's canonical JSON, which is also
// the "request" stored on the line. It holds the call role, each message's
// chat role, name and parts (text, tool calls with name and arguments, tool
// results with name, content and error flag), the tools (name, description,
// parameters), tool choice, temperature, max tokens, response schema and
// stop sequences. It leaves out message IDs and message Meta, which change
// from run to run, and spells tool-call IDs "call_1", "call_2", … in order of
// first appearance, keeping the pairing of calls and results but not the
// (often random) IDs. JSON documents (tool arguments, parameters, schemas)
// are re-encoded with sorted keys and no whitespace; invalid JSON is kept
// verbatim. The canonical JSON is scrubbed (below) before hashing, so no key
// is derived from a secret.
//
// # Replay
//
// A key recorded several times is answered with its recordings in recorded
// order, then with the last one for every further call. Replayed messages
// get fresh IDs (llm.NewID); tool-call IDs and arguments (canonical JSON)
// are as recorded. A recorded failure is returned as a *ReplayedError that
// matches the same llm sentinel with errors.Is and, where one was recorded,
// unwraps to an equivalent *llm.ProviderError (Retry-After included) or
// *llm.MalformedOutputError. Cancellations are never recorded. A request
// the cassette lacks fails with a *NotRecordedError (errors.Is
// ErrNotRecorded).
//
// # Secrets
//
// Every string written to a cassette first goes through RedactSecrets,
// which replaces API keys (sk-…, AIza…, ghp_…), Bearer tokens and the
// values of authorization, api-key, x-api-key and similar fields, and then
// through Config.Redact when set. String values of JSON members with such
// names (in tool arguments, say) are replaced whole. Callers of a recording
// Cassette still receive the model's unscrubbed answers.
package replay
