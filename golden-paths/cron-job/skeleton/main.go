// {{ service.name }}: {{ service.description }}
//
// Scaffolded by `paved new service` on golden path {{ goldenPath.name }} {{ goldenPath.version }}:
// a job that runs to completion on the schedule `{{ params.schedule }}` and
// exits 0 when it succeeded (anything else counts as a failure, retried
// up to the path's `backoffLimit`). JSON logs on stdout.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level()})))
	// Kubernetes sends SIGTERM when the run takes too long or is stopped.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	started := time.Now()
	processed, err := run(ctx)
	if err != nil {
		slog.Error("run failed", "error", err, "processed", processed)
		os.Exit(1)
	}
	// The run's outcome, as one line a log-based metric can count.
	slog.Info("run finished", "service", "{{ service.name }}", "processed", processed, "seconds", time.Since(started).Seconds())
}

// run does one run's work. Replace it with the job's own.
func run(ctx context.Context) (int, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(time.Second):
		return 1, nil
	}
}

func level() slog.Level {
	switch strings.ToLower(os.Getenv("LOG_LEVEL")) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
