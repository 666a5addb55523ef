// Package web holds the pages the service embeds, so that serving them needs
// no build step and no file next to the binary.
package web

import (
	"embed"
	"io/fs"
)

//go:embed *.html
var pages embed.FS

// FS returns the embedded pages, for a file server.
func FS() fs.FS { return pages }

// StatusPage returns the status page (status.html), which polls status.json
// next to it.
func StatusPage() []byte {
	b, err := pages.ReadFile("status.html")
	if err != nil {
		panic("web: status.html is not embedded: " + err.Error())
	}
	return b
}
