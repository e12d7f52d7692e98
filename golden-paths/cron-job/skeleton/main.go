// {{ service.name }}: {{ service.description }}
//
// Scaffolded by `paved new service` on golden path {{ goldenPath.name }} {{ goldenPath.version }}:
// a job that runs to completion on the schedule `{{ params.schedule }}` and
// exits 0 when it succeeded (anything else counts as a failure, retried
// up to the path's `backoffLimit`). JSON logs on stdout; Prometheus metrics
// on port {{ metrics.port }} at {{ metrics.path }} while the run lasts.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// processed counts the items of this run, for the metrics endpoint.
var processed atomic.Int64

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level()})))
	// Kubernetes sends SIGTERM when the run takes too long or is stopped.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	// The platform scrapes the port named `{{ metrics.name }}` while the run lasts;
	// whether runs succeed it knows from kube-state-metrics.
	metrics := http.NewServeMux()
	metrics.HandleFunc("{{ metrics.path }}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP job_items_processed_total Items this run processed.\n# TYPE job_items_processed_total counter\njob_items_processed_total %d\n", processed.Load())
	})
	server := &http.Server{Addr: ":{{ metrics.port }}", Handler: metrics, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = server.ListenAndServe() }()
	defer server.Close()

	started := time.Now()
	count, err := run(ctx)
	processed.Store(int64(count))
	if err != nil {
		slog.Error("run failed", "error", err, "processed", count)
		server.Close()
		os.Exit(1)
	}
	// The run's outcome, as one line the logs keep.
	slog.Info("run finished", "service", "{{ service.name }}", "processed", count, "seconds", time.Since(started).Seconds())
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
