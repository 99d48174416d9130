// Package jobid reads the job IDs of this module's backends: positive
// decimal integers in canonical form, so that one job has one ID string.
package jobid

import "strconv"

// Parse returns the integer of id, or false unless id is a positive
// decimal integer written without sign, spaces or leading zeros.
func Parse(id string) (int64, bool) {
	if id == "" || id[0] < '1' || id[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Format writes n as an ID.
func Format(n int64) string { return strconv.FormatInt(n, 10) }
