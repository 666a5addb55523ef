package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Key is one configured API key. The secret itself is never kept: only its
// SHA-256 digest, which is what requests are compared against.
type Key struct {
	// Name identifies the key in logs, metrics, usage and job ownership.
	Name string
	// Tier picks the key's rate limits (see ratelimit.Plans); "" is the
	// default tier, "unlimited" skips rate limits.
	Tier string
	// Admin keys see every key's usage and per-key figures.
	Admin bool
	// QuotaDay and QuotaMonth cap the requests per UTC day and month;
	// 0 is unlimited.
	QuotaDay, QuotaMonth int64

	digest [sha256.Size]byte
}

// NewKey returns a key named name whose secret is secret.
func NewKey(name, secret string) Key {
	return Key{Name: name, digest: sha256.Sum256([]byte(secret))}
}

// NewHashedKey returns a key named name whose secret has the SHA-256 digest
// hexDigest (64 hex digits, either case).
func NewHashedKey(name, hexDigest string) (Key, error) {
	k := Key{Name: name}
	b, err := hex.DecodeString(strings.TrimSpace(hexDigest))
	if err != nil || len(b) != sha256.Size {
		return Key{}, fmt.Errorf("decode sha256 of key %q: want 64 hex digits", name)
	}
	copy(k.digest[:], b)
	return k, nil
}

// String is the key's name: printing a Key never shows its digest.
func (k Key) String() string { return k.Name }

// GoString is the key's name, for %#v.
func (k Key) GoString() string { return "auth.Key(" + k.Name + ")" }

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Parse reads DOWNLOADER_API_KEYS (pairs: comma-separated name:key or
// name:key:tier) and DOWNLOADER_KEY (single: one key named "default").
// Neither may hold a key containing ',' or ':'. Names are 1-64 of
// A-Z a-z 0-9 . _ - and start with a letter or digit. Errors name the
// entry, never the key.
func Parse(pairs, single string) ([]Key, error) {
	var keys []Key
	for i, entry := range strings.Split(pairs, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("parse api key entry %d: want name:key or name:key:tier", i+1)
		}
		k, err := newEntry(strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]))
		if err != nil {
			return nil, fmt.Errorf("parse api key entry %d: %w", i+1, err)
		}
		if len(parts) == 3 {
			k.Tier = strings.TrimSpace(parts[2])
		}
		keys = append(keys, k)
	}
	if single = strings.TrimSpace(single); single != "" {
		keys = append(keys, NewKey("default", single))
	}
	return Merge(keys)
}

func newEntry(name, secret string) (Key, error) {
	if !validName.MatchString(name) {
		return Key{}, fmt.Errorf("check name %q: want 1-64 of A-Z a-z 0-9 . _ -", name)
	}
	if secret == "" || strings.ContainsAny(secret, " \t\r\n") {
		return Key{}, fmt.Errorf("check key of %q: empty or holds white space", name)
	}
	return NewKey(name, secret), nil
}

// Merge joins key lists (e.g. from the environment and from the file),
// refusing two keys with one name or one secret.
func Merge(sets ...[]Key) ([]Key, error) {
	var all []Key
	names := map[string]bool{}
	digests := map[[sha256.Size]byte]string{}
	for _, set := range sets {
		for _, k := range set {
			if names[k.Name] {
				return nil, fmt.Errorf("merge api keys: name %q given twice", k.Name)
			}
			if other, dup := digests[k.digest]; dup {
				return nil, fmt.Errorf("merge api keys: %q and %q share one key", other, k.Name)
			}
			names[k.Name], digests[k.digest] = true, k.Name
			all = append(all, k)
		}
	}
	return all, nil
}

// fileKey is one entry of the keys file; see doc.go for the format.
type fileKey struct {
	Name       string `json:"name" yaml:"name"`
	Key        string `json:"key" yaml:"key"`
	SHA256     string `json:"sha256" yaml:"sha256"`
	Tier       string `json:"tier" yaml:"tier"`
	QuotaDay   int64  `json:"quota_day" yaml:"quota_day"`
	QuotaMonth int64  `json:"quota_month" yaml:"quota_month"`
	// Quotas is DESIGN.md's name for the same two figures:
	// "quotas": {"day": N, "month": N}. A figure set both ways is an error.
	Quotas *fileQuotas `json:"quotas" yaml:"quotas"`
	Admin  bool        `json:"admin" yaml:"admin"`
}

type fileQuotas struct {
	Day   int64 `json:"day" yaml:"day"`
	Month int64 `json:"month" yaml:"month"`
}

type fileDoc struct {
	Keys []fileKey `json:"keys" yaml:"keys"`
}

// LoadFile reads a keys file (DOWNLOADER_API_KEYS_FILE): JSON when its name
// ends in .json or its first non-blank byte is '[' or '{', else YAML.
// Unknown fields are errors. Errors never quote a key.
func LoadFile(path string) ([]Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read api keys file: %w", err)
	}
	entries, err := decodeFile(filepath.Ext(path), data)
	if err != nil {
		return nil, fmt.Errorf("decode api keys file %s: %w", path, err)
	}
	keys := make([]Key, 0, len(entries))
	for i, e := range entries {
		k, err := e.key()
		if err != nil {
			return nil, fmt.Errorf("load api keys file %s entry %d: %w", path, i+1, err)
		}
		keys = append(keys, k)
	}
	return Merge(keys)
}

func decodeFile(ext string, data []byte) ([]fileKey, error) {
	trimmed := bytes.TrimSpace(data)
	isJSON := strings.EqualFold(ext, ".json") ||
		(len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{'))
	isList := len(trimmed) > 0 && trimmed[0] == '['
	var doc fileDoc
	target := any(&doc)
	if isJSON {
		if isList {
			target = &doc.Keys
		}
		err := strictJSON(trimmed, target)
		return doc.Keys, err
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, err
	}
	if len(node.Content) > 0 && node.Content[0].Kind == yaml.SequenceNode {
		target = &doc.Keys
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(target); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return doc.Keys, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (e fileKey) key() (Key, error) {
	var k Key
	var err error
	switch {
	case (e.Key == "") == (e.SHA256 == ""):
		return Key{}, fmt.Errorf("check entry %q: want exactly one of key and sha256", e.Name)
	case e.Key != "":
		k, err = newEntry(e.Name, e.Key)
	default:
		if !validName.MatchString(e.Name) {
			return Key{}, fmt.Errorf("check name %q: want 1-64 of A-Z a-z 0-9 . _ -", e.Name)
		}
		k, err = NewHashedKey(e.Name, e.SHA256)
	}
	if err != nil {
		return Key{}, err
	}
	if q := e.Quotas; q != nil {
		if (q.Day != 0 && e.QuotaDay != 0) || (q.Month != 0 && e.QuotaMonth != 0) {
			return Key{}, fmt.Errorf("check quotas of %q: set by quotas and quota_*", e.Name)
		}
		e.QuotaDay, e.QuotaMonth = max(e.QuotaDay, q.Day), max(e.QuotaMonth, q.Month)
		if q.Day < 0 || q.Month < 0 {
			e.QuotaDay = -1
		}
	}
	if e.QuotaDay < 0 || e.QuotaMonth < 0 {
		return Key{}, fmt.Errorf("check quotas of %q: want >= 0", e.Name)
	}
	k.Tier, k.Admin, k.QuotaDay, k.QuotaMonth = e.Tier, e.Admin, e.QuotaDay, e.QuotaMonth
	return k, nil
}
