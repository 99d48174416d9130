// Package memory is an in-process [jobs.Backend]: the embedded default of
// OmniStack and the backend of tests.
//
// Jobs live in the process and are lost when it exits; use the river
// backend where jobs must survive restarts or be shared by instances.
// Waiting jobs are ordered by priority, then run time, then insertion.
// Finished jobs (completed, cancelled, discarded) are kept for the admin
// routes up to Config.MaxFinished, oldest evicted first. A job of a kind
// the client has no handler for fails with jobs.ErrUnknownKind and is
// retried like any failure. Times come from Config.Now, so tests drive the
// backend with a fake clock or inside testing/synctest.
package memory
