/**
 * Twilio settings from the environment, with the seed's variable names (TWILIO_ACCOUNT_SID,
 * …), like smtpFromEnv in ../config.ts. No account SID or token = no WhatsApp/SMS: those
 * messages are skipped with a logged reason rather than failing the alarm.
 */
import { CliError } from '../cli/cli-error.js';

export interface TwilioConfig {
  accountSid: string;
  authToken: string;
  /** Sender for WhatsApp, E.164 (`+14155238886`); null = WhatsApp not set up. */
  whatsappFrom: string | null;
  /** Sender for SMS: an E.164 number or a Messaging Service SID (MG…); null = SMS not set up. */
  smsFrom: string | null;
  /**
   * Where Twilio's REST API is reached; null = https://api.twilio.com. A site-local relay
   * (plants without direct internet access) or a test stand-in (FACTORYOPS_TWILIO_API_URL).
   */
  apiUrl: string | null;
}

function optional(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

export function twilioFromEnv(env: NodeJS.ProcessEnv): TwilioConfig | null {
  const accountSid = optional(env.TWILIO_ACCOUNT_SID);
  const authToken = optional(env.TWILIO_AUTH_TOKEN);
  if (!accountSid || !authToken) return null;
  if (!/^AC[0-9a-zA-Z]{32}$/.test(accountSid)) {
    throw new CliError('TWILIO_ACCOUNT_SID must be an account SID: "AC" followed by 32 characters', 2);
  }
  const apiUrl = optional(env.FACTORYOPS_TWILIO_API_URL);
  if (apiUrl !== null && !/^https?:\/\/[^\s/]+/.test(apiUrl)) {
    throw new CliError(`FACTORYOPS_TWILIO_API_URL must be an http(s) URL, got "${apiUrl}"`, 2);
  }
  return {
    accountSid,
    authToken,
    // Accept "whatsapp:+1…" as people copy it from Twilio's console; the channel adds the prefix.
    whatsappFrom: optional(env.TWILIO_WHATSAPP_FROM)?.replace(/^whatsapp:/i, '') ?? null,
    smsFrom: optional(env.TWILIO_SMS_FROM),
    apiUrl: apiUrl?.replace(/\/+$/, '') ?? null,
  };
}

/**
 * FACTORYOPS_SMTP_VERIFY_TLS=true: refuse an SMTP server whose STARTTLS certificate does not
 * verify (see channels/email.ts; implicit TLS with SMTP_SECURE is always verified).
 */
export function smtpVerifyStartTlsFromEnv(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes|on)$/i.test(env.FACTORYOPS_SMTP_VERIFY_TLS ?? '');
}
