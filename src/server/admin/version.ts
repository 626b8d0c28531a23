/** What /api/version reports (Traefik's field names). */
export const VERSION_INFO = { Version: '0.1.0', Codename: 'tagway' } as const;
