// The scheduler's Discord client: @discordjs/rest alone (no gateway session). It queues per route bucket
// and waits out 429s, except for channel edits: a channel's rename limit (2 per 10 minutes) can hold a
// request for minutes, so those reject at once with a RateLimitError and the counter job reschedules.
import { REST } from 'discord.js';

export function createSchedulerRest(o: { api: string; token: string; globalRequestsPerSecond: number }): REST {
  return new REST({
    api: o.api,
    globalRequestsPerSecond: o.globalRequestsPerSecond,
    rejectOnRateLimit: (data) => data.method.toUpperCase() === 'PATCH' && data.route.startsWith('/channels/'),
  }).setToken(o.token);
}
