/**
 * Synthesises the template the emulator enforces for the built-in demo scenario into the disk
 * cache (./synthesised-stack.ts), so that the emulators a test run starts all find it there. The
 * jest global setup runs it once per run; a warm cache makes it a hash and a file check.
 */
import { join } from 'node:path';
import { loadScenarioFile } from '../scenario';
import { scenarioTemplate } from './emulated-iam';

const { milliseconds, cached } = scenarioTemplate(
  loadScenarioFile(join(__dirname, '..', 'scenarios', 'demo.json')),
);
process.stdout.write(
  `synthesised-stack cache: ${cached ? 'warm' : 'filled'} in ${(milliseconds / 1000).toFixed(1)} s\n`,
);
