// Package layout holds no code: its test checks the dependency rules of
// docs/architecture.md over the whole module with `go list -deps`.
package layout
