package cloudinary_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/omnistack/omnistack/storage"
	"github.com/omnistack/omnistack/storage/cloudinary"
	"github.com/omnistack/omnistack/storage/cloudinary/cloudinarytest"
)

// ExampleNew stores and reads an object, against a local server that
// speaks Cloudinary's Upload and Admin APIs.
func ExampleNew() {
	ctx := context.Background()
	fake := cloudinarytest.NewServer(nil, cloudinarytest.Config{})
	defer fake.Close()

	creds, err := cloudinary.ParseURL(fake.CloudinaryURL()) // cloudinary://key:secret@cloud
	if err != nil {
		panic(err)
	}
	bucket, err := cloudinary.New(creds, cloudinary.Config{Folder: "myapp", APIURL: fake.APIURL()})
	if err != nil {
		panic(err)
	}
	_, err = bucket.Put(ctx, "docs/a.txt", strings.NewReader("hello"), &storage.PutOptions{ContentType: "text/plain"})
	if err != nil {
		panic(err)
	}
	rc, info, err := bucket.Get(ctx, "docs/a.txt", nil)
	if err != nil {
		panic(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	fmt.Println(info.Key, info.Size, info.ContentType, string(data))
	// Output: docs/a.txt 5 text/plain hello
}

// ExampleBucket_SignUpload hands a browser what it needs to upload
// directly: a URL and form fields, signed on the server.
func ExampleBucket_SignUpload() {
	creds := cloudinary.Credentials{CloudName: "demo", APIKey: "123456789012345", APISecret: "secret"}
	bucket, err := cloudinary.New(creds, cloudinary.Config{Folder: "myapp"})
	if err != nil {
		panic(err)
	}
	up, err := bucket.SignUpload("uploads/u1/avatar.png", cloudinary.SignUploadOptions{ContentType: "image/png"})
	if err != nil {
		panic(err)
	}
	fmt.Println(up.URL)
	var names []string
	for k := range up.Fields {
		names = append(names, k)
	}
	slices.Sort(names)
	fmt.Println(names)
	fmt.Println(up.Fields["public_id"], up.Fields["overwrite"], up.Fields["context"])
	// Output:
	// https://api.cloudinary.com/v1_1/demo/raw/upload
	// [api_key context overwrite public_id signature timestamp type]
	// myapp/uploads/u1/avatar.png false content_type=image/png
}
