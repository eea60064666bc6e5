// The dashboard in a real headless browser (Debian's chromium driven by playwright-core): sign in through
// the simulator's OAuth2 test-user picker, open a server, read the numbers the page shows and compare them
// with the simulator's ground truth, change a setting and see the shard apply it, and be refused a server
// one does not manage. No script error and no CSP refusal in the console. With SCREENSHOTS=1 the pages are
// saved to docs/screenshots/ for the README.
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestBot, type TestBot } from './helpers/bot.js';
import { recordedHolders } from './helpers/structure.js';
import { startTestWeb, type TestWeb } from './helpers/web.js';

const CHROMIUM = '/usr/bin/chromium';
const shots = process.env.SCREENSHOTS === '1';

let t: TestBot;
let web: TestWeb;
let browser: Browser;
let guildId: string;
const errors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium (.ci/run does)`);
  t = await startTestBot({ name: 'web-browser', sim: { guilds: 2 } });
  web = await startTestWeb(t);
  guildId = [...t.sim.world.guilds.keys()][0]!;
  await t.sim.sendTraffic({ messages: 800, historyMs: 3 * 86_400_000, seed: 61, guildIds: [guildId] });
  const truth = t.sim.truth.messagesIn(guildId).filter((m) => !m.bot && !m.webhook).length;
  await t.ingestUntil(async () => {
    const { rows } = await t.pool.query<{ n: string }>(
      `SELECT coalesce(sum(messages), 0) AS n FROM messages_raw m WHERE guild_id = $1 AND NOT EXISTS (SELECT 1 FROM bot_authors b WHERE b.guild_id = m.guild_id AND b.user_id = m.user_id)`,
      [guildId],
    );
    return Number(rows[0]!.n) === truth ? [] : [`db ${rows[0]!.n} truth ${truth}`];
  });
  // Members' names arrive with the member list the shard asks for (op 8): every author's, before the pages show them.
  const authors = [
    ...new Set(
      t.sim.truth
        .messagesIn(guildId)
        .filter((m) => !m.webhook)
        .map((m) => m.authorId),
    ),
  ];
  await vi.waitFor(
    async () => {
      const { rows } = await t.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM guild_members WHERE guild_id = $1 AND user_id = ANY ($2::bigint[])',
        [guildId, authors],
      );
      if (Number(rows[0]!.n) !== authors.length)
        throw new Error(`${rows[0]!.n} of ${authors.length} authors' names recorded`);
    },
    { timeout: 20_000, interval: 250 },
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await t?.stop();
});

async function newPage(width = 1280): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await ctx.newPage();
  // Script errors and CSP refusals ("Refused to ..."); HTTP statuses are checked where they matter.
  page.on(
    'console',
    (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()),
  );
  page.on('pageerror', (e) => errors.push(e.message));
  return page;
}

/** Signs in by clicking through the simulator's test-user picker as `username`. */
async function signInAs(page: Page, username: string): Promise<void> {
  await page.goto(web.url);
  await page.getByTestId('signin').click();
  await page.getByRole('link', { name: username, exact: true }).first().click();
  await page.waitForURL(`${web.url}/`);
}

const fmt = (n: number) => new Intl.NumberFormat('en-US').format(n);

describe('dashboard in a browser', () => {
  it('signs in through the simulator, shows the ground truth, and applies a setting in the shard', async () => {
    const g = t.sim.world.guild(guildId)!;
    const page = await newPage();
    await signInAs(page, g.members.get(g.ownerId)!.user.username);
    await page.getByTestId(`guild-${guildId}`).click();
    await expect
      .poll(() => page.getByTestId('total-messages').textContent())
      .toBe(fmt(t.sim.truth.messagesIn(guildId).filter((m) => !m.bot && !m.webhook).length));
    const humans = t.sim.truth.messagesIn(guildId).filter((m) => !m.bot && !m.webhook);
    expect(await page.getByTestId('total-active').textContent()).toBe(fmt(new Set(humans.map((m) => m.authorId)).size));
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(3);
    if (shots) await page.screenshot({ path: screenshot('overview'), fullPage: true });

    // Members: the top member and their count, as the truth has them.
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    const perUser = new Map<string, number>();
    for (const m of humans) perUser.set(m.authorId, (perUser.get(m.authorId) ?? 0) + 1);
    const firstRow = page.getByTestId('members-messages').locator('tbody tr').first();
    const max = Math.max(...perUser.values());
    await expect.poll(() => firstRow.locator('td').nth(1).textContent()).toBe(fmt(max));
    // Members by name (Discord's display-name rule, written out here), linking to their page.
    const displayName = (id: string) => {
      const m = g.members.get(id)!;
      return m.nick ?? m.user.globalName ?? m.user.username;
    };
    const topNames = [...perUser].filter(([, n]) => n === max).map(([id]) => displayName(id));
    const topName = (await firstRow.locator('td').first().textContent())!;
    expect(topNames).toContain(topName);
    if (shots) await page.screenshot({ path: screenshot('members'), fullPage: true });
    await firstRow.getByRole('link').click();
    await expect.poll(() => page.getByTestId('member-messages').textContent()).toBe(fmt(max));
    expect(await page.getByTestId('member-name').textContent()).toBe(topName);

    // Channels: the busiest channel by name (threads, which the channel list leaves out, by id), counted as the truth counts it.
    await page.getByRole('link', { name: 'Channels', exact: true }).click();
    const perChannel = new Map<string, number>();
    for (const m of humans) perChannel.set(m.channelId, (perChannel.get(m.channelId) ?? 0) + 1);
    const most = Math.max(...perChannel.values());
    const label = (id: string) => (t.sim.world.channel(id)!.type === 11 ? id : `#${t.sim.world.channel(id)!.name}`);
    const busiest = [...perChannel].filter(([, n]) => n === most).map(([id]) => label(id));
    const channelRow = page.getByTestId('channels-messages').locator('tbody tr').first();
    await expect.poll(() => channelRow.locator('td').nth(2).textContent()).toBe(fmt(most));
    expect(busiest).toContain(await channelRow.locator('td').first().textContent());

    // The role filter: members who hold the role now, picked by name.
    const holders = new Set(
      t.sim.world
        .humanMembers(guildId)
        .filter((_, k) => k % 3 === 0)
        .map((m) => m.user.id),
    );
    const roleId = t.sim.structure.createRole(guildId, 'Browser testers', 0x3366ff).id;
    for (const id of holders) t.sim.structure.setMemberRoles(guildId, id, { add: [roleId] });
    await expect
      .poll(() => recordedHolders(t.pool, guildId, roleId), { timeout: 20_000, interval: 200 })
      .toBe(holders.size);
    await page.goto(`${web.url}/g/${guildId}/overview?period=7d`);
    await page.getByTestId('role').selectOption({ label: '@Browser testers' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/role=/);
    await expect
      .poll(() => page.getByTestId('total-messages').textContent())
      .toBe(fmt(humans.filter((m) => holders.has(m.authorId)).length));
    expect(await page.getByTestId('scope-note').textContent()).toContain('hold the role now');
    if (shots) await page.screenshot({ path: screenshot('role-filter'), fullPage: true });

    await page.getByRole('link', { name: 'Activity', exact: true }).click();
    await expect.poll(() => page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(2);
    if (shots) await page.screenshot({ path: screenshot('heatmap'), fullPage: true });

    // Settings: the shard (the test bot's own store, kept current over pub/sub) applies the change.
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByTestId('tz').fill('Europe/Berlin');
    await page.getByTestId('save').click();
    await expect.poll(() => page.getByTestId('settings-status').textContent()).toContain('Saved');
    await expect.poll(() => t.bot.settings.get(guildId).timeZone).toBe('Europe/Berlin');
    expect(errors).toEqual([]);
  });

  it('refuses a server one does not manage, and shows the member their own page (phone width)', async () => {
    const g = t.sim.world.guild(guildId)!;
    const plain = [...g.members.values()].find((m) => !m.user.bot && m.roles.length === 0 && m.user.id !== g.ownerId)!;
    const page = await newPage(390);
    await page.goto(`${web.url}/auth/login`);
    // Straight to the picker with this user (the picker lists only a few per server).
    const authorize = new URL(page.url());
    authorize.searchParams.set('sim_user', plain.user.id);
    await page.goto(authorize.toString());
    await page.waitForURL(`${web.url}/`);
    await page.goto(`${web.url}/g/${guildId}/overview`);
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('View Server Insights');
    await page.goto(`${web.url}/g/${guildId}/members/${plain.user.id}?period=7d`);
    const mine = t.sim.truth.messagesIn(guildId).filter((m) => m.authorId === plain.user.id).length;
    await expect.poll(() => page.getByTestId('member-messages').textContent()).toBe(fmt(mine));
    expect(errors).toEqual([]);
  });
});

function screenshot(name: string): string {
  mkdirSync('docs/screenshots', { recursive: true });
  return `docs/screenshots/dashboard-${name}.png`;
}
