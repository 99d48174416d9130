// Package memory is an [email.Sender] that keeps every message in memory,
// for tests and examples. It sends nothing; helpers find captured messages
// and wait for messages sent in the background.
package memory
