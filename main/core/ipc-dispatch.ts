/**
 * The one wrapper around IPC (raw `ipcMain` is used nowhere else): every message is checked
 * against its schema in engine/contract/ipc.ts before a handler runs, so a handler only ever
 * sees well-formed input, and a bad message fails with a sentence that names the field.
 */
import { Compile, type Validator } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { IPC_CHANNELS, type IpcName, type IpcRequest, type IpcResponse } from '../../engine/contract/ipc.js';

export class IpcValidationError extends Error {
  override readonly name = 'IpcValidationError';
}

export type IpcHandlers<Ctx> = {
  [N in IpcName]: (ctx: Ctx, request: IpcRequest<N>) => Promise<IpcResponse<N>>;
};

const NAMES = Object.keys(IPC_CHANNELS) as IpcName[];
const validators = new Map<IpcName, Validator>(NAMES.map((name) => [name, Compile(IPC_CHANNELS[name].request as TSchema)]));
const byChannel = new Map<string, IpcName>(NAMES.map((name) => [IPC_CHANNELS[name].channel, name]));

/** Checks the arguments of one `invoke` (at most one, matching the channel's schema). */
export function validateRequest<N extends IpcName>(name: N, args: readonly unknown[]): IpcRequest<N> {
  if (args.length > 1) throw new IpcValidationError(`${name}: expected at most one argument, got ${args.length}`);
  const payload = args[0];
  const validator = validators.get(name) as Validator;
  if (!validator.Check(payload)) {
    const first = validator.Errors(payload)[0];
    const where = first?.instancePath ? ` at ${first.instancePath}` : '';
    throw new IpcValidationError(`${name}: invalid argument${where}: ${first?.message ?? 'does not match the contract'}`);
  }
  return payload as IpcRequest<N>;
}

export function ipcNameOf(channel: string): IpcName | undefined {
  return byChannel.get(channel);
}

export interface IpcDispatcher<Ctx> {
  /** Every channel with its name, for registering with ipcMain.handle. */
  readonly channels: ReadonlyArray<{ name: IpcName; channel: string }>;
  dispatch(channel: string, ctx: Ctx, args: readonly unknown[]): Promise<unknown>;
}

export function createIpcDispatcher<Ctx>(handlers: IpcHandlers<Ctx>): IpcDispatcher<Ctx> {
  return {
    channels: NAMES.map((name) => ({ name, channel: IPC_CHANNELS[name].channel })),
    async dispatch(channel, ctx, args) {
      const name = ipcNameOf(channel);
      if (name === undefined) throw new IpcValidationError(`unknown IPC channel "${channel}"`);
      const request = validateRequest(name, args);
      const handler = handlers[name] as (ctx: Ctx, request: unknown) => Promise<unknown>;
      return handler(ctx, request);
    },
  };
}
