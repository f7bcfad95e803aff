package build

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// hashCache remembers the SHA-256 of build-context files by their
// metadata (size, mtime, ctime, inode), so that an unchanged rebuild
// reads no file contents. ctime is the guard: no process can set it, and
// any write changes it.
type hashCache struct {
	path    string
	old     map[string]hashEntry
	used    map[string]hashEntry
	changed bool
}

type hashEntry struct {
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"`
	Ctime int64  `json:"ctime"`
	Ino   uint64 `json:"ino"`
	Sum   string `json:"sha256"`
}

// loadHashCache reads the cache of the context directory ctxDir (a
// missing or unreadable cache is an empty one).
func loadHashCache(root, ctxDir string) *hashCache {
	k := sha256.Sum256([]byte(ctxDir))
	c := &hashCache{
		path: filepath.Join(root, "build", "hashes", hex.EncodeToString(k[:16])+".json"),
		old:  map[string]hashEntry{},
		used: map[string]hashEntry{},
	}
	if data, err := os.ReadFile(c.path); err == nil {
		json.Unmarshal(data, &c.old)
	}
	return c
}

// sum returns the SHA-256 (hex) of the regular file p.
func (c *hashCache) sum(p string) (string, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return "", err
	}
	meta := hashEntry{Size: st.Size, Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(), Ino: st.Ino}
	if e, ok := c.old[p]; ok && e.Size == meta.Size && e.Mtime == meta.Mtime && e.Ctime == meta.Ctime && e.Ino == meta.Ino {
		c.used[p] = e
		return e.Sum, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	meta.Sum = hex.EncodeToString(h.Sum(nil))
	c.used[p] = meta
	c.changed = true
	return meta.Sum, nil
}

// save writes the entries this build used (atomically; a concurrent
// build's save may win, which only costs a re-hash).
func (c *hashCache) save() error {
	if !c.changed && len(c.used) == len(c.old) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	data, err := json.Marshal(c.used)
	if err != nil {
		return err
	}
	tmp := c.path + ".tmp-" + randHex()
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, c.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("hash cache: %w", err)
	}
	return nil
}
