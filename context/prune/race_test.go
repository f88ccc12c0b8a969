//go:build race

package prune_test

// raceEnabled is true under the race detector, which slows tokenization
// about tenfold; the property test then checks fewer transcripts.
const raceEnabled = true
