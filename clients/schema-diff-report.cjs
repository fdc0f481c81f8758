// graphql-inspector diff --onComplete handler (internal/apischema): writes
// every change the diff found, as JSON, to the file named by
// JALON_SCHEMA_DIFF_OUT, and fails on none of them (the Go side decides).
const fs = require('node:fs');

module.exports = function report({ breakingChanges, dangerousChanges, nonBreakingChanges }) {
  const all = [...breakingChanges, ...dangerousChanges, ...nonBreakingChanges].map((c) => ({
    type: c.type,
    message: c.message,
    path: c.path ?? '',
    criticality: c.criticality.level,
  }));
  fs.writeFileSync(process.env.JALON_SCHEMA_DIFF_OUT, JSON.stringify(all));
};
