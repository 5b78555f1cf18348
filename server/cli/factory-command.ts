/**
 * `factoryops factory create`: adds a factory with its first super admin to the data
 * directory's metadata database. Safe while the server runs (SQLite WAL + busy timeout).
 */
import { openMeta } from '../app.js';
import { prepareDataDir } from '../bootstrap/data-dir.js';
import { createFactoryWithAdmin } from '../bootstrap/first-factory.js';
import { parseFlags } from '../config.js';
import { CliError } from './cli-error.js';

const OPTIONS = [
  { flag: 'data-dir', env: 'FACTORYOPS_DATA_DIR', type: 'string', default: './data', help: 'data directory of the server' },
  { flag: 'metadata', env: 'FACTORYOPS_METADATA', type: 'string', default: 'sqlite', help: 'metadata database (as for serve)' },
  { flag: 'slug', env: '', type: 'string', help: 'URL-safe identifier, e.g. plant-2' },
  { flag: 'name', env: '', type: 'string', help: 'display name' },
  { flag: 'timezone', env: '', type: 'string', default: 'UTC', help: 'IANA time zone of the factory' },
  { flag: 'admin-email', env: '', type: 'string', help: 'e-mail of its first super admin' },
  { flag: 'admin-password', env: 'FACTORYOPS_ADMIN_PASSWORD', type: 'string', help: 'password (generated and printed when omitted)' },
  { flag: 'help', env: '', type: 'boolean', help: '' },
] as const;

export const FACTORY_CREATE_HELP = `Usage: factoryops factory create --slug S --name N --admin-email E [--admin-password P] [--data-dir DIR] [--metadata URL] [--timezone TZ]`;

export async function factoryCommand(argv: readonly string[], env: NodeJS.ProcessEnv, out: (text: string) => void): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'create') {
    throw new CliError(`unknown factory command "${sub ?? ''}". ${FACTORY_CREATE_HELP}`, 2);
  }
  const flags = parseFlags('factory create', rest, OPTIONS);
  if (flags.help) {
    out(`${FACTORY_CREATE_HELP}\n`);
    return;
  }
  const value = (flag: (typeof OPTIONS)[number]['flag']): string | undefined => {
    const spec = OPTIONS.find((o) => o.flag === flag);
    const v = flags[flag];
    if (typeof v === 'string') return v;
    if (spec?.env && env[spec.env]) return env[spec.env];
    return 'default' in (spec ?? {}) ? (spec as { default?: string }).default : undefined;
  };
  const missing = (['slug', 'name', 'admin-email'] as const).filter((f) => !value(f));
  if (missing.length > 0) throw new CliError(`factory create: missing ${missing.map((m) => `--${m}`).join(', ')}. ${FACTORY_CREATE_HELP}`, 2);

  const layout = prepareDataDir(value('data-dir') ?? './data');
  const meta = await openMeta({ metadata: value('metadata') ?? 'sqlite' }, layout);
  try {
    const password = value('admin-password');
    const created = await createFactoryWithAdmin(
      meta,
      {
        slug: value('slug') ?? '',
        name: value('name') ?? '',
        timezone: value('timezone') ?? 'UTC',
        adminEmail: value('admin-email') ?? '',
        ...(password ? { adminPassword: password } : {}),
      },
      'cli',
      Date.now(),
    );
    out(`created factory "${created.factory.slug}" (id ${created.factory.id}) with super admin ${created.admin.email}\n`);
    if (created.generatedPassword) out(`password (shown once): ${created.generatedPassword}\n`);
  } finally {
    await meta.close();
  }
}
