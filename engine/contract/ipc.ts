/**
 * The IPC contract between the Electron preload (renderer side) and the main process.
 *
 * Declared once here and used twice: preload/ builds `window.factoryops` from IPC_CHANNELS and
 * the types below; main/ validates every incoming message against the same schemas before a
 * handler sees it (the renderer is treated as untrusted input, like an HTTP client).
 *
 * `DesktopBridge` extends the renderer's `FactoryOpsBridge` (bridge.ts): the renderer core
 * needs only `host()` and the refresh-token vault; the rest (profiles, notifications, print and
 * export, connection status) is what a browser tab cannot do. Every call is async and carries
 * plain data; one argument object at most.
 */
import Type from 'typebox';
import { WALL_LAYOUTS, type FactoryOpsBridge, type HostInfo } from './bridge.js';
import { Closed, Id, Nullable, Text } from './common.js';
import { RuleSeveritySchema } from './rules.js';
import { IPC_CHANNEL_NAMES, IPC_EVENT_NAMES } from './ipc-channels.js';

/** A connection profile id: lower-case letters, digits and dashes. */
export const ProfileIdSchema = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,39}$' });

/** A site-server origin as typed by a person; main normalises and checks it further. */
export const ServerUrlSchema = Type.String({ minLength: 8, maxLength: 300, pattern: '^https?://[^\\s]+$' });

/** SHA-256 certificate fingerprint as people compare it: 32 upper-case hex bytes with colons. */
export const FingerprintSchema = Type.String({ pattern: '^([0-9A-F]{2}:){31}[0-9A-F]{2}$' });

export const ProfileInputSchema = Closed({
  /** Absent: a new profile. */
  id: Type.Optional(ProfileIdSchema),
  name: Text(80),
  serverUrl: ServerUrlSchema,
});
export type ProfileInput = Type.Static<typeof ProfileInputSchema>;

export const ProfileViewSchema = Closed({
  id: ProfileIdSchema,
  name: Text(80),
  serverUrl: ServerUrlSchema,
  /** The pinned certificate (trust on first use); null until the first connection. */
  pinnedFingerprint: Nullable(FingerprintSchema),
  pinnedAt: Nullable(Type.String({ maxLength: 40 })),
  /** A refresh token is kept for this profile in the OS vault. */
  hasToken: Type.Boolean(),
});
export type ProfileView = Type.Static<typeof ProfileViewSchema>;

export const ProfileListSchema = Closed({
  profiles: Type.Array(ProfileViewSchema, { maxItems: 100 }),
  /** The profile of the window that asked. */
  currentId: Nullable(ProfileIdSchema),
});
export type ProfileList = Type.Static<typeof ProfileListSchema>;

export const ProfileRefSchema = Closed({ id: ProfileIdSchema });

export const OpenProfileSchema = Closed({
  id: ProfileIdSchema,
  /** true: another window (e.g. trends on a second screen); false: this window switches. */
  newWindow: Type.Boolean(),
});
export type OpenProfileRequest = Type.Static<typeof OpenProfileSchema>;

export const WallLayoutSchema = Type.Union([Type.Literal('overview'), Type.Literal('alarms'), Type.Literal('trends')]);
const _layoutsMatch: readonly Type.Static<typeof WallLayoutSchema>[] = WALL_LAYOUTS;

export const HostInfoSchema = Closed({
  serverUrl: ServerUrlSchema,
  profileName: Type.String({ maxLength: 80 }),
  wallMode: Type.Boolean(),
  wallLayout: Nullable(WallLayoutSchema),
  wallDevices: Type.Array(Id, { maxItems: 16 }),
  wallCycleSeconds: Nullable(Type.Integer({ minimum: 5, maximum: 3600 })),
  shellVersion: Type.String({ maxLength: 40 }),
});
const _hostInfoMatches: HostInfo = {} as Type.Static<typeof HostInfoSchema>;

/** A refresh token as the server issues it (opaque, URL-safe); null forgets it. */
export const RefreshTokenSchema = Nullable(Type.String({ minLength: 16, maxLength: 4096, pattern: '^[A-Za-z0-9._~+/=-]+$' }));

export const AppInfoSchema = Closed({
  productName: Type.String(),
  version: Type.String(),
  electron: Type.String(),
  chrome: Type.String(),
  platform: Type.String(),
  /** How tokens are protected: "os" (Keychain, DPAPI, libsecret/kwallet) or "none" (Linux basic_text). */
  vault: Type.Union([Type.Literal('os'), Type.Literal('none'), Type.Literal('unavailable')]),
  /** Why `vault` is not "os", for the settings page. */
  vaultWarning: Nullable(Type.String()),
  /** Update feed in use (the site server), or null when updates are off. */
  updateFeed: Nullable(Type.String()),
});
export type AppInfo = Type.Static<typeof AppInfoSchema>;

export const AlarmNoticeSchema = Closed({
  alarmId: Id,
  severity: RuleSeveritySchema,
  title: Text(200),
  body: Text(500, 0),
});
export type AlarmNotice = Type.Static<typeof AlarmNoticeSchema>;

export const ConnectionStateSchema = Closed({
  state: Type.Union([Type.Literal('connecting'), Type.Literal('online'), Type.Literal('offline'), Type.Literal('signed-out')]),
});
export type ConnectionState = Type.Static<typeof ConnectionStateSchema>['state'];

/** A file name offered in the save dialog: no folders, no control characters. */
export const SuggestedNameSchema = Type.String({ minLength: 1, maxLength: 120, pattern: '^[^\\\\/:*?"<>|\\u0000-\\u001f]+$' });

export const ExportPdfSchema = Closed({ suggestedName: SuggestedNameSchema });

/** 10 MB of text: a CSV of a long trend; bigger exports are the server's reports. */
export const MAX_EXPORT_CHARS = 10 * 1024 * 1024;
export const SaveFileSchema = Closed({
  suggestedName: SuggestedNameSchema,
  mimeType: Type.Union([Type.Literal('text/csv'), Type.Literal('application/json'), Type.Literal('text/plain')]),
  content: Type.String({ maxLength: MAX_EXPORT_CHARS }),
});
export type SaveFileRequest = Type.Static<typeof SaveFileSchema>;

export const ExportResultSchema = Closed({ saved: Type.Boolean(), fileName: Nullable(Type.String()) });
export type ExportResult = Type.Static<typeof ExportResultSchema>;

const NoArgument = Type.Undefined();
const Nothing = Type.Undefined();

/**
 * Every renderer → main call: its channel name, what it accepts and what it answers.
 * Channel names are prefixed so a stray message from another library is never mistaken.
 */
export const IPC_CHANNELS = {
  hostInfo: { channel: IPC_CHANNEL_NAMES.hostInfo, request: NoArgument, response: HostInfoSchema },
  loadRefreshToken: { channel: IPC_CHANNEL_NAMES.loadRefreshToken, request: NoArgument, response: RefreshTokenSchema },
  saveRefreshToken: { channel: IPC_CHANNEL_NAMES.saveRefreshToken, request: RefreshTokenSchema, response: Nothing },
  appInfo: { channel: IPC_CHANNEL_NAMES.appInfo, request: NoArgument, response: AppInfoSchema },
  listProfiles: { channel: IPC_CHANNEL_NAMES.listProfiles, request: NoArgument, response: ProfileListSchema },
  saveProfile: { channel: IPC_CHANNEL_NAMES.saveProfile, request: ProfileInputSchema, response: ProfileViewSchema },
  removeProfile: { channel: IPC_CHANNEL_NAMES.removeProfile, request: ProfileRefSchema, response: Nothing },
  openProfile: { channel: IPC_CHANNEL_NAMES.openProfile, request: OpenProfileSchema, response: Nothing },
  forgetCertificate: { channel: IPC_CHANNEL_NAMES.forgetCertificate, request: ProfileRefSchema, response: Nothing },
  notifyAlarm: { channel: IPC_CHANNEL_NAMES.notifyAlarm, request: AlarmNoticeSchema, response: Nothing },
  reportConnection: { channel: IPC_CHANNEL_NAMES.reportConnection, request: ConnectionStateSchema, response: Nothing },
  printPage: { channel: IPC_CHANNEL_NAMES.printPage, request: NoArgument, response: Nothing },
  exportPdf: { channel: IPC_CHANNEL_NAMES.exportPdf, request: ExportPdfSchema, response: ExportResultSchema },
  saveFile: { channel: IPC_CHANNEL_NAMES.saveFile, request: SaveFileSchema, response: ExportResultSchema },
} as const;

export type IpcName = keyof typeof IPC_CHANNELS;
export type IpcRequest<N extends IpcName> = Type.Static<(typeof IPC_CHANNELS)[N]['request']>;
export type IpcResponse<N extends IpcName> = Type.Static<(typeof IPC_CHANNELS)[N]['response']>;

/** Main → renderer events (sent to one window). */
export const IPC_EVENTS = {
  /** The person clicked an alarm notification: show that alarm. */
  alarmFocus: { channel: IPC_EVENT_NAMES.alarmFocus, payload: Closed({ alarmId: Id }) },
} as const;

/** The whole surface of `window.factoryops` inside the desktop app. */
export interface DesktopBridge extends FactoryOpsBridge {
  appInfo(): Promise<AppInfo>;
  profiles: {
    list(): Promise<ProfileList>;
    save(profile: ProfileInput): Promise<ProfileView>;
    remove(id: string): Promise<void>;
    open(id: string, options?: { newWindow?: boolean }): Promise<void>;
    /** After the site replaced its certificate on purpose: the next connection asks again. */
    forgetCertificate(id: string): Promise<void>;
  };
  /** An OS notification for a new critical alarm; clicking it focuses the window and the alarm. */
  notifyAlarm(alarm: AlarmNotice): Promise<void>;
  /** Called with the alarm id when the person clicks a notification. Returns an unsubscribe. */
  onAlarmFocus(listener: (alarmId: number) => void): () => void;
  /** The stream's state, shown in the tray. */
  reportConnection(state: ConnectionState): Promise<void>;
  printPage(): Promise<void>;
  exportPdf(suggestedName: string): Promise<ExportResult>;
  saveFile(file: SaveFileRequest): Promise<ExportResult>;
}
