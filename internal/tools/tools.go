//go:build tools

// Package tools pins the product's dependencies that no package imports yet,
// so that go.mod keeps them at the versions the design card fixes.
package tools

import (
	_ "github.com/asynkron/protoactor-go/actor"
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "go.opentelemetry.io/otel/trace"
)
