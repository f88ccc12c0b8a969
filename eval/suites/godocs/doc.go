// Package godocs is the bundled evaluation suite over the Go documentation
// that ships with the toolchain: suite.yaml asks research questions about
// $GOROOT/doc (the memory model, the language specification, the assembler
// guide, the GODEBUG history) and the standard library's package
// documentation under $GOROOT/src, which the search indexer renders like
// `go doc -all`.
//
// The questions are single-hop, multi-hop (the answer needs two or more
// documents), comparisons, and unanswerable ones the corpus cannot answer.
// Each answerable question lists key facts as short spans of its expected
// sources, and references/ holds reference reports for some of them.
//
// The package holds no code; its tests keep the suite true: every key fact
// must occur in one of its sample's expected sources as the indexer sees
// them, so a Go release that rewords a document fails the test instead of
// silently lowering every system's score.
package godocs
