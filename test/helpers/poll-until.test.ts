import { PollTimeoutError, pollUntil } from './poll-until';

describe('pollUntil', () => {
  it('reads until the value is there and resolves to it', async () => {
    let reads = 0;
    const value = await pollUntil(() => (++reads >= 3 ? `read ${reads}` : undefined), {
      describe: 'the third read',
      intervalMs: 1,
    });

    expect(value).toBe('read 3');
    expect(reads).toBe(3);
  });

  it('with `until`, resolves to the first value it accepts', async () => {
    let n = 0;
    const value = await pollUntil(async () => ++n, {
      describe: 'n to reach 4',
      until: (v) => v >= 4,
      intervalMs: 1,
    });

    expect(value).toBe(4);
  });

  it('past the deadline fails saying what it waited for and the last value it read', async () => {
    const started = Date.now();
    const failure = await pollUntil(() => ({ status: 'RUNNING', step: 'PollRestoreJob' }), {
      describe: 'the restore to end',
      until: (v) => v.status !== 'RUNNING',
      deadlineMs: 100,
      intervalMs: 10,
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(PollTimeoutError);
    expect((failure as Error).message).toMatch(
      /^Timed out after 100 ms \(\d+ reads\) waiting for the restore to end; last value seen: \{ status: 'RUNNING', step: 'PollRestoreJob' \}$/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('does not retry a read that throws', async () => {
    let reads = 0;
    const read = () => {
      reads += 1;
      throw new Error('ExecutionDoesNotExist');
    };

    await expect(pollUntil(read, { describe: 'anything', intervalMs: 1 })).rejects.toThrow(
      'ExecutionDoesNotExist',
    );
    expect(reads).toBe(1);
  });
});
