package auth

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// ReloadFile reads the keys file at path, merges it with static (the keys
// from DOWNLOADER_API_KEYS and DOWNLOADER_KEY) and swaps the result in. On
// error the keyring keeps its old keys.
func (k *Keyring) ReloadFile(path string, static []Key) error {
	fromFile, err := LoadFile(path)
	if err != nil {
		return err
	}
	keys, err := Merge(static, fromFile)
	if err != nil {
		return fmt.Errorf("reload api keys: %w", err)
	}
	k.Reload(keys)
	return nil
}

// WatchSIGHUP re-reads the keys file at path into k (merged with static, as
// [Keyring.ReloadFile]) each time the process gets SIGHUP, until ctx is
// done. The signal is subscribed before WatchSIGHUP returns; the goroutine
// it starts ends with ctx. A bad file keeps the old keys and is logged at
// Error; a good one is logged at Info with the number of keys. With path ""
// it does nothing (SIGHUP keeps its default effect); a nil logger discards.
func WatchSIGHUP(
	ctx context.Context, path string, k *Keyring, logger *slog.Logger, static ...Key,
) {
	if path == "" {
		return
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := k.ReloadFile(path, static); err != nil {
					logger.ErrorContext(ctx, "api keys reload refused, old keys kept",
						slog.String("path", path), slog.Any("error", err))
					continue
				}
				logger.InfoContext(ctx, "api keys reloaded",
					slog.String("path", path), slog.Int("keys", k.Len()))
			}
		}
	}()
}
