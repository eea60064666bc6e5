// The alerting rules under Debian's real promtool (`apt-get install prometheus`; .ci/run installs it):
// they parse, and k8s/prometheus/alerts.test.yaml's unit tests pass, with a firing and a quiet case for
// every alert.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const dir = path.resolve(import.meta.dirname, '../k8s/prometheus');
const run = promisify(execFile);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: dir, timeout: 60_000 });
    return stdout + stderr;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('promtool is not on PATH: install Prometheus (Debian: apt-get install prometheus)');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

interface RuleTest {
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}

describe('alerting rules (promtool)', () => {
  it('parse', async () => {
    expect(await promtool('check', 'rules', 'alerts.yaml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests, each alert tested firing and quiet', async () => {
    const rules = parse(await readFile(path.join(dir, 'alerts.yaml'), 'utf8')) as {
      groups: { rules: { alert: string }[] }[];
    };
    const tests = parse(await readFile(path.join(dir, 'alerts.test.yaml'), 'utf8')) as { tests: RuleTest[] };
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of rules.groups.flatMap((g) => g.rules)) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert} fires in a test`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert} stays quiet in a test`,
      ).toBe(true);
    }
    expect(await promtool('test', 'rules', 'alerts.test.yaml')).toContain('SUCCESS');
  });
});
