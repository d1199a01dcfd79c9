/**
 * The Parley client SDK. Pure parts (usable in a browser later): event drafts and
 * building, the channel view, NDJSON and SSE parsing, the HTTP client (global fetch).
 * Node-only: `keystore-file` (fs). The keystore codec uses node:crypto's scrypt.
 */
export * from './errors';
export * from './keystore';
export * from './event-drafts';
export * from './channel-view';
export * from './channel-session';
export * from './http-client';
export * from './ndjson';
export * from './sse';
export * from './channel-summary';
export * from './shared-document';
