/**
 * `ec2-restore report` of a fleet execution: one self-contained HTML file whose screenshot in
 * headless Chromium shows one bar per instance on a shared time axis, the failed one red.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLEET_COLORS } from '@cli/fleet-report-html';
import { RESULTS_RULE_COLOR } from '@cli/report-html';
import { screenshot } from '@test/helpers/cli-chromium';
import { decodePng, findColour, hexToRgb, type Image } from '@test/helpers/cli-png';
import { type CliEmulator, runInProcess, startCliEmulator } from '@test/helpers/cli-run';
import { executionClosed } from '@test/helpers/execution-closed';
import { fleetId, fleetScenario } from '@test/helpers/fleet-scenario';
import { scratchDir } from '@test/helpers/scratch';

const dir = scratchDir('ec2-restore-fleet-report-');
const failing = fleetId(3);

interface Bar {
  readonly instanceId: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly fill: string;
}

function barsIn(html: string): Bar[] {
  return [
    ...html.matchAll(
      /<rect class="bar" data-instance="([\w-]+)" x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)" fill="(#[0-9a-f]{6})"/g,
    ),
  ].map(([, instanceId = '', x, y, width, height, fill = '']) => ({
    instanceId,
    x: Number(x),
    y: Number(y),
    width: Number(width),
    height: Number(height),
    fill,
  }));
}

/** Rows of a box of the image ([left, right) × [top, bottom)) holding a pixel of one of the colours, as runs. */
function rowRuns(
  image: Image,
  colours: [number, number, number][],
  box: { left: number; right: number; top: number; bottom: number },
): number[][] {
  const { left, right, top, bottom } = box;
  const runs: number[][] = [];
  let current: number[] | null = null;
  for (let y = top; y < bottom; y++) {
    let hit = false;
    for (let x = left; x < right && !hit; x++) {
      const [r, g, b] = image.rgb(x, y);
      hit = colours.some(([cr, cg, cb]) => r === cr && g === cg && b === cb);
    }
    if (hit) {
      if (!current) {
        current = [];
        runs.push(current);
      }
      current.push(y);
    } else current = null;
  }
  return runs;
}

function executionArnOf(html: string): string {
  const arn = /arn:aws:states:[\w-]+:\d{12}:execution:restore-fleet:[\w-]+/.exec(html)?.[0];
  if (!arn) throw new Error('the report names no fleet execution ARN');
  return arn;
}

describe('the report of a fleet of 6 with one failed restore', () => {
  let world: CliEmulator;
  let html: string;
  let file: string;
  let results: { instanceId: string; status: string }[];

  beforeAll(async () => {
    world = await startCliEmulator(fleetScenario(6, { failing: [failing] }));
    const started = await runInProcess(
      ['fleet', '--tag', 'AWSBackup=EC2', '--mode', 'test', '--ssh-port', '2222', '--json'],
      { env: world.env },
    );
    const { executionArn } = JSON.parse(started.stdout);
    const ended = await executionClosed(world.emulator, executionArn);
    results = JSON.parse(ended.output ?? '{}').results;
    file = join(dir, 'fleet.html');
    const report = await runInProcess(['report', executionArn, '--out', file], { env: world.env });
    expect(report).toMatchObject({ code: 0, stdout: expect.stringContaining('(SUCCEEDED) to ') });
    html = readFileSync(file, 'utf8');
  });

  afterAll(() => world.stop());

  it('finds the fleet execution by its name too, not only by its ARN', async () => {
    const name = executionArnOf(html).split(':').at(-1) ?? '';
    const byName = join(dir, 'by-name.html');

    const report = await runInProcess(['report', name, '--out', byName], { env: world.env });

    expect(report).toMatchObject({ code: 0, stdout: expect.stringContaining(`${name} (SUCCEEDED) to `) });
    expect(barsIn(readFileSync(byName, 'utf8'))).toHaveLength(6);
  });

  it('is self-contained and has the counts', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<script|<link|<img|<iframe|@import|url\(/g)).toBeNull();
    expect(html).toContain('<tr><th>instances</th><td>6</td></tr>');
    expect(html).toContain('<tr><th>succeeded</th><td>5</td></tr>');
    expect(html).toContain('<tr><th>failed</th><td>1</td></tr>');
    expect(html).toContain('<tr><th>error RestoreJobFailedError</th><td>1</td></tr>');
  });

  it('declares one bar per instance, the failed one red with its error name', () => {
    const bars = barsIn(html);

    expect(bars.map((b) => [b.instanceId, b.fill])).toEqual(
      results.map((r) => [
        r.instanceId,
        r.status === 'FAILED' ? FLEET_COLORS.failed : FLEET_COLORS.succeeded,
      ]),
    );
    expect(results.map((r) => r.instanceId)).toEqual([0, 1, 2, 3, 4, 5].map(fleetId));
    expect(html).toMatch(
      new RegExp(
        `data-instance="${failing}"[^>]*>.*?</rect><text class="error"[^>]*>RestoreJobFailedError</text>`,
      ),
    );
    // Six children with room for ten at once run side by side: every bar starts before any ends.
    // (Not how far apart they start: on the emulator's 600x clock that grows with the load.)
    const starts = bars.map((b) => b.x);
    expect(Math.max(...starts)).toBeLessThan(Math.min(...bars.map((b) => b.x + b.width)));
  });

  it('says how many were restored and how many failed, never SUCCEEDED beside a failure', () => {
    const name = executionArnOf(html).split(':').at(-1) ?? '';

    expect(html).toContain(`<title>Fleet restore ${name}: 5 of 6 instances restored, 1 failed</title>`);
    expect(html).toContain(`<h1>Fleet restore ${name}: 5 of 6 instances restored, 1 failed</h1>`);
    expect(html).not.toMatch(/SUCCEEDED/);
  });

  it('lets a status word wrap only after an underscore, and shows each child by name with its ARN as title and link', () => {
    const children = results.map((r) => (r as { executionArn?: string }).executionArn ?? '');

    expect(html).toContain(
      '<td class="status"><span class="word">VALIDATED_<wbr>AND_<wbr>CLEANED_<wbr>UP</span></td>',
    );
    expect(html).toMatch(/\.word \{ overflow-wrap: normal; word-break: normal; \}/);
    for (const arn of children) {
      const name = arn.split(':').at(-1) ?? '';
      expect(html).toContain(
        `<td class="child"><a href="https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${arn}" title="${arn}"><code title="${arn}">${name}</code></a></td>`,
      );
    }
    expect(html).not.toMatch(/<code>arn:aws:states:[^<]*:execution:restore-instance:/);
  });

  it('keeps every result row on one line in a browser window wide enough for the names', async () => {
    const png = join(dir, 'fleet-wide.png');
    await screenshot(file, png, { width: 1300, height: 1400 });
    const image = decodePng(readFileSync(png));

    // The rules under the result rows have their own colour: the rows between them are as tall
    // as the header row (one line), never taller (a wrapped status or ARN).
    const rules = rowRuns(image, [hexToRgb(RESULTS_RULE_COLOR)], {
      left: 0,
      right: image.width,
      top: 0,
      bottom: image.height,
    }).map((run) => run[0] ?? 0);
    expect(rules).toHaveLength(results.length + 1);
    const heights = rules.slice(1).map((y, i) => y - (rules[i] ?? 0));
    // One line is about 31 px (sub-pixel rounding varies it by one); a second line adds 20.
    for (const height of heights) expect(height).toBeLessThanOrEqual(Math.min(...heights) + 1);
    expect(Math.max(...heights)).toBeLessThan(40);
  });

  it('draws one bar per instance on the screenshot, each where the SVG puts it', async () => {
    const png = join(dir, 'fleet.png');
    await screenshot(file, png);
    const image = decodePng(readFileSync(png));
    const bars = barsIn(html);
    const green = bars.filter((b) => b.fill === FLEET_COLORS.succeeded);

    // Only the succeeded bars are this green: their box gives the page offset of the SVG.
    const found = findColour(image, hexToRgb(FLEET_COLORS.succeeded), 0);
    expect(found.count).toBe(green.reduce((sum, b) => sum + b.width * b.height, 0));
    const dx = found.left - Math.min(...green.map((b) => b.x));
    const dy = found.top - Math.min(...green.map((b) => b.y));

    const colours = [hexToRgb(FLEET_COLORS.succeeded), hexToRgb(FLEET_COLORS.failed)];
    // The whole SVG (its origin is at dx, dy), from the first bar's left to the last bar's right.
    const runs = rowRuns(image, colours, {
      left: dx + Math.min(...bars.map((b) => b.x)),
      right: dx + Math.max(...bars.map((b) => b.x + b.width)),
      top: dy,
      bottom: Math.min(image.height, dy + Math.max(...bars.map((b) => b.y + b.height)) + 20),
    });
    expect(runs.map((r) => [r[0], r.length])).toEqual(bars.map((b) => [b.y + dy, b.height]));
    for (const bar of bars) {
      expect([bar.instanceId, image.rgb(dx + bar.x + Math.floor(bar.width / 2), dy + bar.y + 9)]).toEqual([
        bar.instanceId,
        hexToRgb(bar.fill),
      ]);
    }
  });
});
