module {{ service.name }}

go 1.24

require google.golang.org/grpc v1.72.0
