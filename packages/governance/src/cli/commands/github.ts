/**
 * `matriz github protect`: branch protection as code. `--print` shows the exact REST body,
 * `--check` reports drift field by field (and checks CODEOWNERS and workflows), `--apply` sends
 * the PUT only when something drifted. Exit 0 clean, 1 drift or policy problems, 2 usage, token
 * or permission errors.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import {
  applyProtection,
  protectionDriftOf,
  repositoryPolicyProblems,
} from '../../github/branch-protection.js';
import { GitHubError, requireToken } from '../../github/github-error.js';
import { ProtectionClient, type BranchRef } from '../../github/protection-client.js';
import { loadProtectionConfig, type ProtectionConfig } from '../../github/protection-config.js';
import { EXIT_FINDINGS, EXIT_OK, UsageError } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export const DEFAULT_PROTECTION_FILE = '.github/protection.yml';

interface ProtectOptions {
  config: string;
  repo: string;
  branch: string;
  print?: boolean;
  check?: boolean;
  apply?: boolean;
  format: 'text' | 'json';
}

export function gitHubCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const group = new Command('github').description('GitHub repository settings as code');
  group
    .command('protect')
    .description(
      "branch protection from a YAML file in the REST body's own field names (exit 0 in sync, 1 drift or policy problems, 2 usage, token or permission error)",
    )
    .option('--config <file>', 'protection config', DEFAULT_PROTECTION_FILE)
    .requiredOption('--repo <owner/name>', 'the repository')
    .requiredOption('--branch <name>', 'the branch to protect')
    .addOption(new Option('--print', 'print the PUT body and exit').conflicts(['check', 'apply']))
    .addOption(
      new Option(
        '--check',
        'compare with GitHub and the repository files; exit 1 on drift',
      ).conflicts('apply'),
    )
    .addOption(new Option('--apply', 'make GitHub match the config (no request when in sync)'))
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .action(async (opts: ProtectOptions) => {
      setExitCode(await runProtect(opts, io));
    });
  return group;
}

async function runProtect(opts: ProtectOptions, io: CliIo): Promise<number> {
  if (!opts.print && !opts.check && !opts.apply)
    throw new UsageError('choose one of --print, --check or --apply');
  const ref = branchRef(opts);
  const loaded = await loadProtectionConfig(path.resolve(io.cwd, opts.config));
  if (!loaded.ok) throw new UsageError(`${loaded.error.message} [${loaded.error.code}]`);
  const config = loaded.config;
  if (opts.print) {
    io.stderr(`# PUT /repos/${ref.owner}/${ref.repo}/branches/${ref.branch}/protection\n`);
    io.stdout(`${JSON.stringify(config.body, null, 2)}\n`);
    return EXIT_OK;
  }
  try {
    return opts.check
      ? await runCheck(config, ref, opts, io)
      : await runApply(config, ref, opts, io);
  } catch (error) {
    if (error instanceof GitHubError) throw new UsageError(`${error.message} [${error.code}]`);
    throw error;
  }
}

function branchRef(opts: ProtectOptions): BranchRef {
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(opts.repo);
  if (!match) throw new UsageError(`--repo must be OWNER/NAME, got ${JSON.stringify(opts.repo)}`);
  if (opts.branch.trim() === '') throw new UsageError('--branch must name a branch');
  return { owner: match[1] ?? '', repo: match[2] ?? '', branch: opts.branch };
}

function client(io: CliIo, permission: string): ProtectionClient {
  return new ProtectionClient({
    token: requireToken(io.env, permission),
    ...(io.env.GITHUB_API_URL ? { baseUrl: io.env.GITHUB_API_URL } : {}),
  });
}

async function runCheck(
  config: ProtectionConfig,
  ref: BranchRef,
  opts: ProtectOptions,
  io: CliIo,
): Promise<number> {
  const github = client(io, '"Administration: read"');
  const [drift, policy] = await Promise.all([
    protectionDriftOf(config, ref, github),
    repositoryPolicyProblems(config, io.cwd),
  ]);
  const clean =
    drift.drift.length === 0 && policy.codeowners.length === 0 && policy.workflows.length === 0;
  if (opts.format === 'json') {
    io.stdout(
      `${JSON.stringify(
        {
          repository: `${ref.owner}/${ref.repo}`,
          branch: ref.branch,
          in_sync: clean,
          protected: drift.protected,
          drift: drift.drift.map(({ field, expected, actual }) => ({ field, expected, actual })),
          codeowners: policy.codeowners,
          workflows: policy.workflows,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    let out = '';
    const where = `${ref.owner}/${ref.repo} branch ${ref.branch}`;
    if (!drift.protected) out += `${where} is not protected on GitHub\n`;
    if (drift.drift.length === 0) out += `protection of ${where}: in sync\n`;
    else {
      out += `protection of ${where}: ${drift.drift.length} field${drift.drift.length === 1 ? '' : 's'} drifted\n`;
      for (const d of drift.drift) out += `  ${d.message}\n`;
    }
    for (const p of policy.codeowners) out += `codeowners: ${p.message}\n`;
    for (const p of policy.workflows) out += `workflows: ${p.message}\n`;
    out += clean
      ? 'check: OK\n'
      : `check: FAIL${drift.drift.length > 0 ? ` (run with --apply to fix the drift)` : ''}\n`;
    io.stdout(out);
  }
  return clean ? EXIT_OK : EXIT_FINDINGS;
}

async function runApply(
  config: ProtectionConfig,
  ref: BranchRef,
  opts: ProtectOptions,
  io: CliIo,
): Promise<number> {
  const result = await applyProtection(config, ref, client(io, '"Administration: write"'));
  if (opts.format === 'json') {
    io.stdout(
      `${JSON.stringify(
        {
          repository: `${ref.owner}/${ref.repo}`,
          branch: ref.branch,
          applied: result.applied,
          drift: result.drift.map(({ field, expected, actual }) => ({ field, expected, actual })),
          remaining: result.remaining.map(({ field, expected, actual }) => ({
            field,
            expected,
            actual,
          })),
        },
        null,
        2,
      )}\n`,
    );
  } else if (!result.applied) {
    io.stdout(
      `protection of ${ref.owner}/${ref.repo} branch ${ref.branch}: in sync, nothing sent\n`,
    );
  } else {
    let out = `protection of ${ref.owner}/${ref.repo} branch ${ref.branch}: applied (PUT), fixing:\n`;
    for (const d of result.drift) out += `  ${d.message}\n`;
    for (const d of result.remaining) out += `still different after the PUT: ${d.message}\n`;
    io.stdout(out);
  }
  return result.remaining.length === 0 ? EXIT_OK : EXIT_FINDINGS;
}
