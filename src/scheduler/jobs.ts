// Every job the scheduler runs, in one list.
import type { ScheduledJob } from './job.js';

export const JOBS: readonly ScheduledJob[] = [];
