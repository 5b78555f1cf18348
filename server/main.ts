/**
 * The `factoryops` command: `serve` runs the site server, `factory create` adds a factory.
 * Errors a person can fix print as one line with what to do, and exit non-zero.
 */
import { startServer } from './app.js';
import { CliError } from './cli/cli-error.js';
import { FACTORY_CREATE_HELP, factoryCommand } from './cli/factory-command.js';
import { optionsHelp, resolveServeConfig, SERVE_OPTIONS } from './config.js';
import { productVersion } from './observe/version.js';

const USAGE = `FactoryOps ${productVersion()} — on-prem industrial IoT control room

Usage:
  factoryops serve [options]        run the site server (API, UI, MQTT broker)
  factoryops factory create ...     add a factory with its first super admin
  factoryops --version

serve options (each also as an environment variable):
${optionsHelp(SERVE_OPTIONS)}

${FACTORY_CREATE_HELP}
`;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  const out = (text: string) => process.stdout.write(text);
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out(USAGE);
        return command === undefined ? 2 : 0;
      case '--version':
      case 'version':
        out(`${productVersion()}\n`);
        return 0;
      case 'serve': {
        if (rest.includes('--help')) {
          out(USAGE);
          return 0;
        }
        const config = resolveServeConfig(rest, env);
        // Closing (after a signal, or after a failed start) may wait on unref'd handles such
        // as worker threads; with the listeners gone nothing else keeps the loop alive, and
        // Node would end the process mid-close with exit code 13 and without the error
        // message. Hold the process open until serve has finished either way.
        const keepAlive = setInterval(() => {}, 60_000);
        try {
          const server = await startServer(config, { env });
          await waitForSignal();
          await server.close();
        } finally {
          clearInterval(keepAlive);
        }
        exitEvenIfSomethingLingers();
        return 0;
      }
      case 'factory':
        await factoryCommand(rest, env, out);
        return 0;
      default:
        throw new CliError(`unknown command "${command}". Run "factoryops --help".`, 2);
    }
  } catch (error) {
    if (command === 'serve') exitEvenIfSomethingLingers();
    if (error instanceof CliError) {
      process.stderr.write(`factoryops: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`factoryops: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * After `serve` has stopped or failed to start, the process should end on its own. If some
 * component leaked a timer or socket (a half-started broker, say), it must not leave a CLI
 * hanging after it printed its error: exit anyway after a short grace period. The timer is
 * unref'd, so a clean shutdown exits at once and never waits for it.
 */
function exitEvenIfSomethingLingers(graceMs = 2000): void {
  setTimeout(() => process.exit(), graceMs).unref();
}
