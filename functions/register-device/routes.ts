/** The routes register-device answers. */
export const REGISTER_DEVICE_ROUTES = ['POST /api/devices'] as const;
