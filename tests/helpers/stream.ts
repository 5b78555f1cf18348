/**
 * A real `ws` client of `/api/v1/stream`, signed in with an access token: every message it
 * receives is kept in `messages` (parsed) for the test to wait on.
 *
 *   const stream = await openStream(server.url, session.accessToken);
 *   stream.send({ type: 'subscribe', alarms: true });
 *   await waitFor(() => stream.messages.find((m) => m.type === 'subscribed'), 'subscribed');
 *   stream.close();
 */
import WebSocket from 'ws';
import { waitFor } from './ingest.js';
import type { Json } from './test-server.js';

export interface StreamClient {
  messages: Json[];
  send(message: Json): void;
  close(): void;
}

export async function openStream(baseUrl: string, token: string): Promise<StreamClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/stream`);
  const messages: Json[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'auth', token }));
  await waitFor(() => messages.find((m) => m.type === 'ready'), 'stream ready');
  return { messages, send: (message) => ws.send(JSON.stringify(message)), close: () => ws.close() };
}
