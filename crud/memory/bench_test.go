package memory_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/omnistack/omnistack/crud"
	"github.com/omnistack/omnistack/crud/crudtest"
	"github.com/omnistack/omnistack/crud/memory"
)

// filled returns a store holding perOwner widgets for each of owners
// owners.
func filled(b *testing.B, owners, perOwner int) *memory.Store[crudtest.Widget] {
	b.Helper()
	s, err := memory.New(crudtest.WidgetResource, memory.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range owners * perOwner {
		w := crudtest.Widget{Meta: crud.Meta{OwnerID: fmt.Sprint("owner-", i%owners)}, Name: fmt.Sprint("w", i), Slug: fmt.Sprint("s", i)}
		if _, err := s.Create(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkList is the first page of 20 of one owner's list in the
// default order, in stores of 1k and 10k widgets (100 per owner).
func BenchmarkList(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprint("rows=", n), func(b *testing.B) {
			s := filled(b, n/100, 100)
			q := crud.Query{Owner: "owner-3"}
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.List(context.Background(), q, crud.Page{Limit: 20})
				if err != nil || len(res.Items) != 20 || res.Total != 100 {
					b.Fatal(err, len(res.Items), res.Total)
				}
			}
		})
	}
}

// BenchmarkCreate is one Create (with a unique field to check) in a store
// of 10k widgets.
func BenchmarkCreate(b *testing.B) {
	s := filled(b, 100, 100)
	ctx := context.Background()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		w := crudtest.Widget{Meta: crud.Meta{OwnerID: "owner-7"}, Slug: fmt.Sprint("new-", i)}
		if _, err := s.Create(ctx, w); err != nil {
			b.Fatal(err)
		}
	}
}
