/**
 * `matriz owners enrol` (docs/security.md): records which lanes and tiers an owner key may claim,
 * signed by the trust root's enrolment role, in the log. `matriz owners claim` binds an entry
 * imported from the prototype registry to its owner's key, the same way; `matriz owners
 * takedown` (revocation role) deregisters an entry whose owner key is revoked. Exit codes as
 * `matriz trust`.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ownerId, publicKeyFromJson } from '../../crypto/keys.js';
import { ENROLMENT_LANES, type EnrolmentLane } from '../../trust/enrolment.js';
import { UsageError } from '../exit-codes.js';
import { readJsonFile } from '../inputs.js';
import type { CliIo } from '../io.js';
import {
  type SetExitCode,
  type StorageOptions,
  storageOptions,
  withOperator,
  logged,
} from '../operator-storage.js';

function laneList(value: string): EnrolmentLane[] {
  const lanes = value.split(',').map((l) => l.trim());
  for (const lane of lanes)
    if (!(ENROLMENT_LANES as readonly string[]).includes(lane))
      throw new InvalidArgumentError(`${lane} is not a lane (${ENROLMENT_LANES.join(', ')})`);
  return lanes as EnrolmentLane[];
}

function tier(value: string): number {
  const n = Number(value);
  if (!/^[0-7]$/.test(value)) throw new InvalidArgumentError('must be an integer from 0 to 7');
  return n;
}

export function ownersCommand(io: CliIo, setExitCode: SetExitCode): Command {
  const group = new Command('owners').description('owner entitlements recorded in the log');
  storageOptions(
    group
      .command('enrol')
      .description(
        'enrol an owner: the lanes and highest tier its registrations may claim, signed by the enrolment role and recorded in the log',
      )
      .requiredOption('--pub <file>', "the owner's public key JSON (matriz keys export-public)")
      .addOption(
        new Option('--lanes <lanes>', 'comma-separated lanes')
          .argParser(laneList)
          .makeOptionMandatory(),
      )
      .addOption(
        new Option('--max-tier <n>', 'highest tier, 0..7').argParser(tier).makeOptionMandatory(),
      ),
  ).action(
    async (opts: StorageOptions & { pub: string; lanes: EnrolmentLane[]; maxTier: number }) => {
      const owner = await readOwnerKey(io, opts.pub);
      await withOperator(io, setExitCode, opts, async (operator) => {
        const result = await operator.enrolOwner(owner, opts.lanes, opts.maxTier);
        const enrolled = ownerId(owner.keyid);
        if (opts.json)
          io.stdout(
            `${JSON.stringify({ owner_id: enrolled, lanes: opts.lanes, max_tier: opts.maxTier, ...logged(result) })}\n`,
          );
        else
          io.stdout(
            `enrolled ${enrolled} for lanes ${opts.lanes.join(', ')} up to tier ${opts.maxTier} (log index ${result.index})\n`,
          );
      });
    },
  );
  storageOptions(
    group
      .command('claim')
      .description(
        'bind an entry imported from the prototype registry (provenance legacy-import) to its owner key, signed by the enrolment role and recorded in the log',
      )
      .argument('<registry_id>', 'the imported entry, <name>@<version>')
      .requiredOption('--pub <file>', "the owner's public key JSON (matriz keys export-public)"),
  ).action(async (registryId: string, opts: StorageOptions & { pub: string }) => {
    const owner = await readOwnerKey(io, opts.pub);
    await withOperator(io, setExitCode, opts, async (operator) => {
      const result = await operator.claim(registryId, owner);
      const claimed = ownerId(owner.keyid);
      if (opts.json)
        io.stdout(
          `${JSON.stringify({ registry_id: registryId, owner_id: claimed, ...logged(result) })}\n`,
        );
      else io.stdout(`claimed ${registryId} for ${claimed} (log index ${result.index})\n`);
    });
  });
  storageOptions(
    group
      .command('takedown')
      .description(
        'deregister an entry whose owner key is revoked (its owner can no longer sign a deregistration), signed by the revocation role and recorded in the log',
      )
      .argument('<registry_id>', 'the entry, <name>@<version>')
      .requiredOption('--reason <text>', 'why, for the log (at most 500 characters)'),
  ).action(async (registryId: string, opts: StorageOptions & { reason: string }) => {
    await withOperator(io, setExitCode, opts, async (operator) => {
      const result = await operator.takeDown(registryId, opts.reason);
      if (opts.json)
        io.stdout(`${JSON.stringify({ registry_id: registryId, ...logged(result) })}\n`);
      else io.stdout(`took down ${registryId} (log index ${result.index})\n`);
    });
  });
  return group;
}

async function readOwnerKey(io: CliIo, file: string) {
  try {
    return publicKeyFromJson(await readJsonFile(io, file), file);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}
