package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// download fetches an ADD URL into ROOT/build/downloads, revalidating a
// previous download with If-None-Match / If-Modified-Since (a 304 costs no
// transfer), and returns the local file and its SHA-256. checksum, when
// set ("sha256:HEX"), must match.
func download(ctx context.Context, storeRoot, rawURL, checksum string) (string, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("ADD %s: only http and https URLs are supported", rawURL)
	}
	k := sha256.Sum256([]byte(rawURL))
	dir := filepath.Join(storeRoot, "build", "downloads", hex.EncodeToString(k[:16]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	data, metaPath := filepath.Join(dir, "data"), filepath.Join(dir, "meta.json")
	var meta struct{ ETag, LastModified, SHA256 string }
	if b, err := os.ReadFile(metaPath); err == nil {
		json.Unmarshal(b, &meta)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", "", err
	}
	if _, err := os.Stat(data); err == nil && meta.SHA256 != "" {
		if meta.ETag != "" {
			req.Header.Set("If-None-Match", meta.ETag)
		}
		if meta.LastModified != "" {
			req.Header.Set("If-Modified-Since", meta.LastModified)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("ADD %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	sum := meta.SHA256
	switch {
	case resp.StatusCode == http.StatusNotModified && sum != "":
	case resp.StatusCode == http.StatusOK:
		tmp, err := os.CreateTemp(dir, "data-")
		if err != nil {
			return "", "", err
		}
		h := sha256.New()
		_, err = io.Copy(io.MultiWriter(tmp, h), resp.Body)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp.Name())
			return "", "", fmt.Errorf("ADD %s: %w", rawURL, err)
		}
		if err := os.Rename(tmp.Name(), data); err != nil {
			return "", "", err
		}
		sum = hex.EncodeToString(h.Sum(nil))
		meta.ETag, meta.LastModified, meta.SHA256 = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), sum
		b, _ := json.Marshal(meta)
		if err := os.WriteFile(metaPath, b, 0o600); err != nil {
			return "", "", err
		}
	default:
		return "", "", fmt.Errorf("ADD %s: %s", rawURL, resp.Status)
	}
	if checksum != "" && checksum != "sha256:"+sum {
		return "", "", fmt.Errorf("ADD %s: content is sha256:%s, --checksum says %s", rawURL, sum, checksum)
	}
	return data, sum, nil
}

// urlFileName is the name an ADD URL's file gets in a destination
// directory: the last path element.
func urlFileName(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "download"
	}
	b := path.Base(strings.TrimSuffix(u.Path, "/"))
	if b == "." || b == "/" || b == "" {
		return "download"
	}
	return b
}
