package graph

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/rs/zerolog"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"jalon/graph/generated"
	"jalon/internal/apperr"
	"jalon/internal/auth"
	"jalon/internal/config"
)

// ServerOptions are what NewServer needs besides the resolver.
type ServerOptions struct {
	Limits config.GraphQLConfig
	// Production turns introspection and field suggestions off.
	Production bool
	// Authenticate checks the access token of a websocket's init payload.
	Authenticate func(ctx context.Context, token string) (auth.Principal, error)
	// Recheck checks again, during a subscription, that the websocket's
	// caller is still active and their session not revoked (auth.Recheck).
	Recheck func(ctx context.Context, p auth.Principal) (auth.Principal, error)
	// WebsocketOrigins are extra origins allowed to open subscriptions.
	WebsocketOrigins []string
}

// NewServer builds the GraphQL handler: transports, limits checked before
// execution, automatic persisted queries, and the error presenter.
func NewServer(r *Resolver, o ServerOptions) *handler.Server {
	cfg := generated.Config{Resolvers: r}
	if _, err := countFirst(&cfg.Complexity, generated.NewExecutableSchema(cfg).Schema()); err != nil {
		// The schema and the generated code disagree: a build problem.
		panic(err)
	}
	srv := handler.New(generated.NewExecutableSchema(cfg))

	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: websocket.AcceptOptions{OriginPatterns: o.WebsocketOrigins},
		},
		InitFunc: websocketInit(o.Authenticate, o.Recheck),
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: o.Limits.MaxUploadBytes + 1<<20, MaxMemory: 1 << 20})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(o.Limits.MaxTokens)
	srv.SetDisableSuggestion(o.Production)
	if o.Production {
		srv.SetValidationRulesFn(rulesWithoutSuggestions)
	}
	if !o.Production {
		srv.Use(extension.Introspection{})
	}
	srv.Use(operationName{})
	// A websocket is authenticated once; each operation over it checks its
	// caller again (logout or deactivation since then leaves it anonymous).
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		ctx, err := auth.Rechecked(ctx)
		if err != nil {
			zerolog.Ctx(ctx).Error().Err(err).Msg("recheck websocket caller")
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{Message: "internal error",
				Extensions: map[string]any{"code": string(apperr.Internal)}}}})
		}
		return next(ctx)
	})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](o.Limits.APQCacheSize)})
	// After APQ (which puts the query in place), before gqlgen validates.
	srv.Use(DocumentLimits{MaxTokens: o.Limits.MaxTokens, MaxSelections: o.Limits.MaxSelections,
		MaxSelectionsPerSet: o.Limits.MaxSelectionsPerSet, MaxDirectives: o.Limits.MaxDirectives,
		MaxArguments: o.Limits.MaxArguments})
	srv.AroundResponses(capErrors(o.Limits.MaxErrors))
	// Our limits first: they are linear in the document and bound the work
	// of gqlgen's complexity walker, which expands every fragment spread.
	srv.Use(Limits{MaxDepth: o.Limits.MaxDepth, MaxAliases: o.Limits.MaxAliases,
		MaxFields: o.Limits.MaxComplexity, NoIntrospection: o.Production})
	srv.Use(extension.FixedComplexityLimit(o.Limits.MaxComplexity))

	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		zerolog.Ctx(ctx).Error().Str("panic", fmt.Sprint(v)).Stack().Msg("resolver panic")
		return errors.New("internal error")
	})
	return srv
}

// presentError gives every error an extensions.code. Domain errors show their
// safe message; anything else is logged with the request id and shown as
// "internal error" so nothing of its cause reaches the client.
func presentError(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	if e, ok := apperr.As(err); ok {
		gqlErr.Message = e.Message
		ext := map[string]any{"code": string(e.Code)}
		if e.Field != "" {
			ext["field"] = e.Field
		} else if e.Code == apperr.ValidationFailed && len(gqlErr.Path) > 0 {
			// An argument that failed to parse: its path ends with its name.
			if name, ok := gqlErr.Path[len(gqlErr.Path)-1].(ast.PathName); ok {
				ext["field"] = string(name)
			}
		}
		for k, v := range e.Extensions {
			ext[k] = v
		}
		gqlErr.Extensions = ext
		return gqlErr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		gqlErr.Message = "request timed out"
		gqlErr.Extensions = map[string]any{"code": string(apperr.Internal)}
		return gqlErr
	}
	var parsed *gqlerror.Error
	if errors.As(err, &parsed) && parsed.Err == nil {
		// Parse and validation errors of the document itself, and input
		// coercion errors: the client's fault, and their message is safe.
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		if _, ok := gqlErr.Extensions["code"]; !ok || gqlErr.Extensions["code"] == "GRAPHQL_VALIDATION_FAILED" || gqlErr.Extensions["code"] == "GRAPHQL_PARSE_FAILED" {
			gqlErr.Extensions["code"] = string(apperr.ValidationFailed)
		}
		return gqlErr
	}
	zerolog.Ctx(ctx).Error().Err(err).Str("path", gqlErr.Path.String()).Msg("internal error")
	return &gqlerror.Error{
		Message:    "internal error",
		Path:       gqlErr.Path,
		Extensions: map[string]any{"code": string(apperr.Internal)},
	}
}

// websocketInit authenticates a subscription from its init payload
// ({"authToken": "..."} or {"Authorization": "Bearer ..."}), and leaves in
// the connection's context how to check that caller again later.
func websocketInit(authenticate func(context.Context, string) (auth.Principal, error),
	recheck func(context.Context, auth.Principal) (auth.Principal, error)) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		token := payload.GetString("authToken")
		if token == "" {
			if h, ok := auth.BearerToken(payload.Authorization()); ok {
				token = h
			}
		}
		if token == "" || authenticate == nil {
			return ctx, nil, apperr.ErrUnauthenticated
		}
		p, err := authenticate(ctx, token)
		if err != nil {
			return ctx, nil, apperr.ErrUnauthenticated
		}
		ctx = auth.WithPrincipal(ctx, p)
		if recheck != nil {
			ctx = auth.WithRecheck(ctx, recheck)
		}
		return ctx, nil, nil
	}
}
