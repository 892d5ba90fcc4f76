/**
 * `ec2-restore report`: one self-contained HTML file, rendered in headless Chromium, whose
 * screenshot must show every phase's bar where the SVG puts it (pixel colours, not just markup).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAILED_COLOR, PHASES } from '@cli/timeline';
import { screenshot } from '@test/helpers/cli-chromium';
import { DURATION } from '@test/helpers/cli-format';
import { decodePng, findColour, hexToRgb } from '@test/helpers/cli-png';
import { type CliEmulator, runCli, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
import { executionClosed } from '@test/helpers/execution-closed';
import { DEMO } from '@test/helpers/scenarios';
import { scratchDir } from '@test/helpers/scratch';

const dir = scratchDir('ec2-restore-report-');
const restore = ['--instance-id', DEMO.instance, '--ssh-port', '2222', '--json'];

interface Bar {
  readonly phase: string;
  readonly x: number;
  readonly width: number;
  readonly height: number;
  readonly fill: string;
}

/** The bars as the SVG declares them. */
function barsIn(html: string): Bar[] {
  return [
    ...html.matchAll(
      /<rect class="bar" data-phase="(\w+)" x="(\d+)" y="\d+" width="(\d+)" height="(\d+)" fill="(#[0-9a-f]{6})"/g,
    ),
  ].map(([, phase = '', x, width, height, fill = '']) => ({
    phase,
    x: Number(x),
    width: Number(width),
    height: Number(height),
    fill,
  }));
}

/** Every URL in the page is a link or the SVG namespace: nothing is fetched to show it. */
function fetchedResources(html: string): string[] {
  const urls = [...html.matchAll(/(\w+)="(https?:\/\/[^"]*)"/g)].filter(
    ([, attribute, url]) =>
      !(attribute === 'href' || (attribute === 'xmlns' && url === 'http://www.w3.org/2000/svg')),
  );
  const tags = html.match(/<script|<link|<img|<iframe|@import|url\(/g) ?? [];
  return [...urls.map(([match]) => match), ...tags];
}

async function startAndFinish(world: CliEmulator): Promise<{ executionArn: string; name: string }> {
  const started = JSON.parse((await runInProcess(['start', ...restore], { env: world.env })).stdout);
  await executionClosed(world.emulator, started.executionArn);
  return started;
}

describe('the report of a successful restore', () => {
  let world: CliEmulator;
  let html: string;
  let file: string;
  let name: string;
  let printed: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    // A fixed clock gives each step the simulated time its real work takes, as on AWS, so every
    // phase has a width to draw; the event clock would fold the quick ones into one instant.
    world = await startCliEmulator({ clock: { speed: 600, mode: 'fixed' } });
    ({ name } = await startAndFinish(world));
    file = join(dir, 'restored.html');
    printed = await runCli(['report', name, '--out', file], world.env);
    html = readFileSync(file, 'utf8');
  });

  afterAll(() => world.stop());

  it('is written where --out says, and the path is printed', () => {
    expect(printed).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^Wrote the report of restore-i-0de00000000000001-\S+ \(SUCCEEDED\) to /),
      stderr: '',
    });
    expect(printed.stdout.trim().endsWith(file)).toBe(true);
  });

  it('is self-contained: inline CSS and SVG, nothing to fetch', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).toContain('<svg class="timeline"');
    expect(fetchedResources(html)).toEqual([]);
  });

  it('states RPO and RTO and has the summary table', () => {
    expect(html).toMatch(new RegExp(`RPO: recovery point age</span><strong>${DURATION}</strong>`));
    expect(html).toMatch(new RegExp(`RTO: total restore time</span><strong>${DURATION}</strong>`));
    expect(html).toMatch(new RegExp(`<th>total \\(RTO\\)</th><td>${DURATION}</td>`));
    expect(html).toContain('<th>instance profile</th><td>associated');
  });

  it('draws ResolveSource and PlanRestore between selecting the point and the restore job, labelled', () => {
    const bars = barsIn(html);
    const [select, source, plan, restoreJob] = ['select', 'source', 'plan', 'restoreJob'].map((phase) =>
      bars.find((b) => b.phase === phase),
    );

    expect(html).toMatch(/<text class="label"[^>]*>Resolve source<\/text>/);
    expect(html).toMatch(/<text class="label"[^>]*>Plan and start job<\/text>/);
    // Each starts where the one before it ended (a pixel or two of rounding), so no unlabelled gap is left.
    const end = (b: Bar | undefined) => (b?.x ?? 0) + (b?.width ?? 0);
    expect(source?.x).toBeGreaterThanOrEqual(end(select) - 3);
    expect(plan?.x).toBeGreaterThanOrEqual((source?.x ?? 0) + 1);
    expect(restoreJob?.x).toBeGreaterThanOrEqual(end(plan) - 3);
    expect(Math.abs((restoreJob?.x ?? 0) - end(plan))).toBeLessThanOrEqual(3);
  });

  it("says the footer's generated time is this computer's clock, unlike every other time on the page", () => {
    const footer = /<footer>([\s\S]*?)<\/footer>/.exec(html)?.[1] ?? '';

    expect(footer).toMatch(
      /Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC by this computer&#39;s clock; every other time on this page is the execution&#39;s own, from its history \(simulated when it ran on the emulator\)\./,
    );
  });

  it('draws every phase as a bar on the time axis, in the order the phases ran', async () => {
    const png = join(dir, 'restored.png');
    await screenshot(file, png);
    const image = decodePng(readFileSync(png));
    const bars = barsIn(html);

    expect(bars.map((b) => b.phase)).toEqual(PHASES.map((p) => p.key));
    const drawn = bars.map((bar) => ({ bar, found: findColour(image, hexToRgb(bar.fill)) }));
    for (const { bar, found } of drawn) {
      // The colour covers exactly the declared rectangle: width and height match, pixel for pixel.
      expect({
        phase: bar.phase,
        width: found.right - found.left + 1,
        height: found.bottom - found.top + 1,
      }).toEqual({
        phase: bar.phase,
        width: bar.width,
        height: bar.height,
      });
      expect(found.count).toBe(bar.width * bar.height);
    }
    // Every bar sits at its own x on the same axis (one page offset for all of them).
    const offsets = new Set(drawn.map(({ bar, found }) => found.left - bar.x));
    expect(offsets.size).toBe(1);
    // Select happens first. (Which phase is widest depends on the machine's load: the emulator's
    // clock runs 600x, so a slow SSH handshake can outlast the simulated restore job.)
    expect(drawn[0]?.found.left).toBeLessThan(drawn[1]?.found.left ?? 0);
    // A bar and the summary's number agree: the restore job's label is its duration in the timings.
    const jobSeconds = new RegExp(`>Restore job</text><text class="dur"[^>]*>(${DURATION})</text>`).exec(
      html,
    )?.[1];
    expect(html).toContain(`COMPLETED in ${jobSeconds}</td>`);
    expect(findColour(image, hexToRgb(FAILED_COLOR)).count).toBe(0);
  });

  it('--json prints the path as one document', async () => {
    const out = join(dir, 'again.html');

    const { code, stdout } = await runInProcess(['report', name, '--out', out, '--json'], { env: world.env });

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      report: out,
      executionArn: expect.stringContaining(name),
      status: 'SUCCEEDED',
    });
  });
});

describe('the report of a failed restore', () => {
  let world: CliEmulator;

  beforeAll(async () => {
    world = await startCliEmulator({
      faults: {
        restoreJob: { durationMinutes: 5, outcome: 'FAILED', statusMessage: 'Insufficient capacity' },
      },
    });
  });

  afterAll(() => world.stop());

  it('draws the phase it failed in red, marks the failure, and says what to do next', async () => {
    const { executionArn } = await startAndFinish(world);
    const file = join(dir, 'failed.html');
    const png = join(dir, 'failed.png');

    const { code } = await runInProcess(['report', executionArn, '--out', file], { env: world.env });
    const html = readFileSync(file, 'utf8');
    await screenshot(file, png);
    const image = decodePng(readFileSync(png));

    expect(code).toBe(0);
    const bars = barsIn(html);
    const colour = (key: string) => PHASES.find((p) => p.key === key)?.color;
    expect(bars.map((b) => [b.phase, b.fill])).toEqual([
      ['select', colour('select')],
      ['source', colour('source')],
      ['plan', colour('plan')],
      ['restoreJob', FAILED_COLOR],
    ]);
    const red = bars[3];
    expect(findColour(image, hexToRgb(FAILED_COLOR)).count).toBeGreaterThanOrEqual(
      (red?.width ?? 0) * (red?.height ?? 0),
    );
    expect(html).toContain('failed in PollRestoreJob');
    // A restore that failed has no recovery time: the time it ran until it failed.
    expect(html).toMatch(
      new RegExp(
        `<span>Time to failure</span><strong>${DURATION}</strong><small>from start to failure</small>`,
      ),
    );
    expect(html).toMatch(new RegExp(`>Time to failure ${DURATION}</text>`));
    expect(html).not.toContain('RTO');
    expect(html).toContain('<code>RestoreJobFailedError</code>');
    expect(html).toContain('ec2-restore recovery-points --instance-id i-0de00000000000001');
    expect(fetchedResources(html)).toEqual([]);
  });
});
