import packageJson from '../package.json' with { type: 'json' };

/** The governance package's version; `matriz` depends on this exact version, so both agree. */
export const VERSION: string = packageJson.version;
