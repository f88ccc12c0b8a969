package tokens

import (
	"math"
	"sync"
)

// CalibratorConfig configures a Calibrator. The zero value is ready to use.
type CalibratorConfig struct {
	// Decay is the weight the totals of earlier observations keep at each
	// new one, in (0, 1]: 1 keeps a cumulative ratio, smaller values follow
	// recent requests. Optional. Defaults to 0.9 (the last ten or so
	// requests dominate).
	Decay float64
	// MinRatio and MaxRatio bound the learned ratio, so one odd report
	// (a provider-side prompt, an image, a truncated usage block) cannot
	// swing estimates wildly. Optional. Default to 0.5 and 2.
	MinRatio, MaxRatio float64
}

// Calibrator learns, per model, how the provider's reported input tokens
// compare with deepctx's estimates, and corrects later estimates by that
// ratio. The ratio is token-weighted (sum of reported over sum of estimated,
// with older requests decaying), so large requests, whose fixed overheads
// matter least, weigh most. Models are keyed by their registry name, so
// "anthropic:claude-sonnet-4-5-20250929" and "claude-sonnet-4-5" share one
// ratio. A Calibrator is safe for concurrent use.
//
// Feed it uncalibrated estimates (Tokenizer.CountMessages, not Estimate);
// Tokenizer.Observe does so.
type Calibrator struct {
	decay, minRatio, maxRatio float64

	mu     sync.Mutex
	models map[string]*calibration
}

type calibration struct {
	reported, estimated float64
	samples             int
}

// NewCalibrator returns a Calibrator with no observations.
func NewCalibrator(cfg CalibratorConfig) *Calibrator {
	c := &Calibrator{decay: cfg.Decay, minRatio: cfg.MinRatio, maxRatio: cfg.MaxRatio, models: map[string]*calibration{}}
	if c.decay <= 0 || c.decay > 1 {
		c.decay = 0.9
	}
	if c.minRatio <= 0 {
		c.minRatio = 0.5
	}
	if c.maxRatio <= 0 {
		c.maxRatio = 2
	}
	if c.maxRatio < c.minRatio {
		c.minRatio, c.maxRatio = c.maxRatio, c.minRatio
	}
	return c
}

func calibrationKey(model string) string { info, _ := Lookup(model); return info.Name }

// Observe records that a request deepctx estimated at estimated tokens was
// reported by the provider as reported input tokens. Observations with a
// non-positive figure are ignored.
func (c *Calibrator) Observe(model string, estimated, reported int) {
	if estimated <= 0 || reported <= 0 {
		return
	}
	key := calibrationKey(model)
	c.mu.Lock()
	defer c.mu.Unlock()
	cal := c.models[key]
	if cal == nil {
		cal = &calibration{}
		c.models[key] = cal
	}
	cal.reported = cal.reported*c.decay + float64(reported)
	cal.estimated = cal.estimated*c.decay + float64(estimated)
	cal.samples++
}

// Ratio returns the learned ratio of reported to estimated tokens for model,
// within the configured bounds, and how many observations it rests on. It is
// 1 with 0 samples for a model never observed.
func (c *Calibrator) Ratio(model string) (ratio float64, samples int) {
	key := calibrationKey(model)
	c.mu.Lock()
	defer c.mu.Unlock()
	cal := c.models[key]
	if cal == nil || cal.samples == 0 {
		return 1, 0
	}
	return min(max(cal.reported/cal.estimated, c.minRatio), c.maxRatio), cal.samples
}

// Adjust returns estimate corrected by model's ratio, rounded up.
func (c *Calibrator) Adjust(model string, estimate int) int {
	ratio, samples := c.Ratio(model)
	if samples == 0 || estimate <= 0 {
		return estimate
	}
	return int(math.Ceil(float64(estimate)*ratio - 1e-9))
}
