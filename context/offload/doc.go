// Package offload is restorable compression for an agent's context, after
// Manus: a tool result too big to keep inline is written to an artifact
// store, and the view keeps a short preview and a handle; the model gets
// the rest back with two tools, read_artifact and search_artifacts.
// Nothing is lost: an artifact holds its content byte for byte.
//
// Three pieces:
//
//   - Store: content-addressed files under one directory (handle
//     "art_<16 hex digits of the SHA-256>"), written atomically, each with a
//     JSON metadata sidecar (tool, call, provenance, bytes, tokens, time),
//     and indexed in a chromem-go database with a local, deterministic
//     hashed embedding (HashEmbedding), so search needs no model and no
//     network. Put returns once the files are durable and indexes in the
//     background; Search waits for the indexing, so it sees every artifact
//     put before it. The index is saved to a single file (on Close, on
//     Flush, and as it grows) and repaired by Open after a crash. Read
//     pages through an artifact by byte offset; Search returns passages
//     with their offsets.
//   - Tools: read_artifact and search_artifacts, ready to offer a model.
//     Malformed arguments and bad handles come back as error results the
//     model can act on. Handles from a model are validated strictly and
//     can never name a file outside the store.
//   - Policy: a window.Policy that offloads every tool message over
//     Config.MaxInlineTokens, replacing it with a tool message of the same
//     call holding a preview and a footer naming the handle.
//
// Example:
//
//	store, err := offload.Open(filepath.Join(runDir, "artifacts"))
//	if err != nil { … }
//	defer store.Close()
//	m := &window.Manager{
//		Tokenizer: tokens.ForModel("gpt-4.1"),
//		Policies:  []window.Policy{offload.New(store, offload.Config{MaxInlineTokens: 2000})},
//	}
//	tools := offload.Tools(store) // register with the agent's tools
//	view, report, err := m.Prepare(ctx, transcript, defs, budget)
package offload
