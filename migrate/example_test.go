package migrate_test

import (
	"fmt"
	"os"
	"testing/fstest"

	"github.com/omnistack/omnistack/migrate"
)

// A package of your own keeps its SQL beside the code and hands it out as a
// Source; WriteSQL shows what Up would apply.
func ExampleWriteSQL() {
	notes := migrate.Source{Name: "notes", FS: fstest.MapFS{
		"00001_notes.sql": {Data: []byte("-- +goose Up\nCREATE TABLE notes (id bigserial PRIMARY KEY);\n-- +goose Down\nDROP TABLE notes;\n")},
	}}
	if err := migrate.WriteSQL(os.Stdout, notes); err != nil {
		fmt.Println(err)
	}
	fmt.Println("version table:", notes.Table())
	// Output:
	// -- notes: 00001_notes.sql
	// CREATE TABLE notes (id bigserial PRIMARY KEY);
	//
	// version table: omnistack_notes_migrations
}
