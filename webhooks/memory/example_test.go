package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/omnistack/omnistack/webhooks"
	"github.com/omnistack/omnistack/webhooks/memory"
)

func ExampleNew() {
	ctx := context.Background()
	store, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	ev := webhooks.Event{Provider: "stripe", ID: "evt_1", Type: "invoice.paid", Payload: []byte(`{}`)}
	now := time.Now()

	rec, claimed, _ := store.Claim(ctx, ev, now, time.Minute)
	fmt.Println(claimed, rec.Status, rec.Attempts)
	_, claimed, _ = store.Claim(ctx, ev, now, time.Minute) // a concurrent duplicate
	fmt.Println(claimed)
	_ = store.Finish(ctx, rec.ID, rec.Attempts, now, "")
	done, _ := store.Get(ctx, rec.ID)
	fmt.Println(done.Status)
	// Output:
	// true processing 1
	// false
	// processed
}
