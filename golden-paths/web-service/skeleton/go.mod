module {{ service.name }}

go 1.24
