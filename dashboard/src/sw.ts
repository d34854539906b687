/**
 * The dashboard's service worker: keeps the app shell for offline use (the API is never cached: stale lab data
 * is worse than none) and turns Web Push messages into notifications.
 */
declare const __VERSION__: string;
declare const __SHELL__: string[];

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(response: Promise<Response>): void;
}
interface PushEvent extends ExtendableEvent {
  data: { json(): unknown } | null;
}
interface NotificationEvent extends ExtendableEvent {
  notification: Notification & { data?: { url?: string } };
}
interface Worker {
  addEventListener(type: 'install' | 'activate', fn: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', fn: (event: FetchEvent) => void): void;
  addEventListener(type: 'push', fn: (event: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', fn: (event: NotificationEvent) => void): void;
  skipWaiting(): Promise<void>;
  registration: ServiceWorkerRegistration;
  clients: {
    claim(): Promise<void>;
    matchAll(options: {
      type: 'window';
    }): Promise<Array<{ url: string; focus(): Promise<unknown>; navigate(url: string): Promise<unknown> }>>;
    openWindow(url: string): Promise<unknown>;
  };
  location: Location;
}

const sw = self as unknown as Worker;
const CACHE = `labloop-shell-${__VERSION__}`;

sw.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(__SHELL__))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith('labloop-shell-') && k !== CACHE).map((k) => caches.delete(k)),
        ),
      )
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== sw.location.origin || url.pathname.includes('/api/'))
    return;
  // Network first, so a running lab always gets the newest shell; the cache answers when the network cannot.
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          void caches
            .open(CACHE)
            .then((cache) => cache.put(event.request.mode === 'navigate' ? './' : event.request, copy));
        }
        return response;
      })
      .catch(
        async () =>
          (await caches.match(event.request.mode === 'navigate' ? './' : event.request, {
            ignoreSearch: true,
          })) ?? Response.error(),
      ),
  );
});

sw.addEventListener('push', (event) => {
  const data = (event.data?.json() ?? {}) as { title?: string; body?: string; tag?: string; url?: string };
  event.waitUntil(
    sw.registration.showNotification(data.title ?? 'labloop', {
      body: data.body ?? '',
      tag: data.tag ?? 'labloop',
      icon: 'icon-192.png',
      badge: 'icon-192.png',
      data: { url: data.url ?? '#/alerts' },
    }),
  );
});

sw.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(`./${event.notification.data?.url ?? '#/alerts'}`, sw.registration.scope).href;
  event.waitUntil(
    sw.clients.matchAll({ type: 'window' }).then((windows) => {
      const open = windows[0];
      return open ? open.navigate(target).then(() => open.focus()) : sw.clients.openWindow(target);
    }),
  );
});
