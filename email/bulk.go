package email

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// BatchSender is implemented by providers with a batch API (Resend's
// /emails/batch). [SendBulk] uses it when the sender has it.
type BatchSender interface {
	Sender
	// SendBatch sends valid messages without attachments or idempotency
	// keys, at most BatchLimit of them, in one request. It returns one
	// result per message, in order; an error means the whole request
	// failed and applies to every message.
	SendBatch(ctx context.Context, msgs []Message) ([]BulkResult, error)
	// BatchLimit is the largest number of messages SendBatch takes;
	// below 2, SendBulk sends one by one.
	BatchLimit() int
}

// BulkResult is the outcome of one message of a bulk send: its provider
// result or its error.
type BulkResult struct {
	Result
	Err error
}

// BulkConfig tunes [SendBulk]. The zero value is ready to use.
type BulkConfig struct {
	// Concurrency is how many requests run at once: single sends, or
	// batch requests when the sender is a [BatchSender]. Default: 4.
	Concurrency int
}

// ToEach returns one copy of base per recipient, each addressed To that
// recipient alone, so that recipients do not see each other. Slices and
// maps are shared between the copies, not copied.
func ToEach(base Message, recipients []string) []Message {
	out := make([]Message, len(recipients))
	for i, r := range recipients {
		out[i] = base
		out[i].To = []string{r}
	}
	return out
}

// SendBulk sends every message and returns one result per message, in
// the order of msgs. One failure does not stop the others: invalid
// messages fail validation alone, and a failed request fails only the
// messages it carried. When s is a [BatchSender], messages go in batches
// of its BatchLimit, except those with attachments or an IdempotencyKey,
// which batch APIs do not take and which go one by one. Otherwise every
// message is a single send, at most cfg.Concurrency at a time. Messages
// not sent because ctx ended carry ctx's error.
func SendBulk(ctx context.Context, s Sender, msgs []Message, cfg BulkConfig) []BulkResult {
	conc := max(cmp.Or(cfg.Concurrency, 4), 1)
	results := make([]BulkResult, len(msgs))
	var single []int
	var batched []int
	bs, isBatch := s.(BatchSender)
	isBatch = isBatch && bs.BatchLimit() > 1
	for i := range msgs {
		if err := msgs[i].Validate(); err != nil {
			results[i].Err = err
			continue
		}
		if isBatch && len(msgs[i].Attachments) == 0 && msgs[i].IdempotencyKey == "" {
			batched = append(batched, i)
		} else {
			single = append(single, i)
		}
	}
	type job struct {
		idx   []int // indexes into msgs
		batch bool
	}
	jobs := make([]job, 0, len(single)+1)
	for _, i := range single {
		jobs = append(jobs, job{idx: []int{i}})
	}
	if len(batched) > 0 {
		for chunk := range slices.Chunk(batched, bs.BatchLimit()) {
			jobs = append(jobs, job{idx: chunk, batch: true})
		}
	}
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for _, j := range jobs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for _, i := range j.idx {
				results[i].Err = context.Cause(ctx)
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if !j.batch {
				res, err := s.Send(ctx, msgs[j.idx[0]])
				results[j.idx[0]] = BulkResult{Result: res, Err: err}
				return
			}
			batch := make([]Message, len(j.idx))
			for k, i := range j.idx {
				batch[k] = msgs[i]
			}
			out, err := bs.SendBatch(ctx, batch)
			for k, i := range j.idx {
				switch {
				case err != nil:
					results[i].Err = err
				case k < len(out):
					results[i] = out[k]
				default:
					results[i].Err = &ProviderError{Provider: "batch", Kind: ErrUnavailable, Message: "no result for this message"}
				}
			}
		})
	}
	wg.Wait()
	return results
}
