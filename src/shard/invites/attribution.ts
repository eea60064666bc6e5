// Which invite a join used, from the difference between the snapshot taken before it and the invite list
// fetched after it. Discord does not say; every stats bot infers it this way, and the inference is only
// sound when exactly one use was added since the last look:
//   - exactly one invite's uses rose, by one, and the vanity URL's did not   -> that invite (and inviter);
//   - only the vanity URL's uses rose, by one                                -> 'vanity';
//   - anything else -> 'unknown': several uses at once (simultaneous joins), none at all (a single-use
//     invite that was used up and vanished, an expired invite, a join through Discovery or a bot's
//     OAuth2 grant), or no earlier snapshot to compare with.
import type { Attribution } from '../../member-events.js';
import type { InviteSnapshot } from './snapshot.js';

export interface JoinAttribution {
  attribution: Attribution;
  inviteCode: string | null;
  inviterId: string | null;
}

export const UNKNOWN: JoinAttribution = { attribution: 'unknown', inviteCode: null, inviterId: null };

export function attributeJoin(before: InviteSnapshot | undefined, after: InviteSnapshot): JoinAttribution {
  if (!before) return UNKNOWN;
  let rise = 0;
  let candidate: string | undefined;
  for (const [code, now] of after.invites) {
    // An invite we never saw (its INVITE_CREATE was missed) started at 0 uses.
    const delta = now.uses - (before.invites.get(code)?.uses ?? 0);
    if (delta > 0) {
      rise += delta;
      candidate = code;
    }
  }
  let vanityRise = 0;
  if (after.vanity) {
    // A changed vanity code starts counting afresh.
    const was = before.vanity && before.vanity.code === after.vanity.code ? before.vanity.uses : 0;
    vanityRise = Math.max(0, after.vanity.uses - was);
  }
  if (rise === 1 && vanityRise === 0) {
    return { attribution: 'invite', inviteCode: candidate!, inviterId: after.invites.get(candidate!)!.inviterId };
  }
  if (rise === 0 && vanityRise === 1) return { attribution: 'vanity', inviteCode: after.vanity!.code, inviterId: null };
  return UNKNOWN;
}
