module github.com/omnistack/omnistack/bench

go 1.26.0

replace github.com/omnistack/omnistack => ../

require (
	github.com/google/uuid v1.6.0
	github.com/omnistack/omnistack v0.0.0-00010101000000-000000000000
)

require github.com/rs/cors v1.11.1 // indirect
