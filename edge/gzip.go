package edge

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
)

// gunzip serves a gzipped asset to a client that does not accept gzip.
func gunzip(w http.ResponseWriter, b []byte) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		http.Error(w, "asset unreadable", http.StatusInternalServerError)
		return
	}
	_, _ = io.Copy(w, zr)
}
