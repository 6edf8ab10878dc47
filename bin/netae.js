#!/usr/bin/env node
try {
  await import('../dist/node/netae.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/node/netae.js')) {
    process.stderr.write('netae: the Node bundle is missing; run `npm run build:node` (npm ci does it)\n');
    process.exit(1);
  }
  throw error;
}
