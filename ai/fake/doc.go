// Package fake is a deterministic ai.Provider for tests: it answers the
// replies it is given, in order, or echoes the last user message, and
// records every request it receives.
//
//	p, _ := fake.New(fake.Config{Name: "openai"})
//	p.Push(fake.Reply{Text: "Hello there"}, fake.Reply{Fail: ai.ErrUnavailable})
//	router, _ := ai.NewRouter([]ai.Provider{p}, ai.RouterConfig{})
//
// A [Reply] scripts text and stream chunks, tool calls, usage, a failure
// of any provider error kind (with a Retry-After), a stream cut after a
// number of chunks, and a hold that waits for the test (or for the call's
// cancellation) before or during a stream. The same Reply scripts the
// wire-format upstream servers of package aitest, so one test can drive
// the fake and the real providers alike.
//
// # Concurrency
//
// A Provider is safe for concurrent use; replies are taken in the order
// calls arrive.
package fake
