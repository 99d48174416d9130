package main

import (
	"os"
	"path/filepath"
)

// readRepoFile reads a file of the repository by its path from the root.
func readRepoFile(path string) ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(path)))
}

// productionTestSecret passes the production secret rules; it is public,
// so it serves tests only.
const productionTestSecret = "q3Vt8KzR1mWx6NfYp0LcJ2dHs9GbTa4EoUiZ7yXe5Qw"
