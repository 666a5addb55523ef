package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"downloader/internal/problem"
)

// SignatureHeader carries a callback's signature (DESIGN.md).
const SignatureHeader = "X-Downloader-Signature"

// callbackTimeout bounds one callback attempt.
const callbackTimeout = 10 * time.Second

// ErrSignature is returned by [Verify] for a missing, malformed, stale or
// wrong signature.
var ErrSignature = errors.New("invalid callback signature")

// Sign returns the X-Downloader-Signature value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by secret>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature header against body: the HMAC must match and,
// when tolerance is positive, t must be within tolerance of now. Every
// failure wraps [ErrSignature].
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("parse signature header: %w", ErrSignature)
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(sec, 0)).Abs(); d > tolerance {
			return fmt.Errorf("check signature time: %s off: %w", d, ErrSignature)
		}
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("check signature: no match: %w", ErrSignature)
}

// callbackBody is what a callback POSTs: the job status and its summary.
type callbackBody struct {
	*Job
	Summary Summary `json:"summary"`
}

// errPermanent marks a callback answer that retrying cannot fix.
var errPermanent = errors.New("permanent callback failure")

// callback POSTs the ended job to its callback URL, retrying with
// exponential backoff.
func (m *Manager) callback(ctx context.Context, r *Record) {
	j := view(r)
	body, err := json.Marshal(callbackBody{Job: j, Summary: summarize(j, m.now())})
	if err != nil {
		m.log.ErrorContext(ctx, "jobs: encode callback", keyJob, r.ID, keyErr, err)
		return
	}
	secret := r.CallbackSecret
	if secret == "" {
		secret = m.o.CallbackSecret
	}
	delay := m.o.CallbackBackoff
	for try := 1; ; try++ {
		err := m.post(ctx, r.CallbackURL, secret, body)
		if err == nil {
			return
		}
		m.log.WarnContext(ctx, "jobs: send callback", keyJob, r.ID, keyTry, try, keyErr, err)
		if try >= m.o.CallbackTries || errors.Is(err, errPermanent) {
			return
		}
		if m.o.Sleep(ctx, delay) != nil {
			return
		}
		delay *= 2
	}
}

// post makes one callback attempt; a 2xx answer is success, a 5xx, 429 or
// transport error may be retried, any other answer is permanent.
func (m *Manager) post(ctx context.Context, target, secret string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, callbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build callback request: %w: %w", errPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "downloader-callback")
	if secret != "" {
		req.Header.Set(SignatureHeader, Sign(secret, m.o.Now(), body))
	}
	resp, err := m.o.Webhook.Do(req)
	if err != nil {
		switch problem.TypeOf(err) {
		case problem.URLBlocked, problem.Validation:
			// The SSRF policy refused the address: no retry can change that.
			return fmt.Errorf("post callback: %w: %w", errPermanent, err)
		}
		return fmt.Errorf("post callback: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 500 || c == http.StatusTooManyRequests:
		return fmt.Errorf("post callback: status %d", c)
	default:
		return fmt.Errorf("post callback: status %d: %w", c, errPermanent)
	}
}
