/**
 * Alarm e-mail through nodemailer with the site's SMTP settings (SMTP_* variables, see
 * ../../config.ts). One message per recipient, so one bad address never holds back the
 * others and each outcome is recorded on its own outbox row.
 */
import { createTransport, type Transporter } from 'nodemailer';
import type { SmtpConfig } from '../../config.js';
import type { OutboxMessage } from '../../store/meta/repositories/outbox.js';
import { describeError, type DeliveryChannel, type DeliveryResult } from './channel.js';

export interface EmailChannelOptions {
  /**
   * Verify the server's certificate when a plain connection is upgraded with STARTTLS
   * (default false; see createEmailChannel). Implicit TLS (SMTP_SECURE) is always verified.
   */
  verifyStartTls?: boolean;
  /** Connection and greeting timeout, ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Idle socket timeout during a session, ms (default 30 s). */
  socketTimeoutMs?: number;
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  command?: string;
}

/**
 * SMTP failure → outcome. Permanent only when the server refused this message or recipient
 * (5xx at RCPT TO or DATA) or nodemailer refused the address itself; everything else —
 * refused connection, timeout, 4xx, a bad login or sender (site configuration someone can
 * fix) — is retried, so an SMTP outage or a typo in SMTP_PASSWORD loses nothing.
 */
export function classifySmtpError(error: unknown): DeliveryResult {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SmtpError;
  const text = describeError(error);
  if (e.code === 'EAUTH') return { outcome: 'retry', error: text };
  if (typeof e.responseCode === 'number') {
    const permanent = e.responseCode >= 500 && e.responseCode < 600 && (e.command === 'RCPT TO' || e.command === 'DATA');
    return permanent ? { outcome: 'permanent', error: text } : { outcome: 'retry', error: text };
  }
  if ((e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.command === 'API') return { outcome: 'permanent', error: text };
  return { outcome: 'retry', error: text };
}

/** The domain of the From address, for Message-IDs ("factoryops@plant.example" → plant.example). */
function messageIdDomain(from: string): string {
  const match = /@([^>\s]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'factoryops.local';
}

/**
 * With SMTP_SECURE the connection is TLS from the start and the certificate is verified.
 * Without it, STARTTLS is used when the server offers it, as opportunistic encryption: the
 * certificate is not verified unless verifyStartTls is set — plant relays commonly present
 * self-signed or expired certificates, and the seed's smtplib.starttls() did not verify
 * either. An unverified upgrade still beats the plain-text session the alternative would be.
 */
export function createEmailChannel(config: SmtpConfig, options: EmailChannelOptions = {}): DeliveryChannel {
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const transport: Transporter = createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(!config.secure && !options.verifyStartTls && { tls: { rejectUnauthorized: false } }),
    ...(config.username ? { auth: { user: config.username, pass: config.password ?? '' } } : {}),
    connectionTimeout: connectTimeout,
    greetingTimeout: connectTimeout,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
  });
  const domain = messageIdDomain(config.from);
  return {
    name: 'email',
    async deliver(message: OutboxMessage): Promise<DeliveryResult> {
      try {
        const info = (await transport.sendMail({
          from: config.from,
          to: message.recipient,
          subject: message.subject,
          text: message.body,
          // One Message-ID per outbox row: if the at-least-once edge (a crash between the
          // server's 250 and markSent) ever resends a row, mail clients see the same message.
          messageId: `<outbox-${message.id}.alert-${message.alertId}@${domain}>`,
          headers: {
            'X-FactoryOps-Alert': String(message.alertId),
            'X-FactoryOps-Notification': message.kind,
            'Auto-Submitted': 'auto-generated',
          },
        })) as { messageId?: string; rejected?: unknown[] };
        if (Array.isArray(info.rejected) && info.rejected.length > 0) {
          return { outcome: 'permanent', error: `recipient rejected: ${message.recipient}` };
        }
        return { outcome: 'sent', ...(info.messageId !== undefined && { providerId: info.messageId }) };
      } catch (error) {
        return classifySmtpError(error);
      }
    },
    close() {
      transport.close();
    },
  };
}
