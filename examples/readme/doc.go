// Package readme holds the Go snippets of the project's README.md as code
// the compiler checks. Each file but this one is one snippet: its import
// block, the declarations after it, and the body of its one function,
// dedented, appear verbatim in a ```go block of README.md. The function's
// parameters are what the snippet takes as given, listed on the body's
// first line ("// given: ..."). Snippets that can run on memory providers
// run as Examples; readme_test.go keeps README.md and these files in step,
// and walkthrough_test.go runs the README's walkthrough against the
// reference server.
package readme
