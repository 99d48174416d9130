package export_test

import (
	"context"
	"fmt"

	"github.com/omnistack/omnistack/telemetry/export"
)

// Without an endpoint or Prometheus, Setup returns nil providers: the
// blocks given them record nothing and cost nothing.
func ExampleSetup() {
	p, err := export.Setup(context.Background(), export.Config{ServiceName: "saas"})
	if err != nil {
		panic(err)
	}
	defer func() { _ = p.Shutdown(context.Background()) }()
	fmt.Println(p.TracerProvider == nil, p.MeterProvider == nil)
	// Output: true true
}
