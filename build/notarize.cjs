/* global require, module, process, console */
/**
 * electron-builder afterSign hook: notarises the signed macOS app with Apple's notary service
 * when APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD and APPLE_TEAM_ID are set, and skips (saying so)
 * otherwise or on other platforms. `@electron/notarize` ships with electron-builder.
 */
const REQUIRED = ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'];

/** Which credentials are missing (empty = notarise). Exported for the test. */
function missingCredentials(env) {
  return REQUIRED.filter((name) => !env[name]);
}

async function afterSign(context) {
  if (context.electronPlatformName !== 'darwin') return { notarized: false, reason: 'not macOS' };
  const missing = missingCredentials(process.env);
  if (missing.length > 0) {
    console.log(`notarize: skipped, ${missing.join(', ')} not set`);
    return { notarized: false, reason: `missing ${missing.join(', ')}` };
  }
  // Loaded only when notarising: @electron/notarize comes with electron-builder.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { notarize } = require('@electron/notarize');
  const appPath = `${context.appOutDir}/${context.packager.appInfo.productFilename}.app`;
  console.log(`notarize: submitting ${appPath}`);
  await notarize({ appPath, appleId: process.env.APPLE_ID, appleIdPassword: process.env.APPLE_APP_SPECIFIC_PASSWORD, teamId: process.env.APPLE_TEAM_ID });
  return { notarized: true, reason: null };
}

module.exports = afterSign;
module.exports.default = afterSign;
module.exports.missingCredentials = missingCredentials;
