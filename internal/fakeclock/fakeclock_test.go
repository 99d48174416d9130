package fakeclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/omnistack/omnistack/internal/fakeclock"
)

func TestClock(t *testing.T) {
	t.Parallel()
	c := fakeclock.New(time.Time{})
	assert.Equal(t, fakeclock.Start, c.Now())
	c.Advance(time.Second)
	assert.Equal(t, fakeclock.Start.Add(time.Second), c.Now())
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	c.Set(at)
	assert.Equal(t, at, c.Now())
	assert.Equal(t, at, fakeclock.New(at).Now())
}

func TestClockConcurrent(t *testing.T) {
	t.Parallel()
	c := fakeclock.New(time.Time{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Advance(time.Microsecond)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, fakeclock.Start.Add(8000*time.Microsecond), c.Now())
}
