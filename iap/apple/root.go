package apple

import (
	"crypto/x509"
	_ "embed"
	"encoding/pem"
)

// rootG3PEM is Apple Root CA - G3 (valid 2014-04-30 to 2039-04-30, SHA-256
// fingerprint 63:34:3A:BF:B8:9A:6A:03:EB:B5:7E:9B:3F:5F:A7:BE:7C:4F:5C:75:
// 6F:30:17:B3:A8:C4:88:C3:65:3E:91:79), as Apple publishes it at
// https://www.apple.com/certificateauthority/AppleRootCA-G3.cer.
//
//go:embed AppleRootCA-G3.pem
var rootG3PEM []byte

// RootCAG3 returns Apple Root CA - G3, the root that signs App Store
// Server Notifications V2, embedded in the binary: pass it to [New] in
// production. Each call returns a fresh copy.
func RootCAG3() *x509.Certificate {
	block, _ := pem.Decode(rootG3PEM)
	if block == nil {
		panic("iap/apple: the embedded Apple root is not PEM") // the file above is
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		panic("iap/apple: the embedded Apple root does not parse: " + err.Error())
	}
	return cert
}
