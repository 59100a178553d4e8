/** Who a decision is recorded against: the GitHub Actions actor, else the local git user. */
import { gitConfig } from './git-revisions.js';

export async function decisionActor(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<string> {
  if (env.GITHUB_ACTOR) return env.GITHUB_ACTOR;
  const name = await gitConfig(cwd, 'user.name');
  const email = await gitConfig(cwd, 'user.email');
  if (name && email) return `${name} <${email}>`;
  return name ?? email ?? 'unknown';
}
