package search

import (
	"runtime"
	"time"
)

// Defaults of Options.
const (
	DefaultChunkSize     = 1000
	DefaultChunkOverlap  = 100
	DefaultCandidates    = 50
	DefaultMinSimilarity = 0.1
	defaultEmbedBatch    = 64
)

// Options configures an Index. The zero value is ready to use.
type Options struct {
	// Embedder embeds passages and queries for the vector half of the
	// search. Optional. Defaults to HashEmbedder(0), which is local and
	// deterministic. An index must be reopened with an embedder of the
	// same Name (see Rebuild).
	Embedder Embedder
	// Rebuild makes Open discard an index that was built with another
	// embedder or by an incompatible version of this package, instead of
	// failing with ErrEmbedderMismatch. Optional. Defaults to false.
	Rebuild bool
	// ChunkSize is the largest passage, in characters (Unicode code
	// points). Optional. Defaults to 1000.
	ChunkSize int
	// ChunkOverlap is how many characters consecutive passages of a
	// document may share, so a sentence cut at a boundary is whole in
	// one of them. Optional. Defaults to 100.
	ChunkOverlap int
	// Workers is how many files Add reads, chunks and embeds at once.
	// Optional. Defaults to runtime.GOMAXPROCS(0).
	Workers int
	// EmbedBatch is how many passages go to one EmbedBatch call of a
	// BatchEmbedder. Optional. Defaults to 64.
	EmbedBatch int
	// Candidates is how many passages each ranking (BM25 and vector)
	// contributes to the fusion; it is raised to k when k is larger.
	// Optional. Defaults to 50.
	Candidates int
	// MinSimilarity is the cosine similarity a passage needs to be a
	// vector candidate, so that a query whose words appear nowhere does
	// not return noise. Optional. Defaults to 0.1; set a negative value
	// to keep every candidate.
	MinSimilarity float64
	// Progress, if set, is called by Add after each file or package is
	// done (indexed, unchanged or failed), from one goroutine at a time.
	// Optional. Defaults to nil: no reports.
	Progress func(Progress)
}

// Progress reports how far an Add has come.
type Progress struct {
	// Done is the number of files and packages finished so far, of
	// Total found under the roots.
	Done, Total int
	// Path is the file or package directory just finished.
	Path string
	// Elapsed is the time since Add started.
	Elapsed time.Duration
}

func (o Options) withDefaults() Options {
	if o.Embedder == nil {
		o.Embedder = HashEmbedder(0)
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.ChunkOverlap <= 0 {
		o.ChunkOverlap = DefaultChunkOverlap
	}
	if o.ChunkOverlap >= o.ChunkSize {
		o.ChunkOverlap = o.ChunkSize / 10
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.EmbedBatch <= 0 {
		o.EmbedBatch = defaultEmbedBatch
	}
	if o.Candidates <= 0 {
		o.Candidates = DefaultCandidates
	}
	if o.MinSimilarity == 0 {
		o.MinSimilarity = DefaultMinSimilarity
	}
	return o
}
