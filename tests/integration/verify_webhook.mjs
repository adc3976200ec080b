// Independent check of tock's Standard Webhooks signature, with the public `standardwebhooks`
// library (npm) rather than tock's own code.
//
//   node verify_webhook.mjs <case.json>
//   case.json: {"secret": "whsec_...", "headers": {"webhook-id": "...", ...}, "body": "..."}
//
// Exits 0 when Webhook(secret).verify(body, headers) accepts, 1 when it throws (the reason
// goes to stderr), 2 on a usage error.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { Webhook } = require('../../third_party/node/node_modules/standardwebhooks');

if (process.argv.length !== 3) {
  console.error('usage: node verify_webhook.mjs <case.json>');
  process.exit(2);
}
let c;
try {
  c = JSON.parse(readFileSync(process.argv[2], 'utf8'));
} catch (e) {
  console.error(`cannot read case: ${e.message}`);
  process.exit(2);
}
try {
  // jsonParse: false, so a non-JSON body is judged on its signature alone.
  new Webhook(c.secret).verify(c.body, c.headers, { jsonParse: false });
  console.log('verified');
  process.exit(0);
} catch (e) {
  console.error(`rejected: ${e.name}: ${e.message}`);
  process.exit(1);
}
