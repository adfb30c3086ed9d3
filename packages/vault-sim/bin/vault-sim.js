#!/usr/bin/env node
// Node 24 strips the TypeScript types of the source at load time; no build step is needed.
import '../src/cli.ts'
