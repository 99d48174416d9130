// Package memory is an [email.Sender] that keeps every message in memory
// instead of sending it: the fake of tests and examples.
//
// Send validates a message exactly as the real providers do (so a test
// that passes here does not fail on Resend for an invalid address), then
// keeps a deep copy of it with an ID ("mem-1", "mem-2", ...) and the time
// from [Config.Now]. Tests read the captured messages with
// [Sender.Messages], [Sender.Find], [Sender.To] and [Sender.Last]; code
// that sends in the background (a job, a goroutine) is awaited with
// [Sender.Wait], which returns as soon as a matching message is captured,
// or when its context ends, without polling or sleeping.
//
// Nothing is ever delivered, and nothing bounds how many messages are
// kept: call [Sender.Reset] between phases of a long test. A Sender is
// safe for concurrent use.
package memory
