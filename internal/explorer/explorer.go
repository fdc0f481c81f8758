// Package explorer serves the GraphiQL explorer page (development mode only)
// with its JavaScript and CSS embedded in the binary, so it works offline.
package explorer

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
)

//go:embed assets
var assets embed.FS

// Prefix is where the assets are served.
const Prefix = "/explorer/assets/"

// Page returns the explorer page for a GraphQL endpoint. The SRI hashes are
// those gqlgen pins for the same npm releases (graphiql 4.1.2, react 18.2.0).
func Page(endpoint string) http.HandlerFunc {
	return playground.Handler("Jalon GraphQL", endpoint,
		playground.WithGraphiqlVersion(Prefix+"graphiql.min.js", Prefix+"graphiql.min.css",
			"sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs=",
			"sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU="),
		playground.WithGraphiqlReactVersion(Prefix+"react.production.min.js", Prefix+"react-dom.production.min.js",
			"sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY=",
			"sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc="),
		playground.WithGraphiqlEnablePluginExplorer(false),
	)
}

// Assets serves the embedded files under Prefix.
func Assets() http.Handler {
	sub, _ := fs.Sub(assets, "assets")
	return http.StripPrefix(Prefix, http.FileServer(http.FS(sub)))
}
