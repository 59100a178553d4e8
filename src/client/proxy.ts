/**
 * Proxies from the environment, as curl and most tools read them: `HTTPS_PROXY` for https
 * URLs, `HTTP_PROXY` for http URLs (and for https ones when `HTTPS_PROXY` is unset), `NO_PROXY`
 * for the hosts to reach directly (comma-separated names, `.domain` suffixes, `host:port`, `*`);
 * the lower-case names win over the upper-case ones.
 *
 * Node.js 20's own `fetch` ignores these variables, so when one of the proxy variables is set,
 * requests go through undici's `fetch` with its `EnvHttpProxyAgent` (CONNECT tunnels through the
 * proxy). Both come from the `undici` package, not from the copy bundled in Node.js: a
 * dispatcher of one undici version cannot be handed to another version's `fetch`. Without a
 * proxy variable undici is never loaded and the platform's `fetch` is used.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ProxySettings {
  readonly httpProxy: string;
  readonly httpsProxy: string;
  readonly noProxy: string;
}

function variable(env: Environment, name: string): string {
  return env[name.toLowerCase()] ?? env[name] ?? '';
}

/** The proxy settings in `env`, or undefined when neither proxy variable is set. */
export function proxySettings(env: Environment): ProxySettings | undefined {
  const settings = {
    httpProxy: variable(env, 'HTTP_PROXY'),
    httpsProxy: variable(env, 'HTTPS_PROXY'),
    noProxy: variable(env, 'NO_PROXY'),
  };
  return settings.httpProxy === '' && settings.httpsProxy === '' ? undefined : settings;
}

/**
 * A `fetch` that honours the proxy variables of `env`: the platform's own when none is set,
 * else undici's through an `EnvHttpProxyAgent`, loaded on the first request.
 */
export function fetchForEnvironment(env: Environment): typeof fetch {
  const settings = proxySettings(env);
  if (settings === undefined) return (input, init) => fetch(input, init);
  let proxied: Promise<typeof fetch> | undefined;
  return async (input, init) => {
    proxied ??= proxiedFetch(settings);
    return (await proxied)(input, init);
  };
}

async function proxiedFetch(settings: ProxySettings): Promise<typeof fetch> {
  const undici = await import('undici');
  const dispatcher = new undici.EnvHttpProxyAgent(settings);
  // undici's Response is the WHATWG class the platform's fetch returns, from another copy of
  // undici: the same interface (all RegistryHttp uses), not the same constructor.
  return (input, init) =>
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    undici.fetch(input as Parameters<typeof undici.fetch>[0], {
      ...(init as Parameters<typeof undici.fetch>[1]),
      dispatcher,
    });
}
