// Colours chosen to sit inside a Discord dark-mode message: the background is Discord's own message
// surface, text and grid use its greys, and the palette starts with its brand colours.
/** Channels 0-255, alpha 0-1. */
export type Rgba = readonly [number, number, number, number];

export interface Theme {
  background: string;
  grid: string;
  axis: string;
  text: string;
  mutedText: string;
  palette: readonly string[];
}

export const darkTheme: Theme = {
  background: '#2b2d31',
  grid: '#3b3d44',
  axis: '#4e5058',
  text: '#f2f3f5',
  mutedText: '#b5bac1',
  // Blurple, green, yellow, fuchsia, red, then cyan/orange/violet: distinguishable on the dark grey.
  palette: ['#5865f2', '#57f287', '#fee75c', '#eb459e', '#ed4245', '#3ba5dc', '#f0903c', '#a78bfa'],
};

/** Series colour i, cycling through the palette. */
export function seriesColor(theme: Theme, i: number): string {
  return theme.palette[i % theme.palette.length] ?? theme.text;
}

/** `#rrggbb` plus an alpha in [0,1] as channels (gradient stops). */
export function rgbaOf(hex: string, alpha = 1): Rgba {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255, alpha];
}

/** `#rrggbb` plus an alpha in [0,1] as an rgba() string (for area fills). */
export function withAlpha(hex: string, alpha: number): string {
  const [r, g, b] = rgbaOf(hex);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
