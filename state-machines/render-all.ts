/** `npm run render-asl`: rewrites the committed ASL files from the constructs. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRestoreFleetAsl, renderRestoreInstanceAsl } from './render';

export const RENDERED_FILES = {
  'restore-instance/restore-instance.asl.json': renderRestoreInstanceAsl,
  'restore-fleet/restore-fleet.asl.json': renderRestoreFleetAsl,
} as const;

if (require.main === module) {
  for (const [file, render] of Object.entries(RENDERED_FILES)) {
    writeFileSync(join(__dirname, file), `${JSON.stringify(render(), null, 2)}\n`);
    console.log(`wrote state-machines/${file}`);
  }
}
