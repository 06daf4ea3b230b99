#!/usr/bin/env node
// Entry point of the operator CLI: registers tsx so the TypeScript sources run as they are.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every Node 20 start that future releases will need Node 22; the CLI
// pins its SDK versions, so the notice is noise in the output operators read.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === 'string' ? warning : warning?.message ?? '';
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'NodeVersionSupportWarning' || /NodeVersionSupportWarning/.test(text)) return;
  emitWarning(warning, ...rest);
};

register();
await import('../cli/main.ts');
