// Package store provides graph.CheckpointStore implementations, so that a
// graph run can be paused, killed and resumed from its last checkpoint.
//
// Which store when:
//
//   - Memory (NewMemory) for tests and for runs that need no resume after
//     the process exits. It copies checkpoints in and out through JSON, so
//     it behaves like the persistent stores.
//   - FS (NewFS) for one run folder on disk: one JSON file per checkpoint,
//     written atomically and durably, readable with any tool. This is what
//     `deepctx research` uses, with FSSubdir("checkpoints") so that a run's
//     checkpoints live in runs/<id>/checkpoints/ beside its report and
//     artifacts. FSKeepLast bounds the files a long run leaves behind.
//   - SQLite (OpenSQLite) for many runs and for services: one database file,
//     an indexed Runs listing, safe to share between processes. Pure Go
//     (modernc.org/sqlite), no cgo.
//
// All three share one contract, beyond graph.CheckpointStore's:
//
//   - A run ID must pass ValidateRunID (letters, digits, '.', '_', '-'), so
//     it is always a harmless file name and a run moves between stores
//     unchanged; others fail with ErrInvalidRunID.
//   - Put requires Seq >= 1 (else ErrInvalidCheckpoint) and rejects a Seq
//     that is not greater than the run's latest with ErrStaleSeq; a rejected
//     Put stores nothing. Put is durable when it returns (Memory excepted).
//   - Checkpoints are stored as whole JSON documents: every field of
//     graph.Checkpoint round-trips, including fields added later, and JSON
//     documents (State, Input, Update, Payload) come back semantically equal
//     though possibly re-formatted (compacted, HTML characters escaped).
//     Times keep their instant and UTC offset but lose the monotonic clock
//     reading.
//   - Latest on a run without checkpoints fails with an error wrapping
//     graph.ErrNoCheckpoint; History of such a run is empty, not an error.
//   - History is in Seq order; Runs lists the most recently updated run
//     first, by the Time of its latest checkpoint, then by run ID.
//   - Stored data that cannot be decoded fails with ErrCorrupt (naming the
//     file or row) and data from a newer format with ErrUnsupportedVersion;
//     no store silently falls back to an older checkpoint.
//   - A method called with a done context returns ctx.Err() and does
//     nothing; every other error message starts with "store: ".
//
// Package storetest holds the conformance suite these stores pass; run it
// against your own CheckpointStore.
//
// A minimal use, resuming where a previous process stopped:
//
//	cps, err := store.NewFS("runs", store.FSSubdir("checkpoints"))
//	if err != nil { ... }
//	cp, err := cps.Latest(ctx, runID)
//	switch {
//	case errors.Is(err, graph.ErrNoCheckpoint): // start a new run
//	case err != nil: // damaged or unreadable: report, do not resume
//	default: // resume from cp
//	}
package store
