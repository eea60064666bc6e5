// The dashboard's front end: a small single-page app without a framework (the pages are a few tables,
// number cards and charts), charts by Apache ECharts (canvas; line and bar series with LTTB sampling for
// thousands of points, and heatmaps). Every time is shown in the server's zone, as the API cuts it.
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import './style.css';

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

interface Guild {
  id: string;
  name: string;
  server: boolean;
  manage: boolean;
}
interface Me {
  user: { id: string; name: string };
  csrf: string;
  guilds: Guild[];
}
type Point = [number, number];
interface Ranked {
  id: string;
  value: number;
}
/** A ranked member or channel with its recorded name (null: not known, or a member who opted out or left). */
interface Named extends Ranked {
  name: string | null;
}
interface Base {
  timeZone: string;
  from: number;
  to: number;
  bucket?: 'hour' | 'day';
}

interface Channel {
  id: string;
  name: string;
  type: number;
  parentId: string | null;
  deleted: boolean;
}
interface Role {
  id: string;
  name: string;
}

const app = document.getElementById('app')!;
let me: Me | null = null;
/** Channels and roles of the open server (names, categories), loaded once per server. */
let structure: { guildId: string; channels: Map<string, Channel>; roles: Role[] } | null = null;
const CATEGORY = 4;

function channelName(id: string): string {
  const c = structure?.channels.get(id);
  return c ? `#${c.name}${c.deleted ? ' (deleted)' : ''}` : id;
}

function categoryOf(id: string): string {
  const c = structure?.channels.get(id);
  const parent = c?.parentId ? structure?.channels.get(c.parentId) : undefined;
  return parent ? parent.name : '';
}
const charts: echarts.ECharts[] = [];

const PAGES: [string, string][] = [
  ['overview', 'Overview'],
  ['channels', 'Channels'],
  ['members', 'Members'],
  ['emojis', 'Emojis'],
  ['voice', 'Voice'],
  ['heatmap', 'Activity'],
  ['invites', 'Invites & growth'],
  ['apps', 'Applications'],
  ['settings', 'Settings'],
];

/** Element helper: h('div', { class: 'x' }, child, 'text'). */
function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.method && init.method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (me) headers['x-csrf-token'] = me.csrf;
  }
  const res = await fetch(path, { ...init, headers, credentials: 'same-origin' });
  if (res.status === 401) {
    me = null;
    throw new ApiError(401, 'Please sign in.');
  }
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  return body;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const nf = new Intl.NumberFormat('en-US');
const fmt = (n: number) => nf.format(n);
const hours = (s: number) => `${(s / 3600).toFixed(1)} h`;

function timeLabel(t: number, tz: string, bucket: string | undefined): string {
  const o: Intl.DateTimeFormatOptions =
    bucket === 'hour'
      ? { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: tz }
      : { year: 'numeric', month: 'short', day: 'numeric', timeZone: tz };
  return new Intl.DateTimeFormat('en-GB', o).format(t);
}

function navigate(path: string): void {
  history.pushState(null, '', path);
  void render();
}

document.addEventListener('click', (e) => {
  const a = (e.target as HTMLElement).closest('a[data-link]');
  if (!a || (e as MouseEvent).ctrlKey || (e as MouseEvent).metaKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href')!);
});
window.addEventListener('popstate', () => void render());
window.addEventListener('resize', () => charts.forEach((c) => c.resize()));

function link(href: string, text: string, attrs: Record<string, string> = {}): HTMLElement {
  return h('a', { href, 'data-link': '', ...attrs }, text);
}

function card(label: string, value: string, testId: string, change?: { now: number; before: number }): HTMLElement {
  let delta: HTMLElement | null = null;
  if (change) {
    const pct = change.before === 0 ? null : ((change.now - change.before) / change.before) * 100;
    const text = pct === null ? (change.now === 0 ? '±0' : 'new') : `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
    delta = h(
      'div',
      { class: `delta ${pct !== null && pct < 0 ? 'down' : 'up'}`, 'data-testid': `${testId}-change` },
      `${text} vs previous period`,
    );
  }
  return h(
    'div',
    { class: 'card' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', 'data-testid': testId }, value),
    delta,
  );
}

function chart(height = 280): { el: HTMLElement; draw: (option: echarts.EChartsCoreOption) => void } {
  const el = h('div', { class: 'chart' });
  el.style.height = `${height}px`;
  return {
    el,
    draw(option) {
      const c = echarts.init(el, undefined, { renderer: 'canvas' });
      c.setOption({
        animation: false,
        tooltip: { trigger: 'axis' },
        grid: { left: 48, right: 16, top: 32, bottom: 32 },
        ...option,
      });
      charts.push(c);
    },
  };
}

function lineOption(
  base: Base,
  series: { name: string; points: Point[]; type?: 'line' | 'bar' }[],
): echarts.EChartsCoreOption {
  const labels = (series[0]?.points ?? []).map(([t]) => timeLabel(t, base.timeZone, base.bucket));
  return {
    legend: { top: 0 },
    xAxis: { type: 'category', data: labels },
    yAxis: { type: 'value' },
    series: series.map((s) => ({
      name: s.name,
      type: s.type ?? 'line',
      data: s.points.map(([, v]) => v),
      showSymbol: false,
      sampling: 'lttb',
      large: true,
    })),
  };
}

function table(headers: string[], rows: (string | Node)[][], testId: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { 'data-testid': testId },
      h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
    ),
  );
}

// --- Period and filters ---------------------------------------------------------------------------------

function query(): URLSearchParams {
  const q = new URLSearchParams(location.search);
  const out = new URLSearchParams();
  for (const k of ['period', 'from', 'to', 'channel', 'category', 'role', 'bots']) if (q.get(k)) out.set(k, q.get(k)!);
  return out;
}

function filters(): HTMLElement {
  const q = query();
  const preset = h('select', { 'aria-label': 'Period', 'data-testid': 'period' });
  for (const p of ['24h', '7d', '30d', '90d', '1y'])
    preset.append(
      h(
        'option',
        q.get('period') === p || (!q.get('period') && !q.get('from') && p === '7d')
          ? { value: p, selected: '' }
          : { value: p },
        p,
      ),
    );
  preset.append(h('option', q.get('from') ? { value: 'range', selected: '' } : { value: 'range' }, 'Dates…'));
  const from = h('input', { type: 'date', 'aria-label': 'From', value: q.get('from') ?? '' }) as HTMLInputElement;
  const to = h('input', { type: 'date', 'aria-label': 'To', value: q.get('to') ?? '' }) as HTMLInputElement;
  const bots = h(
    'select',
    { 'aria-label': 'Bots' },
    h('option', { value: '' }, 'Bots: server setting'),
    h('option', { value: '0' }, 'Without bots'),
    h('option', { value: '1' }, 'With bots'),
  ) as HTMLSelectElement;
  bots.value = q.get('bots') ?? '';
  const channel = h(
    'select',
    { 'aria-label': 'Channel' },
    h('option', { value: '' }, 'All channels'),
  ) as HTMLSelectElement;
  for (const c of [...(structure?.channels.values() ?? [])]
    .filter((x) => x.type !== CATEGORY)
    .sort((a, b) => a.name.localeCompare(b.name)))
    channel.append(h('option', { value: c.id }, channelName(c.id)));
  if (q.get('channel') && !structure?.channels.has(q.get('channel')!))
    channel.append(h('option', { value: q.get('channel')! }, q.get('channel')!));
  channel.value = q.get('channel') ?? '';
  const category = h(
    'select',
    { 'aria-label': 'Category', 'data-testid': 'category' },
    h('option', { value: '' }, 'All categories'),
  ) as HTMLSelectElement;
  for (const c of [...(structure?.channels.values() ?? [])].filter((x) => x.type === CATEGORY && !x.deleted))
    category.append(h('option', { value: c.id }, c.name));
  category.value = q.get('category') ?? '';
  // Members who hold the role now (as /stats means it): a member who lost it leaves the numbers with all their past.
  const role = h(
    'select',
    { 'aria-label': 'Role', 'data-testid': 'role', title: 'Members who hold this role now' },
    h('option', { value: '' }, 'All members'),
  ) as HTMLSelectElement;
  for (const r of structure?.roles ?? [])
    if (r.id !== structure?.guildId) role.append(h('option', { value: r.id }, `@${r.name}`));
  role.value = q.get('role') ?? '';
  const apply = h('button', { type: 'button' }, 'Apply');
  const dates = h('span', { class: q.get('from') ? 'dates' : 'dates hidden' }, from, ' – ', to);
  preset.addEventListener('change', () => {
    dates.classList.toggle('hidden', (preset as HTMLSelectElement).value !== 'range');
    if ((preset as HTMLSelectElement).value !== 'range') apply.click();
  });
  apply.addEventListener('click', () => {
    const n = new URLSearchParams();
    const v = (preset as HTMLSelectElement).value;
    if (v === 'range') {
      if (!from.value || !to.value) return;
      n.set('from', from.value);
      n.set('to', to.value);
    } else n.set('period', v);
    if (bots.value) n.set('bots', bots.value);
    if (channel.value) n.set('channel', channel.value);
    if (category.value) n.set('category', category.value);
    if (role.value) n.set('role', role.value);
    navigate(`${location.pathname}?${n}`);
  });
  return h('div', { class: 'filters' }, preset, dates, bots, channel, category, role, apply);
}

// --- Pages -------------------------------------------------------------------------------------------------

async function render(): Promise<void> {
  charts.splice(0).forEach((c) => c.dispose());
  try {
    me ??= await api<Me>('/api/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signIn();
    return fail(err);
  }
  const parts = location.pathname.split('/').filter(Boolean);
  if (parts[0] !== 'g' || !parts[1]) return serverList();
  const guild = me.guilds.find((g) => g.id === parts[1]);
  if (!guild)
    return shell(null, h('p', { class: 'error', 'data-testid': 'error' }, 'Unknown server, or the bot is not in it.'));
  const page = parts[2] ?? (guild.server ? 'overview' : 'members');
  try {
    await renderPage(guild, page, parts[3]);
  } catch (err) {
    fail(err, guild);
  }
}

function signIn(): void {
  app.replaceChildren(
    h(
      'main',
      { class: 'signin' },
      h('h1', {}, 'Server statistics'),
      h('p', {}, 'Charts of your Discord servers.'),
      h('a', { class: 'button', href: '/auth/login', 'data-testid': 'signin' }, 'Sign in with Discord'),
    ),
  );
}

function fail(err: unknown, guild: Guild | null = null): void {
  shell(guild, h('p', { class: 'error', 'data-testid': 'error' }, err instanceof Error ? err.message : String(err)));
}

function shell(guild: Guild | null, ...content: (HTMLElement | null)[]): void {
  const logout = h('button', { type: 'button', class: 'linkish' }, 'Sign out');
  logout.addEventListener(
    'click',
    () => void api('/auth/logout', { method: 'POST', body: '{}' }).finally(() => ((me = null), navigate('/'))),
  );
  const nav = guild
    ? h(
        'nav',
        {},
        ...PAGES.filter(([p]) => (p === 'settings' ? guild.manage : guild.server)).map(([p, label]) =>
          link(
            `/g/${guild.id}/${p}${p === 'settings' ? '' : `?${query()}`}`,
            label,
            location.pathname.startsWith(`/g/${guild.id}/${p}`) ? { class: 'active' } : {},
          ),
        ),
        guild.server ? null : link(`/g/${guild.id}/members/${me!.user.id}`, 'My statistics'),
      )
    : null;
  app.replaceChildren(
    h(
      'header',
      {},
      link('/', 'Server statistics', { class: 'brand' }),
      guild ? h('span', { class: 'guild', 'data-testid': 'guild-name' }, guild.name) : null,
      h('span', { class: 'user' }, me?.user.name ?? '', ' ', logout),
    ),
    ...(nav ? [nav] : []),
    h('main', {}, ...content),
  );
}

function serverList(): void {
  const items = me!.guilds.map((g) =>
    h(
      'li',
      {},
      link(g.server ? `/g/${g.id}/overview` : `/g/${g.id}/members/${me!.user.id}`, g.name, {
        'data-testid': `guild-${g.id}`,
      }),
      h('span', { class: 'muted' }, g.server ? (g.manage ? ' · manage' : ' · insights') : ' · your own statistics'),
    ),
  );
  shell(
    null,
    h('h1', {}, 'Your servers'),
    items.length ? h('ul', { class: 'guilds' }, ...items) : h('p', {}, 'No server you share with the bot.'),
  );
}

/** A member's name (their id when the bot holds no name: opted out, or left) linking to their page. */
function memberLink(guild: Guild, r: Named): HTMLElement {
  return link(`/g/${guild.id}/members/${r.id}?${query()}`, r.name ?? r.id);
}

function csvLink(path: string): HTMLElement {
  return h('a', { class: 'csv', href: `${path}.csv?${query()}`, download: '' }, 'Export CSV');
}

async function renderPage(guild: Guild, page: string, sub?: string): Promise<void> {
  const base = `/api/guilds/${guild.id}`;
  const get = <T>(p: string) => api<T & Base>(`${base}/${p}?${query()}`);
  if (guild.server && structure?.guildId !== guild.id) {
    const s = await api<{ channels: Channel[]; roles: Role[] }>(`${base}/structure`).catch(() => ({
      channels: [] as Channel[],
      roles: [] as Role[],
    }));
    structure = { guildId: guild.id, channels: new Map(s.channels.map((c) => [c.id, c])), roles: s.roles };
  }
  if (page === 'settings') return settingsPage(guild);
  if (page === 'members' && sub) {
    const d = await get<{
      name: string | null;
      summary: { messages: number; words: number; voiceSeconds: number; emojis: number; commands: number };
      series: { messages: Point[]; voice: Point[] };
    }>(`members/${sub}`);
    const c = chart();
    shell(
      guild,
      h('h1', { 'data-testid': 'member-name' }, d.name ?? `Member ${sub}`),
      filters(),
      h(
        'div',
        { class: 'cards' },
        card('Messages', fmt(d.summary.messages), 'member-messages'),
        card('Words', fmt(d.summary.words), 'member-words'),
        card('Voice', hours(d.summary.voiceSeconds), 'member-voice'),
        card('Emojis', fmt(d.summary.emojis), 'member-emojis'),
      ),
      c.el,
      csvLink(`${base}/members/${sub}`),
    );
    c.draw(
      lineOption(d, [
        { name: 'Messages', points: d.series.messages },
        { name: 'Voice seconds', points: d.series.voice },
      ]),
    );
    return;
  }
  if (page === 'overview') {
    type T = { messages: number; voiceSeconds: number; joins: number; leaves: number; activeMembers: number };
    const d = await get<{
      totals: T;
      previous: T;
      series: { messages: Point[]; voice: Point[]; growth: { t: number; joins: number; leaves: number }[] };
    }>('overview');
    const [m, v, g] = [chart(), chart(), chart(220)];
    shell(
      guild,
      h('h1', {}, 'Overview'),
      filters(),
      query().get('role') || query().get('category')
        ? h(
            'p',
            { class: 'muted', 'data-testid': 'scope-note' },
            'Joins and leaves are counted for the whole server; the role filter means members who hold the role now.',
          )
        : null,
      h(
        'div',
        { class: 'cards' },
        card('Messages', fmt(d.totals.messages), 'total-messages', {
          now: d.totals.messages,
          before: d.previous.messages,
        }),
        card('Voice', hours(d.totals.voiceSeconds), 'total-voice', {
          now: d.totals.voiceSeconds,
          before: d.previous.voiceSeconds,
        }),
        card('Active members', fmt(d.totals.activeMembers), 'total-active', {
          now: d.totals.activeMembers,
          before: d.previous.activeMembers,
        }),
        card('Joins', fmt(d.totals.joins), 'total-joins', { now: d.totals.joins, before: d.previous.joins }),
        card('Leaves', fmt(d.totals.leaves), 'total-leaves', { now: d.totals.leaves, before: d.previous.leaves }),
      ),
      h('h2', {}, 'Messages'),
      m.el,
      h('h2', {}, 'Voice'),
      v.el,
      h('h2', {}, 'Members'),
      g.el,
      csvLink(`${base}/overview`),
    );
    m.draw(lineOption(d, [{ name: 'Messages', points: d.series.messages }]));
    v.draw(
      lineOption(d, [{ name: 'Voice hours', points: d.series.voice.map(([t, s]) => [t, Math.round(s / 36) / 100]) }]),
    );
    g.draw(
      lineOption(d, [
        { name: 'Joins', points: d.series.growth.map((x) => [x.t, x.joins]), type: 'bar' },
        { name: 'Leaves', points: d.series.growth.map((x) => [x.t, x.leaves]), type: 'bar' },
      ]),
    );
    return;
  }
  if (page === 'channels' || page === 'members') {
    const d = await get<{ messages: Named[]; voice: Named[] }>(page);
    const who = (r: Named) => (page === 'members' ? memberLink(guild, r) : channelName(r.id));
    const cols = (label: string) => (page === 'channels' ? ['Channel', 'Category', label] : ['Member', label]);
    const row = (r: Named, value: string) =>
      page === 'channels' ? [who(r), categoryOf(r.id), value] : [who(r), value];
    shell(
      guild,
      h('h1', {}, page === 'channels' ? 'Channels and categories' : 'Members'),
      filters(),
      h('h2', {}, 'By messages'),
      table(
        cols('Messages'),
        d.messages.map((r) => row(r, fmt(r.value))),
        `${page}-messages`,
      ),
      h('h2', {}, 'By voice'),
      table(
        cols('Voice'),
        d.voice.map((r) => row(r, hours(r.value))),
        `${page}-voice`,
      ),
      csvLink(`${base}/${page}`),
    );
    return;
  }
  if (page === 'emojis') {
    const d = await get<{ emojis: (Ranked & { name: string | null })[] }>('emojis');
    shell(
      guild,
      h('h1', {}, 'Emojis'),
      filters(),
      table(
        ['Emoji', 'Uses'],
        d.emojis.map((e) => [e.name ?? e.id, fmt(e.value)]),
        'emojis',
      ),
      csvLink(`${base}/emojis`),
    );
    return;
  }
  if (page === 'voice') {
    const d = await get<{ total: number; series: Point[]; channels: Named[]; members: Named[] }>('voice');
    const c = chart();
    shell(
      guild,
      h('h1', {}, 'Voice'),
      filters(),
      h('div', { class: 'cards' }, card('Voice', hours(d.total), 'voice-total')),
      c.el,
      table(
        ['Channel', 'Voice'],
        d.channels.map((r) => [channelName(r.id), hours(r.value)]),
        'voice-channels',
      ),
      table(
        ['Member', 'Voice'],
        d.members.map((r) => [memberLink(guild, r), hours(r.value)]),
        'voice-members',
      ),
      csvLink(`${base}/voice`),
    );
    c.draw(
      lineOption(d, [
        { name: 'Voice hours', points: d.series.map(([t, s]) => [t, Math.round(s / 36) / 100]), type: 'bar' },
      ]),
    );
    return;
  }
  if (page === 'heatmap') {
    const d = await get<{ messages: number[][]; voice: number[][] }>('heatmap');
    const [m, v] = [chart(300), chart(300)];
    shell(
      guild,
      h('h1', {}, 'Activity by weekday and hour'),
      h('p', { class: 'muted' }, `Hours in ${d.timeZone}.`),
      filters(),
      h('h2', {}, 'Messages'),
      m.el,
      h('h2', {}, 'Voice'),
      v.el,
      csvLink(`${base}/heatmap`),
    );
    m.draw(heatOption(d.messages));
    v.draw(heatOption(d.voice));
    return;
  }
  if (page === 'invites') {
    type B = { joins: number; regular: number; left: number; fake: number };
    const d = await get<{
      inviters: (B & { inviterId: string | null })[];
      vanity: B;
      unknown: B;
      growth: { t: number; joins: number; leaves: number; net: number }[];
    }>('invites');
    const c = chart(240);
    const row = (name: string, b: B) => [name, fmt(b.joins), fmt(b.regular), fmt(b.left), fmt(b.fake)];
    shell(
      guild,
      h('h1', {}, 'Invites and growth'),
      filters(),
      c.el,
      table(
        ['Inviter', 'Joins', 'Regular', 'Left', 'Fake'],
        [
          ...d.inviters.map((i) => row(i.inviterId ?? '(no inviter)', i)),
          row('Vanity URL', d.vanity),
          row('Unknown', d.unknown),
        ],
        'invites',
      ),
      csvLink(`${base}/invites`),
    );
    c.draw(lineOption(d, [{ name: 'Net', points: d.growth.map((g) => [g.t, g.net]), type: 'bar' }]));
    return;
  }
  if (page === 'apps') {
    const d = await get<{ applications: Ranked[]; commands: Ranked[] }>('apps');
    shell(
      guild,
      h('h1', {}, 'Applications'),
      filters(),
      table(
        ['Application', 'Command uses'],
        d.applications.map((r) => [r.id, fmt(r.value)]),
        'apps',
      ),
      table(
        ['Command', 'Uses'],
        d.commands.map((r) => [r.id, fmt(r.value)]),
        'commands',
      ),
      csvLink(`${base}/apps`),
    );
    return;
  }
  shell(guild, h('p', { class: 'error' }, 'Unknown page.'));
}

function heatOption(cells: number[][]): echarts.EChartsCoreOption {
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const data = cells.flatMap((row, d) => row.map((v, hour) => [hour, d, v]));
  const max = Math.max(1, ...data.map((x) => x[2]!));
  return {
    tooltip: { position: 'top' },
    grid: { left: 48, right: 16, top: 16, bottom: 64 },
    xAxis: { type: 'category', data: Array.from({ length: 24 }, (_, i) => String(i)) },
    yAxis: { type: 'category', data: days },
    visualMap: { min: 0, max, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120 },
    series: [{ type: 'heatmap', data }],
  };
}

async function settingsPage(guild: Guild): Promise<void> {
  const s = await api<{
    timeZone: string;
    includeBots: boolean;
    memberStatsManagersOnly: boolean;
    excludedChannels: string[];
  }>(`/api/guilds/${guild.id}/settings`);
  const tz = h('input', { type: 'text', name: 'timeZone', value: s.timeZone, 'data-testid': 'tz' }) as HTMLInputElement;
  const bots = h('input', { type: 'checkbox', name: 'includeBots', 'data-testid': 'include-bots' }) as HTMLInputElement;
  bots.checked = s.includeBots;
  const who = h(
    'select',
    { name: 'memberStats' },
    h('option', { value: 'insights' }, 'Administrator, Manage Server and View Server Insights'),
    h('option', { value: 'managers' }, 'Administrator and Manage Server'),
  ) as HTMLSelectElement;
  who.value = s.memberStatsManagersOnly ? 'managers' : 'insights';
  const excluded = h('input', {
    type: 'text',
    name: 'excluded',
    value: s.excludedChannels.join(' '),
    placeholder: 'channel ids, space separated',
  }) as HTMLInputElement;
  const status = h('p', { class: 'status', 'data-testid': 'settings-status' });
  const save = h('button', { type: 'submit', 'data-testid': 'save' }, 'Save');
  const form = h(
    'form',
    { class: 'settings' },
    h('label', {}, 'Time zone (IANA, e.g. Europe/Berlin) ', tz),
    h('label', {}, bots, " Count bots' messages"),
    h('label', {}, "Other members' statistics visible to ", who),
    h('label', {}, 'Excluded channels ', excluded),
    save,
    status,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {
      timeZone: tz.value.trim(),
      includeBots: bots.checked,
      memberStatsManagersOnly: who.value === 'managers',
      excludedChannels: excluded.value.split(/[\s,]+/).filter(Boolean),
    };
    api(`/api/guilds/${guild.id}/settings`, { method: 'POST', body: JSON.stringify(body) }).then(
      () => (status.textContent = 'Saved: every shard applies it now.'),
      (err: Error) => (status.textContent = `Not saved: ${err.message}`),
    );
  });
  shell(guild, h('h1', {}, 'Settings'), form);
}

void render();
