/**
 * Electron main process entry. The desktop shell is delivered by the Electron issue; until
 * then this module only declares the IPC surface it will implement, from engine/contract.
 */
export const MAIN_PROCESS_READY = false;
