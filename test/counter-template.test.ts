// Counter templates (src/channel-counters/template.ts): what /counters add accepts and refuses, and the
// names the scheduler writes. Expected strings are written out here.
import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate } from '../src/channel-counters/template.js';

describe('counter templates', () => {
  it('accepts known variables (spaces inside braces allowed) and lists each once', () => {
    expect(parseTemplate('👥 {members} · {members} · { voice.now }')).toEqual({ variables: ['members', 'voice.now'] });
  });

  it('refuses unknown variables, unclosed braces, no variable, empty text and more than 100 characters', () => {
    const error = (t: string) => ('error' in parseTemplate(t) ? (parseTemplate(t) as { error: string }).error : '');
    expect(error('{users}')).toMatch(/Unknown variable \{users\}/);
    expect(error('Members: {members')).toMatch(/brace/);
    expect(error('Members}: {members}')).toMatch(/brace/);
    expect(error('no variable')).toMatch(/no variable/);
    expect(error('   ')).toMatch(/empty/);
    expect(error(`{members}${'x'.repeat(91)}`)).toBe('');
    expect(error(`{members}${'x'.repeat(92)}`)).toMatch(/101 characters/);
    // Characters, not UTF-16 units: 100 emoji are 100 characters.
    expect(error(`{members}${'👥'.repeat(91)}`)).toBe('');
  });

  it('renders grouped numbers, one decimal for fractions, and cuts the name at 100 characters', () => {
    expect(renderTemplate('👥 Members: {members}', { members: 12345 })).toBe('👥 Members: 12,345');
    expect(renderTemplate('🎙 {voice.hours.today} h', { 'voice.hours.today': 2.5 })).toBe('🎙 2.5 h');
    const long = renderTemplate(`${'a'.repeat(95)}{messages.week}`, { 'messages.week': 1234567 });
    expect([...long]).toHaveLength(100);
    expect(long).toBe(`${'a'.repeat(95)}1,234`);
  });
});
