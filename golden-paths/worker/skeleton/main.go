// {{ service.name }}: {{ service.description }}
//
// Scaffolded by `paved new service` on golden path {{ goldenPath.name }} {{ goldenPath.version }}:
// a loop that takes jobs, the probes the golden path calls on port
// {{ health.port }} ({{ health.readiness }} and {{ health.liveness }}), Prometheus metrics on
// port {{ metrics.port }} at {{ metrics.path }}, JSON logs on stdout.
package main

import (
	"context"
	"errors"
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

var (
	requests atomic.Int64
	ready    atomic.Bool
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level()})))

	// The work: take jobs from the queue until told to stop.
	done := make(chan struct{})
	go work(done)

	app := http.NewServeMux()
	// Readiness: may this pod take traffic? False while starting and stopping.
	app.HandleFunc("{{ health.readiness }}", func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	// Liveness: is the process healthy? A failure restarts the pod.
	app.HandleFunc("{{ health.liveness }}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})

	metrics := http.NewServeMux()
	metrics.HandleFunc("{{ metrics.path }}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP jobs_processed_total Jobs processed.\n# TYPE jobs_processed_total counter\njobs_processed_total %d\n", requests.Load())
	})

	servers := []*http.Server{
		newServer(":{{ health.port }}", app),
		newServer(":{{ metrics.port }}", metrics),
	}
	for _, server := range servers {
		go func(server *http.Server) {
			if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				slog.Error("server failed", "addr", server.Addr, "error", err)
				os.Exit(1)
			}
		}(server)
	}
	ready.Store(true)
	slog.Info("started", "service", "{{ service.name }}", "health port", {{ health.port }})

	// Stop on SIGTERM: leave the load balancer first, then drain.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	ready.Store(false)
	close(done)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, server := range servers {
		_ = server.Shutdown(ctx)
	}
	slog.Info("stopped")
}

// work takes one job at a time until done is closed. Replace the ticker
// with the queue this worker consumes.
func work(done <-chan struct{}) {
	ticker := time.NewTicker(10 * time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-done:
			return
		case <-ticker.C:
			requests.Add(1)
			slog.Debug("job done")
		}
	}
}

func newServer(addr string, handler http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
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
