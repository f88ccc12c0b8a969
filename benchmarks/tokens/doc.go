// Package tokensbench benchmarks deepctx's token counting (context/tokens)
// against langchaingo's llms.CountTokens on the same text in the same run,
// and measures cold versus memoized counting of a research transcript.
//
// The corpus is built offline from the local Go installation: the HTML and
// Markdown documentation under GOROOT/doc (prose), Go source from
// GOROOT/src/net/http (code) and JSON test data under GOROOT/src (JSON),
// concatenated in a fixed order to 1.1 MiB. Benchmarks skip when those files
// are missing.
//
//	go test -run '^$' -bench . -benchmem -count 5 ./benchmarks/tokens/
//
// Results are committed in benchmarks/results/tokens.md.
package tokensbench
