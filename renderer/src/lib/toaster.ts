/** One toaster for the app (created lazily; Blueprint mounts it in its own root). */
import { OverlayToaster, type Toaster, type ToastProps } from '@blueprintjs/core';

let toaster: Promise<Toaster> | null = null;

export function toast(props: ToastProps): void {
  toaster ??= OverlayToaster.create({ position: 'bottom-right', maxToasts: 4 });
  void toaster.then((t) => t.show({ timeout: 5000, ...props }));
}

export function toastError(message: string): void {
  toast({ intent: 'danger', message, icon: 'error' });
}

export function toastOk(message: string): void {
  toast({ intent: 'success', message, icon: 'tick' });
}
