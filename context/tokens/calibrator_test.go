package tokens

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

type observation struct{ estimated, reported int }

func TestCalibratorRatio(t *testing.T) {
	tests := []struct {
		name     string
		cfg      CalibratorConfig
		obs      []observation
		ratio    float64
		samples  int
		adjust1k int
	}{
		{"no observations", CalibratorConfig{}, nil, 1, 0, 1000},
		{"one observation", CalibratorConfig{}, []observation{{100, 120}}, 1.2, 1, 1200},
		{"overestimate lowers", CalibratorConfig{}, []observation{{1000, 800}}, 0.8, 1, 800},
		{"clamped high", CalibratorConfig{}, []observation{{100, 1000}}, 2, 1, 2000},
		{"clamped low", CalibratorConfig{}, []observation{{100, 10}}, 0.5, 1, 500},
		{"custom bounds", CalibratorConfig{MinRatio: 0.9, MaxRatio: 1.1}, []observation{{100, 150}}, 1.1, 1, 1100},
		{"cumulative is token-weighted", CalibratorConfig{Decay: 1}, []observation{{100, 110}, {300, 300}}, 410.0 / 400, 2, 1025},
		{"decay favours recent requests", CalibratorConfig{Decay: 0.5}, []observation{{100, 200}, {100, 100}}, 200.0 / 150, 2, 1334},
		{"invalid decay means default 0.9", CalibratorConfig{Decay: 7}, []observation{{100, 200}, {100, 100}}, 280.0 / 190, 2, 1474},
		{"non-positive figures ignored", CalibratorConfig{}, []observation{{0, 100}, {100, 0}, {-5, 5}}, 1, 0, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCalibrator(tt.cfg)
			for _, o := range tt.obs {
				c.Observe("gpt-4.1", o.estimated, o.reported)
			}
			ratio, samples := c.Ratio("gpt-4.1")
			assert.InDelta(t, tt.ratio, ratio, 1e-9)
			assert.Equal(t, tt.samples, samples)
			assert.Equal(t, tt.adjust1k, c.Adjust("gpt-4.1", 1000))
			assert.Equal(t, 0, c.Adjust("gpt-4.1", 0))
		})
	}
}

func TestCalibratorKeysByRegistryName(t *testing.T) {
	c := NewCalibrator(CalibratorConfig{})
	c.Observe("anthropic:claude-sonnet-4-5-20250929", 1000, 1100)
	ratio, samples := c.Ratio("claude-sonnet-4-5")
	assert.Equal(t, 1, samples)
	assert.InDelta(t, 1.1, ratio, 1e-9)
	_, other := c.Ratio("claude-sonnet-4") // a different model
	assert.Equal(t, 0, other)
	_, unknown := c.Ratio("ollama:my-model")
	assert.Equal(t, 0, unknown)
	c.Observe("ollama:my-model", 100, 150)
	r, n := c.Ratio("my-model")
	assert.Equal(t, 1, n, "unknown models are keyed by their normalized name")
	assert.InDelta(t, 1.5, r, 1e-9)
}

func TestCalibratorConcurrentObservations(t *testing.T) {
	c := NewCalibrator(CalibratorConfig{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			c.Observe("qwen3", 200, 300)
			c.Adjust("qwen3", 10)
		})
	}
	wg.Wait()
	ratio, samples := c.Ratio("qwen3")
	assert.Equal(t, 50, samples)
	assert.InDelta(t, 1.5, ratio, 1e-9)
}
