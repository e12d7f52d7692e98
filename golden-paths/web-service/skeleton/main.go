// {{ service.name }}: {{ service.description }}
//
// Scaffolded by `paved new service` on golden path {{ goldenPath.name }} {{ goldenPath.version }}:
// HTTP on port {{ ports.http }}, the probes the golden path calls
// ({{ health.readiness }} and {{ health.liveness }}), Prometheus metrics on
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

	app := http.NewServeMux()
	app.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		fmt.Fprintln(w, "hello from {{ service.name }}")
	})
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
		fmt.Fprintf(w, "# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\nhttp_requests_total %d\n", requests.Load())
	})

	servers := []*http.Server{
		newServer(":{{ ports.http }}", app),
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
	slog.Info("started", "service", "{{ service.name }}", "port", {{ ports.http }})

	// Stop on SIGTERM: leave the load balancer first, then drain.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	ready.Store(false)
	time.Sleep(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, server := range servers {
		_ = server.Shutdown(ctx)
	}
	slog.Info("stopped")
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
