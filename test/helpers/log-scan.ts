// The suite-wide redaction check: every process of a test run (test workers, cluster processes, ingest
// workers, simulators) appends each log line, as written before the logger's last-resort scrubbing, to
// LOG_CAPTURE_DIR/<pid>.log (src/logger.ts). After the run, no line may hold a bot token or an
// interaction token: the structural protections (redaction by path, error serialisers) must have kept
// them out on their own.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What the simulator's (and Discord's) secrets look like. */
const SECRETS: { name: string; re: RegExp }[] = [
  { name: 'interaction token', re: /aW50ZXJhY3Rpb246/ },
  { name: 'bot token', re: /[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{27,}/ },
  { name: 'authorization header', re: /"Bot [^"\s]{10,}/ },
];

export interface Leak {
  file: string;
  line: number;
  secret: string;
  /** The line with the secret itself masked, for the report. */
  excerpt: string;
}

export function scanLogs(dir: string): { files: number; lines: number; leaks: Leak[] } {
  let files = 0;
  let lines = 0;
  const leaks: Leak[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.log')) continue;
    files++;
    const text = readFileSync(path.join(dir, name), 'utf8');
    text.split('\n').forEach((line, i) => {
      if (line === '') return;
      lines++;
      for (const s of SECRETS) {
        const m = s.re.exec(line);
        if (m)
          leaks.push({
            file: name,
            line: i + 1,
            secret: s.name,
            excerpt: line.replace(m[0], `<${s.name}>`).slice(0, 400),
          });
      }
    });
  }
  return { files, lines, leaks };
}
