// Parses an AsyncAPI document with AsyncAPI's own parser (@asyncapi/parser, which resolves the
// document's relative $refs from its file's directory) and prints its diagnostics as one JSON
// document: [{severity, code, message, path}]. Severity follows Spectral: 0 error, 1 warning,
// 2 information, 3 hint. tests/test_published_schemas.py runs it and judges the output.
import { Parser, fromFile } from '@asyncapi/parser';

const file = process.argv[2];
if (!file) {
  console.error('usage: node validate.mjs ASYNCAPI_FILE');
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, file).parse();
const found = diagnostics.map((d) => ({
  severity: d.severity,
  code: String(d.code),
  message: d.message,
  path: d.path.join('/'),
}));
process.stdout.write(JSON.stringify({ parsed: document !== undefined, diagnostics: found }) + '\n');
