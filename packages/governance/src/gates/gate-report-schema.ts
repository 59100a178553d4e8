/** The published gate report schema (schemas/gate-report.v1.schema.json), compiled once. */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import gateReportSchema from '../../schemas/gate-report.v1.schema.json' with { type: 'json' };

export { gateReportSchema };

let compiled: ValidateFunction | undefined;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** RFC 3339 section 5.6 `date-time` (the format JSON Schema's `date-time` names). */
function isDateTime(text: string): boolean {
  return DATE_TIME.test(text) && !Number.isNaN(Date.parse(text));
}

export function gateReportValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      // `then` branches require properties the enclosing schema defines; that is intended.
      strictRequired: false,
      allowUnionTypes: true,
    });
    ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
    compiled = ajv.compile(gateReportSchema);
  }
  return compiled;
}

/** Schema violations of a report, as `pointer message` lines; empty when it is valid. */
export function gateReportErrors(report: unknown): string[] {
  const validate = gateReportValidator();
  if (validate(report)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
  );
}
