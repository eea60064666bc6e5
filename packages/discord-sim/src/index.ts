// discord-sim's public API. Everything a test, a demo or a benchmark needs is exported here; the modules
// behind it are the package's own business.

// The simulator: gateway + REST on 127.0.0.1, the world, the ground truth, recorded replies, faults.
export { Simulator, startSimulator, type SimulatorOptions, type Faults, type EndpointDelivery } from './simulator.js';
export { REAL_CLOCK, type SimClock } from './clock.js';
export { ApplicationKeys, type SignedHeaders } from './http-delivery.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export type { PrivilegedIntent } from './intents.js';
export type { IdentifyRecord } from './gateway.js';
export type { RestFault, RestStats } from './rest.js';
export type { OAuth2 } from './oauth.js';
export type { SimOverwrite } from './world.js';

// The world.
export {
  World,
  ChannelKind,
  type SimGuild,
  type SimChannel,
  type SimMember,
  type SimUser,
  type SimRole,
  type SimEmoji,
  type SimApplication,
  type SimInvite,
  type SimVoiceState,
  type SimPresence,
  type SimActivity,
} from './world.js';
export { shardForGuild, snowflakeTimestamp, SnowflakeGenerator, DISCORD_EPOCH } from './snowflake.js';

// What is sent, and the truth kept of it.
export type { SendMessage, SentMessage, MessageInteractionInput, ReplyInput } from './messages.js';
export {
  GroundTruth,
  truthCharacters,
  truthWords,
  type DetailTotals,
  type TruthMessage,
  type Totals,
  type TotalsOptions,
} from './truth.js';
export type { TrafficOptions, TrafficSummary } from './traffic.js';
export { TRICKY_UNICODE, COMMON_UNICODE, type UnicodeEmoji, type ReactionEmoji, type SendReaction } from './emoji.js';

// Interactions with the bot.
export type { InvokeCommand, CommandOption } from './command-data.js';
export type { RecordedReply, ClickButton } from './interactions.js';
export type { UploadedFile } from './multipart.js';

// Scenario drivers, each with its own truth; they need only the small interfaces of driver.ts.
export type { GuildEventSink, ChatSink } from './driver.js';
export { sendEmojiTraffic, type EmojiTrafficOptions, type EmojiTrafficSummary } from './emoji-traffic.js';
export {
  sendAppTraffic,
  applicationIdOf,
  UNKNOWN_COMMAND,
  type AppTrafficOptions,
  type AppTrafficSummary,
} from './app-traffic.js';
export { StructureDriver, type NewChannel } from './structure.js';
export { MemberRoleEditor, type MemberRoleChange } from './member-roles.js';
export { sendMentionTraffic, type MentionTrafficOptions, type MentionTrafficSummary } from './mention-traffic.js';
export { VoiceDriver, type VoiceFlags, type VoiceTotals } from './voice.js';
export { PresenceDriver, activityTruthKey, type ActivityInput, type ActivityTotals } from './presence.js';
export {
  MemberTraffic,
  runInviteScenario,
  type InviteScenarioOptions,
  type InviteScenarioCast,
  type JoinTruth,
  type LeaveTruth,
  type JoinVia,
  type SimAttribution,
  type Breakdown,
  type ExpectedInviteStats,
} from './invites.js';
export { sendMixedTraffic, type MixedTraffic, type MixedTrafficHost, type MixedTrafficOptions } from './scenario.js';
