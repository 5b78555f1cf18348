/* global module, process */
/**
 * electron-builder beforePack hook: a release build (FACTORYOPS_RELEASE=1) must be signed,
 * because the desktop app installs updates only from signed builds. Fails early, naming the
 * missing variables, instead of producing an unsigned installer. Development builds pass.
 */
function missingSigning(platform, env) {
  if (env.FACTORYOPS_RELEASE !== '1') return [];
  if (platform === 'win32') return env.WIN_CSC_LINK || env.CSC_LINK ? [] : ['WIN_CSC_LINK (or CSC_LINK) and its password'];
  if (platform === 'darwin') {
    const missing = env.CSC_LINK ? [] : ['CSC_LINK and CSC_KEY_PASSWORD'];
    return missing.concat(['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID'].filter((name) => !env[name]));
  }
  // Linux packages are not code-signed; their integrity comes from latest-linux.yml's SHA-512
  // served over the pinned TLS connection.
  return [];
}

async function beforePack(context) {
  const missing = missingSigning(context.electronPlatformName, process.env);
  if (missing.length > 0) throw new Error(`release build for ${context.electronPlatformName} is not signed: set ${missing.join(', ')}`);
}

module.exports = beforePack;
module.exports.default = beforePack;
module.exports.missingSigning = missingSigning;
