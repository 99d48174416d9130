// Package cloudinarytest runs a local server that speaks Cloudinary's
// Upload and Admin APIs as storage/cloudinary uses them, for tests that
// must not reach the internet:
//
//	fake := cloudinarytest.NewServer(t, cloudinarytest.Config{})
//	creds, err := cloudinary.ParseURL(fake.CloudinaryURL())
//	bucket, err := cloudinary.New(creds, cloudinary.Config{APIURL: fake.APIURL()})
//
// The reference server's tests set CLOUDINARY_URL and CLOUDINARY_API_URL
// the same way.
package cloudinarytest
