import type { ChildResult, UnusableTarget } from '@shared/fleet-state';
import { createHandler, defineStep } from '@shared/handler';
import { summariseFleet } from './summarise-fleet';

export const step = defineStep({
  id: 'summarise-fleet',
  run: async (state) => {
    // The Summarise task's payload: the Map's results and what ResolveTargets set aside.
    const event = state as unknown as {
      results: ChildResult[];
      unusable: UnusableTarget[];
      note: string | null;
    };
    return summariseFleet(event);
  },
});

export const handler = createHandler(step);
