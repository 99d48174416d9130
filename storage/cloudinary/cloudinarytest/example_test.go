package cloudinarytest_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/cloudinary"
	"github.com/omnistack/omnistack/storage/cloudinary/cloudinarytest"
)

// A Cloudinary bucket pointed at the local server: what it stores is
// visible on the server as a private raw asset.
func ExampleNewServer() {
	fake := cloudinarytest.NewServer(nil, cloudinarytest.Config{})
	defer fake.Close()

	creds, err := cloudinary.ParseURL(fake.CloudinaryURL())
	if err != nil {
		panic(err)
	}
	bucket, err := cloudinary.New(creds, cloudinary.Config{Folder: "app", APIURL: fake.APIURL()})
	if err != nil {
		panic(err)
	}
	_, err = bucket.Put(context.Background(), "docs/a.txt", strings.NewReader("hello"), &storage.PutOptions{ContentType: "text/plain"})
	if err != nil {
		panic(err)
	}
	data, _ := fake.Asset("app/docs/a.txt")
	fmt.Println(fake.PublicIDs(), string(data))
	// Output: [app/docs/a.txt] hello
}
