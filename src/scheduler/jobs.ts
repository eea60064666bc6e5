// Every job the scheduler runs, in one list.
import { createAutorolesJob } from './autoroles.js';
import type { ScheduledJob } from './job.js';

export const JOBS: readonly ScheduledJob[] = [createAutorolesJob()];
