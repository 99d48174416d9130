package driver_test

import (
	"fmt"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/internal/driver"
)

// Providers check a read's range the same way before any I/O.
func ExampleRange() {
	fmt.Println(driver.Range(&storage.GetOptions{Offset: 2, Length: 3}, 10))
	fmt.Println(driver.Range(&storage.GetOptions{Offset: 8, Length: 100}, 10))
	_, _, err := driver.Range(&storage.GetOptions{Offset: 10}, 10)
	fmt.Println(err)
	// Output:
	// 2 3 <nil>
	// 8 2 <nil>
	// storage: invalid range: offset 10 of 10 bytes
}
