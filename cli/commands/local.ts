/** `ec2-restore local`: run the emulator in the foreground until SIGINT/SIGTERM. */
import { startEmulator } from '@local/emulator';

export async function runLocal(options: {
  scenario?: string;
  port: number;
  clock?: 'event' | 'fixed';
}): Promise<number> {
  const emulator = await startEmulator({
    scenario: options.scenario,
    port: options.port,
    // A person watches this one: the scenario's speed throughout unless asked otherwise.
    clockMode: options.clock,
    defaultClockMode: 'fixed',
    onError: (message) => process.stderr.write(`emulator error: ${message}\n`),
  });
  process.stdout.write(`READY ${emulator.endpoint}\n`);
  for (const [key, value] of Object.entries(emulator.clientEnv))
    process.stdout.write(`export ${key}=${value}\n`);
  process.stdout.write(
    `# REST API ${emulator.apiUrl} (ec2-restore start|status --via-api URL; synthesised from the stack on its first request)\n`,
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
