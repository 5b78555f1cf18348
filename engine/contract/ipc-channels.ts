/**
 * IPC channel names alone (no schemas), so the preload bundle stays small: it needs the
 * names, while main validates with the schemas of ipc.ts, which are keyed by the same names.
 */
export const IPC_CHANNEL_NAMES = {
  hostInfo: 'factoryops:host-info',
  loadRefreshToken: 'factoryops:vault-load',
  saveRefreshToken: 'factoryops:vault-save',
  appInfo: 'factoryops:app-info',
  listProfiles: 'factoryops:profiles-list',
  saveProfile: 'factoryops:profiles-save',
  removeProfile: 'factoryops:profiles-remove',
  openProfile: 'factoryops:profiles-open',
  forgetCertificate: 'factoryops:profiles-forget-certificate',
  notifyAlarm: 'factoryops:notify-alarm',
  reportConnection: 'factoryops:connection-state',
  printPage: 'factoryops:print',
  exportPdf: 'factoryops:export-pdf',
  saveFile: 'factoryops:save-file',
} as const;

/** Main → renderer events. */
export const IPC_EVENT_NAMES = {
  alarmFocus: 'factoryops:alarm-focus',
} as const;
