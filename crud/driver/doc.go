// Package driver holds what implementers of [crud.Store] share, apart
// from the API a store's user calls (as gocloud.dev keeps blob/driver
// apart from blob): a store validates its [crud.Resource] once with
// [NewSchema] and then lets the [Schema] decide everything that must be
// the same on every store.
//
//   - Allow-lists: [Schema.Columns] and [Schema.Column] are the only
//     source of SQL identifiers; request values only travel as values.
//   - Planning: [Schema.Plan] checks a [crud.Query] (sort, filters parsed
//     to their column's [Kind], search length) and returns a [Plan];
//     [Schema.PlanCursor] also opens a signed keyset cursor into the
//     plan's [Position], and [Schema.Cursor] makes the next one.
//   - Matching and order, for stores that filter in memory: [Schema.Match],
//     [Schema.Compare] (byte-wise strings, ties on ID) and [Schema.After].
//   - Writes: [Schema.PrepareCreate] (IDs, timestamps, version 1),
//     [Schema.CheckValues] (what PostgreSQL text cannot hold) and
//     [Schema.Clash] (unique fields among live entities).
//   - IDs: [ParseID] reads an ID as httpx.CanonicalUUID does, [NewID]
//     makes a UUIDv7.
//
// A store built on it passes crudtest.Run, and crudtest.Differential
// compares it with crud/memory. A Schema is immutable and safe for
// concurrent use.
package driver
