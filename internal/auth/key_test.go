package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func hexSum(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		pairs   string
		single  string
		want    string // name/tier list
		wantErr bool
	}{
		{name: "none", want: ""},
		{name: "pairs", pairs: "alice:k1, bob:k2:pro,", want: "alice/ bob/pro"},
		{name: "single", single: "legacy", want: "default/"},
		{name: "both", pairs: "alice:k1", single: "k2", want: "alice/ default/"},
		{name: "duplicate name", pairs: "a:k1,a:k2", wantErr: true},
		{name: "duplicate key", pairs: "a:k1,b:k1", wantErr: true},
		{name: "single clashes", pairs: "default:k1", single: "k2", wantErr: true},
		{name: "missing key", pairs: "alice", wantErr: true},
		{name: "empty key", pairs: "alice:", wantErr: true},
		{name: "too many colons", pairs: "a:b:c:d", wantErr: true},
		{name: "bad name", pairs: "al ice:k", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := Parse(tt.pairs, tt.single)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				for _, secret := range []string{"k1", "k2"} {
					if strings.Contains(err.Error(), ":"+secret) {
						t.Fatalf("error shows a key: %v", err)
					}
				}
				return
			}
			var got []string
			for _, k := range keys {
				got = append(got, k.Name+"/"+k.Tier)
			}
			if strings.Join(got, " ") != tt.want {
				t.Fatalf("got %q, want %q", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	aliceSum := hexSum("alice-secret")
	tests := []struct {
		name    string
		file    string
		content string
		want    string // name tier admin day month, per key
		wantErr bool
	}{
		{name: "json list", file: "k.json", content: `[
			{"name":"alice","sha256":"` + strings.ToUpper(aliceSum) + `","tier":"pro",
			 "quota_day":10,"quota_month":100},
			{"name":"ops","key":"ops-secret","admin":true}]`,
			want: "alice pro false 10 100|ops  true 0 0"},
		{name: "json object", file: "keys", content: `{"keys":[{"name":"a","key":"x"}]}`,
			want: "a  false 0 0"},
		{name: "yaml object", file: "k.yaml", content: "keys:\n  - name: alice\n" +
			"    sha256: " + aliceSum + "\n    quota_day: 5\n  - name: b\n    key: bee\n",
			want: "alice  false 5 0|b  false 0 0"},
		{name: "yaml list", file: "k.yml", content: "- name: a\n  key: x\n  tier: x10\n",
			want: "a x10 false 0 0"},
		{name: "empty yaml", file: "k.yaml", content: "", want: ""},
		{name: "design quotas object", file: "k.json",
			content: `[{"name":"a","key":"x","quotas":{"day":7,"month":70}}]`,
			want:    "a  false 7 70"},
		{name: "yaml quotas object", file: "k.yaml",
			content: "- name: a\n  key: x\n  quotas:\n    month: 9\n", want: "a  false 0 9"},
		{name: "quota set twice", file: "k.json",
			content: `[{"name":"a","key":"x","quota_day":1,"quotas":{"day":2}}]`, wantErr: true},
		{name: "negative quotas object", file: "k.json",
			content: `[{"name":"a","key":"x","quotas":{"day":-2}}]`, wantErr: true},
		{name: "key and sha256", file: "k.json",
			content: `[{"name":"a","key":"x","sha256":"` + aliceSum + `"}]`, wantErr: true},
		{name: "neither", file: "k.json", content: `[{"name":"a"}]`, wantErr: true},
		{name: "short digest", file: "k.json", content: `[{"name":"a","sha256":"abcd"}]`,
			wantErr: true},
		{name: "unknown json field", file: "k.json",
			content: `[{"name":"a","key":"x","quota":1}]`, wantErr: true},
		{name: "unknown yaml field", file: "k.yaml", content: "- name: a\n  key: x\n  adm: 1\n",
			wantErr: true},
		{name: "negative quota", file: "k.json",
			content: `[{"name":"a","key":"x","quota_day":-1}]`, wantErr: true},
		{name: "duplicate via digest", file: "k.json",
			content: `[{"name":"a","key":"alice-secret"},
			{"name":"b","sha256":"` + aliceSum + `"}]`, wantErr: true},
		{name: "bad json", file: "k.json", content: `[{"name":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tt.file)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			keys, err := LoadFile(path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			var got []string
			for _, k := range keys {
				got = append(got, fmt.Sprintf("%s %s %v %d %d", k.Name, k.Tier, k.Admin,
					k.QuotaDay, k.QuotaMonth))
			}
			if strings.Join(got, "|") != tt.want {
				t.Fatalf("got %q, want %q", strings.Join(got, "|"), tt.want)
			}
		})
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("missing file: no error")
	}
}

func TestKeyNeverPrinted(t *testing.T) {
	k := NewKey("alice", "alice-secret")
	digest := hexSum("alice-secret")
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%+v %#v %v", k, k, &k)} {
		if strings.Contains(s, "secret") || strings.Contains(s, digest[:16]) {
			t.Fatalf("printed key shows material: %s", s)
		}
	}
}
