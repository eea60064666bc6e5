// Every job the scheduler runs, in one list.
import { createAutorolesJob } from './jobs/autoroles.js';
import type { ScheduledJob } from './job.js';
import { countersJob } from './jobs/counters.js';
import { digestJob } from './jobs/digest.js';

export const JOBS: readonly ScheduledJob[] = [countersJob, digestJob, createAutorolesJob()];
