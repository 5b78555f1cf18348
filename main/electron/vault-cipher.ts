/**
 * safeStorage as the token vault's cipher (async API: the OS keychain may prompt). On Linux
 * without a secret service Chromium falls back to "basic_text", which only obfuscates: the
 * shell still works but says so in the app info, so a site can fix the workstation.
 */
import { safeStorage } from 'electron';
import type { AppInfo } from '../../engine/contract/ipc.js';
import type { Cipher } from '../core/token-vault.js';

export const safeStorageCipher: Cipher = {
  async encrypt(plainText) {
    if (!(await safeStorage.isAsyncEncryptionAvailable())) throw new Error('the OS credential store is not available; the token is kept for this session only');
    return safeStorage.encryptStringAsync(plainText);
  },
  async decrypt(encrypted) {
    const { result, shouldReEncrypt } = await safeStorage.decryptStringAsync(encrypted);
    return { text: result, stale: shouldReEncrypt };
  },
};

export async function vaultStatus(): Promise<Pick<AppInfo, 'vault' | 'vaultWarning'>> {
  if (!(await safeStorage.isAsyncEncryptionAvailable())) {
    return { vault: 'unavailable', vaultWarning: 'No OS credential store: you will sign in again after each start.' };
  }
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    return { vault: 'none', vaultWarning: 'No secret service (gnome-keyring or KWallet) is running: the sign-in token is only obfuscated on disk.' };
  }
  return { vault: 'os', vaultWarning: null };
}
