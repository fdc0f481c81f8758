// Package reqinfo carries what the request log and the audit log need to know
// about a request through its context: the request id (X-Request-ID), and the
// caller and GraphQL operation once later layers have learned them.
package reqinfo

import (
	"context"

	"github.com/google/uuid"
)

// Info is filled in as the request goes through the layers.
type Info struct {
	ID        string
	UserID    uuid.UUID
	Operation string
}

type key struct{}

// Start returns ctx carrying a new Info with the given request id.
func Start(ctx context.Context, id string) (context.Context, *Info) {
	info := &Info{ID: id}
	return context.WithValue(ctx, key{}, info), info
}

// From returns the request's Info, or nil outside a request.
func From(ctx context.Context) *Info {
	info, _ := ctx.Value(key{}).(*Info)
	return info
}

// ID returns the request id, or "" outside a request.
func ID(ctx context.Context) string {
	if info := From(ctx); info != nil {
		return info.ID
	}
	return ""
}

// SetUser records the authenticated caller.
func SetUser(ctx context.Context, id uuid.UUID) {
	if info := From(ctx); info != nil {
		info.UserID = id
	}
}

// SetOperation records the GraphQL operation name.
func SetOperation(ctx context.Context, name string) {
	if info := From(ctx); info != nil {
		info.Operation = name
	}
}
