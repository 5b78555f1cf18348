/**
 * E-mail through nodemailer with the site's SMTP settings. Used directly for invitations;
 * alarm notifications go through the durable outbox instead.
 */
import { createTransport, type Transporter } from 'nodemailer';
import type { SmtpConfig } from '../config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  verify(): Promise<void>;
  close(): void;
}

export function createSmtpMailer(config: SmtpConfig): Mailer {
  const transport: Transporter = createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.username ? { auth: { user: config.username, pass: config.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(message) {
      await transport.sendMail({ from: config.from, to: message.to, subject: message.subject, text: message.text });
    },
    async verify() {
      await transport.verify();
    },
    close() {
      transport.close();
    },
  };
}
