/**
 * `ec2-restore local`: run the emulator in the foreground until SIGINT/SIGTERM. It exports the
 * operator's credentials (local/README.md, IAM) and prints the administrator's as one comment line.
 */
import { startEmulator } from '@local/emulator';

export async function runLocal(options: {
  scenario?: string;
  port: number;
  clock?: 'event' | 'fixed';
  /** `--no-events`: without the stack's EventBridge rules and schedules (the janitor). */
  events?: boolean;
}): Promise<number> {
  const emulator = await startEmulator({
    scenario: options.scenario,
    port: options.port,
    // A person watches this one: the scenario's speed throughout unless asked otherwise.
    clockMode: options.clock,
    defaultClockMode: 'fixed',
    ...(options.events === false && { events: false }),
    onError: (message) => process.stderr.write(`emulator error: ${message}\n`),
  });
  process.stdout.write(`READY ${emulator.endpoint}\n`);
  // The exported key is the operator's (the stack's operator policy, as a person running the CLI
  // would have); the administrator's, which may do anything, is printed only as a comment.
  const { operator } = emulator.iam;
  const env = {
    ...emulator.clientEnv,
    ...(operator && {
      AWS_ACCESS_KEY_ID: operator.accessKeyId,
      AWS_SECRET_ACCESS_KEY: operator.secretAccessKey,
    }),
  };
  for (const [key, value] of Object.entries(env)) process.stdout.write(`export ${key}=${value}\n`);
  if (operator) {
    const admin = emulator.clientEnv;
    process.stdout.write(
      `# admin AWS_ACCESS_KEY_ID=${admin.AWS_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY=${admin.AWS_SECRET_ACCESS_KEY}\n`,
    );
  }
  process.stdout.write(
    `# REST API ${emulator.apiUrl} (ec2-restore start|status --via-api URL; read from the synthesised stack on its first request)\n`,
  );
  process.stdout.write(
    `# scenario ${emulator.world.scenario.name}, clock ${emulator.clock.mode === 'event' ? 'event (idle time skipped)' : `x${emulator.clock.speed}`}; Ctrl-C stops\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await emulator.stop();
  process.stderr.write('emulator stopped\n');
  return 0;
}
