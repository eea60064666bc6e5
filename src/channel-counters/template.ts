// Counter templates: text with {variables} that the scheduler fills in and writes as a channel's name.
// The one list of variables, their meaning and the checks /counters add makes before storing anything.

/** Discord's channel name limit (resources/channel.mdx: 1-100 characters). */
export const MAX_NAME_LENGTH = 100;

export const VARIABLES = {
  members: 'members in the server (Discord’s count)',
  'members.joined.today': 'members who joined today',
  'messages.today': 'messages sent today',
  'messages.week': 'messages in the last 7 days',
  'active.today': 'members who sent a message today',
  'voice.now': 'members in a voice channel now',
  'voice.hours.today': 'hours spent in voice today',
} as const;

export type Variable = keyof typeof VARIABLES;

const VAR_RE = /\{([^{}]*)\}/g;

export function isVariable(name: string): name is Variable {
  return Object.hasOwn(VARIABLES, name);
}

/** The variables a template uses, or an error message saying what is wrong with it. */
export function parseTemplate(template: string): { variables: Variable[] } | { error: string } {
  const chars = [...template];
  if (template.trim().length === 0) return { error: 'The template is empty.' };
  if (chars.length > MAX_NAME_LENGTH) {
    return {
      error: `The template is ${chars.length} characters long; a channel name can have at most ${MAX_NAME_LENGTH}.`,
    };
  }
  const used = new Set<Variable>();
  for (const m of template.matchAll(VAR_RE)) {
    const name = m[1]!.trim();
    if (!isVariable(name))
      return {
        error: `Unknown variable {${name.slice(0, 40)}}. Known: ${Object.keys(VARIABLES)
          .map((v) => `{${v}}`)
          .join(', ')}.`,
      };
    used.add(name);
  }
  if (/[{}]/.test(template.replace(VAR_RE, ''))) return { error: 'A brace is not closed: write variables as {name}.' };
  if (used.size === 0)
    return {
      error: `The template has no variable, so it would never change. Use one of ${Object.keys(VARIABLES)
        .map((v) => `{${v}}`)
        .join(', ')}.`,
    };
  return { variables: [...used] };
}

/** Numbers as names show them: grouped digits (1,234), one decimal for fractional values. */
export function formatValue(n: number): string {
  return Number.isInteger(n)
    ? n.toLocaleString('en-US')
    : n.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
}

/**
 * The name for `values`: variables replaced, cut to Discord's limit (a template of at most 100 characters
 * can grow past it when numbers are long), never empty.
 */
export function renderTemplate(template: string, values: Readonly<Partial<Record<Variable, number>>>): string {
  const text = template.replace(VAR_RE, (_, raw: string) => {
    const v = values[raw.trim() as Variable];
    return v === undefined ? '?' : formatValue(v);
  });
  const chars = [...text.trim()];
  return (chars.length > MAX_NAME_LENGTH ? chars.slice(0, MAX_NAME_LENGTH) : chars).join('') || '?';
}
