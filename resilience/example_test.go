package resilience_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/resilience"
)

func ExampleDo() {
	breaker, err := resilience.NewBreaker(resilience.BreakerConfig{Name: "email", ConsecutiveFailures: 5})
	if err != nil {
		panic(err)
	}
	policy, err := resilience.NewPolicy(resilience.PolicyConfig{
		Retry:   resilience.RetryConfig{MaxAttempts: 3, InitialDelay: time.Millisecond},
		Breaker: breaker,
	})
	if err != nil {
		panic(err)
	}
	attempts := 0
	id, err := resilience.Do(context.Background(), policy, func(ctx context.Context) (string, error) {
		attempts++
		if attempts == 1 {
			return "", errors.New("503 from provider") // transient: retried
		}
		return "msg_42", nil
	})
	fmt.Println(id, err, attempts)
	// Output: msg_42 <nil> 2
}
