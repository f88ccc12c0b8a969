package stats

import "errors"

// Sentinel errors returned (possibly wrapped) by this package.
var (
	// ErrNoData reports that an input held nothing usable, e.g. no
	// item rated by two raters.
	ErrNoData = errors.New("stats: no data")
	// ErrLengthMismatch reports inputs that must be parallel but differ in
	// length.
	ErrLengthMismatch = errors.New("stats: length mismatch")
	// ErrNoCommonClusters reports a paired comparison whose two sides share
	// no cluster.
	ErrNoCommonClusters = errors.New("stats: no common clusters")
	// ErrUnknownReducer reports a reducer name ReducerByName cannot parse.
	ErrUnknownReducer = errors.New("stats: unknown reducer")
)
