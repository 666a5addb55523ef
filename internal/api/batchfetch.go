package api

import (
	"context"
	"encoding/base64"
	"time"
	"unicode/utf8"

	"downloader/internal/cache"
	"downloader/internal/download"
	"downloader/internal/jobs"
	"downloader/internal/problem"
)

// BatchFetcher runs one batch entry through the same pipeline as a
// single download: same SSRF guard, cache, limits and conversions. A
// failure is the entry's result, never the batch's. timeout bounds an
// entry that sets none (fetch and conversion).
func BatchFetcher(svc *download.Service, maxBody int64, timeout time.Duration) jobs.Fetcher {
	return func(ctx context.Context, t jobs.Task) jobs.Result {
		start := time.Now()
		res := jobs.Result{ID: t.Entry.ID, URL: t.Entry.URL, Format: t.Format}
		if t.Entry.Timeout <= 0 {
			t.Entry.Timeout = timeout
		}
		if err := fillResult(ctx, svc, maxBody, t, &res); err != nil {
			p := problem.From(err)
			res.Success = false
			res.ErrorType, res.Error = string(p.Type), p.Detail
			if res.StatusCode == 0 {
				res.StatusCode = p.UpstreamStatus
			}
			res.Content, res.ContentEncoding = "", ""
		}
		res.DurationMS = time.Since(start).Milliseconds()
		return res
	}
}

func fillResult(ctx context.Context, svc *download.Service, maxBody int64, t jobs.Task,
	res *jobs.Result) error {
	u, err := ParseTarget(t.Entry.URL)
	if err != nil {
		return err
	}
	f, err := download.ParseFormat(t.Format)
	if err != nil {
		return err
	}
	if t.Entry.Timeout > 0 {
		// The entry's timeout bounds the conversion as well as the fetch.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.Entry.Timeout)
		defer cancel()
	}
	src, err := svc.Open(ctx, download.Request{URL: u, Timeout: t.Entry.Timeout,
		Buffered: true, Directive: cache.Directive{}})
	if err != nil {
		return err
	}
	defer src.Close()
	body, err := download.ReadBody(src, maxBody)
	if err != nil {
		return err
	}
	res.FinalURL, res.StatusCode, res.ContentType = src.FinalURL, src.Status, src.ContentType
	res.Size = int64(len(body))
	page := svc.Page(src)
	if f == download.Raw {
		res.Content, res.ContentEncoding = encodeContent(page)
		res.Success = true
		return nil
	}
	out, err := svc.Render(ctx, page, f)
	if err != nil {
		return err
	}
	res.Content, res.ContentEncoding = string(out), "utf-8"
	res.Success = true
	return nil
}

// encodeContent is text as UTF-8, anything else base64.
func encodeContent(p *download.Page) (string, string) {
	if p.Kind.IsTextual() && utf8.Valid(p.UTF8) {
		return string(p.UTF8), "utf-8"
	}
	return base64.StdEncoding.EncodeToString(p.Src.Body), "base64"
}
