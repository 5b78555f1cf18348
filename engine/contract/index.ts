/** The wire contract shared by server, renderer, preload and main. */
export * from './common.js';
export * from './errors.js';
export * from './roles.js';
export * from './auth.js';
export * from './devices.js';
export * from './rules.js';
export * from './alerts.js';
export * from './stream.js';
export * from './telemetry.js';
