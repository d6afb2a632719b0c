#!/usr/bin/env node
// oclif entry point for the `motion` bin. Commands are compiled to dist/ by `npm run build`
// (run automatically by `npm ci` / `npm install` through the `prepare` script).
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
