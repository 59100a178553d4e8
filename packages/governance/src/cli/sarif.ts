/**
 * SARIF 2.1.0 (OASIS) output for findings that point at files, one result per finding, in the
 * shape GitHub code scanning accepts: rules in `tool.driver.rules`, `ruleIndex` on each
 * result, 1-based `startLine`/`startColumn` in UTF-16 code units.
 */
import type { Log, ReportingDescriptor, Result } from 'sarif';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly severity: 'error' | 'warning' | 'note';
  readonly rationale: string;
}

export interface SarifFinding {
  readonly ruleId: string;
  readonly severity: 'error' | 'warning' | 'note';
  readonly message: string;
  /** Path of the file, relative to the repository root where possible (forward slashes). */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

export interface SarifTool {
  readonly name: string;
  readonly version: string;
  readonly rules: readonly SarifRule[];
}

export function toSarif(tool: SarifTool, findings: readonly SarifFinding[]): Log {
  const ruleIndex = new Map(tool.rules.map((rule, index) => [rule.id, index]));
  const rules: ReportingDescriptor[] = tool.rules.map((rule) => ({
    id: rule.id,
    name: rule.name,
    shortDescription: { text: rule.rationale },
    defaultConfiguration: { level: rule.severity },
  }));
  const results: Result[] = findings.map((finding) => {
    const index = ruleIndex.get(finding.ruleId);
    return {
      ruleId: finding.ruleId,
      ...(index === undefined ? {} : { ruleIndex: index }),
      level: finding.severity,
      message: { text: finding.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: toUri(finding.file) },
            ...(finding.line === undefined
              ? {}
              : {
                  region: {
                    startLine: finding.line,
                    ...(finding.column === undefined ? {} : { startColumn: finding.column }),
                  },
                }),
          },
        },
      ],
    };
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: tool.name, version: tool.version, rules } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

/** A relative URI reference for a file path: forward slashes, each segment percent-encoded. */
function toUri(file: string): string {
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}
