// Package observe records what a graph run does: event sinks that write a
// run's events to a JSON-lines log and turn them into OpenTelemetry spans
// following the GenAI semantic conventions.
//
// Every sink implements graph.EventSink. JSONL writes an event log that a
// killed process leaves readable up to its last flush; ReadJSONL reads it
// back. OTel traces a run: a span per run, per node task, per model call
// and per tool call. Multi fans events out to several sinks; Filter and
// Kinds select the events a sink sees.
//
//	log, err := observe.OpenJSONL(filepath.Join(runDir, "events.jsonl"))
//	if err != nil {
//		return err
//	}
//	sink := observe.Multi(log, observe.NewOTel(otel.GetTracerProvider()))
//	defer sink.Close() // flushes and fsyncs the log, ends open spans
//	// pass sink to the graph run as its EventSink
//
// Reading a log back, tolerating a writer killed mid-line:
//
//	for ev, err := range observe.ReadJSONL(f) {
//		if errors.Is(err, observe.ErrTruncated) {
//			break
//		}
//		if err != nil {
//			return err
//		}
//		fmt.Println(ev.Kind, ev.Node)
//	}
package observe
