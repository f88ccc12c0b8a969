package replay

import (
	"errors"
	"fmt"

	"github.com/deepctx/deepctx/agent/llm"
)

var errClosed = errors.New("cassette closed")

// record appends one interaction to the cassette and syncs it to disk, so
// a killed process loses at most the calls in flight. Cancellations are not
// recorded; nor, when the cassette fills gaps (ModeReplayOrRecord), are
// rate limits and transient faults, so a later run asks the model again
// instead of replaying an outage forever.
func (c *Cassette) record(key string, canon []byte, resp llm.Response, callErr error) error {
	if callErr != nil && (!recordable(callErr) || c.cfg.Mode == ModeReplayOrRecord && llm.Retryable(callErr)) {
		return nil
	}
	data, err := c.encodeLine(key, canon, resp, callErr)
	if err != nil {
		return fmt.Errorf("replay: record %s: %w", c.cfg.Path, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("replay: record %s: %w", c.cfg.Path, errClosed)
	}
	if _, err := c.file.Write(data); err != nil {
		return fmt.Errorf("replay: record %s: %w", c.cfg.Path, err)
	}
	if err := c.file.Sync(); err != nil {
		return fmt.Errorf("replay: record %s: %w", c.cfg.Path, err)
	}
	return nil
}

// encodeLine returns the scrubbed cassette line, newline included.
func (c *Cassette) encodeLine(key string, canon []byte, resp llm.Response, callErr error) ([]byte, error) {
	l := line{Key: key, Request: canon, RecordedAt: c.cfg.Now().UTC()}
	var err error
	if callErr != nil {
		l.Error, err = c.scrub.json(newErrorRecord(callErr))
	} else {
		l.Response, err = c.scrub.json(storeResponse(resp))
	}
	if err != nil {
		return nil, err
	}
	data, err := marshal(l)
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
