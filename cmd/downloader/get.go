package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"downloader/internal/api"
	"downloader/internal/cache"
	"downloader/internal/config"
	"downloader/internal/download"
	"downloader/internal/problem"
)

// get runs the pipeline once, without a server, with the same safety
// rules, and prints the result on stdout.
func get(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config.Config
	fs := newFlags(&c, "get")
	format := fs.StringP("format", "f", "raw", "raw, text, markdown, html or json")
	if err := loadConfig(fs, &c, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: get takes one URL", errUsage)
	}
	f, err := download.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	u, err := api.ParseTarget(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	guard := newGuard(&c, hooks{})
	svc := newDownload(&c, newFetcher(&c, guard, hooks{}), nil, cache.Options{})
	src, err := svc.Open(ctx, download.Request{URL: u, Buffered: f != download.Raw})
	if err != nil {
		return describe(err)
	}
	defer src.Close()
	if f == download.Raw {
		if src.Stream != nil {
			_, err = io.Copy(stdout, src.Stream)
			return describe(err)
		}
		_, err = stdout.Write(src.Body)
		return err
	}
	return printConverted(ctx, stdout, src, f, int64(c.MaxBody))
}

func printConverted(ctx context.Context, w io.Writer, src *download.Source,
	f download.Format, limit int64) error {
	if _, err := download.ReadBody(src, limit); err != nil {
		return describe(err)
	}
	page := download.NewPage(src) // inline, unbounded: one page
	if f == download.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(page.Envelope(nil))
	}
	body, err := page.Render(ctx, f)
	if err != nil {
		return describe(err)
	}
	if len(body) > 0 && body[len(body)-1] != '\n' {
		body = append(body, '\n') // a terminal wants the last line ended
	}
	_, err = w.Write(body)
	return err
}

// describe turns a pipeline failure into the one line a terminal user
// needs: the error type and the client-safe detail.
func describe(err error) error {
	if err == nil {
		return nil
	}
	p := problem.From(err)
	return fmt.Errorf("%s (%d): %s", p.Type, p.HTTPStatus(), p.Detail)
}
