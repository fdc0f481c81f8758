package app_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"

	"jalon/internal/testapp"
	"jalon/internal/testtools"
)

// node runs an ES module script with the pinned npm packages of clients/
// (imports resolve from there) and returns its standard output.
func node(t *testing.T, script string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("node", append([]string{"--input-type=module", "-e", script, "--"}, args...)...)
	cmd.Dir = testtools.ClientsDir(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s\n%s", err, out, stderr.Bytes())
	}
	return out
}

// auditScript runs graphql-http's auditServer, the GraphQL-over-HTTP
// specification's own audit, against argv[1]. Audits that send no Accept
// header get argv[2] instead (unless it is "none"), so that every request
// shape is also checked under each media type a client may ask for.
const auditScript = `
import { auditServer } from 'graphql-http';
const [url, accept] = process.argv.slice(-2);
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (accept !== 'none' && !headers.has('accept')) headers.set('accept', accept);
  return fetch(input, { ...init, headers });
};
const results = await auditServer({ url, fetchFn });
const out = [];
for (const r of results) {
  let body = '';
  if (r.response) body = await r.response.text().catch(() => '(read)');
  out.push({ id: r.id, name: r.name, status: r.status, reason: r.reason || '', code: r.response ? r.response.status : 0, body });
}
console.log(JSON.stringify(out));
`

// TestGraphQLOverHTTPAudit runs the specification's audit against the real
// server: no MUST fails, no SHOULD warns, and the optional (MAY) behaviours
// Jalon chose — 400 for malformed parameters, 4xx for mutations over GET —
// hold too.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	t.Parallel()
	a := testapp.New(t)
	for _, accept := range []string{"application/json", "*/*", "none", "application/graphql-response+json"} {
		var results []struct {
			ID, Name, Status, Reason, Body string
			Code                           int
		}
		if err := json.Unmarshal(node(t, auditScript, a.URL+"/graphql", accept), &results); err != nil {
			t.Fatal(err)
		}
		if len(results) < 50 {
			t.Fatalf("Accept %s: only %d audits ran", accept, len(results))
		}
		for _, r := range results {
			// 80D8 checks the answer to a request without Accept: the
			// variants that add one change its premise.
			if r.ID == "80D8" && accept != "none" {
				continue
			}
			if r.Status != "ok" {
				t.Errorf("Accept %s: %s %s [%s]: %s (HTTP %d %s)", accept, r.ID, r.Name, r.Status, r.Reason, r.Code, r.Body)
			}
		}
	}
}
