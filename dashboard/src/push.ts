import type { PushSubscriptionPayload } from '../../contracts/index.ts';
import type { ApiClient } from './api.ts';

/** Whether this browser can receive Web Push here (it needs a secure context: HTTPS or localhost). */
export function pushSupported(): boolean {
  return (
    window.isSecureContext &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    'Notification' in window
  );
}

function keyBytes(base64url: string): Uint8Array {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

/** Asks for permission, subscribes this browser with the lab's VAPID key and registers it with the server. */
export async function enablePush(api: ApiClient, publicKey: string): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(`notifications are ${permission} for this site`);
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: keyBytes(publicKey) as BufferSource,
  });
  await api.subscribePush(subscription.toJSON() as PushSubscriptionPayload);
}
