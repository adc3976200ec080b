// Validates an OpenAPI document with @readme/openapi-parser (npm, installed by
// tools/deps.sh --test into third_party/node): the OpenAPI 3.1 JSON Schema plus the
// parser's own rules (unique operationIds, path parameters declared, $refs resolved).
//
//   node validate_openapi.mjs <openapi.json>
// Exits 0 and prints "ok <n> paths" when valid; 1 with the validator's errors otherwise.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(new URL('../../third_party/node/package.json', import.meta.url));
const { validate } = require('@readme/openapi-parser');

const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const result = await validate(structuredClone(doc));
if (!result.valid) {
  console.log('FAIL invalid OpenAPI document:');
  console.log(JSON.stringify(result.errors, null, 2).slice(0, 6000));
  if (result.warnings?.length) console.log(JSON.stringify(result.warnings, null, 2).slice(0, 2000));
  process.exit(1);
}
if (!String(doc.openapi).startsWith('3.1.')) {
  console.log(`FAIL openapi is ${doc.openapi}, not 3.1.x`);
  process.exit(1);
}
console.log(`ok ${Object.keys(doc.paths).length} paths` +
  (result.warnings?.length ? `, ${result.warnings.length} warnings` : ''));
