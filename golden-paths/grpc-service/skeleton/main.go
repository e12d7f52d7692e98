// {{ service.name }}: {{ service.description }}
//
// Scaffolded by `paved new service` on golden path {{ goldenPath.name }} {{ goldenPath.version }}:
// gRPC on port {{ ports.grpc }} with the standard health service (the
// golden path's probes call it), Prometheus metrics on port
// {{ metrics.port }} at {{ metrics.path }}, JSON logs on stdout.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

var calls atomic.Int64

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level()})))

	server := grpc.NewServer(grpc.UnaryInterceptor(count))
	checks := health.NewServer()
	healthpb.RegisterHealthServer(server, checks)
	// Register this service's own gRPC services here.

	listener, err := net.Listen("tcp", ":{{ ports.grpc }}")
	if err != nil {
		slog.Error("cannot listen", "error", err)
		os.Exit(1)
	}
	go func() {
		if err := server.Serve(listener); err != nil {
			slog.Error("server failed", "error", err)
			os.Exit(1)
		}
	}()

	metrics := http.NewServeMux()
	metrics.HandleFunc("{{ metrics.path }}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP grpc_calls_total Calls served.\n# TYPE grpc_calls_total counter\ngrpc_calls_total %d\n", calls.Load())
	})
	go func() {
		server := &http.Server{Addr: ":{{ metrics.port }}", Handler: metrics, ReadHeaderTimeout: 5 * time.Second}
		_ = server.ListenAndServe()
	}()

	checks.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	slog.Info("started", "service", "{{ service.name }}", "port", {{ ports.grpc }})

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, os.Interrupt)
	<-stop
	// Stop taking calls, finish those in flight.
	checks.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	server.GracefulStop()
	slog.Info("stopped")
}

func count(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	calls.Add(1)
	return handler(ctx, req)
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
