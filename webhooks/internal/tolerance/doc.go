// Package tolerance holds the one timestamp check the signature verifiers
// of the webhooks providers share: a signed time may lie at most a
// tolerance from now, in the past or in the future.
package tolerance
