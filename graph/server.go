package graph

import (
	"context"
	"errors"
	"fmt"

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
	"jalon/internal/clock"
	"jalon/internal/config"
	"jalon/internal/gqlhttp"
	"jalon/internal/reqinfo"
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
	// Websocket caps and times the subscriptions' websockets.
	Websocket config.WebsocketConfig
	// Clock times the websockets' deadlines.
	Clock clock.Clock
	// RetryLater recognises errors worth the same request later (the
	// database unreachable or busy: UNAVAILABLE, 503); internal/app sets
	// postgres.RetryLater, so graph/ does not know the database.
	RetryLater func(error) bool
	// Tracing, when tracing is on, starts the spans of operations and
	// resolvers (tracing.Tracing.GraphQL); installed first, so an
	// operation's span contains the other extensions' work.
	Tracing graphql.HandlerExtension
}

// PlainFieldsPassThrough is what a field interceptor (an extension
// implementing graphql.FieldInterceptor) must declare: it lets fields
// without a resolver through untouched. The generated code marshals plain
// fields (struct fields of scalar types, see graph/gen) without calling the
// interceptors, so an interceptor that needed them would silently miss
// them; NewServer refuses one that does not declare this.
type PlainFieldsPassThrough interface{ PassesPlainFields() }

// Server is the GraphQL handler (gqlgen's) and the websockets it holds.
type Server struct {
	*handler.Server
	sockets *sockets
}

// CloseWebsockets closes every subscription's websocket with 1012 (Service
// Restart) and waits until they are gone or ctx ends; websockets opened from
// then on are closed at once. A process calls it when it shuts down, after
// it stopped accepting connections: graphql-ws clients reconnect (through
// the load balancer, to another process) and subscribe again.
func (s *Server) CloseWebsockets(ctx context.Context) { s.sockets.shutdown(ctx) }

// NewServer builds the GraphQL handler: transports, limits checked before
// execution, automatic persisted queries, and the error presenter.
func NewServer(r *Resolver, o ServerOptions) *Server {
	// Served and introspected: the schema without @defer (PublicSchema).
	cfg := generated.Config{Resolvers: r, Schema: PublicSchema()}
	if _, err := countFirst(&cfg.Complexity, generated.NewExecutableSchema(cfg).Schema()); err != nil {
		// The schema and the generated code disagree: a build problem.
		panic(err)
	}
	countNodes(&cfg.Complexity)
	srv := handler.New(generated.NewExecutableSchema(cfg))

	sockets := newSockets(o.Websocket, o.Clock)
	// A websocket message is held to the JSON body limit (gqlgen's default
	// is 1 MB, even before connection_init authenticates anyone).
	payloadLimit := o.Limits.MaxBodyBytes
	srv.AddTransport(sockets.transport(transport.Websocket{
		PayloadReadLimit: &payloadLimit,
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: websocket.AcceptOptions{OriginPatterns: o.WebsocketOrigins},
		},
		InitFunc: websocketInit(o.Authenticate, sockets.closingRecheck(o.Recheck)),
	}))
	srv.AddTransport(gqlhttp.Multipart{MultipartForm: transport.MultipartForm{MaxUploadSize: o.Limits.MaxUploadBytes + 1<<20, MaxMemory: 1 << 20}})
	// GET, JSON POST and every other plain request, by the GraphQL-over-HTTP
	// specification: last, it takes what the transports above do not.
	srv.AddTransport(gqlhttp.Transport{})

	if o.Tracing != nil {
		if _, ok := o.Tracing.(graphql.FieldInterceptor); ok {
			if _, ok := o.Tracing.(PlainFieldsPassThrough); !ok {
				panic("graph: a field interceptor must let plain fields through (see PlainFieldsPassThrough)")
			}
		}
		srv.Use(o.Tracing)
	}
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
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{presentError(ctx, err, o.RetryLater)}})
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

	srv.SetErrorPresenter(errorPresenter(o.RetryLater))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		zerolog.Ctx(ctx).Error().Str("panic", fmt.Sprint(v)).Stack().Msg("resolver panic")
		return errors.New("internal error")
	})
	return &Server{Server: srv, sockets: sockets}
}

// presentError gives every error an extensions.code. Domain errors show their
// safe message; anything else is logged with the request id and shown as
// "internal error" so nothing of its cause reaches the client. Errors of the
// document itself keep gqlgen's (Apollo's) codes, GRAPHQL_PARSE_FAILED and
// GRAPHQL_VALIDATION_FAILED, and variables that do not coerce answer
// BAD_USER_INPUT: VALIDATION_FAILED is for the business rules of an input.
func errorPresenter(retryLater func(error) bool) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error { return presentError(ctx, err, retryLater) }
}

func presentError(ctx context.Context, err error, retryLater func(error) bool) *gqlerror.Error {
	if retryLater != nil && retryLater(err) {
		// Retry later (HTTP 503, see httpserver.UnavailableStatus).
		zerolog.Ctx(ctx).Warn().Err(err).Msg("database unreachable or busy: retry later")
		reqinfo.MarkUnavailable(ctx)
		err = apperr.ErrUnavailable
	}
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	if e, ok := apperr.As(err); ok {
		gqlErr.Message = e.Message
		ext := map[string]any{"code": string(e.Code)}
		arg, isArg := argumentError(ctx, gqlErr)
		if e.Field != "" {
			ext["field"] = e.Field
		} else if isArg && arg != "" {
			ext["field"] = arg
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
		switch gqlErr.Extensions["code"] {
		case string(apperr.DocumentInvalid):
			if len(gqlErr.Path) > 0 && gqlErr.Path[0] == ast.PathName("variable") {
				// gqlparser's variable coercion: its path (variable.x)
				// is no response path; the message names the variable.
				gqlErr.Extensions["code"] = string(apperr.BadUserInput)
				gqlErr.Message = fmt.Sprintf("variable $%s: %s", gqlErr.Path[1:], gqlErr.Message)
				gqlErr.Path = nil
			}
		case "COMPLEXITY_LIMIT_EXCEEDED": // extension.FixedComplexityLimit's
			// gqlgen's complexity budget: a limit of the document, answered
			// like the other limits.
			gqlErr.Extensions["code"] = string(apperr.DocumentInvalid)
			gqlErr.Extensions["limit"] = "complexity"
		case nil:
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

// argumentError recognises an error raised while coercing a field's
// arguments (a Date or ID that does not parse): gqlgen continues the field's
// response path into the argument (createLogEntry.input.date). It cuts the
// path back to the response path, points the error at the field in the
// document, and returns the argument's innermost name ("date").
func argumentError(ctx context.Context, e *gqlerror.Error) (string, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return "", false
	}
	field := fc.Path()
	if len(e.Path) <= len(field) || e.Path[:len(field)].String() != field.String() {
		return "", false
	}
	if _, named := e.Path[len(field)].(ast.PathName); !named {
		// A list index (nodes.3): a resolver's error about one element of
		// its result, already at its response path.
		return "", false
	}
	name := ""
	for _, el := range e.Path[len(field):] {
		if n, ok := el.(ast.PathName); ok {
			name = string(n)
		}
	}
	e.Path = field
	if pos := fc.Field.Position; len(e.Locations) == 0 && pos != nil {
		e.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return name, true
}
