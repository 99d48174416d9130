package smtp_test

import (
	"fmt"

	"github.com/omnistack/omnistack/email/smtp"
)

func ExampleParseURL() {
	cfg, err := smtp.ParseURL("smtps://apikey:s3cret@smtp.example.com")
	if err != nil {
		panic(err)
	}
	sender, err := smtp.New(cfg) // does not connect yet
	fmt.Println(cfg.Host, cfg.Security == smtp.TLSImplicit, cfg.Username, sender != nil, err)
	// Output: smtp.example.com true apikey true <nil>
}
