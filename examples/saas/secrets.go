package main

import (
	"fmt"
	"math"
	"strings"
)

// minSecretBits is the least Shannon entropy, estimated from the value
// itself, that a production secret must carry. By this estimate 32 random
// hex digits (openssl rand -hex 16) carry 95 to 125 bits, base64 of 32
// random bytes over 180; a repeated or dictionary value far less.
const minSecretBits = 90

// placeholders are substrings of the values that examples, tutorials and
// our own .env.example put where a secret belongs.
var placeholders = []string{
	"change-me", "changeme", "change_me", "replace-me", "replaceme", "replace_me",
	"your-secret", "your_secret", "yoursecret", "placeholder", "example", "secret-key",
	"xxxxxxxx", "12345678", "password",
}

// checkSecret refuses, for production, a secret shorter than 32 bytes, a
// known placeholder, or a value with too little entropy to be random. The
// error names the variable and never quotes the value.
func checkSecret(name, value string) error {
	if len(value) < 32 {
		return fmt.Errorf("%s must be at least 32 bytes in production, got %d (generate one with: openssl rand -base64 48)", name, len(value))
	}
	lower := strings.ToLower(value)
	for _, p := range placeholders {
		if strings.Contains(lower, p) {
			return fmt.Errorf("%s holds a placeholder, not a secret: generate one with: openssl rand -base64 48", name)
		}
	}
	if repeats(value) {
		return fmt.Errorf("%s is a pattern repeated, not a secret: generate one with: openssl rand -base64 48", name)
	}
	if bits := entropyBits(value); bits < minSecretBits {
		return fmt.Errorf("%s is too predictable to be a secret (about %.0f bits; at least %d needed): generate one with: openssl rand -base64 48", name, bits, minSecretBits)
	}
	return nil
}

// entropyBits estimates the entropy of s as its length times the Shannon
// entropy of its byte frequencies: an upper bound for a random string, far
// below it for repetitive ones.
func entropyBits(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var perByte float64
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			perByte -= p * math.Log2(p)
		}
	}
	return perByte * n
}

// repeats reports whether s is a shorter string repeated (a period of at
// most half its length), which entropy by byte frequency does not see.
func repeats(s string) bool {
	for p := 1; p <= len(s)/2; p++ {
		if s[p:] == s[:len(s)-p] {
			return true
		}
	}
	return false
}
