package emailtest_test

import (
	"fmt"

	"github.com/omnistack/omnistack/email/emailtest"
)

// Full is the message the suite's SendFull test sends; it touches every
// field, so it is handy for users' own provider tests too.
func ExampleFull() {
	m := emailtest.Full()
	fmt.Println(len(m.To), len(m.Attachments), m.Validate())
	// Output: 2 2 <nil>
}
