#!/usr/bin/env -S node --max-semi-space-size=64
// Entry point of the operator CLI: registers tsx so the TypeScript sources run as they are.
// A larger young generation (--max-semi-space-size, MiB) cuts garbage-collection time of the
// simulator, which allocates heavily per DynamoDB call (measured ~20% faster on a half-day replay).
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every Node 20 start that its future releases will need Node 22; the CLI
// pins its SDK versions, so the notice is noise in the output operators read.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../cli/main.ts');
