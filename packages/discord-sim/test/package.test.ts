// The package as a product of its own: its source imports only its own modules, Node's and the
// dependencies its package.json declares, without an import cycle (type-only imports included); its
// ground truth counts by its own rules, checked here against hand-counted examples.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { activityTruthKey, PresenceDriver, startSimulator, truthWords, VoiceDriver } from '../src/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

/** Module → the specifiers it imports (static imports and re-exports, `import type` included). */
function imports(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of readdirSync(src).filter((x) => x.endsWith('.ts'))) {
    const text = readFileSync(join(src, f), 'utf8');
    out.set(
      f,
      [
        ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm),
        ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
      ].map((m) => m[1]!),
    );
  }
  return out;
}

describe('the package stands alone', () => {
  it("imports only its own modules, Node's and its declared dependencies", () => {
    const foreign: string[] = [];
    for (const [file, specs] of imports()) {
      for (const s of specs) {
        if (s.startsWith('node:')) continue;
        if (s.startsWith('.')) {
          if (relative(src, resolve(src, s)).startsWith('..')) foreign.push(`${file}: ${s}`);
          continue;
        }
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
        if (!(name in pkg.dependencies)) foreign.push(`${file}: ${s}`);
      }
    }
    expect(foreign).toEqual([]);
  });

  it('has no import cycle', () => {
    const graph = new Map(
      [...imports()].map(([f, specs]) => [
        f,
        specs.filter((s) => s.startsWith('./')).map((s) => s.slice(2).replace(/\.js$/, '.ts')),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') return void cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
      state.set(f, 'open');
      for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });
});

describe("the truth's own rules", () => {
  it('words are runs of non-whitespace, Unicode spaces included', () => {
    expect(truthWords('')).toBe(0);
    expect(truthWords('   ')).toBe(0);
    expect(truthWords('hello')).toBe(1);
    expect(truthWords('  two\twords\n')).toBe(2);
    expect(truthWords('a\u00a0b\u2003c')).toBe(3); // no-break space and em space separate
    expect(truthWords('<@123> 👍🏽👍🏽 https://x.y/z')).toBe(3);
  });

  it('an activity is its application id, else its cleaned name; a custom status is none', () => {
    expect(activityTruthKey({ name: 'Rocket League', applicationId: '356877880938070016' })).toBe('356877880938070016');
    expect(activityTruthKey({ name: '  Mine|craft\t' })).toBe('Mine craft');
    expect(activityTruthKey({ name: 'Feeling good', type: 4 })).toBeUndefined();
    expect(activityTruthKey({ name: ' \n ' })).toBeUndefined();
    expect(activityTruthKey({ name: 'é'.repeat(150) })).toBe('é'.repeat(100));
  });

  it("times voice and activity segments by the simulator's clock, which a test may move", async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 30);
    const sim = await startSimulator({ guilds: 2, clock: { now: () => now } });
    try {
      const g = [...sim.world.guilds.values()].find((x) => sim.world.voiceChannels(x.id).length > 0)!;
      const [u1, u2] = sim.world.humanMembers(g.id).map((m) => m.user.id) as [string, string];
      const vc = sim.world.voiceChannels(g.id)[0]!.id;
      const voice = new VoiceDriver(sim);
      const presence = new PresenceDriver(sim);
      expect(voice.join(g.id, u1, vc)).toBe(now);
      presence.set(g.id, u2, [{ name: 'Minecraft' }]);
      now += 90_000;
      voice.update(g.id, u1, { selfMute: true });
      now += 30_500;
      voice.leave(g.id, u1);
      presence.offline(g.id, u2);
      now += 60_000; // after the leave: counted nowhere
      expect(voice.truth().get(`${g.id}|${vc}|${u1}`)).toEqual({
        seconds: 120.5,
        muted_seconds: 30.5,
        deafened_seconds: 0,
        streaming_seconds: 0,
        video_seconds: 0,
        segments: 2,
      });
      expect(presence.truth().get(`${g.id}|${u2}|Minecraft`)).toEqual({ seconds: 120.5, segments: 1 });
    } finally {
      await sim.close();
    }
  });
});
